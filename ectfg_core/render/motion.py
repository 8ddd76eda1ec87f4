"""Life between the words: seeded blinks and slow head motion, shaped by speech and emotion."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ectfg_core.types.emotion import EMOTION_INDEX, NUM_EMOTIONS

HEAD_CHANNELS = ("head_yaw", "head_pitch", "head_roll", "head_x", "head_y")
_HEAD_AMPLITUDE = np.array([1.6, 1.1, 0.9, 0.9, 0.5])  # degrees, degrees, degrees, % face width, % face width
# Where the head rests per emotion (pitch +: head lowered): sad looks down, surprise pulls back, anger lowers the brow line.
_HEAD_OFFSET = {
    "sad": (0.0, 3.0, 1.0, 0.0, 0.6), "angry": (0.0, 1.5, 0.0, 0.0, 0.0), "surprised": (0.0, -2.0, 0.0, 0.0, -0.6),
    "fearful": (0.0, 1.0, 0.0, 0.0, 0.4), "happy": (0.0, -0.5, 0.0, 0.0, 0.0), "disgusted": (-1.0, -1.0, 1.0, 0.0, 0.0),
}
# How lively the head is per emotion (multiplies the idle motion).
_ACTIVITY = {"happy": 0.5, "angry": 0.5, "surprised": 0.3, "fearful": 0.2, "sad": -0.35, "disgusted": 0.1}


def blink_curve(num_frames: int, fps: float, rng: np.random.Generator, wide_eyed: np.ndarray | None = None) -> np.ndarray:
    """(num_frames,) eye closure 0..1: blinks every 2-6 s (fewer when wide_eyed is high), 120-180 ms each."""
    duration = num_frames / fps
    substeps = 4
    times = (np.arange(num_frames)[:, None] + ((np.arange(substeps) + 0.5) / substeps - 0.5)[None, :]).reshape(-1) / fps
    closure = np.zeros_like(times)
    t = float(rng.uniform(0.4, 2.5))
    while t < duration:
        frame = min(int(t * fps), num_frames - 1)
        calm = 1.0 + 1.5 * float(wide_eyed[frame]) if wide_eyed is not None else 1.0
        length = float(rng.uniform(0.12, 0.18))
        closure = np.maximum(closure, _blink_shape(times - t, length))
        if rng.random() < 0.1:  # now and then a double blink
            closure = np.maximum(closure, _blink_shape(times - t - length - 0.08, length))
        t += calm * float(np.clip(rng.gamma(4.0, 0.9), 2.0, 6.5))
    return closure.reshape(num_frames, substeps).max(axis=1).astype(np.float32)


def _blink_shape(dt: np.ndarray, length: float) -> np.ndarray:
    """Fast close (40 % of the blink), slower open; 1 = shut."""
    close = 0.4 * length
    down = np.clip(dt / close, 0.0, 1.0)
    up = np.clip((dt - close) / (length - close), 0.0, 1.0)
    shape = np.where(dt < close, down * down * (3 - 2 * down), 1.0 - up * up * (3 - 2 * up))
    return np.where((dt >= 0) & (dt <= length), shape, 0.0)


def _smooth_noise(rng: np.random.Generator, num_frames: int, fps: float, seconds: float) -> np.ndarray:
    """Unit-variance noise smoothed over `seconds` (Gaussian sigma)."""
    sigma = max(seconds * fps, 0.5)
    pad = int(3 * sigma)
    white = rng.standard_normal(num_frames + 2 * pad)
    smooth = gaussian_filter1d(white, sigma, mode="wrap")[pad : pad + num_frames]
    return smooth * np.sqrt(2.0 * np.sqrt(np.pi) * sigma)  # variance of white noise after a Gaussian filter


def head_curves(num_frames: int, fps: float, rng: np.random.Generator, energy: np.ndarray | None = None,
                expression: np.ndarray | None = None) -> np.ndarray:
    """(num_frames, 5) head yaw, pitch, roll (degrees) and x, y (% face width): slow sway, nods on stressed syllables."""
    if num_frames <= 0:
        return np.zeros((0, len(HEAD_CHANNELS)), dtype=np.float32)
    noise = np.stack([0.75 * _smooth_noise(rng, num_frames, fps, 0.7) + 0.5 * _smooth_noise(rng, num_frames, fps, 2.5)
                      for _ in HEAD_CHANNELS], axis=1)
    expr = np.zeros((num_frames, NUM_EMOTIONS)) if expression is None else np.asarray(expression, dtype=np.float64)
    activity = 1.0 + sum(gain * expr[:, EMOTION_INDEX[name]] for name, gain in _ACTIVITY.items())
    loud = np.zeros(num_frames) if energy is None else np.clip(np.asarray(energy, dtype=np.float64)[:num_frames], 0, 1)
    loud = np.pad(loud, (0, num_frames - len(loud)))
    speaking = gaussian_filter1d(loud, max(0.5, 0.4 * fps), mode="nearest")
    curves = noise * _HEAD_AMPLITUDE[None, :] * (activity * (0.8 + 0.5 * np.clip(speaking * 2, 0, 1)))[:, None]
    # Nods: the head dips a little on loudness peaks (stressed syllables) and comes back.
    envelope = gaussian_filter1d(loud, max(0.5, 0.08 * fps), mode="nearest")
    accent = envelope - gaussian_filter1d(loud, max(0.5, 0.5 * fps), mode="nearest")
    curves[:, 1] += 2.5 * np.clip(accent, 0.0, None) * activity
    for name, offset in _HEAD_OFFSET.items():
        curves += expr[:, EMOTION_INDEX[name]][:, None] * np.asarray(offset)[None, :]
    return curves.astype(np.float32)
