"""The mouth interior: what shows between the parted lips.

Teeth are fixed to the skull and the jaw, not to the lips, so they are never stretched: whatever the portrait
already shows between its lips (usually upper teeth) moves with the head only; the lower teeth and the tongue
follow the jaw; the rest is a dark cavity. When the portrait's mouth is closed, upper teeth are synthesised in
colours taken from the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ectfg_core.render.geometry import INNER_LIP_POLYGON, LOWER_INNER, LOWER_OUTER, UPPER_INNER, UPPER_OUTER
from ectfg_core.render.raster import box_around, polygon_coverage
from ectfg_core.render.sampling import sample

_UPPER_COUNT = len(UPPER_INNER)
# Where neighbouring upper teeth meet, face widths from the midline (central and lateral incisors, canines, premolars).
_TOOTH_EDGES = np.array([0.0, 0.045, 0.08, 0.112, 0.142, 0.17])


@dataclass
class MouthPose:
    """What the mouth layer needs to know about a frame."""

    inner: np.ndarray  # (20, 2) driven inner lip polygon (INNER_LIP_POLYGON order)
    skull: np.ndarray  # (2,) how far the upper teeth moved (head motion), pixels
    jaw: np.ndarray  # (2,) how far the lower teeth moved (head + jaw), pixels
    jaw_open: float  # the jaw control, 0..1.4
    axes: tuple[np.ndarray, np.ndarray]  # face x and y axes after head roll


class MouthLayer:
    """Mouth interior of one portrait."""

    def __init__(self, points: np.ndarray, face_width: float, source: torch.Tensor, ex: np.ndarray, ey: np.ndarray):
        pts = np.asarray(points, dtype=np.float64)
        self.face_width = face_width
        self.source_inner = pts[INNER_LIP_POLYGON]
        self.source_upper = pts[UPPER_INNER]
        self.source_lower = pts[LOWER_INNER]
        gap = float((pts[14] - pts[13]) @ ey)
        image = source
        lips = self._lip_pixels(pts, image)
        self.lip_color = lips.median(dim=1).values
        skin = self._skin_color(pts, image, ex, ey)
        interior = self._interior_pixels(image)
        lum = interior.mean(dim=0) if interior.numel() else torch.zeros(0)
        # The portrait shows its own teeth when the lips are parted and what is between them is bright.
        self.has_interior = gap > 0.015 * face_width and interior.shape[1] >= 6
        self.shows_teeth = bool(self.has_interior and lum.median() > 0.72 * skin.mean())
        if self.shows_teeth:
            bright = interior[:, lum >= lum.quantile(0.6)]
            self.teeth_color = bright.mean(dim=1)
        else:
            level = float(np.clip(skin.mean() / 170.0, 0.65, 1.05))
            self.teeth_color = torch.tensor([236.0, 230.0, 216.0]) * level
        self.cavity_color = self.lip_color * torch.tensor([0.22, 0.14, 0.14])
        self.tongue_color = self.lip_color * torch.tensor([0.8, 0.5, 0.5])
        self._source_layer = self._make_source_layer(image) if self.has_interior else None

    # ---- colours measured on the portrait -----------------------------------------------------------------
    def _lip_pixels(self, pts: np.ndarray, image: torch.Tensor) -> torch.Tensor:
        outer = np.concatenate([pts[UPPER_OUTER], pts[LOWER_OUTER][-2:0:-1]])
        box = box_around(outer, 1.0, (0, 0, image.shape[2], image.shape[1]))
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1), np.arange(y0, y1)
        band = polygon_coverage(outer, xs, ys, inset=1.0) * (1.0 - polygon_coverage(self.source_inner, xs, ys, inset=-1.5))
        crop = image[:, y0:y1, x0:x1]
        picked = crop[:, torch.from_numpy(band > 0.5)]
        return picked if picked.shape[1] else torch.tensor([[180.0], [110.0], [110.0]])

    def _skin_color(self, pts: np.ndarray, image: torch.Tensor, ex: np.ndarray, ey: np.ndarray) -> torch.Tensor:
        """Median colour of the cheeks (beside the nose, below the eyes)."""
        cheeks = np.concatenate([pts[[50, 280, 101, 330, 205, 425]]])
        colors = sample(image, torch.tensor(cheeks, dtype=torch.float32))
        return colors.median(dim=1).values

    def _interior_pixels(self, image: torch.Tensor) -> torch.Tensor:
        box = box_around(self.source_inner, 1.0, (0, 0, image.shape[2], image.shape[1]))
        x0, y0, x1, y1 = box
        inside = polygon_coverage(self.source_inner, np.arange(x0, x1), np.arange(y0, y1), inset=1.0)
        return image[:, y0:y1, x0:x1][:, torch.from_numpy(inside > 0.5)]

    def _make_source_layer(self, image: torch.Tensor) -> tuple[torch.Tensor, tuple[float, float]]:
        """RGB + coverage of the portrait's own mouth interior, to be moved with the skull."""
        box = box_around(self.source_inner, 3.0, (0, 0, image.shape[2], image.shape[1]))
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        alpha = polygon_coverage(self.source_inner, xs, ys, inset=-1.0)
        # Fade out along the lips' edges: once the lips move, the lip pixels there must not come along.
        upper = np.interp(xs, *_by_x(self.source_upper))[None, :]
        lower = np.interp(xs, *_by_x(self.source_lower))[None, :]
        alpha *= np.clip((ys[:, None] - upper) / 1.5, 0.0, 1.0) * np.clip((lower - ys[:, None]) / 1.5, 0.0, 1.0)
        layer = torch.cat([image[:, y0:y1, x0:x1], torch.from_numpy(alpha.astype(np.float32))[None]], dim=0)
        return layer, (float(x0), float(y0))

    # ---- per frame -------------------------------------------------------------------------------------
    def composite(self, canvas: torch.Tensor, origin: tuple[int, int], pose: MouthPose) -> None:
        """Draw the interior into canvas (3, h, w), whose pixel (0, 0) is image pixel origin."""
        ox, oy = origin
        _, height, width = canvas.shape
        box = box_around(pose.inner, 2.0, (ox, oy, ox + width, oy + height))
        if box is None:
            return
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        ex, ey = pose.axes
        fw = self.face_width
        upper_c = pose.inner[:_UPPER_COUNT]
        lower_c = np.concatenate([pose.inner[:1], pose.inner[_UPPER_COUNT:][::-1], pose.inner[_UPPER_COUNT - 1 : _UPPER_COUNT]])
        center = 0.5 * (upper_c[_UPPER_COUNT // 2] + lower_c[len(lower_c) // 2])
        gx, gy = np.meshgrid(xs, ys)
        u = (gx - center[0]) * ex[0] + (gy - center[1]) * ex[1]
        v = (gx - center[0]) * ey[0] + (gy - center[1]) * ey[1]

        def profile(contour: np.ndarray, shift: np.ndarray | None = None) -> np.ndarray:
            c = contour if shift is None else contour + shift
            cu, cv = (c - center) @ ex, (c - center) @ ey
            order = np.argsort(cu)
            return np.interp(u, cu[order], cv[order])

        upper, lower = profile(upper_c), profile(lower_c)
        opening = lower - upper
        corner_u = (upper_c[[0, -1]] - center) @ ex
        half = max(0.5 * (corner_u.max() - corner_u.min()), 1.0)
        ur = np.clip(u / half, -1.0, 1.0)
        mask = polygon_coverage(pose.inner, xs, ys, inset=0.25)
        source_gap = profile(self.source_lower, pose.skull) - profile(self.source_upper, pose.skull)
        seam = self._seam(v, upper, lower, opening, source_gap, u, corner_u)
        if not mask.any() and seam is None:
            return

        def tensor(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.asarray(x, dtype=np.float32))

        view = canvas[:, y0 - oy : y1 - oy, x0 - ox : x1 - ox]
        if seam is not None:
            view.mul_(1.0 - tensor(seam) * 0.45).add_(tensor(seam) * 0.45 * self.cavity_color[:, None, None])
        if not mask.any():
            return

        # Cavity: dark, darkest at the back and in the corners, a little light reaching in over the lower lip.
        below_top = np.clip((v - upper) / np.maximum(opening, 1.0), 0.0, 1.0)
        lip_light = 1.0 + 0.5 * np.exp(-np.clip(lower - v, 0.0, None) / (0.015 * fw))
        depth = (1.0 - 0.45 * ur**2) * (0.75 + 0.5 * below_top) * lip_light
        color = self.cavity_color[:, None, None] * tensor(depth)

        # Tongue and lower teeth ride on the jaw (mostly hidden behind the lower lip).
        jaw_line = profile(self.source_lower, pose.jaw)
        tongue_top = jaw_line - 0.05 * fw * (1.0 - 0.5 * ur**2)
        tongue = np.clip((v - tongue_top) / (0.02 * fw), 0.0, 1.0) * np.clip(1.0 - np.abs(ur) ** 3, 0.0, 1.0)
        tongue_shade = 0.55 + 0.45 * np.clip((v - tongue_top) / (0.035 * fw), 0.0, 1.0)
        color = _over(color, self.tongue_color[:, None, None] * tensor(tongue_shade), tensor(tongue * 0.9))
        show_lower = float(np.clip((pose.jaw_open - 0.3) / 0.4, 0.0, 1.0))
        if show_lower > 0:
            lower_teeth = np.clip((v - (jaw_line - 0.014 * fw)) + 0.5, 0.0, 1.0) * np.clip(1.0 - ur**2 / 0.3, 0.0, 1.0)
            color = _over(color, self.teeth_color[:, None, None] * 0.7, tensor(lower_teeth * show_lower * 0.8))

        # Upper teeth ride on the skull, gums above them; the portrait's own teeth go on top where it has them.
        skull_line = profile(self.source_upper, pose.skull)
        if not self.shows_teeth:
            color = _over(color, *self._synthetic_teeth(u, v, ur, skull_line))
        gums = np.clip((skull_line - 0.05 * fw) - v + 0.5, 0.0, 1.0) * np.clip(1.0 - np.abs(ur) ** 2.5, 0.0, 1.0)
        color = _over(color, self.lip_color[:, None, None] * 0.85, tensor(gums))
        if self._source_layer is not None:
            layer, layer_origin = self._source_layer
            sx, sy = gx - pose.skull[0], gy - pose.skull[1]
            # Where the lip lifts above the portrait's own teeth, their top rows continue upwards (longer teeth,
            # darker towards the gums), so raised lips reveal teeth and not a gap.
            top_rows = np.interp(sx, *_by_x(self.source_upper)) + 2.5
            grid = np.stack([np.stack([sx, sy], axis=-1), np.stack([sx, np.maximum(sy, top_rows)], axis=-1)])
            moved = sample(layer, torch.from_numpy(grid.astype(np.float32)), origin=layer_origin, padding="zeros")
            if self.shows_teeth:
                above = np.clip(top_rows - sy, 0.0, None)
                longer = tensor(np.clip(1.0 - np.abs(ur) ** 2.5, 0.0, 1.0) * (above > 0))
                dim = tensor(1.0 - 0.25 * np.clip(above / (0.04 * fw), 0.0, 1.0))
                color = _over(color, moved[:3, 1] * dim, longer)
            color = _over(color, moved[:3, 0], moved[3, 0])

        # The upper lip's shadow falls on whatever is right under it.
        shadow = 1.0 - 0.25 * np.exp(-np.clip(v - upper, 0.0, None) / (0.012 * fw))
        color = color * tensor(shadow)
        a = tensor(mask)
        view.mul_(1 - a).add_(color * a)

    def _synthetic_teeth(self, u: np.ndarray, v: np.ndarray, ur: np.ndarray,
                         skull_line: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Upper front teeth hanging from the skull line: colour (3, h, w) and coverage (h, w)."""
        fw = self.face_width
        # Distance to the nearest boundary between teeth (incisors, laterals, canines, premolars), face units.
        au = np.abs(u) / fw
        nearest = np.min(np.abs(au[..., None] - _TOOTH_EDGES[None, None, :]), axis=-1)
        rounding = 0.004 * fw * np.exp(-((nearest / 0.008) ** 2))  # incisal edges round off towards each gap
        edge = skull_line + 0.022 * fw * (1.0 - 0.5 * ur**2) - rounding
        cover = np.clip(edge - v + 0.5, 0.0, 1.0) * np.clip(1.0 - np.abs(ur) ** 2.5, 0.0, 1.0)
        gaps = 1.0 - 0.15 * np.exp(-((nearest * fw / 0.6) ** 2))
        shade = (1.0 - 0.55 * ur**2) * (0.9 + 0.1 * np.clip((v - (skull_line - 0.04 * fw)) / (0.03 * fw), 0.0, 1.0)) * gaps
        colour = self.teeth_color[:, None, None] * torch.from_numpy(shade.astype(np.float32))
        return colour, torch.from_numpy(cover.astype(np.float32))

    def _seam(self, v, upper, lower, opening, source_gap, u, corner_u) -> np.ndarray | None:
        """A faint dark line where lips that were parted in the portrait now touch (the warp leaves it too clean)."""
        closed = np.clip(1.0 - opening / 1.5, 0.0, 1.0) * np.clip(source_gap / 1.5, 0.0, 1.0)
        if closed.max() <= 0:
            return None
        within = np.clip(u - corner_u.min(), 0.0, 1.0) * np.clip(corner_u.max() - u, 0.0, 1.0)
        mid = 0.5 * (upper + lower)
        return closed * within * np.exp(-(((v - mid) / 0.7) ** 2))


def _by_x(contour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(contour[:, 0])
    return contour[order, 0], contour[order, 1]


def _over(base: torch.Tensor, top: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    return base * (1 - alpha) + top * alpha
