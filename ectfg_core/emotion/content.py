"""The spoken words colour the plan where the description is silent, and are checked where it speaks.

TIE-TFG's premise is that emotion fluctuates with what is being said. The description stays in charge; the text
only modulates, by these rules (the constants below are the numbers):

- Silent words (before the first described place, after "until 'x'" or "it fades", or everywhere when the
  description names no emotion): a word with emotional content (content_lexicon.py; "died", "congratulations",
  "disgusting") moves that word's emotion towards its class by TEXT_SHARE x strength, and its neighbours by half
  as much. A strongly loaded word takes its class as its label; weaker ones only tint the relaxed neutral. The
  intensity stays mild: at most TEXT_INTENSITY x strength (0.45 for "died"), never more than a light description.
- Described words keep their class label and intensity order. Content of the same class (or of a class in the
  described blend) raises the intensity by at most BOOST; content of another compatible class adds a tint of at
  most TINT of the mixture; content of the opposite pleasantness ("joyful" over "died") is not mixed in at all and
  is reported as a contradiction (conflicts.py rule 2) when the phrase covers one strongly loaded word
  (>= CONTRADICTION, "died", "congratulations") or two or more clearly loaded ones (>= SOME, "thank ... lovely"),
  and the described emotion is not a light one. One ordinary word ("birthday" under "furious") is not reported.
- Negated words of the text ("not happy") colour nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ectfg_core.emotion import conflicts
from ectfg_core.emotion.content_lexicon import ContentLexicon
from ectfg_core.emotion.keyframes import Keyframe, WordTarget, mixture_of
from ectfg_core.emotion.model import EMOTION_INDEX, EMOTIONS

TEXT_SHARE = 0.8  # share of the word's class on a silent word, per unit of strength (capped at MAX_SHARE)
MAX_SHARE = 0.75
TEXT_INTENSITY = 0.5  # a silent word's intensity from its content: at most this times the strength
NEIGHBOUR = 0.5  # a loaded word colours the words beside it this much
MIN_EVIDENCE = 0.3  # weaker content is ignored
BOOST = 0.1  # described words: more intense by at most this where the text agrees
TINT = 0.15  # described words: at most this share of a compatible class the text suggests
CONTRADICTION = 0.85  # one word this loaded against the description is reported
SOME = 0.6  # two or more words this loaded against the description are reported
LIGHT = 0.35  # descriptions at or below this intensity ("sarcastic", "a bit sad") are never contradicted


def colour(
    targets: list[WordTarget],
    owners: Sequence[int],
    keyframes: Sequence[Keyframe],
    words: Sequence[str],
    lexicon: ContentLexicon | None,
    warnings: list[str],
) -> tuple[list[WordTarget], list[str]]:
    """Targets with the text's colour applied, and per word its origin: "description", "text" or "default"."""
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
    against: dict[str, list[tuple[str, str, str]]] = {}
    for i, target in enumerate(targets):
        if not stated[i]:
            coloured = _silent(target, evidence[i])
            out.append(coloured or target)
            origins.append("text" if coloured is not None else "default")
            continue
        out.append(_described(target, evidence[i]))
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


def _silent(target: WordTarget, scores: np.ndarray) -> WordTarget | None:
    found = _strongest(scores)
    if found is None:
        return None
    emotion, strength = found
    share = min(MAX_SHARE, TEXT_SHARE * strength)
    dist = (1.0 - share) * target.distribution() + share * _one_hot(emotion)
    label = EMOTIONS[int(np.argmax(dist))]
    intensity = max(float(target.intensity), TEXT_INTENSITY * strength)
    return WordTarget(label, round(intensity, 4), mixture_of(dist))


def _described(target: WordTarget, scores: np.ndarray) -> WordTarget:
    dist = target.distribution()
    present = {EMOTIONS[k] for k in np.flatnonzero(dist >= 0.2)}
    intensity = float(target.intensity)
    boost = max((float(scores[EMOTION_INDEX[e]]) for e in present if e != "neutral"), default=0.0)
    if boost >= MIN_EVIDENCE:
        intensity = min(1.0, intensity + BOOST * boost)
    tint_class, tint = None, 0.0
    for k in np.argsort(-scores):
        emotion, strength = EMOTIONS[int(k)], float(scores[int(k)])
        if strength < MIN_EVIDENCE:
            break
        if emotion in present or any(conflicts.opposite(emotion, p) for p in present):
            continue
        tint_class, tint = emotion, TINT * strength
        break
    if tint_class is None:
        return WordTarget(target.emotion, intensity, target.mixture)
    dist = (1.0 - tint) * dist + tint * _one_hot(tint_class)
    return WordTarget(target.emotion, intensity, mixture_of(dist))


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
