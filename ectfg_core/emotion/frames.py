"""A per-word plan drawn as frames: the emotion held within each word, gliding between words, eased in time.

The predictor draws its track this way and hand edits draw their changes the same way, so an edited word moves
exactly as a predicted one would.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ectfg_core.types.emotion import NUM_EMOTIONS, WordEmotion

ONSET_SECONDS = 0.07  # Gaussian smoothing of the emotion itself: expressions take ~0.2 s to change


def smooth_frames(values: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing along frames (axis 0), edges held; sigma in frames."""
    if sigma_frames < 0.3 or len(values) < 2:
        return values
    return gaussian_filter1d(np.asarray(values, dtype=np.float32), sigma_frames, axis=0, mode="nearest", truncate=3.0)


def plan_to_frames(words: list[WordEmotion], num_frames: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame distribution and intensity straight from the plan: held inside words, linear across gaps."""
    probs = np.zeros((num_frames, NUM_EMOTIONS), dtype=np.float32)
    intensity = np.zeros(num_frames, dtype=np.float32)
    if not words:
        probs[:, 0] = 1.0
        return probs, intensity
    times = (np.arange(num_frames) + 0.5) / fps
    # Knots at every word's start and end: constant within words, linear in the pauses between them.
    knot_t = np.array([t for w in words for t in (w.start, max(w.end, w.start + 1e-3))], dtype=np.float64)
    knot_t = np.maximum.accumulate(knot_t)
    dists = np.repeat(np.stack([w.distribution() for w in words]), 2, axis=0)
    levels = np.repeat(np.array([w.intensity for w in words], dtype=np.float32), 2)
    for j in range(NUM_EMOTIONS):
        probs[:, j] = np.interp(times, knot_t, dists[:, j])
    intensity[:] = np.interp(times, knot_t, levels)
    return probs, intensity
