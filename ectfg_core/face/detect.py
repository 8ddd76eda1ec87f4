"""Finding the portrait's face: the largest face any engine reports, with errors worded the same for all."""

from __future__ import annotations

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.face.engines import FaceEngine, current_engine
from ectfg_core.types.face import FaceLandmarks


def detect_landmarks(image: np.ndarray, engine: FaceEngine | None = None) -> FaceLandmarks:
    """Landmarks of the largest face in an RGB uint8 image (H, W, 3). Raises InputError when no face is found.

    engine: a FaceEngine from ectfg_core.face.engines; None uses the process-wide one (chosen once, see use_engine).
    """
    image = _as_rgb_uint8(image)
    return largest_face((engine or current_engine()).detect(image))


def largest_face(faces: list[FaceLandmarks]) -> FaceLandmarks:
    """The main subject of a portrait: the largest face; the same errors whichever engine found the faces."""
    if not faces:
        raise InputError(
            "no face found in the image; use a portrait where one face is clearly visible, frontal, and at least ~80 pixels wide"
        )
    best = max(faces, key=lambda f: f.face_width * (f.bbox[3] - f.bbox[1]))
    if best.face_width < 24:
        raise InputError(
            f"the face is only {best.face_width:.0f} pixels wide; use a larger or closer portrait (at least ~80 pixels across the face)"
        )
    return best


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise InputError(f"expected an RGB image of shape (height, width, 3), got {arr.shape}")
    arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = np.clip(arr.astype(np.float32) * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if min(arr.shape[:2]) < 32:
        raise InputError(f"the image is only {arr.shape[1]}x{arr.shape[0]} pixels; use a portrait at least 128 pixels across")
    return arr
