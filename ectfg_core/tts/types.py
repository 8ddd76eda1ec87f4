"""What any speech backend returns: audio plus the engine's own word and phoneme timings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
