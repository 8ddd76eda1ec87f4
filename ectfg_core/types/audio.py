"""Audio features at video frame rate, as the predictor, renderer and sampler read them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AudioFrames:
    """Features sampled at video frame rate; frame i is centred on i / fps."""

    fps: float
    energy: np.ndarray  # (T,) float32 0..1, log loudness normalised per clip, 0 = silence
    f0: np.ndarray  # (T,) float32 Hz, 0 where unvoiced or silent
    voiced: np.ndarray  # (T,) bool

    def __len__(self) -> int:
        return len(self.energy)
