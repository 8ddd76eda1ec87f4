"""Consecutive words that share a style -> one segment, synthesized in one call by a model that takes one style per
call (a description-conditioned TTS). Segments carry the pause that separates them from the previous one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ectfg_core.text import Token
from ectfg_core.tts.pauses import emotion_scale, punctuation_pause
from ectfg_core.tts.ssml import clause_boundary
from ectfg_core.types.emotion import EMOTIONS

MIN_WORDS = 3  # neural TTS renders one- or two-word calls poorly (clipped, odd prosody): merge them
MAX_WORDS = 40  # long calls drift and risk hitting the model's length limit: split at a clause end
INTENSITY_BANDS = (0.4, 0.75)  # slight / clear / strong
TURN_PAUSE = 0.15  # seconds between segments at a sudden turn with no punctuation
JOIN_PAUSE = 0.04  # seconds at a gradual change with no punctuation (a breath-less join)


@dataclass
class Segment:
    first: int  # word index
    end: int  # word index, exclusive
    text: str  # the transcript for this call, punctuation included
    distribution: np.ndarray  # mean emotion distribution of its words
    intensity: float  # mean intensity
    hints: list[str] = field(default_factory=list)
    pause_before: float = 0.0  # seconds of silence between the previous segment and this one


def _key(dist: np.ndarray, intensity: float, hints: Sequence[str]) -> tuple:
    band = int(np.searchsorted(INTENSITY_BANDS, float(intensity)))
    dominant = EMOTIONS[int(np.argmax(dist))] if band > 0 or float(intensity) > 0.15 else "neutral"
    return dominant, band if dominant != "neutral" else 0, tuple(sorted(hints))


def plan_segments(
    text: str,
    tokens: Sequence[Token],
    targets: Sequence[tuple[np.ndarray, float]],
    hints: Sequence[Sequence[str]],
) -> list[Segment]:
    """Group words by (dominant emotion, intensity band, voice hints); merge tiny groups, split long ones."""
    n = len(tokens)
    if n == 0:
        return []
    keys = [_key(np.asarray(d, dtype=np.float64), i, h) for (d, i), h in zip(targets, hints, strict=True)]
    bounds = [0] + [j for j in range(1, n) if keys[j] != keys[j - 1]] + [n]
    groups = [[a, b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    # Merge groups under MIN_WORDS into the neighbour with the same dominant emotion, else the previous one.
    changed = True
    while changed and len(groups) > 1:
        changed = False
        for g, (a, b) in enumerate(groups):
            if b - a >= MIN_WORDS:
                continue
            prev_ok = g > 0 and keys[groups[g - 1][0]][0] == keys[a][0]
            next_ok = g + 1 < len(groups) and keys[groups[g + 1][0]][0] == keys[a][0]
            into = g - 1 if (prev_ok or not next_ok) and g > 0 else g + 1
            lo, hi = min(groups[into][0], a), max(groups[into][1], b)
            groups[min(g, into)] = [lo, hi]
            del groups[max(g, into)]
            changed = True
            break
    # Split long groups at the clause end nearest their middle.
    out: list[list[int]] = []
    stack = groups[::-1]
    while stack:
        a, b = stack.pop()
        if b - a <= MAX_WORDS:
            out.append([a, b])
            continue
        cuts = [j for j in range(a + MIN_WORDS, b - MIN_WORDS + 1) if clause_boundary(text, tokens, j)]
        mid = (a + b) // 2
        cut = min(cuts, key=lambda j: abs(j - mid)) if cuts else mid
        stack += [[cut, b], [a, cut]]
    return [_segment(text, tokens, targets, hints, a, b) for a, b in out]


def _segment(text, tokens, targets, hints, a: int, b: int) -> Segment:
    end_char = tokens[b].start if b < len(tokens) else len(text)
    start_char = tokens[a].start
    dist = np.mean([np.asarray(targets[i][0], dtype=np.float64) for i in range(a, b)], axis=0)
    intensity = float(np.mean([targets[i][1] for i in range(a, b)]))
    seg_hints = sorted({h for i in range(a, b) for h in hints[i]})
    pause = 0.0
    if a > 0:
        target = punctuation_pause(text[tokens[a - 1].end: tokens[a].start])
        before = targets[a - 1]
        if target > 0:
            pause = target * emotion_scale(before[0], before[1])
        else:
            jump = 0.5 * float(np.abs(np.asarray(before[0]) * before[1] - np.asarray(targets[a][0]) * targets[a][1]).sum())
            pause = TURN_PAUSE if jump >= 0.35 else JOIN_PAUSE
    return Segment(a, b, text[start_char:end_char].strip(), dist, intensity, seg_hints, round(pause, 3))
