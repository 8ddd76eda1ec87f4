"""Keyframes -> one emotion target per word: holds between keyframes, steps for sudden changes, cross-fades
(mixture and intensity moving together) for gradual ones. The label of a cross-faded word switches halfway."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ectfg_core.emotion.terms import NEUTRAL_BASELINE
from ectfg_core.types.description import Keyframe, WordTarget, mixture_of


def no_word_of_its_own(phrase: str, words: int) -> str:
    """The warning for a description phrase that no word of the text is left to show."""
    few = "1 word is too few" if words == 1 else f"{words} words are too few"
    return (f'"{phrase}" does not get a word of its own: {few} for this many changes (or its place is taken by '
            "another); shorten the description or quote other words")


def keyframes_to_targets(keyframes: Sequence[Keyframe], num_words: int) -> list[WordTarget]:
    """One target per word, interpolated between keyframes (sorted by position) as their transitions say."""
    return interpolate(list(keyframes), num_words)[0]


def _ramps(keyframes: Sequence[Keyframe]) -> list[tuple[float, float]]:
    """For each keyframe, the word positions where the change towards it starts and ends (no overlaps)."""
    ramps = [(-math.inf, -math.inf)]
    done = -math.inf
    for before, keyframe in zip(keyframes, keyframes[1:]):
        p = keyframe.position
        if keyframe.transition == "sudden":
            start, end = p, p
        elif keyframe.span is None:
            start, end = before.position, p
        elif keyframe.align == "end":
            start, end = p - keyframe.span, p
        else:
            centre = p - 0.5  # the boundary between word p-1 and word p
            start, end = centre - keyframe.span / 2, centre + keyframe.span / 2
        start = max(start, done, before.position)
        end = max(end, start)
        ramps.append((start, end))
        done = end
    return ramps


def interpolate(keyframes: list[Keyframe], num_words: int) -> tuple[list[WordTarget], list[int]]:
    """Targets per word and, per word, the index of the keyframe that dominates it."""
    if not keyframes:
        return [WordTarget("neutral", NEUTRAL_BASELINE) for _ in range(num_words)], [-1] * num_words
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
                owner = k if _second_wins(keyframes[k - 1], keyframes[k], t) else k - 1
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
    return WordTarget(b.emotion if _second_wins(a, b, t) else a.emotion, float(intensity), mixture_of(dist))


def _second_wins(a: Keyframe, b: Keyframe, t: float) -> bool:
    """Past halfway the label is the new emotion. Exactly halfway through a slow ramp ("slowly calming down"), the
    stronger one, so that mirrored descriptions mirror on odd word counts too."""
    if abs(t - 0.5) < 1e-9 and b.span is None:
        return b.intensity > a.intensity
    return t > 0.5


def warn_unreached(keyframes: Sequence[Keyframe], owners: Sequence[int], n: int, warnings: list[str]) -> None:
    """A described phrase whose keyframes dominate no word is lost on the listener: say so."""
    reached = {keyframes[o].source for o in owners if o >= 0}
    for keyframe in keyframes:
        if keyframe.source and keyframe.source not in reached:
            reached.add(keyframe.source)  # one warning per phrase
            warnings.append(no_word_of_its_own(keyframe.source, n))
