"""Face crops for the expression classifiers, cut from the MediaPipe landmarks.

FER-2013 style classifiers were trained on small grey faces (face-api's on colour ones), roughly centred, eyes level,
the face filling most of the square. We rebuild that framing from the landmarks instead of a Haar or MTCNN box:
rotate so the eyes are level, centre on the face oval, and take a square `(1 + margin)` times the oval's larger side.
"""

from __future__ import annotations

import cv2
import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.types.face import FACE_OVAL, LEFT_EYE, RIGHT_EYE, FaceLandmarks


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8 luminance of an RGB uint8 image (ITU-R 601 weights, as the classifiers' training data)."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        return arr.astype(np.uint8, copy=False)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise InputError(f"expected an RGB image (height, width, 3), got shape {arr.shape}")
    return cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3], dtype=np.uint8), cv2.COLOR_RGB2GRAY)


def crop_transform(landmarks: FaceLandmarks, size: int, margin: float) -> np.ndarray:
    """2x3 affine matrix taking image pixels to the (size, size) crop."""
    pts = landmarks.points.astype(np.float64)
    left_eye, right_eye = pts[LEFT_EYE].mean(axis=0), pts[RIGHT_EYE].mean(axis=0)
    # The subject's left eye is on the image's right: this angle is 0 for a level face.
    angle = np.degrees(np.arctan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0]))
    oval = pts[FACE_OVAL]
    (x0, y0), (x1, y1) = oval.min(axis=0), oval.max(axis=0)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    side = max(x1 - x0, y1 - y0, 1.0) * (1.0 + margin)
    matrix = cv2.getRotationMatrix2D((float(cx), float(cy)), float(angle), size / side)
    matrix[0, 2] += size / 2.0 - cx
    matrix[1, 2] += size / 2.0 - cy
    return matrix


def to_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a grey, RGB or RGBA uint8 image (a grey photo stays grey in all three channels)."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        return np.repeat(arr.astype(np.uint8, copy=False)[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise InputError(f"expected an RGB image (height, width, 3), got shape {arr.shape}")
    return np.ascontiguousarray(arr[:, :, :3], dtype=np.uint8)


def face_crop(image: np.ndarray, landmarks: FaceLandmarks, size: int, margin: float = 0.1, colour: bool = False) -> np.ndarray:
    """(size, size) uint8 grey crop of the face, eyes level, or (size, size, 3) RGB with colour; edges replicate where
    the crop leaves the image."""
    pixels = to_rgb(image) if colour else to_gray(image)
    if tuple(landmarks.image_size) != pixels.shape[:2]:
        raise InputError(f"the landmarks were found on a {landmarks.image_size} image but this one is {pixels.shape[:2]}")
    # Rotate at (about) native resolution, then shrink with pixel-area averaging: warpAffine alone would alias
    # the fine texture of a large face squeezed into 48 or 64 pixels.
    oval = landmarks.points[FACE_OVAL]
    native = int(np.clip(round(float(np.ptp(oval, axis=0).max()) * (1.0 + margin)), size, 4 * size))
    square = cv2.warpAffine(pixels, crop_transform(landmarks, native, margin), (native, native), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    if native == size:
        return square
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
