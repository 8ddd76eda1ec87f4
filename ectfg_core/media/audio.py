"""WAV files and fitting audio to a whole number of video frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.io import wavfile


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM mono or (channels, samples) float audio in -1..1."""
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 1:
        data = data[None, :]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2").T
    wavfile.write(str(path), int(sample_rate), pcm if pcm.shape[1] > 1 else pcm[:, 0])


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(channels, samples) float32 and the sample rate of a 16-bit PCM WAV file."""
    rate, pcm = wavfile.read(str(path))
    if pcm.dtype != np.int16:
        raise ValueError(f"{path} is not 16-bit PCM")
    return (pcm.reshape(len(pcm), -1).T.astype(np.float32) / 32768.0), int(rate)


def frame_count(duration: float, fps: float) -> int:
    """Video frames needed to cover the audio."""
    return max(1, int(np.ceil(duration * fps - 1e-6)))


def fit_to_frames(samples: np.ndarray, sample_rate: int, num_frames: int, fps: float) -> np.ndarray:
    """Pad with silence (or trim) so the audio lasts exactly num_frames / fps."""
    target = int(round(num_frames / fps * sample_rate))
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) >= target:
        return samples[:target]
    return np.concatenate([samples, np.zeros(target - len(samples), dtype=np.float32)])
