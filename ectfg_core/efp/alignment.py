"""Word timings for a transcript of recorded speech, when the dataset gives none.

The project's aligner (ectfg_core.align) is used when it is installed. Otherwise: espeak-ng speaks the
transcript, and its word timeline is stretched linearly onto the span where the recording has speech (from the first
to the last loud frame). This keeps word order and relative durations but not the speaker's own pauses and tempo
changes, so give words.json files (e.g. from a forced aligner) when you have them.
"""

from __future__ import annotations

import logging

import numpy as np

from ectfg_core.audio.features import frame_features
from ectfg_core.errors import InputError
from ectfg_core.text import check_text

WordSpan = tuple[str, float, float]
log = logging.getLogger("ectfg.efp")
ANALYSIS_FPS = 100.0


def speech_span(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """First and last moment with speech (above the silence gate), seconds."""
    duration = len(samples) / float(sample_rate)
    energy = frame_features(samples, sample_rate, ANALYSIS_FPS).energy
    active = np.flatnonzero(energy > 0.05)
    if active.size == 0:
        return 0.0, duration
    return max(0.0, (active[0] - 0.5) / ANALYSIS_FPS), min(duration, (active[-1] + 0.5) / ANALYSIS_FPS)


def proportional_alignment(text: str, samples: np.ndarray, sample_rate: int) -> list[WordSpan]:
    """espeak-ng's timeline for the text, stretched onto the recording's speech span."""
    from ectfg_core.tts.espeak import synthesize

    synthetic = synthesize(check_text(text))
    words = sorted(synthetic.words, key=lambda w: w.index)
    if not words:
        raise InputError(f"espeak-ng found no words to align in {text[:40]!r}; check the transcript")
    s0, s1 = words[0].start, max(w.end for w in words)
    r0, r1 = speech_span(samples, sample_rate)
    scale = (r1 - r0) / max(s1 - s0, 1e-6)
    return [(w.word, r0 + (w.start - s0) * scale, r0 + (w.end - s0) * scale) for w in words]


def align_words(text: str, samples: np.ndarray, sample_rate: int) -> tuple[list[WordSpan], str]:
    """Word spans and the method used: the project's aligner (ectfg_core.align: wav2vec2 CTC if a model folder is
    installed, else espeak-ng + DTW) when present, else the espeak-proportional stretch above."""
    try:
        from ectfg_core.align.words import align_words as project_aligner
    except ImportError:
        return proportional_alignment(text, samples, sample_rate), "espeak-proportional"
    try:
        alignment = project_aligner(samples, sample_rate, text)
    except InputError as err:  # e.g. espeak-ng reads a different number of words than the transcript has
        log.warning("aligner failed (%s); using the espeak-proportional alignment", err)
        return proportional_alignment(text, samples, sample_rate), "espeak-proportional"
    words = sorted(alignment.words, key=lambda w: w.index)
    return [(w.word, float(w.start), float(w.end)) for w in words], alignment.method
