"""Eyeglasses: found once per portrait, then carried rigidly by the head, never bent by the brows or lids.

Detection is an image heuristic around the landmarks. A frame shows first at the bridge: a bar across the nose
between the inner eye corners, whose two long edges run straight across the whole gap where bare skin is smooth;
no such bar, no glasses (a bare face must not get a mask: it would freeze the brows). Around the eyes the rim is
traced as the strongest continuous line on rings outside the lids (both eyes' evidence summed, mirrored); the
frame's mask is what a morphological top-hat finds along that trace, no wider than the rim, plus the bridge bar.

For rendering the portrait is split into the frame (premultiplied by its soft mask) and the skin under it, filled
in from the skin around: the skin warp and the eye layers sample the filled copy, so no bent copy of the rims is
left behind, and the frame is laid over the result, moved by the head alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from ectfg_core.render.geometry import eye_polygon
from ectfg_core.render.raster import polygon_coverage
from ectfg_core.render.sampling import pixel_grid, sample

_CORNERS = {"right": (33, 133), "left": (263, 362)}  # (outer, inner) eye corners
_LUMA = np.array([0.299, 0.587, 0.114])
# The bridge bar: searched between these heights (fractions of the inner-corner gap, + down) and across the middle
# of the gap; a bridge's two edges must each be this consistent across the gap and this strong against the skin.
_BRIDGE_ROWS = (-0.6, 0.15)
_BRIDGE_SPAN = 0.3
_BRIDGE_SLOPES = np.tan(np.radians([0.0, -5.0, 5.0, -10.0, 10.0]))
_BRIDGE_MIN_CONSISTENCY = 0.8
_BRIDGE_MIN_SCORE = 2.5
# A thick frame's bridge is often a saddle: its top edge runs straight across, its lower edge arches down into the
# rims, so no single row holds it. Found column by column, that lower edge must be consistent as well, and both
# edges this much stronger than a straight pair's (over 85 portraits: two thick frames 4.3 and 5.3, Hopper's 3.6;
# of 79 bare faces, a hand's shadow across the brow 2.9 and a knitted brow 2.1, the rest below 1.8).
_ARCHED_MIN_SCORE = 3.3
# Rim trace: rings from just outside the lids to well past the brows, as multiples of the eye's half width.
_RING_SCALES = (1.05, 3.0)
_RING_ASPECT = 0.8  # rings are flatter than circles, like lenses
_ANGLES = 144
_RINGS = 72
_MAX_STEP = 2  # rings per angle step: enough for a rounded-rectangle corner
# Skin to fill the frame's place from: beside the nose and below the eyes, and how far from it a pixel may be.
_CHEEKS = [50, 280, 101, 330, 205, 425, 36, 266]
_SKIN_CHROMA = 0.05
_SKIN_LUMA = (0.45, 1.6)
_AROUND = 6  # px: the ring outside the frame whose skin also counts


@dataclass
class Glasses:
    """What was found on one portrait."""

    present: bool
    mask: np.ndarray  # (H, W) float32 0..1: the frame (rims, bridge), soft edged
    box: tuple[int, int, int, int] | None  # (x0, y0, x1, y1) end exclusive around the mask; None when absent
    bare: np.ndarray | None = None  # (H, W, 3) float32: the portrait with the frame replaced by the skin under it


def _none(shape: tuple[int, int]) -> Glasses:
    return Glasses(False, np.zeros(shape, dtype=np.float32), None)


def _axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    axis = points[263] - points[33]
    ex = axis / max(np.linalg.norm(axis), 1e-6)
    return ex, np.array([-ex[1], ex[0]])


def _bridge(luma: np.ndarray, points: np.ndarray, ex: np.ndarray, ey: np.ndarray) -> tuple[float, float, float, float, float]:
    """(score, top, bottom, sign, slope): how clearly a bar crosses the nose between the eyes, its edges (px along
    ey at the middle), the sign of its top edge's derivative (negative: the bar is darker than the skin), and its
    slope against the eye line (a frame sits a little askew on many faces).

    Each row of a patch across the nose is scored by its mean vertical derivative against the skin's own
    derivative level, counted only where nearly every column agrees in sign: a bar's edges run straight
    across; wrinkles and shading fade out. The bar needs two such edges of opposite sign (dark on light, or
    light on dark) a plausible thickness apart; the lower one may also arch (see _ARCHED_MIN_SCORE), and such a
    pair's score is given on the straight pair's scale.
    """
    inner_r, inner_l = points[133], points[362]
    gap = float(np.linalg.norm(inner_l - inner_r))
    mid = (inner_r + inner_l) / 2
    us = np.linspace(-_BRIDGE_SPAN, _BRIDGE_SPAN, 25) * gap
    vs = np.arange(_BRIDGE_ROWS[0] * gap, _BRIDGE_ROWS[1] * gap, 1.0)
    best = (0.0, 0.0, 0.0, 0.0, 0.0)
    for slope in _BRIDGE_SLOPES:
        xy = mid + us[None, :, None] * ex + (vs[:, None, None] + slope * us[None, :, None]) * ey
        patch = ndimage.map_coordinates(luma, [xy[..., 1], xy[..., 0]], order=1)
        d = ndimage.gaussian_filter1d(patch, 1.0, axis=0, order=1)
        mean = d.mean(axis=1)
        agree = ((np.sign(d) == np.sign(mean)[:, None]) & (np.abs(d) > 2.0)).mean(axis=1)
        texture = float(np.median(np.abs(d))) + 0.5
        score = np.abs(mean) / texture * (agree >= _BRIDGE_MIN_CONSISTENCY)
        thick_max = 0.4 * gap
        for i in np.flatnonzero(score > 1.0):
            for j in range(i + 2, min(len(vs), i + int(thick_max) + 1)):
                if np.sign(mean[j]) != -np.sign(mean[i]) or score[j] <= 0:
                    continue
                pair = min(score[i], score[j])
                if pair > best[0]:
                    best = (float(pair), float(vs[i]), float(vs[j]), float(mean[i]), float(slope))
            # Or a lower edge that arches, scored on the straight pair's scale (see _ARCHED_MIN_SCORE).
            arched = _arched_lower_edge(d[i + 2 : i + int(thick_max) + 1], float(mean[i]), texture)
            if arched is None:
                continue
            pair = min(score[i], arched[0]) * _BRIDGE_MIN_SCORE / _ARCHED_MIN_SCORE
            if pair > best[0]:
                best = (float(pair), float(vs[i]), float(vs[i + 2 + arched[1]]), float(mean[i]), float(slope))
    return best


def _arched_lower_edge(d: np.ndarray, top_mean: float, texture: float) -> tuple[float, int] | None:
    """(strength against the skin's texture, row offset) of a bar's lower edge read column by column below its top
    edge: each column's strongest edge of the opposite sign in `d` (rows below the top, columns across the nose);
    None unless nearly every column has one."""
    below = -np.sign(top_mean) * d
    if len(below) == 0 or (below.max(axis=0) > 2.0).mean() < _BRIDGE_MIN_CONSISTENCY:
        return None
    # The bar's own rows end where the arch is highest (a quartile of the columns' edges), not where the rims descend
    # at its sides.
    return float(np.median(below.max(axis=0))) / texture, int(np.percentile(below.argmax(axis=0), 25))


def _line_strength(luma: np.ndarray, scale: float, dark: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale-normalized second derivatives (Ixx, Ixy, Iyy) of the luma, negated for light lines.

    Across a dark line the curvature is positive, so n^T H n > 0 along its normal n.
    """
    sign = 1.0 if dark else -1.0
    return tuple(sign * scale**2 * ndimage.gaussian_filter(luma, scale, order=o) for o in ((0, 2), (1, 1), (2, 0)))


def _ring_scores(hessians: list[tuple[np.ndarray, np.ndarray, np.ndarray]], points: np.ndarray, side: str,
                 ex: np.ndarray, ey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((A, R) line strength across the rings, (A, R, 2) pixel positions) around one eye.

    Rings are scaled to the eye's half width; angles start towards image right and turn downwards.
    """
    outer, inner = _CORNERS[side]
    centre = points[eye_polygon(side)].mean(axis=0)
    half = float(np.linalg.norm(points[outer] - points[inner])) / 2
    theta = np.linspace(0.0, 2 * np.pi, _ANGLES, endpoint=False)
    scales = np.linspace(*_RING_SCALES, _RINGS)
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    xy = centre + scales[None, :, None] * half * (cos * ex + _RING_ASPECT * sin * ey)
    normal = np.cos(theta)[:, None] * ex + (np.sin(theta) / _RING_ASPECT)[:, None] * ey
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    nx, ny = normal[:, None, 0], normal[:, None, 1]
    score = np.zeros(xy.shape[:2])
    for hxx, hxy, hyy in hessians:
        at = [ndimage.map_coordinates(h, [xy[..., 1], xy[..., 0]], order=1) for h in (hxx, hxy, hyy)]
        score = np.maximum(score, at[0] * nx * nx + 2 * at[1] * nx * ny + at[2] * ny * ny)
    return score, xy


def _best_path(score: np.ndarray) -> np.ndarray:
    """(A,) ring per angle: the path of highest total score that moves at most _MAX_STEP rings per angle."""
    angles, rings = score.shape
    total = score[0].copy()
    back = np.zeros(score.shape, dtype=np.int64)
    index = np.arange(rings)
    steps = np.arange(-_MAX_STEP, _MAX_STEP + 1)
    for k in range(1, angles):
        padded = np.concatenate([np.full(_MAX_STEP, -np.inf), total, np.full(_MAX_STEP, -np.inf)])
        stacked = np.stack([padded[_MAX_STEP + d : _MAX_STEP + d + rings] for d in steps])
        step = stacked.argmax(axis=0)
        back[k] = index + steps[step]
        total = stacked[step, index] + score[k]
    path = np.empty(angles, dtype=np.int64)
    path[-1] = int(total.argmax())
    for k in range(angles - 1, 0, -1):
        path[k - 1] = back[k, path[k]]
    return path


def _trace_rims(hessians: list[tuple[np.ndarray, np.ndarray, np.ndarray]], points: np.ndarray, ex: np.ndarray,
                ey: np.ndarray) -> list[np.ndarray]:
    """Both rims, (A, 2) pixels each: the strongest closed line around the eyes, traced as one mirrored shape.

    A frame is symmetric, so the two eyes' evidence is summed (the left eye's angles mirrored): a rim faint on
    one side is carried by the other, and a wrinkle on one side only does not pull the trace.
    """
    right, right_xy = _ring_scores(hessians, points, "right", ex, ey)
    left, left_xy = _ring_scores(hessians, points, "left", ex, ey)
    mirror = (_ANGLES // 2 - np.arange(_ANGLES)) % _ANGLES
    path = _best_path(right + left[mirror])
    return [right_xy[np.arange(_ANGLES), path], left_xy[mirror, path]]


def _fill(image: np.ndarray, hole: np.ndarray, sigma: float, avoid: np.ndarray | None = None) -> np.ndarray:
    """The image with `hole` pixels filled from around them (normalized convolution, widening until all filled).

    Pixels in `avoid` (the eyes) are not used as a source.
    """
    keep = (~hole if avoid is None else ~hole & ~avoid).astype(np.float64)
    filled = image.astype(np.float64).copy()
    todo = hole.copy()
    while todo.any() and sigma < 10 * max(image.shape[:2]):
        weight = ndimage.gaussian_filter(keep, sigma)
        values = np.stack([ndimage.gaussian_filter(image[..., c] * keep, sigma) for c in range(image.shape[2])], -1)
        ok = todo & (weight > 1e-3)
        filled[ok] = values[ok] / weight[ok, None]
        todo &= ~ok
        sigma *= 2
    return filled


def _skin_under(image: np.ndarray, hole: np.ndarray, avoid: np.ndarray) -> np.ndarray:
    """The skin under `hole`: a smooth fill plus the fine texture mirrored in from across the hole's edge.

    A smooth fill alone shows as a blurred band once the brows slide skin out from under the rims.
    """
    smooth = _fill(image, hole, 1.0, avoid)
    detail = image - ndimage.gaussian_filter(smooth, (1.5, 1.5, 0))
    outside = ~hole & ~avoid
    distance, (ny, nx) = ndimage.distance_transform_edt(~outside, return_indices=True)
    ys, xs = np.indices(hole.shape)
    my = np.clip(2 * ny - ys, 0, hole.shape[0] - 1)
    mx = np.clip(2 * nx - xs, 0, hole.shape[1] - 1)
    usable = outside[my, mx]
    my, mx = np.where(usable, my, ny), np.where(usable, mx, nx)
    return np.where(hole[..., None], smooth + detail[my, mx], image)


def _bright_as(pixels: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Pixels whose brightness is within a shadow's or a highlight's reach of a skin colour's."""
    luma = pixels @ _LUMA / max(float(skin @ _LUMA), 1.0)
    return (luma > _SKIN_LUMA[0]) & (luma < _SKIN_LUMA[1])


def _near(pixels: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Pixels near a skin colour: its chromaticity, and a brightness within reach of it (_bright_as)."""
    total = pixels.sum(axis=-1, keepdims=True)
    chroma = pixels / np.maximum(total, 1.0) - skin / max(float(skin.sum()), 1.0)
    return (np.abs(chroma).max(axis=-1) < _SKIN_CHROMA) & _bright_as(pixels, skin)


def _skin_like(crop: np.ndarray, image: np.ndarray, points: np.ndarray, around: np.ndarray) -> np.ndarray:
    """(h, w) bool: pixels of crop near the cheeks' colour or near the skin `around` the frame; a gray photo is
    judged by brightness alone.

    The skin a frame sits on (brow, temples, the nose's bridge) is often paler or yellower than the cheeks; judged
    by the cheeks alone, half of an older face's brow was refused, and the few pixels left made pale blotches."""
    cheeks = np.clip(np.round(points[_CHEEKS]).astype(int), 0, [image.shape[1] - 1, image.shape[0] - 1])
    skin = np.median(image[cheeks[:, 1], cheeks[:, 0]].astype(np.float64), axis=0)
    pixels = crop.astype(np.float64)
    like = _near(pixels, skin)
    # The ring's pixels as bright as skin, then those near their own median: hat, hair and the frame's edges are
    # left out of it.
    around = around & _bright_as(pixels, skin)
    if not around.any():
        return like
    ring = pixels[around & _near(pixels, np.median(pixels[around], axis=0))]
    return like | _near(pixels, np.median(ring, axis=0)) if len(ring) else like


def _polygon_mask(shape: tuple[int, int], polygon: np.ndarray, grow: float) -> np.ndarray:
    """Pixels inside a polygon, grown by `grow` px."""
    out = np.zeros(shape, dtype=bool)
    x0, y0 = np.maximum(np.floor(polygon.min(axis=0) - grow - 1), 0).astype(int)
    x1, y1 = np.ceil(polygon.max(axis=0) + grow + 2).astype(int)
    x1, y1 = min(x1, shape[1]), min(y1, shape[0])
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = polygon_coverage(polygon, np.arange(x0, x1), np.arange(y0, y1), inset=-grow) > 0
    return out


def _polyline_band(shape: tuple[int, int], polyline: np.ndarray, closed: bool) -> np.ndarray:
    """Distance (px) from every pixel to a polyline, by a distance transform of its rasterized samples."""
    pts = np.concatenate([polyline, polyline[:1]]) if closed else polyline
    dense = []
    for a, b in zip(pts[:-1], pts[1:], strict=False):
        n = int(np.ceil(np.linalg.norm(b - a) * 2)) + 1
        dense.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
    dense = np.round(np.concatenate(dense)).astype(int)
    h, w = shape
    ok = (dense[:, 0] >= 0) & (dense[:, 0] < w) & (dense[:, 1] >= 0) & (dense[:, 1] < h)
    seed = np.ones(shape, dtype=bool)
    seed[dense[ok, 1], dense[ok, 0]] = False
    return ndimage.distance_transform_edt(seed)


def detect_glasses(image: np.ndarray, points: np.ndarray) -> Glasses:
    """Eyeglasses on an (H, W, 3) uint8 portrait with its (478, 2) landmarks; conservative: bare faces get none."""
    image = np.asarray(image)
    points = np.asarray(points, dtype=np.float64)
    shape = image.shape[:2]
    luma = image.astype(np.float64) @ _LUMA
    ex, ey = _axes(points)
    score, top, bottom, top_sign, slope = _bridge(luma, points, ex, ey)
    if score < _BRIDGE_MIN_SCORE:
        return _none(shape)
    gap = float(np.linalg.norm(points[362] - points[133]))
    dark = top_sign < 0
    hessians = [_line_strength(luma, max(0.8, f * gap / 48), dark) for f in (1.0, 2.0)]
    rims = _trace_rims(hessians, points, ex, ey)
    # The band where the frame may be: along both rims and across the bridge, as wide as a thick frame.
    half = max(float(np.linalg.norm(points[o] - points[i])) / 2 for o, i in _CORNERS.values())
    reach = 0.5 * half
    distance = np.minimum(*[_polyline_band(shape, trace, closed=True) for trace in rims])
    mid = (points[133] + points[362]) / 2
    bar = np.stack([mid - 0.6 * gap * (ex - slope * ey), mid + 0.6 * gap * (ex + slope * ey)]) + (top + bottom) / 2 * ey
    distance = np.minimum(distance, _polyline_band(shape, bar, closed=False) - (bottom - top) / 2)
    eyes = _polygon_mask(shape, points[eye_polygon("right")], grow=0.15 * half)
    eyes |= _polygon_mask(shape, points[eye_polygon("left")], grow=0.15 * half)
    band = (distance <= reach) & ~eyes  # the eyes themselves are never frame
    # The frame is a thin line darker (or lighter, as its bridge) than the skin on both sides: a top-hat a little
    # wider than a thick rim finds it; of what it finds, only pieces the rim trace runs through are kept.
    ys, xs = np.nonzero(distance <= 2 * reach)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = luma[y0:y1, x0:x1]
    size = 2 * int(round(reach)) + 1
    line = ndimage.grey_closing(crop, size=size) - crop if dark else crop - ndimage.grey_opening(crop, size=size)
    local_band = band[y0:y1, x0:x1]
    on_trace = (distance[y0:y1, x0:x1] <= 1.0) & local_band
    level = float(np.median(line[on_trace])) if on_trace.any() else 0.0
    noise = float(np.median(line[local_band])) + 1.0
    found = (line > max(0.5 * level, 2.0 * noise)) & local_band
    labels, count = ndimage.label(found)
    keep = np.zeros(count + 1, dtype=bool)
    keep[np.unique(labels[on_trace & found])] = True
    keep[0] = False
    found = keep[labels]
    # No wider than the rim is thick where the trace runs along it: a brow or lid crease touching the rim stays skin.
    inside = ndimage.distance_transform_edt(found)[on_trace & found]
    thick = 2.0 * float(np.percentile(inside, 90)) if inside.size else 0.0
    found &= distance[y0:y1, x0:x1] <= 0.75 * thick + 1.5
    local = found * np.clip(line / max(level, 1e-6), 0.0, 1.0) ** 0.5
    # The bridge bar itself, edge to edge across the nose: a translucent bar does not stand out as a line.
    rel = np.stack(np.meshgrid(np.arange(x0, x1), np.arange(y0, y1)), axis=-1) - mid
    u, v = rel @ ex, rel @ ey
    across = v - slope * u
    local = np.maximum(local, ((np.abs(u) <= _BRIDGE_SPAN * gap) & (across >= top - 1) & (across <= bottom + 1)).astype(np.float64))
    local = ndimage.gaussian_filter(ndimage.grey_dilation(local, size=3), 0.7)
    # The frame's soft edge, and the skin filled in under it, stop at the eyes as its detection does: the eye layer
    # draws the lids and the eyeball from that skin, and an eye corner filled with skin showed as a flat patch in
    # shards of the photo's lashes whenever the lids moved (a blink, a raised lid).
    local *= ~eyes[y0:y1, x0:x1]
    mask = np.zeros(shape, dtype=np.float32)
    mask[y0:y1, x0:x1] = np.clip(local, 0.0, 1.0)
    if mask.max() < 0.5:
        return _none(shape)
    crop = image[y0:y1, x0:x1].astype(np.float64)
    ys, xs = np.nonzero(mask > 0)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    bare = image.astype(np.float32).copy()
    hole = np.zeros(shape, dtype=bool)
    hole[y0:y1, x0:x1] = ndimage.binary_dilation(local > 0, iterations=2)
    # Filled from beyond the frame's faint edges, but replacing only where the mask is: elsewhere the still shows.
    # Only skin is filled in from: the frame's own unmasked bits, a hat or hair beside it left coloured blotches
    # that showed once raised brows slid the skin out from under the rims.
    local_hole, local_eyes = hole[y0:y1, x0:x1], eyes[y0:y1, x0:x1]
    around = ndimage.binary_dilation(local_hole, iterations=_AROUND) & ~local_hole & ~local_eyes
    avoid = local_eyes | ~_skin_like(crop, image, points, around)
    bare[y0:y1, x0:x1] = np.where(local[..., None] > 0, _skin_under(crop, hole[y0:y1, x0:x1], avoid), crop)
    return Glasses(True, mask, box, bare)


class GlassesLayer:
    """The frame as a rigid layer: premultiplied colour and mask, sampled from the still by the head's motion."""

    def __init__(self, glasses: Glasses, image: np.ndarray):
        x0, y0, x1, y1 = glasses.box
        self.box = glasses.box
        alpha = glasses.mask[y0:y1, x0:x1, None]
        # The still is frame over skin: image = front + (1 - alpha) * bare, so front keeps the still exact at rest.
        front = image[y0:y1, x0:x1].astype(np.float32) - (1.0 - alpha) * glasses.bare[y0:y1, x0:x1]
        layer = np.concatenate([front, alpha], axis=2).transpose(2, 0, 1)
        self._layer = torch.from_numpy(np.ascontiguousarray(layer, dtype=np.float32))
        self.skin_source = torch.from_numpy(np.ascontiguousarray(glasses.bare.transpose(2, 0, 1)))

    def composite(self, region: torch.Tensor, origin: tuple[int, int], pivot: np.ndarray, rot: np.ndarray,
                  shift: np.ndarray) -> None:
        """Lay the frame over region (3, h, w) in place; the frame moves x -> pivot + rot (x - pivot) + shift."""
        x0, y0, x1, y1 = self.box
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64)
        moved = pivot + (corners - pivot) @ rot.T + shift
        ox, oy = origin
        _, h, w = region.shape
        bx0, by0 = np.maximum(np.floor(moved.min(axis=0)).astype(int) - 1, (ox, oy))
        bx1, by1 = np.minimum(np.ceil(moved.max(axis=0)).astype(int) + 2, (ox + w, oy + h))
        if bx1 <= bx0 or by1 <= by0:
            return
        grid = pixel_grid(bx0, by0, bx1 - bx0, by1 - by0).double()
        src = torch.from_numpy(pivot) + (grid - torch.from_numpy(pivot + shift)) @ torch.from_numpy(rot)  # rot^T: back
        layer = sample(self._layer, src.float(), origin=(x0, y0), padding="zeros")
        view = region[:, by0 - oy : by1 - oy, bx0 - ox : bx1 - ox]
        view.mul_(1.0 - layer[3:]).add_(layer[:3])
