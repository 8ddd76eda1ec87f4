"""The last resort when no aligner can time a recording: espeak-ng's own timeline for the text, stretched onto the
span where the recording has speech (its first to its last loud frame).

Word order and relative durations come out right; the speaker's own pauses and tempo changes do not, so every word
timer tries the real aligners first (align/words.py) and says when it fell back to this.
"""

from __future__ import annotations

import numpy as np

from ectfg_core.audio.features import frame_features
from ectfg_core.errors import InputError
from ectfg_core.text import check_text
from ectfg_core.tts.espeak import synthesize
from ectfg_core.types.speech import Alignment, WordTiming

METHOD = "espeak-proportional"
ANALYSIS_FPS = 100.0


def speech_span(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """First and last moment with speech (above the silence gate), seconds."""
    duration = len(samples) / float(sample_rate)
    energy = frame_features(samples, sample_rate, ANALYSIS_FPS).energy
    active = np.flatnonzero(energy > 0.05)
    if active.size == 0:
        return 0.0, duration
    return max(0.0, (active[0] - 0.5) / ANALYSIS_FPS), min(duration, (active[-1] + 0.5) / ANALYSIS_FPS)


def estimated_alignment(samples: np.ndarray, sample_rate: int, text: str) -> Alignment:
    """espeak-ng's timeline for the text, stretched onto the recording's speech span (confidence 0: a guess)."""
    synthetic = synthesize(check_text(text))
    words = sorted(synthetic.words, key=lambda w: w.index)
    if not words:
        raise InputError(f"espeak-ng found no words to time in {text[:40]!r}; check the transcript")
    s0, s1 = words[0].start, max(w.end for w in words)
    r0, r1 = speech_span(samples, sample_rate)
    scale = (r1 - r0) / max(s1 - s0, 1e-6)
    timed = [WordTiming(w.index, w.word, r0 + (w.start - s0) * scale, r0 + (w.end - s0) * scale) for w in words]
    return Alignment(words=timed, phonemes=[], method=METHOD, confidence=0.0)
