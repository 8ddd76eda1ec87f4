"""Keyframes placed over the words, then interpolated into one emotion target per word."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ectfg_core.emotion import lexicon
from ectfg_core.emotion.keyframes import Keyframe, WordTarget, mixture_of
from ectfg_core.text import tokenize

# Words over which an unqualified change ("happy, then sad") cross-fades, centred on the boundary.
DEFAULT_SPAN = 2.0


@dataclass
class Draft:
    """One phrase's emotion, read from the description but not yet placed over the words."""

    emotion: str
    intensity: float
    mixture: dict[str, float] | None
    transition: str | None  # None: the default short cross-fade
    source: str
    position: str | None = None  # "start" | "middle" | "end"
    anchors: list[str] = field(default_factory=list)
    anchor_after: bool = False
    fixed: float | None = None  # resolved position in words


def keyframes_to_targets(keyframes: Sequence[Keyframe], num_words: int) -> list[WordTarget]:
    """One target per word, interpolated between keyframes (sorted by position) as their transitions say."""
    return interpolate(list(keyframes), num_words)[0]


# --- placing keyframes over the words ------------------------------------------------------------------------------


def place_keyframes(drafts: list[Draft], words: Sequence[str], warnings: list[str]) -> list[Keyframe]:
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


def _baseline() -> Draft:
    return Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, "", fixed=0.0)


def _fix_cued(drafts: Sequence[Draft], words: Sequence[str], last: float, warnings: list[str]) -> None:
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


def _spread(drafts: Sequence[Draft], n: int, last: float) -> None:
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


def _keyframe(draft: Draft) -> Keyframe:
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


def interpolate(keyframes: list[Keyframe], num_words: int) -> tuple[list[WordTarget], list[int]]:
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
    return WordTarget(b.emotion if t > 0.5 else a.emotion, float(intensity), mixture_of(dist))


def warn_unreached(keyframes: Sequence[Keyframe], owners: Sequence[int], n: int, warnings: list[str]) -> None:
    for k, keyframe in enumerate(keyframes):
        if keyframe.source and k not in owners:
            warnings.append(
                f'"{keyframe.source}" does not get a word of its own: {n} words are too few for this many changes '
                "(or its quote overlaps another); shorten the description or quote other words"
            )

