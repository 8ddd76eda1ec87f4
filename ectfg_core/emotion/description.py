"""A free-form emotion description plus the words to speak -> keyframes over the words and one target per word.

Stages, each a small function: tokenize the description -> lexicon items -> phrases (split at punctuation and time
words) -> one reading per phrase (emotions, intensity, cues, quoted anchor) -> drafts (negation, blends,
comparatives) -> keyframes placed over the words -> per-word targets interpolated between keyframes.
Later stages (a text-emotion lexicon, conflict detection) can add or edit keyframes and call
`keyframes_to_targets` again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ectfg_core.emotion import lexicon
from ectfg_core.emotion.lexicon import Comparative, Cue, EmotionWord, Modifier, Negation, Term, VoiceHint
from ectfg_core.emotion.model import EMOTION_INDEX, EMOTIONS, NUM_EMOTIONS, normalize_mixture, one_hot
from ectfg_core.errors import InputError
from ectfg_core.text import tokenize

# A sentence or two is plenty; longer input is almost certainly the text pasted into the wrong field.
MAX_DESCRIPTION_CHARS = 1000
# Words over which an unqualified change ("happy, then sad") cross-fades, centred on the boundary.
DEFAULT_SPAN = 2.0
# How far "more"/"less" move the intensity relative to the same emotion in the previous phrase.
COMPARATIVE_STEP = 0.2
_MAX_EMPHASIS = 3  # "!!!!!!" is not six times stronger than "!!!"
_EXAMPLES = "happy, sad, angry, scared, surprised, disgusted, calm"


@dataclass
class Keyframe:
    """The emotion the description asks for at one place in the text."""

    position: float  # in words: 0.0 = first word, len(words)-1 = last word; fractional allowed
    emotion: str  # one of EMOTIONS
    intensity: float  # 0..1
    transition: str  # "gradual" | "sudden": how we arrive at this keyframe from the previous one
    mixture: dict[str, float] | None = None
    source: str = ""  # the description phrase it came from (for warnings / UI); "" when implied
    # Gradual only: words the change takes, centred on the boundary before `position`; None = all the way from
    # the previous keyframe ("slowly becomes ...").
    span: float | None = None

    def distribution(self) -> np.ndarray:
        return _distribution(self.emotion, self.mixture)


@dataclass
class WordTarget:
    """The emotion one spoken word should carry."""

    emotion: str
    intensity: float
    mixture: dict[str, float] | None = None

    def distribution(self) -> np.ndarray:
        """Probability over EMOTIONS."""
        return _distribution(self.emotion, self.mixture)


@dataclass
class DescribedEmotion:
    keyframes: list[Keyframe]
    targets: list[WordTarget]  # one per word
    warnings: list[str]
    hints: list[str]  # voice hints such as "whisper", in order of appearance


def parse_description(description: str, words: Sequence[str]) -> DescribedEmotion:
    """Read the description against the words to speak; raise InputError if it names no emotion at all."""
    text = "" if description is None else str(description)
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise InputError(
            f"the emotion description is {len(text)} characters; keep it under {MAX_DESCRIPTION_CHARS} "
            "(a sentence or two, e.g. \"starts calm, slowly becomes furious\")"
        )
    words = [str(w) for w in words]
    items = _items(text)
    warnings: list[str] = []
    readings = _group(_split(items), text, warnings)
    hints = _hints(items)
    if not readings:
        if any(item.kind != "punct" for item in items) and not hints:
            raise InputError(_no_emotion_message(text, items))
        drafts = [_Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, source="")]
    else:
        drafts = _drafts(readings, text, warnings)
    keyframes = _place(drafts, words, warnings)
    targets, owners = _interpolate(keyframes, len(words))
    if words:
        _warn_unreached(keyframes, owners, len(words), warnings)
    return DescribedEmotion(keyframes=keyframes, targets=targets, warnings=_unique(warnings), hints=hints)


def keyframes_to_targets(keyframes: Sequence[Keyframe], num_words: int) -> list[WordTarget]:
    """One target per word, interpolated between keyframes (sorted by position) as their transitions say."""
    return _interpolate(list(keyframes), num_words)[0]


# --- tokens and lexicon items --------------------------------------------------------------------------------------

_QUOTE = r"(?<!\w)['\"‘“](?P<quote>(?:[^'\"‘’“”]|(?<=\w)['’](?=\w))+?)['\"’”](?!\w)"
_TOKEN = re.compile(
    _QUOTE
    + r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    + r"|(?P<punct>->|=>|→|⇒|[,;:.!?()\[\]—–…]|(?<!\w)-+(?!\w))"
)


@dataclass
class _Item:
    """A span of the description: a lexicon term, an unknown word, a quote or a punctuation mark."""

    kind: str  # "term" | "unknown" | "quote" | "punct"
    text: str  # original spelling; the inner text for quotes
    start: int  # character offsets in the description
    end: int
    term: Term | None = None
    shouted: bool = False  # ALL CAPS


def _items(text: str) -> list[_Item]:
    tokens = list(_TOKEN.finditer(text))
    # Quotes and punctuation break multi-word lookups: "\0" never matches an entry.
    lowered = [m.group("word").lower().replace("’", "'") if m.group("word") else "\0" for m in tokens]
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        match = tokens[i]
        if match.group("quote") is not None:
            items.append(_Item("quote", match.group("quote").strip(), match.start(), match.end()))
            i += 1
            continue
        if match.group("punct") is not None:
            items.append(_Item("punct", match.group("punct"), match.start(), match.end()))
            i += 1
            continue
        found = lexicon.lookup(lowered, i)
        if found is None:
            items.append(_Item("unknown", match.group(0), match.start(), match.end()))
            i += 1
            continue
        term, length = found
        last = tokens[i + length - 1]
        original = text[match.start() : last.end()]
        shouted = sum(c.isalpha() for c in original) > 1 and original.isupper()
        items.append(_Item("term", original, match.start(), last.end(), term, shouted))
        i += length
    return items


def _hints(items: Sequence[_Item]) -> list[str]:
    hints: list[str] = []
    for item in items:
        hint = item.term.hint if isinstance(item.term, (VoiceHint, EmotionWord)) else None
        if hint and hint not in hints:
            hints.append(hint)
    return hints


# --- phrases -------------------------------------------------------------------------------------------------------


def _split(items: Sequence[_Item]) -> list[list[_Item]]:
    """Cut at punctuation and at time words ("then", "becomes", "ends") that follow an emotion."""
    phrases: list[list[_Item]] = []
    current: list[_Item] = []
    closing = False  # punctuation seen: close at the next word, so "!!!" stays with its phrase
    for item in items:
        if item.kind == "punct":
            current.append(item)
            closing = True
            continue
        splits = isinstance(item.term, Cue) and item.term.split and any(isinstance(i.term, EmotionWord) for i in current)
        if current and (closing or splits):
            phrases.append(current)
            current = []
        closing = False
        current.append(item)
    if current:
        phrases.append(current)
    return [p for p in phrases if any(i.kind != "punct" for i in p)]


@dataclass
class _Mention:
    word: EmotionWord
    text: str
    modifiers: list[float]
    emphasis: int
    comparative: int
    negated: bool


@dataclass
class _Reading:
    """What one phrase says."""

    items: list[_Item]
    source: str
    mentions: list[_Mention] = field(default_factory=list)
    position: str | None = None
    transition: str | None = None
    strong_transition: bool = False
    anchors: list[str] = field(default_factory=list)
    anchor_after: bool = False
    until: bool = False
    cessation: bool = False
    unknown: list[str] = field(default_factory=list)
    bangs: int = 0


def _read(items: list[_Item], text: str) -> _Reading:
    reading = _Reading(items, _source(items, text))
    modifiers: list[float] = []
    modifier_words: list[str] = []
    emphasis = 0
    negated = False
    comparative = 0
    cue_comparative = 0
    previous: _Item | None = None
    for item in items:
        term = item.term
        if item.kind == "quote":
            reading.anchors.append(item.text)
        elif item.kind == "punct":
            reading.bangs += item.text == "!"
        elif item.kind == "unknown":
            reading.unknown.append(item.text)
        elif isinstance(term, EmotionWord):
            if previous is not None and previous.term == term and reading.mentions:
                reading.mentions[-1].emphasis += 1  # "happy happy"
            else:
                reading.mentions.append(
                    _Mention(term, item.text, modifiers, emphasis + item.shouted, comparative or term.comparative, negated)
                )
            modifiers, modifier_words, emphasis, negated, comparative = [], [], 0, False, 0
        elif isinstance(term, Modifier):
            key = item.text.lower()
            if key in modifier_words:
                emphasis += 1  # "very very"
            else:
                modifiers.append(term.strength)
                modifier_words.append(key)
        elif isinstance(term, Comparative):
            comparative = term.direction
        elif isinstance(term, Negation):
            negated = negated or term.prefix
            reading.cessation = reading.cessation or term.cessation
        elif isinstance(term, Cue):
            _read_cue(reading, term)
            cue_comparative = cue_comparative or term.comparative
        previous = item
    if reading.mentions and (modifiers or emphasis):  # "sad, but only slightly": the modifier comes after
        reading.mentions[-1].modifiers.extend(modifiers)
        reading.mentions[-1].emphasis += emphasis
    for mention in reading.mentions:
        mention.comparative = mention.comparative or cue_comparative
    return reading


def _read_cue(reading: _Reading, cue: Cue) -> None:
    if cue.position and reading.position is None:
        reading.position = cue.position
    if cue.transition and (reading.transition is None or (cue.strong and not reading.strong_transition)):
        reading.transition = cue.transition
        reading.strong_transition = cue.strong
    reading.anchor_after = reading.anchor_after or cue.anchor_after
    reading.until = reading.until or cue.until


def _source(items: Sequence[_Item], text: str) -> str:
    """The phrase as the user wrote it, without surrounding punctuation or dangling "and"."""
    kept = list(items)
    while kept and (kept[-1].kind == "punct" or kept[-1].text.lower() in ("and", "but", "or", "so")):
        kept.pop()
    while kept and kept[0].kind == "punct":
        kept.pop(0)
    source = " ".join(text[kept[0].start : kept[-1].end].split()) if kept else ""
    return source + ")" * (source.count("(") - source.count(")"))


def _group(phrases: list[list[_Item]], text: str, warnings: list[str]) -> list[_Reading]:
    """Readings of the phrases that name an emotion; cue-only phrases ("slowly,", "at 'the door',") join the next."""
    readings: list[_Reading] = []
    pending: list[_Item] = []
    for phrase in phrases:
        merged = _read(pending + phrase, text)
        if merged.mentions:
            readings.append(merged)
            pending = []
            continue
        alone = _read(phrase, text)
        if alone.unknown and not alone.anchors:
            warnings.append(f'ignored "{alone.source}": it names no emotion I know{_not_understood(alone.unknown)}')
        else:
            pending = pending + phrase
    if pending:
        tail = _read(pending, text)
        if readings and tail.until and tail.anchors:
            # "angry until 'the door'": the anger stops there.
            tail.mentions = [_Mention(EmotionWord("neutral", lexicon.NEUTRAL_BASELINE), "", [], 0, 0, False)]
            readings.append(tail)
            warnings.append(f'nothing follows "{tail.source}", so the emotion returns to neutral at "{tail.anchors[0]}"')
        elif readings and not any(isinstance(i.term, VoiceHint) for i in pending):
            # "sad, but only slightly" / "angry, by the end": words about the last phrase. ("ends in a whisper" is
            # about the voice; its hint is already recorded.)
            readings[-1] = _read(readings[-1].items + pending, text)
    for reading in readings:
        _warn_misspellings(reading, warnings)
    return readings


def _not_understood(words: Sequence[str]) -> str:
    listed = ", ".join(f'"{w}"' for w in dict.fromkeys(words))
    guesses = [f'"{g}"' for g in dict.fromkeys(lexicon.suggest(w) for w in words) if g]
    mean = f"; did you mean {' or '.join(guesses)}?" if guesses else ""
    return f" (not understood: {listed}){mean}"


def _warn_misspellings(reading: _Reading, warnings: list[str]) -> None:
    # Other unknown words in an emotion phrase are ignored quietly; likely typos of emotion words are worth a line.
    for word in reading.unknown:
        guess = lexicon.suggest(word)
        if guess:
            warnings.append(f'in "{reading.source}" I did not understand "{word}"; did you mean "{guess}"?')


def _no_emotion_message(text: str, items: Sequence[_Item]) -> str:
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    guesses = [g for g in dict.fromkeys(lexicon.suggest(i.text) for i in items if i.kind == "unknown") if g]
    mean = f" (did you mean {' or '.join(repr(g) for g in guesses)}?)" if guesses else ""
    return (
        f'the emotion description "{shown}" names no emotion I know{mean}; '
        f"use words like {_EXAMPLES} (see `ectfg plan --help`)"
    )


# --- drafts: one emotion per phrase --------------------------------------------------------------------------------


@dataclass
class _Draft:
    emotion: str
    intensity: float
    mixture: dict[str, float] | None
    transition: str | None  # None: the default short cross-fade
    source: str
    position: str | None = None  # "start" | "middle" | "end"
    anchors: list[str] = field(default_factory=list)
    anchor_after: bool = False
    fixed: float | None = None  # resolved position in words


def _drafts(readings: Sequence[_Reading], text: str, warnings: list[str]) -> list[_Draft]:
    drafts: list[_Draft] = []
    for reading in readings:
        mentions = _keep_affirmed(reading, warnings)
        if mentions is None:
            continue
        before = drafts[-1] if drafts else None
        if mentions:
            emotion, intensity, mixture = _combine(mentions, reading.bangs, before)
        else:
            emotion, intensity, mixture = "neutral", lexicon.NEUTRAL_BASELINE, None
        if len(reading.anchors) > 1:
            warnings.append(f'"{reading.source}" quotes more than one place; only the first ("{reading.anchors[0]}") is used')
        drafts.append(
            _Draft(emotion, intensity, mixture, reading.transition, reading.source, reading.position,
                   reading.anchors[:1], reading.anchor_after)
        )
    if not drafts:
        warnings.append("the description only says which emotions not to show; using neutral")
        drafts.append(_Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, ""))
    return drafts


def _keep_affirmed(reading: _Reading, warnings: list[str]) -> list[_Mention] | None:
    """Mentions that are not negated; [] means "becomes neutral", None means "drop the phrase"."""
    kept = [m for m in reading.mentions if not m.negated]
    dropped = [m.text for m in reading.mentions if m.negated]
    if not dropped:
        return kept
    listed = ", ".join(f'"{w}"' for w in dropped)
    if kept:
        warnings.append(f'"{reading.source}": negations are only understood simply, so {listed} was left out')
        return kept
    if reading.cessation:
        warnings.append(f'"{reading.source}": read as "back to neutral"; negations are only understood simply')
        return []
    warnings.append(
        f'"{reading.source}": negated emotions are not understood yet, so this phrase was ignored; '
        'say what it should be instead (e.g. "calm")'
    )
    return None


def _combine(mentions: Sequence[_Mention], bangs: int, before: _Draft | None) -> tuple[str, float, dict[str, float] | None]:
    """One class, intensity and (for blends, "happy and sad") mixture from a phrase's emotion words."""
    weights = np.zeros(NUM_EMOTIONS, dtype=np.float64)
    order: list[str] = []
    strongest = 0.0
    for mention in mentions:
        value = _intensity(mention, bangs, before)
        strongest = max(strongest, value)
        weights += _distribution(mention.word.emotion, dict(mention.word.mixture or {}) or None) * max(value, 1e-3)
        order.append(mention.word.emotion)
    top = weights.max()
    # Ties go to the class named first.
    emotion = next(name for name in order if weights[EMOTION_INDEX[name]] >= top - 1e-9)
    return emotion, strongest, _mixture(weights / weights.sum())


def _intensity(mention: _Mention, bangs: int, before: _Draft | None) -> float:
    value = mention.word.intensity
    if mention.comparative and before is not None and before.emotion == mention.word.emotion:
        value = before.intensity + COMPARATIVE_STEP * (1 if mention.comparative > 0 else -1.25)
    elif mention.comparative < 0:
        value *= 0.6
    for strength in mention.modifiers:
        value = lexicon.apply_modifier(value, strength)
    value = lexicon.emphasize(value, min(mention.emphasis + bangs, _MAX_EMPHASIS))
    return float(min(max(value, 0.05), 1.0))


# --- placing keyframes over the words ------------------------------------------------------------------------------


def _place(drafts: list[_Draft], words: Sequence[str], warnings: list[str]) -> list[Keyframe]:
    n = len(words)
    last = float(max(n - 1, 0))
    _fix_cued(drafts, words, last, warnings)
    # "ends sad" belongs after everything else even when said first.
    drafts = sorted(drafts, key=lambda d: d.fixed is None and d.position == "end")
    first = drafts[0]
    if first.fixed is None:
        if first.position != "end" and first.transition is None:
            first.fixed = 0.0
        else:
            drafts.insert(0, _baseline())  # "ends sad", "slowly becomes angry": it changes from a neutral start
    _spread(drafts, n, last)
    ordered = sorted(drafts, key=lambda d: d.fixed or 0.0)
    moved = next((a for a, b in zip(ordered, drafts, strict=True) if a is not b), None)
    if moved is not None:
        warnings.append(f'"{moved.source}" is anchored earlier in the text than the phrase described before it; '
                        "the phrases were put in the order of the text")
    if (ordered[0].fixed or 0.0) > 0:
        ordered.insert(0, _baseline())  # "scared at 'the door'": neutral until then
    return [_keyframe(d) for d in ordered]


def _baseline() -> _Draft:
    return _Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, "", fixed=0.0)


def _fix_cued(drafts: Sequence[_Draft], words: Sequence[str], last: float, warnings: list[str]) -> None:
    """Positions that the description states: quotes from the text, "starts", "halfway", "slowly ... by the end"."""
    normalized = [_normalize(w) for w in words]
    search_from = 0
    for index, draft in enumerate(drafts):
        if draft.anchors:
            found = _find(draft.anchors[0], normalized, search_from)
            if found is None:
                warnings.append(
                    f'the quoted words "{draft.anchors[0]}" are not in the text, so "{draft.source}" was placed by its '
                    "order in the description; quote words exactly as they appear in the text"
                )
            else:
                search_from = found[0]
                draft.fixed = float(min(found[1] + 1, last) if draft.anchor_after else found[0])
                continue
        if draft.position == "start" and index == 0:  # later, "starts crying" means "begins to", not "at word 0"
            draft.fixed = 0.0
        elif draft.position == "middle":
            draft.fixed = last / 2
        elif draft.position == "end" and draft.transition == "gradual":
            draft.fixed = last


def _spread(drafts: Sequence[_Draft], n: int, last: float) -> None:
    """Unplaced phrases share the room between placed ones evenly, in the order they were described."""
    i = 1
    while i < len(drafts):
        if drafts[i].fixed is not None:
            i += 1
            continue
        j = i
        while j < len(drafts) and drafts[j].fixed is None:
            j += 1
        left = drafts[i - 1].fixed or 0.0
        run = list(drafts[i:j])
        if j < len(drafts):
            right = drafts[j].fixed or 0.0
        elif run[-1].transition == "gradual":
            run[-1].fixed = max(last, left)  # "... slowly becomes furious": reached at the last word
            right = run.pop().fixed or 0.0
        else:
            right = float(n)  # the last phrase owns the last share of the words
        right = max(right, left)
        for k, draft in enumerate(run):
            draft.fixed = left + (k + 1) * (right - left) / (len(run) + 1)
        i = j


def _keyframe(draft: _Draft) -> Keyframe:
    if draft.transition == "sudden":
        transition, span = "sudden", None
    elif draft.transition == "gradual":
        transition, span = "gradual", None
    else:
        transition, span = "gradual", DEFAULT_SPAN
    return Keyframe(
        position=round(draft.fixed or 0.0, 4),
        emotion=draft.emotion,
        intensity=round(draft.intensity, 4),
        transition=transition,
        mixture=draft.mixture,
        source=draft.source,
        span=span,
    )


def _normalize(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word.lower().replace("’", "'"))


def _find(quote: str, words: Sequence[str], search_from: int) -> tuple[int, int] | None:
    """First and last word index of the quote in the text, preferring matches after the previous anchor."""
    target = [w for w in (_normalize(t.text) for t in tokenize(quote)) if w]
    if not target:
        return None
    for begin in (search_from, 0):
        for i in range(begin, len(words) - len(target) + 1):
            if list(words[i : i + len(target)]) == target:
                return i, i + len(target) - 1
    return None


# --- per-word targets ----------------------------------------------------------------------------------------------


def _ramps(keyframes: Sequence[Keyframe]) -> list[tuple[float, float]]:
    """For each keyframe, the word positions where the change towards it starts and ends (no overlaps)."""
    ramps = [(-math.inf, -math.inf)]
    done = -math.inf
    for before, keyframe in zip(keyframes, keyframes[1:], strict=False):
        p = keyframe.position
        if keyframe.transition == "sudden":
            start, end = p, p
        elif keyframe.span is None:
            start, end = before.position, p
        else:
            centre = p - 0.5  # the boundary between word p-1 and word p
            start, end = centre - keyframe.span / 2, centre + keyframe.span / 2
        start = max(start, done, before.position)
        end = max(end, start)
        ramps.append((start, end))
        done = end
    return ramps


def _interpolate(keyframes: list[Keyframe], num_words: int) -> tuple[list[WordTarget], list[int]]:
    """Targets per word and, per word, the index of the keyframe that dominates it."""
    if not keyframes:
        return [WordTarget("neutral", lexicon.NEUTRAL_BASELINE) for _ in range(num_words)], [-1] * num_words
    ramps = _ramps(keyframes)
    targets: list[WordTarget] = []
    owners: list[int] = []
    for x in range(num_words):
        owner = 0
        blended: WordTarget | None = None
        for k in range(1, len(keyframes)):
            start, end = ramps[k]
            if x >= end:
                owner = k
                continue
            if x > start:
                t = (x - start) / (end - start)
                blended = _blend(keyframes[k - 1], keyframes[k], t)
                owner = k if t > 0.5 else k - 1
            break
        if blended is None:
            kf = keyframes[owner]
            blended = WordTarget(kf.emotion, kf.intensity, dict(kf.mixture) if kf.mixture else None)
        targets.append(blended)
        owners.append(owner)
    return targets, owners


def _blend(a: Keyframe, b: Keyframe, t: float) -> WordTarget:
    """Cross-fade: the mixture moves from a to b while the intensity interpolates; the label switches halfway."""
    dist = (1.0 - t) * a.distribution() + t * b.distribution()
    intensity = (1.0 - t) * a.intensity + t * b.intensity
    return WordTarget(b.emotion if t > 0.5 else a.emotion, float(intensity), _mixture(dist))


def _warn_unreached(keyframes: Sequence[Keyframe], owners: Sequence[int], n: int, warnings: list[str]) -> None:
    for k, keyframe in enumerate(keyframes):
        if keyframe.source and k not in owners:
            warnings.append(
                f'"{keyframe.source}" does not get a word of its own: {n} words are too few for this many changes '
                "(or its quote overlaps another); shorten the description or quote other words"
            )


# --- small helpers -------------------------------------------------------------------------------------------------


def _distribution(emotion: str, mixture: dict[str, float] | None) -> np.ndarray:
    if not mixture:
        return one_hot(emotion)
    vec = np.zeros(NUM_EMOTIONS, dtype=np.float32)
    for name, weight in normalize_mixture(mixture).items():
        vec[EMOTION_INDEX[name]] = weight
    return vec


def _mixture(dist: np.ndarray) -> dict[str, float] | None:
    """A mixture dict for a distribution over EMOTIONS, or None when it is a single class."""
    dist = np.where(dist >= 1e-3, dist, 0.0)
    if np.count_nonzero(dist) <= 1:
        return None
    dist = dist / dist.sum()
    return {EMOTIONS[i]: round(float(dist[i]), 6) for i in np.flatnonzero(dist)}


def _unique(lines: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(lines))
