"""Small raster helpers for the eye and mouth layers: anti-aliased polygons, affine fits, crop boxes."""

from __future__ import annotations

import numpy as np


def polygon_coverage(polygon: np.ndarray, xs: np.ndarray, ys: np.ndarray, inset: float = 0.0, feather: float = 1.0) -> np.ndarray:
    """(len(ys), len(xs)) float32 in 0..1: pixel coverage of a closed polygon, ramping over `feather` pixels.

    inset > 0 shrinks the polygon (pixels), < 0 grows it.
    """
    poly = np.asarray(polygon, dtype=np.float64)
    # Edges on the first axis, (edges, rows, cols): each per-edge array is contiguous and the reductions over the
    # edges are element-wise minimum/xor of whole planes (over a short last axis they were most of the cost).
    px = np.asarray(xs, dtype=np.float64)[None, None, :]
    py = np.asarray(ys, dtype=np.float64)[None, :, None]
    a = poly[:, None, None, :]
    b = np.roll(poly, -1, axis=0)[:, None, None, :]
    ax, ay, bx, by = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    ex, ey = bx - ax, by - ay
    length2 = np.maximum(ex * ex + ey * ey, 1e-12)
    rx, ry = px - ax, py - ay  # (edges, 1, cols) and (edges, rows, 1)
    t = np.clip((rx * ex + ry * ey) / length2, 0.0, 1.0)
    dist = np.sqrt(((rx - t * ex) ** 2 + (ry - t * ey) ** 2).min(axis=0))
    inside = np.logical_xor.reduce(_crossed(ax, ay, bx, by, px, py), axis=0)
    signed = np.where(inside, dist, -dist)
    return np.clip((signed - inset) / feather + 0.5, 0.0, 1.0).astype(np.float32)


def points_inside(polygon: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N,) bool: which points lie inside a closed polygon (even-odd rule; points on an edge may go either way)."""
    poly = np.asarray(polygon, dtype=np.float64)
    px, py = (np.asarray(points, dtype=np.float64)[:, None, k] for k in (0, 1))
    ax, ay = poly[None, :, 0], poly[None, :, 1]
    bx, by = np.roll(poly, -1, axis=0)[None, :, 0], np.roll(poly, -1, axis=0)[None, :, 1]
    return np.logical_xor.reduce(_crossed(ax, ay, bx, by, px, py), axis=1)


def _crossed(ax, ay, bx, by, px, py) -> np.ndarray:
    """Even-odd rule: which edges (a -> b) a ray from (px, py) to the right crosses (arrays broadcast together)."""
    ey = by - ay
    return ((ay > py) != (by > py)) & (px < ax + (py - ay) * (bx - ax) / np.where(ey == 0, 1e-12, ey))


def fit_affine(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares affine map source -> target."""
    # In closed form about the centroids (the linear part solves a 2x2 system): no LAPACK call, whose thread pool
    # would otherwise wake and spin beside every frame.
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - src_mean, dst - dst_mean
    (a, b), (_, c) = s.T @ s
    cross = d.T @ s
    det = a * c - b * b
    if abs(det) <= 1e-12 * max(a * c, 1e-300):  # degenerate (collinear) points: the minimum-norm solution
        design = np.concatenate([src, np.ones((len(src), 1))], axis=1)
        return np.linalg.lstsq(design, dst, rcond=None)[0].T
    linear = cross @ (np.array([[c, -b], [-b, a]]) / det)
    return np.concatenate([linear, (dst_mean - linear @ src_mean)[:, None]], axis=1)


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """(2, 3) inverse of a (2, 3) affine map, in closed form (LAPACK's call overhead dominates at this size)."""
    (a, b, tx), (c, d, ty) = np.asarray(matrix, dtype=np.float64)
    det = a * d - b * c
    inv = np.array([[d, -b], [-c, a]]) / det
    return np.concatenate([inv, -(inv @ np.array([tx, ty]))[:, None]], axis=1)


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def box_around(points: np.ndarray, pad: float, limits: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """Integer box (x0, y0, x1, y1), end exclusive, around points plus pad, clipped to limits; None if empty."""
    pts = np.asarray(points, dtype=np.float64)
    x0 = max(int(np.floor(pts[:, 0].min() - pad)), limits[0])
    y0 = max(int(np.floor(pts[:, 1].min() - pad)), limits[1])
    x1 = min(int(np.ceil(pts[:, 0].max() + pad)) + 1, limits[2])
    y1 = min(int(np.ceil(pts[:, 1].max() + pad)) + 1, limits[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1
