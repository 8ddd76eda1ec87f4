"""Every spoken word keeps a positive duration that fits its sounds.

Engines and aligners can leave a word with no time of its own: espeak-ng speaks some pairs of short words as one
("I am", "at a", "of the") and reports one word for both, a CTC path can give a word a single frame, DTW can squeeze
a word onto its neighbour's edge. `settle_words` is the last step of every word timer: each word gets at least a
minimum derived from its (estimated) phoneme count, taken from the nearest pauses and from neighbouring words that
have time to spare, so words stay in order, never overlap and move as little as possible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ectfg_core.text import spoken_form
from ectfg_core.types.speech import WordTiming

MIN_PHONEME_SECONDS = 0.03  # the shortest phoneme espeak-ng makes at its fastest rates is about this long
PHONEMES_PER_LETTER = 0.8  # English spelling: about four phonemes for five letters


def estimated_phonemes(word: str) -> int:
    """Rough phoneme count from the spelling (digits read as number words); at least 1."""
    letters = sum(1 for c in spoken_form(word) if c.isalnum())
    return max(1, int(round(letters * PHONEMES_PER_LETTER)))


def min_word_seconds(word: str, phonemes: int | None = None) -> float:
    """The least time a word may take: MIN_PHONEME_SECONDS per phoneme (counted, or estimated from the spelling)."""
    count = phonemes if phonemes is not None and phonemes > 0 else estimated_phonemes(word)
    return MIN_PHONEME_SECONDS * count


def settle_words(
    words: Sequence[WordTiming],
    limit: float | None = None,
    phoneme_counts: Sequence[int] | None = None,
) -> list[WordTiming]:
    """Words (in spoken order) ordered, non-overlapping, inside [0, limit], each lasting at least its minimum.

    A short word borrows first from the pauses and words nearest to it; only when the whole clip has no room left
    do all words shrink in proportion to their minimums. phoneme_counts (one per word) give the minimums where the
    engine's phonemes are known; otherwise they are estimated from the spelling.
    """
    n = len(words)
    if n == 0:
        return []
    end = float(limit) if limit is not None else math.inf
    starts = [min(max(0.0, float(w.start)), end) for w in words]
    ends = [min(max(s, float(w.end)), end) for s, w in zip(starts, words, strict=True)]
    for k in range(1, n):  # overlapping neighbours meet in the middle of the overlap
        if starts[k] < ends[k - 1]:
            mid = max(starts[k - 1], 0.5 * (starts[k] + ends[k - 1]))
            ends[k - 1] = mid
            starts[k] = max(starts[k], mid)
            ends[k] = max(ends[k], starts[k])
    counts = list(phoneme_counts) if phoneme_counts is not None else [0] * n
    mins = [min_word_seconds(w.word, c) for w, c in zip(words, counts, strict=True)]

    if all(e - s >= m - 1e-9 for s, e, m in zip(starts, ends, mins, strict=True)):
        return [WordTiming(w.index, w.word, s, e) for w, s, e in zip(words, starts, ends, strict=True)]

    # The clip as alternating pauses and words: gaps[i] is the pause before word i, gaps[n] the pause after the last.
    gaps = [starts[0]] + [starts[k] - ends[k - 1] for k in range(1, n)] + [end - ends[-1]]
    durs = [e - s for s, e in zip(starts, ends, strict=True)]
    for k in range(n):
        need = mins[k] - durs[k]
        if need > 1e-9:
            durs[k] += need - _borrow(k, need, gaps, durs, mins)
    if any(d < m - 1e-9 for d, m in zip(durs, mins, strict=True)):
        # No room anywhere: every word shrinks to the same share of its minimum (all stay positive).
        room = sum(durs)
        total = sum(mins)
        durs = [room * m / total if room > 0 else m for m in mins]

    out: list[WordTiming] = []
    t = 0.0
    for k, w in enumerate(words):
        t += gaps[k]
        out.append(WordTiming(w.index, w.word, t, t + durs[k]))
        t += durs[k]
    return out


def _borrow(k: int, need: float, gaps: list[float], durs: list[float], mins: list[float]) -> float:
    """Take up to `need` seconds for word k from the nearest pauses and spare word time, half from each side while
    both have some; returns what could not be found. Taking from a resource slides everything in between."""
    n = len(durs)
    # Resources by distance: the pause beside word k, then the next word, then the pause beyond it, ...
    left = [("gap", k)] + [item for j in range(k - 1, -1, -1) for item in (("word", j), ("gap", j))]
    right = [("gap", k + 1)] + [item for j in range(k + 1, n) for item in (("word", j), ("gap", j + 1))]

    def spare(item: tuple[str, int]) -> float:
        kind, j = item
        return gaps[j] if kind == "gap" else max(0.0, durs[j] - mins[j])

    def take(item: tuple[str, int], amount: float) -> None:
        kind, j = item
        if kind == "gap":
            gaps[j] -= amount
        else:
            durs[j] -= amount

    for rank in range(max(len(left), len(right))):
        if need <= 1e-12:
            break
        sides = [side[rank] for side in (left, right) if rank < len(side)]
        available = [spare(item) for item in sides]
        if len(sides) == 2:
            half = need / 2
            first = min(available[0], half + max(0.0, half - available[1]))
            second = min(available[1], need - first)
            amounts = [first, second]
        else:
            amounts = [min(available[0], need)]
        for item, amount in zip(sides, amounts, strict=True):
            if amount > 0:
                take(item, amount)
                need -= amount
    return max(0.0, need)
