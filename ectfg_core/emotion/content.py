"""The spoken words colour the plan: freely where the description is silent, within what it asks where it speaks.

TIE-TFG's premise (its Fig. 3b) is that emotion fluctuates with what is being said even under one fixed emotion and
intensity. The description stays in charge; the text modulates it, by these rules. The constants are the moves at
the default content amount (DEFAULT_CONTENT_AMOUNT, 0.5); the amount scales them linearly (0: exactly the description,
1: twice the default moves, still bounded as below).

- Silent words (before the first described place, after "until 'x'" or "it fades", or everywhere when the
  description names no emotion): a word with emotional content (content_lexicon.py; "died", "congratulations",
  "disgusting") moves that word's emotion towards its class by TEXT_SHARE x strength, and its neighbours by half
  as much. A strongly loaded word takes its class as its label; weaker ones only tint the relaxed neutral. The
  intensity stays mild: at most TEXT_INTENSITY x strength (0.45 for "died"), never more than a light description.
- Described words keep their class on top (the highest probability, by at least TOP_MARGIN) and are modulated:
  content of the same class (or of a class in the described blend) raises the intensity by up to BOOST; content
  of the opposite pleasantness lowers it by up to DAMP (a smile falters on "died") and is not mixed in; content of
  another compatible class adds a secondary colour of up to TINT of the mixture. A neutral reading ("calm") is
  lifted by any loaded word by up to LIFT and takes up to NEUTRAL_TINT of its class as a secondary colour: words
  of loss darken it, words of delight brighten it, neutral stays on top.
- A description that invites the text in ("calm, and let the words colour it", "follow the text"; invitation.py)
  lets its words be coloured like silent ones, over the described emotion instead of the relaxed neutral, so a
  text that turns from laughter to grief turns happy, then sad. Phrases on quoted words ("furious at 'the money'")
  are never taken over. "whatever the words say" keeps the described words exactly as described.
- Contradictions: content of the opposite pleasantness ("joyful" over "died") is reported (conflicts.py rule 2)
  when the phrase covers one strongly loaded word (>= CONTRADICTION, "died", "congratulations") or two or more
  clearly loaded ones (>= SOME, "thank ... lovely"), and the described emotion is not a light one. One ordinary word
  ("birthday" under "furious") is not reported, nor is anything the description invited in.
- Negated words of the text ("not happy") colour nothing.

The speech modulates the intensity again, frame by frame, downstream (efp/embedded.py multiplies it by the
loudness and pitch of the audio); the moves here are per word and additive, so the two compose: the words set
each word's level, the voice makes it breathe within the word.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ectfg_core.emotion import conflicts
from ectfg_core.emotion.content_lexicon import ContentLexicon
from ectfg_core.errors import InputError
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT, Keyframe, WordTarget, mixture_of
from ectfg_core.types.emotion import EMOTION_INDEX, EMOTIONS

# How far the words may move the plan, 0..1. 0.5 is the default: a loaded word under "calm" is visibly coloured
# ("died": +0.14 intensity, a quarter sad) yet stays calm, which is what the artist asked; 1 doubles the moves
# (the bounds below still hold) for those who want the text to speak louder; 0 is the description alone. At the
# default, silent words are coloured exactly as before the amount existed.

TEXT_SHARE = 0.8  # share of the word's class on a silent word, per unit of strength (capped at MAX_SHARE)
MAX_SHARE = 0.75
TEXT_INTENSITY = 0.5  # a silent word's intensity from its content: at most this times the strength
NEIGHBOUR = 0.5  # a loaded word colours the words beside it this much
MIN_EVIDENCE = 0.3  # weaker content is ignored
BOOST = 0.1  # described words: more intense by at most this where the text agrees
DAMP = 0.08  # described words: less intense by at most this where the text is of the opposite pleasantness
TINT = 0.15  # described words: at most this share of a compatible class the text suggests
LIFT = 0.16  # a neutral reading: more expressive by at most this on a loaded word
NEUTRAL_TINT = 0.3  # a neutral reading: at most this share of the loaded word's class
TOP_MARGIN = 0.1  # the described class stays this far above any other class on a described word
CONTRADICTION = 0.85  # one word this loaded against the description is reported
SOME = 0.6  # two or more words this loaded against the description are reported
LIGHT = 0.35  # descriptions at or below this intensity ("sarcastic", "a bit sad") are never contradicted


def check_amount(value: float) -> float:
    """The content amount as a float in 0..1, or an InputError about the value `content` (callers name it)."""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise InputError(f"content {value!r} is not a number; use 0 (exactly the description) to 1 (the words move "
                         f"it most), {DEFAULT_CONTENT_AMOUNT:g} is the default", field="content") from None
    if not (math.isfinite(amount) and 0.0 <= amount <= 1.0):
        raise InputError(f"content {value} is out of range; use 0 (exactly the description) to 1 (the words move it "
                         f"most), {DEFAULT_CONTENT_AMOUNT:g} is the default", field="content")
    return amount


def colour(
    targets: list[WordTarget],
    owners: Sequence[int],
    keyframes: Sequence[Keyframe],
    words: Sequence[str],
    lexicon: ContentLexicon | None,
    warnings: list[str],
    amount: float = DEFAULT_CONTENT_AMOUNT,
    stance: str | None = None,
) -> tuple[list[WordTarget], list[str]]:
    """Targets with the text's colour applied, and per word its origin: "description", "text" or "default".

    amount: how far the words may move the plan (0..1, DEFAULT_CONTENT_AMOUNT); stance: "invite", "refuse" or None, what
    the description says about its text (invitation.py)."""
    scale = check_amount(amount) / DEFAULT_CONTENT_AMOUNT
    stated = [0 <= o < len(keyframes) and not keyframes[o].implied for o in owners]
    if lexicon is None or not words:
        return targets, ["description" if s else "default" for s in stated]
    hits = lexicon.scan(words)
    raw = np.zeros((len(words), len(EMOTIONS)))
    for i, hit in enumerate(hits):
        if hit is not None:
            for emotion, strength in hit[0].items():
                raw[i, EMOTION_INDEX[emotion]] = strength
    evidence = raw.copy()
    evidence[1:] = np.maximum(evidence[1:], NEIGHBOUR * raw[:-1])
    evidence[:-1] = np.maximum(evidence[:-1], NEIGHBOUR * raw[1:])
    out: list[WordTarget] = []
    origins: list[str] = []
    against: dict[str, list[tuple[str, str, str, float]]] = {}
    for i, target in enumerate(targets):
        if not stated[i]:
            coloured = _silent(target, evidence[i], scale)
            out.append(coloured or target)
            origins.append("text" if coloured is not None else "default")
            continue
        if stance == "invite" and not keyframes[owners[i]].anchored:
            coloured = _invited(target, evidence[i], scale)
            out.append(coloured)
            origins.append("text" if coloured.emotion != target.emotion else "description")
            continue
        out.append(_described(target, evidence[i], 0.0 if stance == "refuse" else scale))
        origins.append("description")
        clash = _contradiction(target, raw[i])
        if clash is not None and hits[i] is not None:
            source = keyframes[owners[i]].source or target.emotion
            strength = float(raw[i, EMOTION_INDEX[clash]])
            against.setdefault(source, []).append((target.emotion, clash, hits[i][1], strength))
    for source, found in against.items():
        distinct = {w for _, _, w, _ in found}
        if max(s for *_, s in found) < CONTRADICTION and len(distinct) < 2:
            continue
        stated_as = Counter(s for s, _, _, _ in found).most_common(1)[0][0]
        content_as = Counter(c for _, c, _, _ in found).most_common(1)[0][0]
        shown = [w for _, c, w, _ in found if c == content_as]
        warnings.append(conflicts.contradiction_warning(source, stated_as, content_as, shown))
    return out, origins


def _strongest(scores: np.ndarray) -> tuple[str, float] | None:
    index = int(np.argmax(scores))
    if scores[index] < MIN_EVIDENCE or EMOTIONS[index] == "neutral":
        return None
    return EMOTIONS[index], float(scores[index])


def _text_colour(target: WordTarget, emotion: str, strength: float, scale: float) -> tuple[np.ndarray, str, float]:
    """The word's distribution with the text's emotion mixed in: (distribution, its top class, the text's share)."""
    share = min(MAX_SHARE, TEXT_SHARE * strength * scale)
    dist = (1.0 - share) * target.distribution() + share * _one_hot(emotion)
    return dist, EMOTIONS[int(np.argmax(dist))], share


def _text_level(strength: float, scale: float) -> float:
    # Mild at any amount: the default gives TEXT_INTENSITY x strength, the most amount half as much again.
    return TEXT_INTENSITY * strength * (1.0 + scale) / 2


def _silent(target: WordTarget, scores: np.ndarray, scale: float) -> WordTarget | None:
    found = _strongest(scores)
    if found is None or scale <= 0:
        return None
    emotion, strength = found
    dist, label, _ = _text_colour(target, emotion, strength, scale)
    intensity = max(float(target.intensity), _text_level(strength, scale))
    return WordTarget(label, round(min(intensity, 1.0), 4), mixture_of(dist))


def _invited(target: WordTarget, scores: np.ndarray, scale: float) -> WordTarget:
    """A described word the description lets the text colour: the silent rule over the described emotion, and never
    less expressive than the same word without the invitation."""
    modulated = _described(target, scores, scale)
    found = _strongest(scores)
    if found is None or scale <= 0:
        return modulated
    emotion, strength = found
    dist, label, share = _text_colour(target, emotion, strength, scale)
    base = float(target.intensity)
    # The text's own level, never below the described one: an invited word is as expressive as asked, in its class.
    level = max(base, _text_level(strength, scale))
    intensity = max(base + share * (level - base), float(modulated.intensity))
    return WordTarget(label, round(min(intensity, 1.0), 4), mixture_of(dist))


def _described(target: WordTarget, scores: np.ndarray, scale: float) -> WordTarget:
    """The described class stays on top; the words move the intensity and may add a secondary colour."""
    if scale <= 0:
        return WordTarget(target.emotion, float(target.intensity), dict(target.mixture) if target.mixture else None)
    dist = target.distribution().astype(np.float64)
    present = {EMOTIONS[k] for k in np.flatnonzero(dist >= 0.2)}
    intensity = float(target.intensity)
    if present <= {"neutral"}:
        return _neutral(target, dist, scores, scale)
    agree = max((float(scores[EMOTION_INDEX[e]]) for e in present if e != "neutral"), default=0.0)
    if agree >= MIN_EVIDENCE:
        intensity += BOOST * agree * scale
    feeling = [e for e in present if e != "neutral"]
    oppose = max((float(scores[k]) for k in range(len(EMOTIONS))
                  if EMOTIONS[k] not in present and all(conflicts.opposite(EMOTIONS[k], p) for p in feeling)), default=0.0)
    if oppose >= MIN_EVIDENCE and agree < MIN_EVIDENCE:
        intensity -= DAMP * oppose * scale
    tint_class, tint = None, 0.0
    for k in np.argsort(-scores, kind="stable"):
        emotion, strength = EMOTIONS[int(k)], float(scores[int(k)])
        if strength < MIN_EVIDENCE:
            break
        if emotion in present or emotion == "neutral" or any(conflicts.opposite(emotion, p) for p in present):
            continue
        tint_class, tint = emotion, TINT * strength * scale
        break
    if intensity != float(target.intensity):
        intensity = min(max(intensity, 0.05), 1.0)
    if tint_class is None:
        return WordTarget(target.emotion, intensity, target.mixture)
    return WordTarget(target.emotion, intensity, mixture_of(_tinted(dist, target.emotion, tint_class, tint)))


def _neutral(target: WordTarget, dist: np.ndarray, scores: np.ndarray, scale: float) -> WordTarget:
    """A neutral reading under loaded words: a little more expressive, tinted by their class, still neutral."""
    found = _strongest(scores)
    if found is None:
        return WordTarget(target.emotion, float(target.intensity), target.mixture)
    emotion, strength = found
    intensity = min(float(target.intensity) + LIFT * strength * scale, 1.0)
    dist = _tinted(dist, target.emotion, emotion, NEUTRAL_TINT * strength * scale)
    return WordTarget(target.emotion, intensity, mixture_of(dist))


def _tinted(dist: np.ndarray, keep: str, tint_class: str, share: float) -> np.ndarray:
    """dist with `share` of tint_class mixed in, the share cut where `keep` would fall within TOP_MARGIN of it."""
    top, other = float(dist[EMOTION_INDEX[keep]]), float(dist[EMOTION_INDEX[tint_class]])
    # (1-t)*top >= (1-t)*other + t + margin  <=>  t <= (top - other - margin) / (1 + top - other)
    room = max(0.0, (top - other - TOP_MARGIN) / (1.0 + top - other))
    share = min(share, room)
    return (1.0 - share) * dist + share * _one_hot(tint_class)


def _contradiction(target: WordTarget, scores: np.ndarray) -> str | None:
    """The text's class on this word when it is strongly against the described emotion."""
    if target.intensity <= LIGHT or target.emotion == "neutral":
        return None
    dist = target.distribution()
    present = [EMOTIONS[k] for k in np.flatnonzero(dist >= 0.2) if EMOTIONS[k] != "neutral"]
    for k in np.argsort(-scores):
        emotion, strength = EMOTIONS[int(k)], float(scores[int(k)])
        if strength < SOME:
            return None
        if emotion not in present and all(conflicts.opposite(emotion, p) for p in present):
            return emotion
    return None


def _one_hot(emotion: str) -> np.ndarray:
    vec = np.zeros(len(EMOTIONS))
    vec[EMOTION_INDEX[emotion]] = 1.0
    return vec
