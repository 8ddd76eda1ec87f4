"""Framing a portrait for animation: a square crop around the largest face, resized to the output size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ectfg_core.errors import InputError
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.types.face import FaceLandmarks

MIN_SIZE, MAX_SIZE = 128, 2048


@dataclass
class Portrait:
    """The framed portrait every later stage works on."""

    image: np.ndarray  # (size, size, 3) uint8 RGB
    landmarks: FaceLandmarks  # detected on `image`
    crop_box: tuple[int, int, int, int]  # (x0, y0, x1, y1) in the source image


def check_size(size: int) -> int:
    if not MIN_SIZE <= int(size) <= MAX_SIZE or int(size) % 8:
        raise InputError(f"size {size} is not usable; pick a multiple of 8 between {MIN_SIZE} and {MAX_SIZE} (default 512)",
                         field="size")
    return int(size)


def face_crop_box(landmarks: FaceLandmarks, face_fraction: float = 0.42) -> tuple[int, int, int, int]:
    """A square box where the face takes `face_fraction` of the width, shifted to stay inside the image."""
    height, width = landmarks.image_size
    x0, y0, x1, y1 = landmarks.bbox
    side = min(max(x1 - x0, y1 - y0) / face_fraction, width, height)
    cx = (x0 + x1) / 2
    cy = (y0 + y1) / 2 + 0.02 * side  # a little more room above for hair than below for the chin
    left = int(round(min(max(cx - side / 2, 0), width - side)))
    top = int(round(min(max(cy - side / 2, 0), height - side)))
    side_px = int(round(side))
    return left, top, left + side_px, top + side_px


def frame_portrait(image: np.ndarray, size: int = 512, crop: str = "face") -> Portrait:
    """Crop (`face`: around the largest face; `center`: central square) and resize, then find landmarks again."""
    size = check_size(size)
    source = np.asarray(image)
    if crop == "face":
        box = face_crop_box(detect_landmarks(source))
    elif crop == "center":
        h, w = source.shape[:2]
        side = min(h, w)
        box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    else:
        raise InputError(f"unknown crop mode {crop!r}; use 'face' or 'center'")
    framed = Image.fromarray(source[:, :, :3]).crop(box).resize((size, size), Image.Resampling.LANCZOS)
    pixels = np.asarray(framed, dtype=np.uint8).copy()
    return Portrait(image=pixels, landmarks=detect_landmarks(pixels), crop_box=box)
