"""Rigid head motion (roll and shift) applied through a soft head-and-neck mask, so the background stays put."""

from __future__ import annotations

import math

import numpy as np
import torch

from ectfg_core.render.geometry import FaceFrame, smoothstep

# Face units, in the face frame (origin at the oval's centre).
_HEAD_CENTER = (0.0, -0.15)
_HEAD_RADII = (0.72, 0.95)  # face + hair (the lower half of the ellipse ends at the chin)
_FALLOFF = 0.3  # width of the soft edge around the head
_FALLOFF_CHIN = 0.1  # narrower under the chin: collars and shoulders do not follow the head
_NECK_HALF_WIDTH = (0.2, 0.36)  # full motion inside, none outside
_NECK_LENGTH = 0.35  # below the chin the motion fades out over this distance
_PIVOT = (0.0, 0.75)  # the neck, where roll turns about


class HeadMotion:
    """Forward motion of points and the inverse on pixel grids for one portrait."""

    def __init__(self, frame: FaceFrame, chin_v: float, image_size: tuple[int, int]):
        self.frame = frame
        self.chin_v = chin_v
        self.pivot = frame.to_pixels(np.array(_PIVOT))
        self.image_size = image_size
        self.box = self._box()

    def _box(self) -> tuple[int, int, int, int]:
        """Pixel box (x0, y0, x1, y1), end exclusive, outside which the mask is zero."""
        ru, rv = _HEAD_RADII
        corners = []
        for u in (-ru - _FALLOFF, ru + _FALLOFF, -_NECK_HALF_WIDTH[1], _NECK_HALF_WIDTH[1]):
            for v in (_HEAD_CENTER[1] - rv - _FALLOFF, self.chin_v + _NECK_LENGTH):
                corners.append((u, v))
        pix = self.frame.to_pixels(np.array(corners))
        h, w = self.image_size
        x0, y0 = np.floor(pix.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pix.max(axis=0)).astype(int) + 1
        return max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)

    def mask(self, xy: np.ndarray | torch.Tensor):
        """How much of the head motion a pixel takes (1 on the head, 0 in the background)."""
        lib = torch if isinstance(xy, torch.Tensor) else np
        ex = self.frame.ex
        ey = self.frame.ey
        rx = xy[..., 0] - float(self.frame.origin[0])
        ry = xy[..., 1] - float(self.frame.origin[1])
        u = (rx * float(ex[0]) + ry * float(ex[1])) / self.frame.width
        v = (rx * float(ey[0]) + ry * float(ey[1])) / self.frame.width
        ru, rv = _HEAD_RADII
        below = _smooth(_HEAD_CENTER[1], self.chin_v, v, lib)  # 0 above the centre, 1 from the chin down
        rv = rv + (self.chin_v + 0.03 - _HEAD_CENTER[1] - rv) * below
        r = lib.sqrt(((u - _HEAD_CENTER[0]) / ru) ** 2 + ((v - _HEAD_CENTER[1]) / rv) ** 2)
        falloff = _FALLOFF + (_FALLOFF_CHIN - _FALLOFF) * below
        head = 1.0 - _ramp((r - 1.0) * ru / falloff, lib)
        neck = 1.0 - _smooth(*_NECK_HALF_WIDTH, lib.abs(u), lib)
        neck = neck * (1.0 - _smooth(self.chin_v, self.chin_v + _NECK_LENGTH, v, lib))
        neck = neck * _smooth(_HEAD_CENTER[1], _HEAD_CENTER[1] + 0.2, v, lib)  # the neck band only counts below the face
        return lib.maximum(head, neck)

    def transform(self, row: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(A, t) of the full rigid motion about the pivot: x' = pivot + A (x - pivot) + t."""
        angle = math.radians(row.get("head_roll", 0.0))
        cos, sin = math.cos(angle), math.sin(angle)
        rot = np.array([[cos, -sin], [sin, cos]])
        shift = self.frame.vector_to_pixels(np.array([row.get("head_x", 0.0), row.get("head_y", 0.0)]) / 100.0)
        return rot, shift

    def displacement(self, xy, rot: np.ndarray, shift: np.ndarray):
        """Masked displacement at points xy (numpy (N, 2) or torch (..., 2))."""
        lib = torch if isinstance(xy, torch.Tensor) else np
        px, py = float(self.pivot[0]), float(self.pivot[1])
        rx, ry = xy[..., 0] - px, xy[..., 1] - py
        dx = rot[0, 0] * rx + rot[0, 1] * ry - rx + float(shift[0])
        dy = rot[1, 0] * rx + rot[1, 1] * ry - ry + float(shift[1])
        m = self.mask(xy)
        return lib.stack([dx * m, dy * m], -1)

    def forward(self, points: np.ndarray, row: dict[str, float]) -> np.ndarray:
        rot, shift = self.transform(row)
        if _is_still(rot, shift):
            return np.asarray(points, dtype=np.float64)
        return points + self.displacement(np.asarray(points, dtype=np.float64), rot, shift)

    def inverse(self, grid: torch.Tensor, row: dict[str, float], mask: torch.Tensor | None = None,
                iterations: int = 2) -> torch.Tensor:
        """Source positions for destination pixels grid (..., 2), by fixed-point iteration (the field is smooth).

        mask: the head mask at the grid, if precomputed (it is used in place of the mask at the source points).
        """
        rot, shift = self.transform(row)
        if _is_still(rot, shift):
            return grid
        m = self.mask(grid) if mask is None else mask
        px, py = float(self.pivot[0]), float(self.pivot[1])
        src = grid
        moved = torch.empty_like(grid)  # the masked displacement, written in place (no stacked temporaries)
        for _ in range(iterations):
            rx, ry = src[..., 0] - px, src[..., 1] - py
            dx = rot[0, 0] * rx + rot[0, 1] * ry - rx + float(shift[0])
            dy = rot[1, 0] * rx + rot[1, 1] * ry - ry + float(shift[1])
            torch.mul(dx, m, out=moved[..., 0])
            torch.mul(dy, m, out=moved[..., 1])
            src = grid - moved
        return src


def _is_still(rot: np.ndarray, shift: np.ndarray) -> bool:
    """np.allclose(rot, identity) and no shift, in plain floats: np.allclose's overhead was a noticeable share of a
    frame, called for every point set and the pixel grid."""
    (a, b), (c, d) = rot.tolist()
    # allclose's test, |x - y| <= atol + rtol * |y| (atol 1e-8, rtol 1e-5), entry by entry (NaN fails it too).
    if not (abs(a - 1.0) <= 1e-8 + 1e-5 and abs(d - 1.0) <= 1e-8 + 1e-5 and abs(b) <= 1e-8 and abs(c) <= 1e-8):
        return False
    return not shift.any()


def _ramp(x, lib):
    """Smoothstep from 0 at x <= 0 to 1 at x >= 1."""
    t = lib.clip(x, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _smooth(edge0: float, edge1: float, x, lib):
    if lib is np:
        return smoothstep(edge0, edge1, x)
    t = torch.clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
