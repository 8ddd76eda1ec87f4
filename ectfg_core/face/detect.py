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
    engine = engine or current_engine()
    return largest_face(engine.detect(image) or _faces_in_crops(image, engine))


# Square crops a small face is looked for in, their side as shares of the picture's shorter side, coarse first;
# neighbouring crops overlap by half, so any face under half a crop lies whole in one of them.
_CROP_SHARES = (1 / 2, 1 / 3, 1 / 4)
_MIN_CROP = 96  # px: below this a crop holds no face large enough to animate


def _faces_in_crops(image: np.ndarray, engine: FaceEngine) -> list[FaceLandmarks]:
    """Faces too small for MediaPipe's detector in the whole picture (a half-length portrait, a speaker on a stage).

    The detector looks at the picture shrunk to a small square, where a face under about a tenth of the picture's
    width is a few pixels across: in a 1024-pixel picture a 90-pixel face was not found. Overlapping crops are looked
    at one by one instead; the first size that finds a confirmed face ends the search.
    """
    height, width = image.shape[:2]
    for share in _CROP_SHARES:
        side = int(round(share * min(height, width)))
        if side < _MIN_CROP:
            break
        found: list[FaceLandmarks] = []
        for y0 in _starts(height, side):
            for x0 in _starts(width, side):
                crop = np.ascontiguousarray(image[y0 : y0 + side, x0 : x0 + side])
                for face in engine.detect(crop):
                    whole = face.transformed(1.0, -float(x0), -float(y0), (height, width))
                    if _confirmed(image, whole, engine):
                        found.append(whole)
        if found:
            return found
    return []


def _starts(length: int, side: int) -> list[int]:
    """Offsets of crops `side` long covering `length`, overlapping by half."""
    last = max(length - side, 0)
    count = int(np.ceil(last / max(side // 2, 1))) + 1
    return sorted({int(round(x)) for x in np.linspace(0, last, count)})


def _confirmed(image: np.ndarray, face: FaceLandmarks, engine: FaceEngine) -> bool:
    """Whether the face is found again in a crop centred on it. At a crop's scale the detector also fires on a raised
    hand or a patterned cloth, which the landmark model cannot fit a second time."""
    x0, y0, x1, y1 = face.bbox
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 1.25 * max(x1 - x0, y1 - y0)
    height, width = image.shape[:2]
    left, top = int(max(cx - half, 0)), int(max(cy - half, 0))
    crop = np.ascontiguousarray(image[top : int(min(cy + half, height)), left : int(min(cx + half, width))])
    if min(crop.shape[:2]) < 32:
        return False
    for again in engine.detect(crop):
        ax0, ay0, ax1, ay1 = again.bbox
        centre = np.array([(ax0 + ax1) / 2 + left, (ay0 + ay1) / 2 + top])
        if np.hypot(*(centre - (cx, cy))) < 0.25 * face.face_width and abs(again.face_width / face.face_width - 1) < 0.3:
            return True
    return False


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
