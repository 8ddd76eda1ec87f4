"""The three region masks of the hierarchical audio attention and the face region of the face locator.

`hallo_regions` reproduces Hallo's preprocessing (hallo/utils/util.py get_mask), which its weights were trained on:
the face box (face-oval landmarks, grown 1.2x) and the lip box (lip landmarks, grown 2x) are drawn at latent
resolution, Gaussian-blurred (kernels 51 and 31 on a 64x64 grid) and min-max normalised; then
    pose ("full")  = 1 - blurred face,   expression ("face") = blurred face - blurred lip,   lip = blurred lip.
Any other masks (e.g. the Face Mask Extractor's) can be passed instead; they are resized the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ectfg_core.types.face import FACE_OVAL, LIPS_OUTER, FaceLandmarks


@dataclass
class Regions:
    """Masks at image resolution (H, W), float32 0..1."""

    pose: np.ndarray
    expression: np.ndarray
    lip: np.ndarray
    face_box: np.ndarray  # 0/1 rectangle: the face locator's input

    def stacked(self) -> np.ndarray:
        return np.stack([self.pose, self.expression, self.lip])


def expand_box(points: np.ndarray, ratio: float, width: int, height: int) -> tuple[int, int, int, int]:
    """Hallo's expand_region: grow the landmarks' box about its centre, shifted back inside the image."""
    x0, y0 = np.round(points.min(axis=0))
    x1, y1 = np.round(points.max(axis=0))
    mid_x, mid_y = (x0 + x1) // 2, (y0 + y1) // 2
    half_w, half_h = ((x1 - x0) * ratio) // 2, ((y1 - y0) * ratio) // 2
    x0, x1, y0, y1 = mid_x - half_w, mid_x + half_w, mid_y - half_h, mid_y + half_h
    if x0 < 0:
        x1, x0 = x1 - x0, 0
    if x1 > width:
        x0, x1 = x0 - (x1 - width), width
    if y0 < 0:
        y1, y0 = y1 - y0, 0
    if y1 > height:
        y0, y1 = y0 - (y1 - height), height
    return int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))


def _box(height: int, width: int, box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros((height, width), dtype=np.uint8)
    x0, y0, x1, y1 = box
    mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 255
    return mask


def _blurred(mask: np.ndarray, grid: tuple[int, int], kernel_at_64: int) -> np.ndarray:
    import cv2  # ships with mediapipe (opencv-contrib-python)

    small = cv2.resize(mask, (grid[1], grid[0]))
    kernel = max(3, int(round(kernel_at_64 * min(grid) / 64)) | 1)
    blurred = cv2.GaussianBlur(small, (kernel, kernel), 0)
    return cv2.normalize(blurred, None, 0, 255, cv2.NORM_MINMAX)


def hallo_regions(landmarks: FaceLandmarks, latent_size: tuple[int, int] | None = None,
                  face_expand: float = 1.2, lip_expand: float = 2.0) -> Regions:
    """Hallo's pose / expression / lip masks and face box for one portrait (see the module docstring)."""
    import cv2

    height, width = landmarks.image_size
    grid = latent_size or (max(height // 8, 1), max(width // 8, 1))
    face_box = _box(height, width, expand_box(landmarks.points[FACE_OVAL], face_expand, width, height))
    lip_box = _box(height, width, expand_box(landmarks.points[LIPS_OUTER], lip_expand, width, height))
    face = _blurred(face_box, grid, 51)
    lip = _blurred(lip_box, grid, 31)
    pose = 255 - face
    expression = cv2.subtract(face, lip)

    def full(mask: np.ndarray) -> np.ndarray:
        return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0

    return Regions(pose=full(pose), expression=full(expression), lip=full(lip), face_box=face_box.astype(np.float32) / 255.0)


def mask_pyramid(masks: np.ndarray | torch.Tensor, latent_size: tuple[int, int],
                 levels: int) -> tuple[list[torch.Tensor], list[tuple[int, int]]]:
    """(3, H, W) masks -> per UNet level l: (3, 1, h_l * w_l) at latent size / 2^l, and the sizes."""
    x = torch.as_tensor(np.asarray(masks, dtype=np.float32) if not isinstance(masks, torch.Tensor) else masks).float()
    x = x[None]  # (1, 3, H, W)
    out, sizes = [], []
    h, w = latent_size
    for _ in range(levels):
        level = F.interpolate(x, size=(h, w), mode="bilinear", antialias=True, align_corners=False).clamp_(0, 1)
        out.append(level[0].reshape(3, 1, h * w))
        sizes.append((h, w))
        h, w = (h + 1) // 2, (w + 1) // 2
    return out, sizes
