"""Speech as every stage sees it: audio with word and phoneme timings, per-word prosody, and what an aligner returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ectfg_core.progress import Progress


@dataclass(frozen=True)
class WordTiming:
    """A spoken word: index into ectfg_core.text.tokenize(text), and its time span in seconds."""

    index: int
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class PhonemeTiming:
    """A phoneme in IPA (as espeak-ng writes it), its time span in seconds and the word it belongs to (-1: none)."""

    symbol: str
    start: float
    end: float
    word_index: int = -1


@dataclass
class WordProsody:
    """Prosody for one word, relative to the voice's neutral settings (1.0 = unchanged)."""

    pitch: float = 1.0  # base pitch multiplier
    pitch_range: float = 1.0  # pitch range multiplier
    rate: float = 1.0  # speaking rate multiplier
    volume: float = 1.0  # loudness multiplier
    pause_after: float = 0.0  # extra silence after the word, seconds


@dataclass
class Speech:
    """Mono float32 audio in [-1, 1] with timings."""

    samples: np.ndarray
    sample_rate: int
    words: list[WordTiming] = field(default_factory=list)
    phonemes: list[PhonemeTiming] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


@dataclass
class Alignment:
    """Timed words (one per word asked for, indices 0..n-1) and sub-word units; `method` names the aligner."""

    words: list[WordTiming]
    phonemes: list[PhonemeTiming]  # letters from a CTC model, IPA phonemes from the espeak-ng aligner
    method: str
    confidence: float  # CTC: mean probability of the aligned letters; DTW: feature similarity; both 0..1


class WordAligner(Protocol):
    """Times every word of `text` in a recording (ectfg_core.align.words.align_words with a chosen aligner)."""

    def __call__(self, samples: np.ndarray, sample_rate: int, text: str, progress: Progress | None = None) -> Alignment: ...
