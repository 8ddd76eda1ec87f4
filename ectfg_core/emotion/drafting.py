"""Readings -> drafts: one emotion (class, intensity, mixture) per phrase, with where and how it should happen.

Negations follow the rule in negation.py, incompatible simultaneous emotions the rule in conflicts.py, hidden
feelings ("trying to hide it", "forcing a smile") the rule in masking.py; blends
("happy but nervous", "bittersweet") become a mixture weighted by each emotion's intensity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ectfg_core.emotion import conflicts, lexicon, masking, negation
from ectfg_core.emotion.phrases import Mention, Reading
from ectfg_core.emotion.spans import Span
from ectfg_core.types.description import emotion_distribution, mixture_of
from ectfg_core.types.emotion import EMOTION_INDEX, NUM_EMOTIONS

# How far "more"/"less" move the intensity relative to the same emotion in the previous phrase.
COMPARATIVE_STEP = 0.2
PEAK_INTENSITY = 0.9  # "peaks at 'x'": at least this strong there
UNDERTONE = 0.3  # share of the mixture an undertone ("with anger underneath") takes
_MAX_EMPHASIS = 3  # "!!!!!!" is not six times stronger than "!!!"


@dataclass
class Draft:
    """One phrase's emotion, read from the description but not yet placed over the words."""

    emotion: str
    intensity: float
    mixture: dict[str, float] | None
    transition: str | None  # None: the default short cross-fade
    source: str
    position: str | None = None  # "start" | "middle" | "end"
    anchors: list[str] = field(default_factory=list)  # quotes from the text; two with `between`
    anchor_after: bool = False
    place: Span | None = None  # "for the first half", "the last two words"
    bounded: bool = False  # only on the quoted words ("on 'x'", "during 'x'")
    between: bool = False
    brief: bool = False  # "briefly", "a flash of"
    everywhere: bool = False  # "throughout", "otherwise"
    undertone: bool = False  # "with anger underneath": mixed into every other phrase rather than painted under it
    implied: bool = False  # not stated by the description (the neutral baseline)
    fixed: float | None = None  # resolved start, in words
    end: float | None = None  # resolved end (exclusive) for bounded phrases


def baseline() -> Draft:
    return Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, "", implied=True)


def drafts_from(readings: Sequence[Reading], warnings: list[str]) -> list[Draft]:
    out: list[Draft] = []
    for reading in readings:
        mentions = masking.with_felt(_affirmed(reading), reading)
        before = out[-1] if out else None
        main, under = _undertone_split(mentions, reading)
        emotion, intensity, mixture = _combine(main, reading, before, warnings)
        if under:  # "sad with anger underneath": the undertone is a share of this phrase's mixture
            mixture = _with_undertone(emotion, mixture, under)
        emotion, intensity, mixture = masking.apply(reading.mask, emotion, intensity, mixture)  # "hiding it"
        anchors = reading.anchors[:2] if reading.between and len(reading.anchors) >= 2 else reading.anchors[:1]
        if len(reading.anchors) > len(anchors):
            warnings.append(f'"{reading.source}" quotes more than one place; only the first ("{reading.anchors[0]}") is '
                            "used (for a range, write \"between 'a' and 'b'\")")
        place = reading.places[0] if reading.places and not anchors else None
        out.append(
            Draft(
                emotion, intensity, mixture, reading.transition, reading.source, reading.position, anchors,
                reading.anchor_after, place,
                bounded=reading.bounded and bool(anchors),
                between=len(anchors) == 2,
                brief=reading.brief,
                everywhere=reading.everywhere and not anchors and place is None and not under,
                undertone=reading.undertone and not under and not anchors and place is None,
                implied=reading.implied,
            )
        )
    return out


def _undertone_split(mentions: list[Mention], reading: Reading) -> tuple[list[Mention], list[Mention]]:
    """With two or more emotions and "underneath", the one named next to that word is the undertone."""
    if not reading.undertone or len(mentions) < 2:
        return mentions, []
    nearest = min(mentions, key=lambda m: abs(m.at - reading.undertone_at))
    return [m for m in mentions if m is not nearest], [nearest]


def _with_undertone(emotion: str, mixture: dict[str, float] | None, under: list[Mention]) -> dict[str, float] | None:
    # A deliberate undertone is a tint, never a conflict (a smile with anger underneath is an acting note).
    word = under[0].word
    dist = (1 - UNDERTONE) * emotion_distribution(emotion, mixture) + UNDERTONE * emotion_distribution(
        word.emotion, dict(word.mixture) if word.mixture else None)
    return mixture_of(dist)


def _affirmed(reading: Reading) -> list[Mention]:
    """The mentions to show, after the negation rule (negation.py)."""
    kept = [m for m in reading.mentions if not m.negated]
    negated = [m for m in reading.mentions if m.negated]
    if kept or not negated:
        return kept  # rule 1: "happy, not angry" is happy
    if len(negated) > 1:  # "neither happy nor sad"
        return [Mention(lexicon.EmotionWord("neutral", negation.CALM), "", [], 0, 0, False)]
    mention = negated[0]
    word, _ = negation.negate(mention.word, mention.modifiers, reading.cessation)
    return [Mention(word, mention.text, [], 0, 0, False)]


def _combine(mentions: Sequence[Mention], reading: Reading, before: Draft | None,
             warnings: list[str]) -> tuple[str, float, dict[str, float] | None]:
    """One class, intensity and (for blends, "happy and sad") mixture from a phrase's emotion words."""
    if not mentions:
        return "neutral", lexicon.NEUTRAL_BASELINE, None
    values = [_intensity(m, reading.bangs, before) for m in mentions]
    named = [(m.word.emotion, v, m.text or m.word.emotion) for m, v in zip(mentions, values)]
    keep, dropped = conflicts.keep_compatible(named)
    for kept_word, dropped_word in dropped:
        warnings.append(conflicts.simultaneous_warning(reading.source, kept_word, dropped_word))
    mentions = [mentions[i] for i in keep]
    values = [values[i] for i in keep]
    weights = np.zeros(NUM_EMOTIONS, dtype=np.float64)
    for mention, value in zip(mentions, values):
        mixture = dict(mention.word.mixture) if mention.word.mixture else None
        weights += emotion_distribution(mention.word.emotion, mixture) * max(value, 1e-3)
    top = weights.max()
    # Ties go to the class named first.
    emotion = next(m.word.emotion for m in mentions if weights[EMOTION_INDEX[m.word.emotion]] >= top - 1e-9)
    return emotion, max(values), mixture_of(weights / weights.sum())


def _intensity(mention: Mention, bangs: int, before: Draft | None) -> float:
    value = mention.word.intensity
    same = before is not None and before.emotion == mention.word.emotion
    if mention.peak:
        value = max(PEAK_INTENSITY, (before.intensity if same and before else value) + 0.3)
    elif mention.comparative and same and before is not None:
        value = before.intensity + COMPARATIVE_STEP * (1 if mention.comparative > 0 else -1.25)
    elif mention.comparative < 0:
        value *= 0.6
    for strength in mention.modifiers:
        value = lexicon.apply_modifier(value, strength)
    value = lexicon.emphasize(value, min(mention.emphasis + bangs, _MAX_EMPHASIS))
    return float(min(max(value, 0.05), 1.0))
