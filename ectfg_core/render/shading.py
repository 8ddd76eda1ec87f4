"""Appearance layers driven by action units: the creases a warp alone cannot make, and a photo's own smile fold eased.

A warp moves pixels; a frown also folds the skin. Each layer is a map of log shading factors drawn once per portrait
in the photo's own coordinates (so it lives on the skin): thin dark furrows with a lit flank on the side away from the
light, sized by the face width and scaled by the photo's skin texture contrast. Per frame, a layer whose control is
non-zero is sampled through the skin warp's coordinates (it moves with the posed mesh and the head) and multiplies the
pixels: every channel by the same factor, so shading follows the photo's lighting and a grayscale photo stays grayscale
(a smile's broad nasolabial shadows darken the skin's weaker channels a little more, as shadows on skin do, by weights
taken from the photo's own skin colour: equal on a grey photo).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.interpolate import splev, splprep
from scipy.ndimage import gaussian_filter, gaussian_filter1d, grey_closing, map_coordinates
from scipy.spatial import cKDTree

from ectfg_core.render.controls import CONTROL_INDEX
from ectfg_core.render.geometry import FaceFrame, smoothstep
from ectfg_core.render.raster import polygon_coverage
from ectfg_core.render.sampling import sample
from ectfg_core.types.face import LIPS_OUTER

_LUMA = np.array([0.299, 0.587, 0.114])
_MIN_CONTROL = 1e-3  # below this a layer is not drawn at all
# Creases deepen only so far: the glabella's furrows are as dark at anger's full frown as at a posed one (1.1, what
# they were tuned on); drawn darker for the deeper frown the brows take (and an artist's strength above 1), they
# showed as two painted marks between the brows.
_SHADE_TOPS = {"brow_lower": 1.1}
# Skin texture contrast (robust std of luminance around its local mean) of a typical 512 px portrait: at this
# contrast the creases get their nominal depth; smoother or rougher photos get proportionally less or more.
_REFERENCE_CONTRAST = 0.016
_CONTRAST_RANGE = (0.8, 1.35)
_CREASE_SIGMA = 0.006  # furrow half-width (Gaussian sigma), face widths: ~1 px at 512
# How much of the photo's nasolabial fold a full smile release removes.
_SMILE_FOLD_EASE = 0.9
# The fold is measured on the photo smoothed only this much (a share of the crease sigma) and may be lifted this far
# (log): a fold's dark centre is narrow, and measured on a smoother photo and capped lower, its flanks were lifted and
# the centre stayed, a thin dark line (and, capped per channel, an orange one on dark skin). With the centre measured,
# the fold can be eased almost all the way.
_FOLD_DETAIL = 0.45
_FOLD_LIMIT = 1.2
# The photo's own furrows between the brows (see _frown_furrows): how much of them a full frown release eases, and
# the valley depth (95th percentile over the glabella, log) from which a photo counts as frowning, fully so at
# FROM + SPAN (over 18 portraits a smooth brow measured 0.01-0.09, light lines 0.13-0.16, a plain frown 0.25-0.5).
_FROWN_EASE = 0.9
_FROWN_FROM, _FROWN_SPAN = 0.1, 0.15
# The nasolabial folds of a smile (see _smile_lines): depth (log, at the reference contrast) and width (crease sigmas),
# and how much more a shadow on skin saturates its colour than a grey darkening would.
_SMILE_LINE_DEPTH = 0.3
_SMILE_LINE_SIGMA = 2.5
_SHADOW_SATURATION = 1.4
# Each side's nasolabial fold: its landmark path from beside the nose wing down the cheek, and the mouth corner.
_NASOLABIAL = ((-1.0, [129, 203, 206, 216], 61), (1.0, [358, 423, 426, 436], 291))
_RELEASES = ("smile_release", "frown_release")  # layers that ease the photo's own folds rather than draw new ones
# The dark pockets beside a grin's corners (see _corner_pockets): how much of one a full release lifts, how far the
# lift may brighten (log), and the disc around each corner it fades out over (face widths).
_POCKET_EASE = 0.85
_POCKET_MAX_LIFT = 1.0
_POCKET_RADIUS = (0.025, 0.05)


@dataclass
class _Layer:
    control: int  # column of the control row that drives the layer
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the map in the photo
    log_shade: torch.Tensor  # (1 or 3, h, w) float32: log of the shading factor at control 1 (one for all channels, or per channel)
    anchors: np.ndarray  # mesh vertices whose posed positions bound the layer in the frame
    margin: float  # pixels around the posed anchors


def _curve(points: np.ndarray, samples: int) -> np.ndarray:
    """(samples, 2) points of a smooth curve through the given control points."""
    pts = np.asarray(points, dtype=np.float64)
    keep = np.concatenate([[True], np.linalg.norm(np.diff(pts, axis=0), axis=1) > 1e-3])  # the spline needs distinct points
    pts = pts[keep]
    if len(pts) < 2:
        return np.repeat(pts[:1], samples, axis=0)
    tck, _ = splprep(pts.T, k=min(3, len(pts) - 1), s=0)
    return np.stack(splev(np.linspace(0.0, 1.0, samples), tck), axis=1)


class _Canvas:
    """A log-shade map over one box of the photo, on which creases are drawn."""

    def __init__(self, box: tuple[int, int, int, int]):
        self.box = box
        x0, y0, x1, y1 = box
        gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        self.pixels = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self.shape = (y1 - y0, x1 - x0)
        self.log = np.zeros(self.shape, dtype=np.float64)

    def crease(self, points: np.ndarray, depth: float, sigma: float, light: np.ndarray, highlight: float = 0.45,
               bulge: bool = False, ripple: float = 0.0, phase: float = 0.0) -> None:
        """A furrow along a curve through `points`: a dark line fading towards both ends and a lit flank.

        The flank facing the light is on the far side of the groove from the light (it tilts towards it); a bulge
        (bulge=True, e.g. the lower lid pushed up) is lit on the side towards the light instead.
        ripple (0..1) breaks the line's depth up along its length, as real wrinkles are.
        """
        length = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
        if length < sigma:
            return
        curve = _curve(points, max(8, int(length / (0.7 * sigma))))
        tangent = np.gradient(curve, axis=0)
        tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
        normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
        reach = 8.0 * sigma  # the lit flank reaches ~4 sigma out; beyond 8 both profiles are nil
        lo, hi = curve.min(axis=0) - reach, curve.max(axis=0) + reach
        near = np.flatnonzero(np.all((self.pixels >= lo) & (self.pixels <= hi), axis=1))
        if len(near) == 0:
            return
        _, nearest = cKDTree(curve).query(self.pixels[near])
        rel = self.pixels[near] - curve[nearest]
        across = (rel * normal[nearest]).sum(axis=1)
        along = (rel * tangent[nearest]).sum(axis=1)
        # Position along the curve, continuous across samples (a per-sample value would show steps).
        spacing = float(np.linalg.norm(np.diff(curve, axis=0), axis=1).mean())
        t = np.clip((nearest + along / max(spacing, 1e-9)) / (len(curve) - 1), 0.0, 1.0)
        taper = np.sin(np.pi * t) ** 0.7
        if ripple:
            taper *= 1.0 - ripple * 0.5 * (1.0 + np.cos(2.0 * np.pi * (2.5 * t + phase)))
        facing = normal[nearest] @ light  # > 0: the normal side is towards the light
        lit_side = np.where(facing > 0, 1.0, -1.0) * (1.0 if bulge else -1.0)
        lit_weight = 0.5 + 0.5 * np.abs(facing)
        dark = np.exp(-0.5 * (across / sigma) ** 2)
        lit = np.exp(-0.5 * ((across * lit_side - 2.0 * sigma) / (1.4 * sigma)) ** 2)
        self.log.ravel()[near] += depth * taper * (highlight * lit_weight * lit - dark)

    def blob(self, centre: np.ndarray, radii: tuple[float, float], amount: float) -> None:
        """A soft round brightening (amount > 0) or shadow (< 0), e.g. a bulge lit from above."""
        rel = (self.pixels - centre) / np.asarray(radii)
        self.log.ravel()[:] += amount * np.exp(-0.5 * (rel**2).sum(axis=1))


def _box(points: np.ndarray, margin: float, image_size: tuple[int, int]) -> tuple[int, int, int, int]:
    height, width = image_size
    lo = np.floor(points.min(axis=0) - margin).astype(int)
    hi = np.ceil(points.max(axis=0) + margin).astype(int) + 1
    return max(lo[0], 0), max(lo[1], 0), min(hi[0], width), min(hi[1], height)


class ShadingLayers:
    """The action-unit shading of one portrait: build once, apply per frame."""

    def __init__(self, image: np.ndarray, points: np.ndarray, frame: FaceFrame, vertices: np.ndarray,
                 rigid: np.ndarray | None = None):
        """rigid: (H, W) 0..1, what is not skin though it lies on the face (an eyeglass frame); its dark is no crease."""
        self.image_size = image.shape[:2]
        self.points = np.asarray(points, dtype=np.float64)
        self.frame = frame
        self.vertices = np.asarray(vertices, dtype=np.float64)
        self.rgb = np.asarray(image, dtype=np.float64)
        self.luma = self.rgb @ _LUMA
        self.sigma = max(0.7, _CREASE_SIGMA * frame.width)
        self.contrast = self._skin_contrast()
        self.depth = float(np.clip(self.contrast / _REFERENCE_CONTRAST, *_CONTRAST_RANGE))
        self.light = self._light_direction()
        self.skin_colour, self.skin_luma = self._skin_reference(self.rgb)
        self.chroma = self.rgb / (self.rgb.sum(axis=2, keepdims=True) + 1.0)
        self.rigid = rigid
        self.frown_at_rest = 0.0  # how plainly the photo shows furrows between its brows, 0..1 (see _frown_furrows)
        self.layers: list[_Layer] = []
        for name, build in (("brow_lower", self._glabella), ("brow_raise", self._forehead_raise),
                            ("brow_inner_raise", self._forehead_inner), ("nose_wrinkle", self._nose_wrinkle),
                            ("cheek_raise", self._crows_feet), ("chin_raise", self._chin), ("smile", self._smile_lines),
                            ("smile_release", self._smile_fold), ("smile_release", self._corner_pockets),
                            ("frown_release", self._frown_furrows)):
            for canvas in build():
                self._add(name, canvas)

    # ---- what the photo tells ---------------------------------------------------------------------------
    def _at(self, index: int, du: float = 0.0, dv: float = 0.0) -> np.ndarray:
        """A landmark moved by (du, dv) face widths along the face's axes."""
        return self.points[index] + self.frame.vector_to_pixels(np.array([du, dv]))

    def _patch(self, centre: np.ndarray, radius: float) -> np.ndarray:
        x0, y0, x1, y1 = _box(centre[None], radius, self.image_size)
        return self.luma[y0:y1, x0:x1]

    def _skin_contrast(self) -> float:
        """Robust std of luminance around its local mean, relative to it, on forehead and cheeks."""
        radius = 0.05 * self.frame.width
        values = []
        for centre in (self._at(151), self._at(205, -0.02), self._at(425, 0.02)):
            patch = self._patch(centre, radius)
            if patch.size < 16:
                continue
            local = gaussian_filter(patch, 0.01 * self.frame.width) + 1.0
            detail = patch / local - 1.0
            values.append(1.4826 * np.median(np.abs(detail - np.median(detail))))
        return float(np.median(values)) if values else _REFERENCE_CONTRAST

    def _light_direction(self) -> np.ndarray:
        """Unit vector in the image towards the key light: from above, leaning to the brighter cheek."""
        radius = 0.06 * self.frame.width
        patches = [self._patch(self._at(i), radius) for i in (205, 425)]
        right, left = (float(patch.mean()) if patch.size else 0.0 for patch in patches)
        lean = np.clip(6.0 * (left - right) / max(left + right, 1.0), -1.0, 1.0) if all(p.size for p in patches) else 0.0
        vector = lean * self.frame.ex - self.frame.ey
        return vector / np.linalg.norm(vector)

    def _skin_reference(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """Chromaticity and luminance of the face's skin: nose bridge and cheeks, which hair rarely covers."""
        radius = 0.025 * self.frame.width
        pixels = []
        for centre in (self._at(6), self._at(205, -0.02), self._at(425, 0.02)):
            x0, y0, x1, y1 = _box(centre[None], radius, self.image_size)
            pixels.append(image[y0:y1, x0:x1].reshape(-1, 3))
        pixels = np.concatenate(pixels)
        if len(pixels) == 0:  # a face cut by the image border: any skin will do
            pixels = image.reshape(-1, 3)
        rgb = np.median(pixels, axis=0)
        return rgb / (rgb.sum() + 1.0), float(rgb @ _LUMA)

    def _skin(self, box: tuple[int, int, int, int], blur: float = 0.0) -> np.ndarray:
        """0..1 per pixel of a box: how much it looks like the face's skin (not hair, brows, eyeglass frames); with
        `blur` (pixels), judged on the photo blurred that much (what a narrow crease in it does not change)."""
        x0, y0, x1, y1 = box
        chroma, luma = self.chroma[y0:y1, x0:x1, :2], self.luma[y0:y1, x0:x1]
        if blur > 0:
            chroma = np.stack([gaussian_filter(chroma[..., c], blur) for c in range(2)], axis=-1)
            luma = gaussian_filter(luma, blur)
        chroma = np.linalg.norm(chroma - self.skin_colour[:2], axis=2)
        luma = np.log((luma + 8.0) / (self.skin_luma + 8.0))
        weight = np.exp(-0.5 * (chroma / 0.05) ** 2 - 0.5 * (np.minimum(luma, 0.0) / 0.5) ** 2)
        return gaussian_filter(weight, self.sigma)

    # ---- the layers ---------------------------------------------------------------------------------------
    def _canvas(self, anchors: list[np.ndarray], reach: float = 0.03) -> _Canvas:
        return _Canvas(_box(np.asarray(anchors), reach * self.frame.width + 10.0 * self.sigma, self.image_size))

    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        """The face's x and y axes scaled to one face width, in pixels."""
        return self.frame.ex * self.frame.width, self.frame.ey * self.frame.width

    def _glabella(self) -> list[_Canvas]:
        """AU4: two short vertical furrows between the inner brow ends, a horizontal fold at the nasal root."""
        ex, ey = self._axes()
        inner_r, inner_l, root = self.points[55], self.points[285], self.points[168]
        mid = 0.5 * (inner_r + inner_l)
        half_gap = 0.5 * float(np.linalg.norm(inner_l - inner_r)) / self.frame.width
        furrows = []
        for side, length in ((-1.0, 0.075), (1.0, 0.065)):  # a little asymmetric, as faces are
            base = mid + side * 0.5 * half_gap * ex
            furrows.append(np.array([base + 0.012 * ey, base - side * 0.003 * ex - 0.5 * length * ey,
                                     base + side * 0.004 * ex - length * ey]))
        fold = np.array([root - 0.04 * ex + 0.006 * ey, root - 0.002 * ey, root + 0.04 * ex + 0.006 * ey])
        bulge, bulge_radii = mid - 0.03 * ey, (0.3 * half_gap * self.frame.width, 0.03 * self.frame.width)
        canvas = self._canvas([*furrows[0], *furrows[1], *fold, bulge - 2.0 * bulge_radii[1] * self.frame.ey,
                               bulge - 2.0 * bulge_radii[0] * self.frame.ex, bulge + 2.0 * bulge_radii[0] * self.frame.ex])
        for furrow in furrows:
            canvas.crease(furrow, 0.2 * self.depth, 1.7 * self.sigma, self.light, ripple=0.25)
        # The skin squeezed between the furrows bulges and catches the light.
        canvas.blob(bulge, bulge_radii, 0.04 * self.depth)
        canvas.crease(fold, 0.1 * self.depth, 1.8 * self.sigma, self.light, ripple=0.3, phase=0.2)
        return [canvas]

    def _forehead_height(self) -> float:
        """How much skin shows above the brows (pixels), up to the hairline or a fringe."""
        ey = self.frame.ey
        brow_top = 0.5 * (self.points[107] + self.points[336])
        top = self.points[10] - 0.05 * self.frame.width * ey
        steps = np.arange(0.0, float((brow_top - top) @ ey), 1.0)
        column = brow_top - steps[:, None] * ey - 0.01 * self.frame.width * ey
        box = _box(np.concatenate([column, brow_top[None]]), 0.03 * self.frame.width, self.image_size)
        skin = self._skin(box)
        x0, y0, _, _ = box
        ix = np.clip(np.round(column[:, 0] - x0).astype(int), 0, skin.shape[1] - 1)
        iy = np.clip(np.round(column[:, 1] - y0).astype(int), 0, skin.shape[0] - 1)
        bare = skin[iy, ix] > 0.4
        hidden = np.flatnonzero(~bare)
        return float(steps[hidden[0]] if len(hidden) else steps[-1] if len(steps) else 0.0)

    def _forehead_lines(self, span: list[int], hump: float, depth: float) -> list[_Canvas]:
        """Horizontal lines in the bare forehead above the brows, parallel to them low down and flatter higher up."""
        ey = self.frame.ey
        height = self._forehead_height()
        count = min(3, int(height / (0.035 * self.frame.width)))
        if count == 0:
            return []
        brow_top = 0.5 * (self.points[107] + self.points[336])
        ends = np.linspace(-1.0, 1.0, len(span))
        lines = []
        for k in range(count):
            f = (k + 0.8) / (count + 0.6)  # fraction of the bare height
            row = []
            for u, index in zip(ends, span, strict=True):
                brow = self.points[index]
                level = brow_top - f * height * ey
                # Low lines follow the brow arch; higher ones flatten out; the 'omega' of AU1 bows up in the middle.
                point = brow + ((level - brow) @ ey) * ey + 0.4 * (1.0 - f) * ((brow - brow_top) @ ey) * ey
                row.append(point - hump * self.frame.width * (1.0 - u * u) * ey)
            lines.append(np.array(row))
        canvas = self._canvas([p for line in lines for p in line])
        for k, line in enumerate(lines):
            weight = 1.0 - 0.25 * k / max(count - 1, 1)
            canvas.crease(line, depth * weight * self.depth, 1.2 * self.sigma, self.light, ripple=0.5, phase=0.37 * k)
        return [canvas]

    def _forehead_raise(self) -> list[_Canvas]:
        """AU1+2: long lines across the forehead."""
        return self._forehead_lines([63, 105, 107, 336, 334, 293], 0.0, 0.18)

    def _forehead_inner(self) -> list[_Canvas]:
        """AU1 alone: shorter lines over the inner brows, raised in the middle (the sad 'omega')."""
        return self._forehead_lines([105, 66, 107, 336, 296, 334], 0.02, 0.18)

    def _nose_wrinkle(self) -> list[_Canvas]:
        """AU9: creases across the nasal root, oblique ones on its sides, the top of the nasolabial line deepened."""
        ex, ey = self._axes()
        root, bridge = self.points[168], self.points[197]
        bridge_lines = []
        for t, half, shift in ((0.15, 0.03, 0.004), (0.4, 0.038, -0.003)):
            centre = root + t * (bridge - root) + shift * ex
            bridge_lines.append(np.array([centre - half * ex + 0.01 * ey, centre, centre + half * ex + 0.01 * ey]))
        creases = []
        for side, (wing, eye) in ((-1.0, (129, 133)), (1.0, (358, 362))):
            # Oblique lines on the side of the nose ('bunny lines'), from below the inner eye corner down and in.
            start = self._at(eye, -side * 0.005, 0.03)
            creases.append((np.array([start, start - side * 0.012 * ex + 0.025 * ey, start - side * 0.02 * ex + 0.055 * ey]), 0.22))
            # The top of the nasolabial line, running down and out from beside the wing.
            top = self._at(wing, side * 0.01, -0.01)
            creases.append((np.array([top, top + side * 0.022 * ex + 0.035 * ey, top + side * 0.04 * ex + 0.08 * ey]), 0.26))
        canvas = self._canvas([p for c, _ in creases for p in c] + [p for line in bridge_lines for p in line])
        for k, line in enumerate(bridge_lines):  # soft transverse folds over the bony bridge
            canvas.crease(line, (0.2 - 0.04 * k) * self.depth, 1.5 * self.sigma, self.light, highlight=0.25, ripple=0.3, phase=0.3 * k)
        for k, (curve, depth) in enumerate(creases):
            canvas.crease(curve, depth * self.depth, 1.2 * self.sigma, self.light, ripple=0.3, phase=0.29 * k)
        return [canvas]

    def _crows_feet(self) -> list[_Canvas]:
        """AU6: crow's feet fanning from the outer eye corners and the line under the pushed-up lower lid."""
        canvases = []
        ey = self.frame.ey
        for side, corner, lower in ((-1.0, 33, [133, 155, 154, 153, 145, 144, 163, 7, 33]),
                                    (1.0, 263, [362, 382, 381, 380, 374, 373, 390, 249, 263])):
            out = side * self.frame.ex
            creases = []
            for k, (angle, length) in enumerate(((-30.0, 0.06), (-8.0, 0.08), (14.0, 0.075), (34.0, 0.06))):
                a = np.radians(angle)
                direction = np.cos(a) * out + np.sin(a) * ey  # + angle: downwards
                start = self.points[corner] + self.frame.width * (0.03 * out + 0.025 * np.sin(a) * ey)
                end = start + length * self.frame.width * direction
                bend = np.sin(a) * 0.012 * self.frame.width * ey  # the fan curves away from the eye
                creases.append((np.array([start, 0.5 * (start + end), end + bend]), 0.17 if k in (1, 2) else 0.13))
            lid = self.points[lower[3:]] + 0.05 * self.frame.width * ey
            canvas = self._canvas([p for c, _ in creases for p in c] + list(lid))
            for k, (curve, depth) in enumerate(creases):
                canvas.crease(curve, 1.5 * depth * self.depth, 1.1 * self.sigma, self.light, ripple=0.35, phase=0.41 * k)
            canvas.crease(lid, 0.12 * self.depth, 1.6 * self.sigma, self.light, bulge=True, highlight=0.8)
            canvases.append(canvas)
        return canvases

    def _chin(self) -> list[_Canvas]:
        """AU17: the mentalis pushes the chin boss up: a deeper groove under the lower lip, a dimpled, lit boss."""
        ex, ey = self._axes()
        groove_mid = self.points[18] + 0.35 * (self.points[200] - self.points[18])
        groove = np.array([groove_mid - 0.08 * ex - 0.025 * ey, groove_mid, groove_mid + 0.08 * ex - 0.025 * ey])
        boss = 0.5 * (self.points[199] + self.points[175])
        canvas = self._canvas([*groove, boss - 0.12 * ex, boss + 0.12 * ex, boss + 0.08 * ey])
        canvas.crease(groove, 0.12 * self.depth, 3.0 * self.sigma, self.light, highlight=0.3)
        radii = (0.06 * self.frame.width, 0.04 * self.frame.width)
        canvas.blob(boss - 0.01 * ey, radii, 0.04 * self.depth)
        # Peau d'orange: a fixed pattern of shallow dimples over the boss (seeded: the same every run).
        noise = gaussian_filter(np.random.default_rng(17).standard_normal(canvas.shape), 0.01 * self.frame.width)
        noise /= max(float(noise.std()), 1e-9)
        rel = (canvas.pixels - boss) / np.asarray(radii)
        mask = np.exp(-0.5 * (rel**2).sum(axis=1)).reshape(canvas.shape)
        canvas.log += 0.05 * self.depth * np.minimum(noise, 0.3) * mask
        return [canvas]

    def _smile_lines(self) -> list[_Canvas]:
        """AU12: the nasolabial folds a smile deepens, from beside the nose wings down past the mouth corners, laid
        onto the photo's own faint lines where it has them (as the smile release finds a grin's).

        A soft shadow, as warm as shadows on this skin are: darkened alike in every channel, a fold on fair skin
        showed as a grey smear."""
        canvases = []
        for side, path, corner in _NASOLABIAL:
            # From the nose wing to just below the corner: the fold a smile makes ends there.
            guide = self._fold_guide(side, path[:3], corner, 0.012, ((0.05, 0.0), (0.045, 0.05)))
            canvas = self._canvas(list(guide), reach=0.05)
            lip_zone = self._lips(canvas.box, grow=0.02, feather=0.01)
            trace = self._trace_fold(_curve(guide, 24), self._fold_valley(canvas.box, 0.1).mean(axis=0) * (1.0 - lip_zone),
                                     canvas.box[:2])
            canvas.crease(trace, _SMILE_LINE_DEPTH * self.depth, _SMILE_LINE_SIGMA * self.sigma, self.light, highlight=0.0)
            canvas.log = (canvas.log * (1.0 - lip_zone))[None] * self._shadow_tint()[:, None, None]
            canvases.append(canvas)
        return canvases

    def _shadow_tint(self) -> np.ndarray:
        """(3,) per-channel weights of a darkening on this skin (luma-weighted mean 1): a shadow on skin is more
        saturated than the skin, so its weaker channels darken more; a grey photo's weights are all 1."""
        chroma = 3.0 * self.skin_colour  # each channel over the mean of the three
        tint = np.clip(1.0 + _SHADOW_SATURATION * (1.0 - chroma), 0.5, 1.5)
        return tint / float(tint @ _LUMA)

    def _smile_fold(self) -> list[_Canvas]:
        """The photo's own nasolabial folds, measured as dark valleys, to be lifted when its smile is undone.

        A grey closing (wider than a fold) fills the folds in; the log ratio of filled to actual level is how much
        to brighten each pixel. The fold is traced in the photo: from beside the nose wing down past the mouth
        corner, each point of a landmark guide moves sideways onto the deepest valley near it. Only a band around
        that trace is lifted, clear of the lips and the nostril.
        """
        width = self.frame.width
        canvases = []
        for side, path, corner in _NASOLABIAL:
            # A broad smile's fold runs on past the mouth corner, curving in towards the chin.
            guide = self._fold_guide(side, path, corner, 0.01, ((0.075, 0.04), (0.065, 0.11), (0.045, 0.17)))
            canvas = self._canvas(list(guide), reach=0.06)
            valley = self._fold_valley(canvas.box, 0.1)
            lip_zone = self._lips(canvas.box, grow=0.03, feather=0.02)
            trace = self._trace_fold(_curve(guide, 24), valley.mean(axis=0) * (1.0 - lip_zone), canvas.box[:2])
            dist2 = ((canvas.pixels[:, None, :] - trace[None]) ** 2).sum(axis=2)
            nearest = dist2.argmin(axis=1)
            along = nearest / (len(trace) - 1)
            dist = np.sqrt(dist2[np.arange(len(nearest)), nearest])
            band = (1.0 - smoothstep(0.025 * width, 0.045 * width, dist)) * smoothstep(0.0, 0.1, along) * smoothstep(1.0, 0.8, along)
            # Only over skin: a beard or moustache over the fold is as dark as a valley, and lifted it went grey. Judged
            # on the photo blurred wider than a fold, so that the fold itself counts as the skin around it.
            skin = self._skin(canvas.box, blur=0.03 * width)
            canvas.log = _SMILE_FOLD_EASE * valley * (band.reshape(canvas.shape) * (1.0 - lip_zone) * skin)
            canvases.append(canvas)
        return canvases

    def _frown_furrows(self) -> list[_Canvas]:
        """The photo's own furrows between the brows, measured as dark valleys, to be eased when its frown is undone.

        Measured like the smile folds (a grey closing wider than a furrow fills them in), over the glabella: between
        the inner brow ends, from above them down to the nasal root, over skin (not brows, hair or an eyeglass
        bridge). Also sets frown_at_rest: how deep the deepest of them are (0: a smooth brow, 1: a plain frown).
        """
        width = self.frame.width
        ex, ey = self._axes()
        inner_r, inner_l, root = self.points[55], self.points[285], self.points[168]
        mid = 0.5 * (inner_r + inner_l)
        half = max(0.5 * float(np.linalg.norm(inner_l - inner_r)), 0.04 * width)
        top = mid - 0.09 * ey
        canvas = self._canvas([top - 0.06 * ex, top + 0.06 * ex, root], reach=0.02)
        x0, y0, x1, y1 = canvas.box
        valley = self._fold_valley(canvas.box, 0.06)
        # An upright ellipse over the glabella, soft edged.
        rel = canvas.pixels - 0.5 * (top + root)
        across = (rel @ self.frame.ex) / (0.9 * half)
        down = (rel @ self.frame.ey) / max(0.5 * float((root - top) @ self.frame.ey), 1.0)
        zone = (1.0 - smoothstep(0.7, 1.0, np.hypot(across, down))).reshape(canvas.shape)
        zone = zone * self._skin(canvas.box, blur=0.02 * width)
        if self.rigid is not None:
            zone = zone * (1.0 - np.clip(gaussian_filter(self.rigid[y0:y1, x0:x1].astype(np.float64), self.sigma) * 3.0, 0.0, 1.0))
        depth = valley.mean(axis=0) * zone
        inside = zone > 0.5
        if inside.any():
            self.frown_at_rest = float(np.clip((np.percentile(depth[inside], 95) - _FROWN_FROM) / _FROWN_SPAN, 0.0, 1.0))
        canvas.log = _FROWN_EASE * valley * zone
        return [canvas]

    def _corner_pockets(self) -> list[_Canvas]:
        """The dark pockets beside a grin's mouth corners, lifted to the skin around them when its smile is undone.

        A grin presses its corners into the cheeks, and the shadow there sits just outside MediaPipe's lip contour:
        the warp carries it along with the corners, and a calm or angry mouth whose corners still end in those dark
        hooks reads as a smirk. Measured like the folds (a grey closing fills the pocket in), in a disc around each
        corner, outside the lips.
        """
        width = self.frame.width
        canvases = []
        for corner in (61, 291):
            centre = self.points[corner]
            canvas = self._canvas([centre], reach=0.06)
            valley = self._valley(canvas.box, 0.06, self.sigma, _POCKET_MAX_LIFT)
            near = 1.0 - smoothstep(_POCKET_RADIUS[0] * width, _POCKET_RADIUS[1] * width,
                                    np.linalg.norm(canvas.pixels - centre, axis=1)).reshape(canvas.shape)
            outside = 1.0 - self._lips(canvas.box, grow=0.0, feather=0.01)
            canvas.log = _POCKET_EASE * valley * (near * outside)
            canvases.append(canvas)
        return canvases

    def _lips(self, box: tuple[int, int, int, int], grow: float, feather: float) -> np.ndarray:
        """(h, w) 0..1 over a box: inside the outer lip contour grown by `grow` face widths, ramping over `feather`."""
        x0, y0, x1, y1 = box
        return polygon_coverage(self.points[LIPS_OUTER] - (x0, y0), np.arange(x1 - x0), np.arange(y1 - y0),
                                inset=-grow * self.frame.width, feather=feather * self.frame.width)

    def _fold_guide(self, side: float, path: list[int], corner: int, off_wing: float,
                    beside: tuple[tuple[float, float], ...]) -> np.ndarray:
        """A nasolabial fold's landmark guide (pixels): its path beside the nose wing moved `off_wing` face widths
        outwards, then points beside the mouth corner at (outwards, down) face widths."""
        ex, ey = self._axes()
        beside_mouth = [self.points[corner] + side * out * ex + down * ey for out, down in beside]
        return np.concatenate([self.points[path] + side * off_wing * ex, beside_mouth])

    def _fold_valley(self, box: tuple[int, int, int, int], reach: float) -> np.ndarray:
        """_valley for a photo's own folds (smile folds, frown furrows): measured down to their narrow dark centre
        (see _FOLD_DETAIL) and smoothed as little."""
        detail = _FOLD_DETAIL * self.sigma
        valley = self._valley(box, reach, 2.0 * self.sigma, _FOLD_LIMIT, detail=detail)
        return np.stack([gaussian_filter(channel, detail) for channel in valley])

    def _valley(self, box: tuple[int, int, int, int], reach: float, fill_sigma: float, limit: float,
                detail: float | None = None) -> np.ndarray:
        """(3, h, w) log of how much each pixel of a box must brighten to reach its filled-in level: a grey closing
        `reach` face widths wide fills dark valleys (folds, pockets) in. Per channel: a shadow is also more saturated
        than the skin around it, so lifting each channel to its own level restores the skin's colour too (and a grey
        photo stays grey). Clipped to 0..limit."""
        x0, y0, x1, y1 = box
        size = max(3, int(round(reach * self.frame.width)) | 1)
        valley = np.empty((3, y1 - y0, x1 - x0))
        for c in range(3):
            channel = gaussian_filter(self.rgb[y0:y1, x0:x1, c], self.sigma if detail is None else detail)
            filled = gaussian_filter(grey_closing(channel, size=(size, size)), fill_sigma)
            valley[c] = np.clip(np.log((filled + 1.0) / (channel + 1.0)), 0.0, limit)
        return valley

    def _trace_fold(self, guide: np.ndarray, depth: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
        """The guide curve moved sideways, point by point, onto the deepest valley within reach (smoothly)."""
        tangent = np.gradient(guide, axis=0)
        tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
        normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
        offsets = np.linspace(-0.04, 0.04, 17) * self.frame.width
        probes = guide[:, None, :] + offsets[None, :, None] * normal[:, None, :] - np.asarray(origin)
        found = map_coordinates(depth, [probes[..., 1].ravel(), probes[..., 0].ravel()], order=1, mode="constant")
        found = found.reshape(probes.shape[:2]) - 0.02 * np.abs(offsets) / offsets.max()  # ties: stay near the guide
        shift = gaussian_filter1d(offsets[found.argmax(axis=1)], 1.5, mode="nearest")
        return guide + shift[:, None] * normal

    def _add(self, control: str, canvas: _Canvas) -> None:
        x0, y0, x1, y1 = canvas.box
        if x1 <= x0 or y1 <= y0 or not np.any(canvas.log):
            return
        inside = np.all((self.vertices >= (x0, y0)) & (self.vertices <= (x1, y1)), axis=1)
        anchors = np.flatnonzero(inside)
        if len(anchors) < 3:
            return
        if control not in _RELEASES:  # creases only where the photo shows skin (the releases judge that themselves)
            canvas.log *= self._skin(canvas.box)
        # Fade to nothing at the map's border, so that no tail of a soft shape ends in a visible edge.
        h, w = canvas.shape
        ramp = 3.0 * self.sigma
        window = np.outer(smoothstep(0.0, ramp, np.minimum(np.arange(h), h - 1 - np.arange(h))),
                          smoothstep(0.0, ramp, np.minimum(np.arange(w), w - 1 - np.arange(w))))
        canvas.log = canvas.log * window
        spill = np.concatenate([self.vertices[anchors].min(axis=0) - (x0, y0), (x1, y1) - self.vertices[anchors].max(axis=0)])
        log = torch.from_numpy(canvas.log.astype(np.float32).reshape(-1, *canvas.shape))
        self.layers.append(_Layer(CONTROL_INDEX[control], canvas.box, log, anchors, float(spill.max()) + 2.0))

    # ---- per frame ------------------------------------------------------------------------------------------
    def apply(self, region: torch.Tensor, origin: tuple[int, int], skin: np.ndarray, row: np.ndarray,
              coords: torch.Tensor) -> None:
        """Shade `region` (3, h, w) float, whose pixel (0, 0) is frame pixel `origin`, in place.

        skin: the posed mesh vertices; row: the frame's controls; coords: (h, w, 2) where each region pixel
        takes its colour from in the photo (the skin warp), which carries the maps along with the skin.
        """
        ox, oy = origin
        _, height, width = region.shape
        for layer in self.layers:
            strength = min(float(row[layer.control]), _SHADE_TOPS.get(layer.control, np.inf))
            if strength < _MIN_CONTROL:
                continue
            posed = skin[layer.anchors]
            lo = np.floor(posed.min(axis=0) - layer.margin).astype(int) - (ox, oy)
            hi = np.ceil(posed.max(axis=0) + layer.margin).astype(int) + 1 - (ox, oy)
            bx0, by0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
            bx1, by1 = min(int(hi[0]), width), min(int(hi[1]), height)
            if bx1 <= bx0 or by1 <= by0:
                continue
            x0, y0, _, _ = layer.box
            log = sample(layer.log_shade, coords[by0:by1, bx0:bx1], origin=(x0, y0), padding="zeros")
            region[:, by0:by1, bx0:bx1] *= torch.exp(log * strength)
