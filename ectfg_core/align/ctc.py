"""CTC forced alignment: the single best monotonic path of a known label sequence through per-frame log-probabilities.

Viterbi over the usual CTC topology (Graves et al. 2006): the labels interleaved with blanks, each state may stay,
step to the next state, or skip a blank between two different labels. The best path gives every label a run of
frames; words are the runs of their letters. Pure numpy, vectorised over the states, one pass over the frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ectfg_core.errors import InputError

_NEG = -1.0e30  # log(0) that survives additions without turning into nan


@dataclass(frozen=True)
class LabelSpan:
    """Frames [start, end) the best path spends on one label, and the mean probability of the label there."""

    label: int
    start: int
    end: int
    score: float


def min_frames(targets: Sequence[int]) -> int:
    """Fewest frames a CTC path needs: one per label, plus a blank between equal neighbours."""
    repeats = sum(1 for a, b in zip(targets[:-1], targets[1:]) if a == b)
    return len(targets) + repeats


def forced_align(log_probs: np.ndarray, targets: Sequence[int], blank: int = 0) -> list[LabelSpan]:
    """Best CTC path of `targets` through log_probs (frames, vocabulary); one LabelSpan per target, in order.

    log_probs must be log-softmax outputs (any base-e log-probabilities). Raises InputError when there are fewer
    frames than the labels need (the audio is too short for the text).
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    if lp.ndim != 2 or lp.shape[0] == 0:
        raise InputError(f"log-probabilities must be (frames, vocabulary) with at least one frame, got shape {lp.shape}")
    labels = np.asarray(list(targets), dtype=np.int64)
    if len(labels) == 0:
        return []
    vocab = lp.shape[1]
    if labels.min() < 0 or labels.max() >= vocab or not 0 <= blank < vocab:
        raise InputError(f"label ids must lie in 0..{vocab - 1} (the model's vocabulary)")
    if np.any(labels == blank):
        raise InputError("the blank label cannot be a target; drop it from the label sequence")
    num_frames = lp.shape[0]
    if num_frames < min_frames(labels.tolist()):
        raise InputError(
            f"the audio is too short for the text: {num_frames} frames for {len(labels)} letters; "
            "check that the audio really speaks this text"
        )
    lp = np.where(np.isfinite(lp), lp, _NEG)

    # Extended state sequence: blank, l1, blank, l2, ..., lL, blank.
    ext = np.full(2 * len(labels) + 1, blank, dtype=np.int64)
    ext[1::2] = labels
    num_states = len(ext)
    # A skip (s-2 -> s) is allowed into a label state whose label differs from the one two states back.
    can_skip = np.zeros(num_states, dtype=bool)
    can_skip[3::2] = labels[1:] != labels[:-1]

    alpha = np.full(num_states, _NEG)
    alpha[0] = lp[0, ext[0]]
    alpha[1] = lp[0, ext[1]]
    # 0 = stay, 1 = from s-1, 2 = from s-2; int8 keeps long clips affordable.
    back = np.zeros((num_frames, num_states), dtype=np.int8)
    stay_cand = np.empty(num_states)
    step_cand = np.full(num_states, _NEG)
    skip_cand = np.full(num_states, _NEG)
    for t in range(1, num_frames):
        stay_cand[:] = alpha
        step_cand[1:] = alpha[:-1]
        skip_cand[2:] = np.where(can_skip[2:], alpha[:-2], _NEG)
        choice = np.argmax(np.stack([stay_cand, step_cand, skip_cand]), axis=0)
        best = np.choose(choice, [stay_cand, step_cand, skip_cand])
        back[t] = choice
        alpha = best + lp[t, ext]

    # The path ends in the last label or the trailing blank.
    state = num_states - 1 if alpha[-1] >= alpha[-2] else num_states - 2
    if max(alpha[-1], alpha[-2]) <= _NEG / 2:
        raise InputError("no alignment of the text to the audio exists; check that the audio speaks this text")
    path = np.empty(num_frames, dtype=np.int64)
    for t in range(num_frames - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])

    spans: list[LabelSpan] = []
    frames = np.arange(num_frames)
    for k, label in enumerate(labels):
        hit = frames[path == 2 * k + 1]
        # Every label state is visited at least once on a valid path (no skip jumps over a label state).
        start, end = int(hit[0]), int(hit[-1]) + 1
        score = float(np.mean(np.exp(lp[start:end, label])))
        spans.append(LabelSpan(int(label), start, end, score))
    return spans


@dataclass(frozen=True)
class WordSpan:
    """A word's frames [start, end), its letters' spans (each stretched to the next letter) and its mean score."""

    start: int
    end: int
    letters: list[LabelSpan]
    score: float


def group_words(spans: Sequence[LabelSpan], word_positions: Sequence[Sequence[int]]) -> list[WordSpan]:
    """Collect the aligned label spans of each word (positions index into the aligned label sequence).

    A letter is stretched to last until the next letter of its word starts: CTC's peaky outputs leave blank frames
    between letters that belong to the sound of the word, not to silence.
    """
    words: list[WordSpan] = []
    for positions in word_positions:
        letters = [spans[p] for p in positions]
        if not letters:
            raise InputError("every word needs at least one label to align")
        stretched = [
            LabelSpan(a.label, a.start, max(a.end, b.start), a.score) for a, b in zip(letters[:-1], letters[1:])
        ] + [letters[-1]]
        words.append(WordSpan(letters[0].start, letters[-1].end, stretched, float(np.mean([s.score for s in letters]))))
    return words
