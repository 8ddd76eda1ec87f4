"""What every aligner returns."""

from __future__ import annotations

from dataclasses import dataclass

from ectfg_core.tts.types import PhonemeTiming, WordTiming


@dataclass
class Alignment:
    """Timed words (one per word asked for, indices 0..n-1) and sub-word units; `method` names the aligner."""

    words: list[WordTiming]
    phonemes: list[PhonemeTiming]  # letters from a CTC model, IPA phonemes from the espeak-ng aligner
    method: str
    confidence: float  # CTC: mean probability of the aligned letters; DTW: feature similarity; both 0..1
