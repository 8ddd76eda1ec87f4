"""How soft a portrait is, measured on its face: what the renderer draws is softened to match it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from ectfg_core.face.framing import frame_portrait
from ectfg_core.render.sharpness import drawn_blur, photo_blur

PORTRAITS = Path(__file__).parent / "data" / "portraits"


def _blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    return np.stack([gaussian_filter(image[..., c].astype(np.float64), sigma) for c in range(3)], axis=-1).round().astype(np.uint8)


@pytest.mark.parametrize("name", ["obama_smile", "hopper", "biden"])
def test_a_photos_blur_is_measured_from_its_face(name):
    """Sharp photos measure under 0.6 px, and what the renderer draws on them is not blurred at all (it renders as it
    did before the softening existed); the same photo blurred by 1 and 2 px measures that blur (added to its own, in
    quadrature) within 25 %, and the drawing is blurred by about as much."""
    framed = frame_portrait(np.asarray(Image.open(PORTRAITS / f"{name}.jpg").convert("RGB")), size=512)
    points = framed.landmarks.points
    own = photo_blur(framed.image, points)
    assert own < 0.6 and drawn_blur(own) == 0.0
    for sigma in (1.0, 2.0):
        expected = float(np.hypot(sigma, own))
        measured = photo_blur(_blurred(framed.image, sigma), points)
        assert 0.75 * expected < measured < 1.25 * expected, f"blur {sigma}: measured {measured:.2f}, expected {expected:.2f}"
        assert 0.6 * sigma < drawn_blur(measured) < 1.25 * sigma


def test_a_face_too_small_or_featureless_to_tell_counts_as_sharp():
    flat = np.full((512, 512, 3), 128, dtype=np.uint8)
    points = np.tile([[256.0, 256.0]], (478, 1)) + np.random.default_rng(0).normal(0, 40, (478, 2))
    assert photo_blur(flat, points) == 0.0
    assert photo_blur(flat, np.full((478, 2), 100.0)) == 0.0
