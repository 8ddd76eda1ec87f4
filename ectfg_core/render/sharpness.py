"""How soft the portrait is: the blur of its face's edges, so that the edges the renderer draws (the seam of shut lips,
the mouth's opening) are no sharper than the photo around them.

A photo upscaled from a small face, or simply out of focus, showed closed lips meeting at a crisp dark pencil line in
an otherwise soft face. The estimate re-blurs the face by a known amount and compares the
strongest edges' gradients before and after: an edge already blurred by sigma loses little (its gradient falls by
sqrt(sigma^2 + a^2) / sigma), a sharp one loses much (the re-blur principle of Hu & de Haan's blur estimator).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter, maximum_filter

from ectfg_core.types.face import FACE_OVAL

_PRE = 0.5  # pixels of blur taken off noise and JPEG blocks before measuring (removed again from the result)
_AGAIN = 1.0  # the known re-blur, pixels
_TOP = 95.0  # percentile of the face's gradients an edge must reach to be measured
_SHARPEST = 25.0  # percentile of the measured edges' blur taken as the photo's
_LEAST = 4.0  # grey levels per pixel an edge must rise by at least (flat, noisy skin is not measured)
_DRAWN = 0.5  # pixels of blur the renderer's antialiased drawing has of its own
_WORTH = 0.3  # pixels: less added blur than this changes nothing a viewer sees


def _gradient(luma: np.ndarray, sigma: float) -> np.ndarray:
    gy, gx = np.gradient(gaussian_filter(luma, sigma))
    return np.hypot(gx, gy)


def photo_blur(image: np.ndarray, points: np.ndarray) -> float:
    """The Gaussian blur (sigma, pixels) of the face's sharpest edges: the first quartile over the strongest edges
    inside the face oval's bounding box (what the photo can still show sharply: its hair and lashes, its teeth, are
    no softer); 0 for a sharp photo or a face with too few edges to tell."""
    luma = np.asarray(image, dtype=np.float64)[..., :3] @ np.array([0.299, 0.587, 0.114])
    oval = np.asarray(points, dtype=np.float64)[FACE_OVAL, :2]
    height, width = luma.shape
    x0, y0 = np.clip(np.floor(oval.min(axis=0)).astype(int), 0, [width, height])
    x1, y1 = np.clip(np.ceil(oval.max(axis=0)).astype(int), 0, [width, height])
    face = luma[y0:y1, x0:x1]
    if face.shape[0] < 16 or face.shape[1] < 16:
        return 0.0
    before = _gradient(face, _PRE)
    after = _gradient(face, float(np.hypot(_PRE, _AGAIN)))
    edges = (before >= maximum_filter(before, 3)) & (before > np.percentile(before, _TOP)) & (before > _LEAST)
    ratio = before[edges] / np.maximum(after[edges], 1e-6)
    ratio = ratio[ratio > 1.0001]
    if len(ratio) < 20:
        return 0.0
    sigma = _AGAIN / np.sqrt(ratio**2 - 1.0)
    return float(np.sqrt(max(float(np.percentile(sigma, _SHARPEST)) ** 2 - _PRE**2, 0.0)))


def drawn_blur(photo_sigma: float) -> float:
    """The blur (sigma, pixels) to add to what the renderer draws so that it is as soft as a photo blurred by
    `photo_sigma`: the photo's blur less the drawing's own antialiasing (in quadrature); 0 when that is too little
    to matter, so a sharp photo renders exactly as before."""
    extra = float(np.sqrt(max(photo_sigma**2 - _DRAWN**2, 0.0)))
    return extra if extra >= _WORTH else 0.0
