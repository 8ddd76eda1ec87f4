"""The deformation mesh: MediaPipe's face triangles, strips over the eye and mouth openings, two rings outside the face.

The rasterizer inverts a piecewise-affine warp exactly: each destination triangle is scanned on a grid and its
pixels get the source position that maps onto them (vectorised over all triangles at once).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ectfg_core.render.geometry import EYES, LOWER_INNER, OVAL, UPPER_INNER, FaceFrame

NUM_MESH_LANDMARKS = 468  # the iris points are not part of the surface
RING_OFFSETS = (0.10, 0.30)  # face widths outside the oval: skin/hair that follows the face, then the fixed border


TRIANGLES_FILE = "face_mesh_triangles.txt"  # in ectfg_core/assets/: MediaPipe's topology (Apache-2.0), see its header


@functools.lru_cache(maxsize=1)
def face_triangles() -> np.ndarray:
    """(F, 3) triangles of the MediaPipe face mesh (it has holes at the eyes and the mouth).

    Read from the package, not from mediapipe: the topology is the same for every engine, and ComfyUI's own face
    landmarker or mediapipe 1.x (no `mp.solutions`) must not need the legacy module for it.
    """
    text = (resources.files("ectfg_core") / "assets" / TRIANGLES_FILE).read_text(encoding="utf-8")
    return np.array([line.split() for line in text.splitlines() if line and not line.startswith("#")], dtype=np.int64)


def triangles_from_edges(edges) -> np.ndarray:
    """(F, 3) sorted triangles of a tessellation given as edges (how the packaged file was made from mediapipe's)."""
    edges = [tuple(e) for e in edges]
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    # The triangles are the 3-cycles, minus the few that are not faces
    # (a non-face 3-cycle is recognisable because each of its edges then borders three triangles).
    cycles = {tuple(sorted((a, b, c))) for a, b in edges for c in neighbours[a] & neighbours[b]}
    edge_count: dict[tuple[int, int], int] = defaultdict(int)
    for a, b, c in cycles:
        for edge in ((a, b), (a, c), (b, c)):
            edge_count[edge] += 1
    faces = [t for t in cycles if not all(edge_count[e] > 2 for e in ((t[0], t[1]), (t[0], t[2]), (t[1], t[2])))]
    return np.array(sorted(faces), dtype=np.int64)


def strip_triangles(upper: list[int], lower: list[int]) -> np.ndarray:
    """Triangles filling the opening between two index-aligned contours that share their end points."""
    tris = []
    for i in range(len(upper) - 1):
        a, b, c, d = upper[i], upper[i + 1], lower[i], lower[i + 1]
        if i == 0:  # shared corner: one triangle
            tris.append((a, b, d))
        elif i == len(upper) - 2:
            tris.append((a, b, c))
        else:
            tris.extend([(a, b, d), (a, d, c)])
    return np.array(tris, dtype=np.int64)


def ring_triangles(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Quads between two closed rings of equal length, split in two."""
    n = len(inner)
    tris = []
    for i in range(n):
        j = (i + 1) % n
        tris.extend([(inner[i], inner[j], outer[j]), (inner[i], outer[j], outer[i])])
    return np.array(tris, dtype=np.int64)


@dataclass
class Mesh:
    """Vertices (pixels) and triangles; the first 468 vertices are the MediaPipe landmarks."""

    vertices: np.ndarray  # (V, 2) float64
    surface: np.ndarray  # (S, 3) skin triangles: face + rings, the surface the rig deforms smoothly
    openings: np.ndarray  # (O, 3) strips over the eyes and the mouth, stretched or squeezed, drawn under the skin
    ring1: np.ndarray  # vertex ids of the inner ring
    ring2: np.ndarray  # vertex ids of the outer ring (held still)

    @property
    def triangles(self) -> np.ndarray:
        """All triangles in drawing order: openings first so that skin wins where they overlap."""
        return np.concatenate([self.openings, self.surface])


def build_mesh(points: np.ndarray, frame: FaceFrame, depth: np.ndarray | None = None) -> Mesh:
    """The mesh for one portrait from its 478 landmarks (pixels) and their depth (smaller = closer), if known."""
    pts = np.asarray(points, dtype=np.float64)[:NUM_MESH_LANDMARKS]
    oval = pts[OVAL]
    # Outward direction per oval point: the contour normal blended with the radial direction, which keeps
    # the rings from crossing where the oval is sharply curved (chin, temples).
    tangent = np.roll(oval, -1, axis=0) - np.roll(oval, 1, axis=0)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    radial = oval - oval.mean(axis=0)
    normal *= np.sign((normal * radial).sum(axis=1, keepdims=True))  # outward, whatever the winding
    direction = normal / np.linalg.norm(normal, axis=1, keepdims=True) + radial / np.linalg.norm(radial, axis=1, keepdims=True)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    rings = [oval + direction * (offset * frame.width) for offset in RING_OFFSETS]
    ring1 = np.arange(NUM_MESH_LANDMARKS, NUM_MESH_LANDMARKS + len(OVAL))
    ring2 = ring1 + len(OVAL)
    vertices = np.concatenate([pts, rings[0], rings[1]])
    surface = np.concatenate([ring_triangles(ring1, ring2), ring_triangles(np.array(OVAL), ring1), face_by_depth(pts, depth)])
    openings = np.concatenate([strip_triangles(UPPER_INNER, LOWER_INNER)] + [strip_triangles(u, lo) for u, lo in EYES.values()])
    return Mesh(vertices=vertices, surface=surface, openings=openings, ring1=ring1, ring2=ring2)


def face_by_depth(points: np.ndarray, depth: np.ndarray | None) -> np.ndarray:
    """The face triangles in painter's order: the farthest first, so that where a turned face folds over itself in
    the picture (the far cheek behind the nose) the nearer surface is drawn last and wins, as it does in the photo."""
    triangles = face_triangles()
    if depth is None:
        return triangles
    z = np.asarray(depth, dtype=np.float64)[:NUM_MESH_LANDMARKS]
    order = np.argsort(-z[triangles].mean(axis=1), kind="stable")
    return triangles[order]


_INSIDE_TOLERANCE = 1e-4  # barycentric slack: points on an edge shared by two triangles belong to both (the later wins)


def scan_inverse(triangles: np.ndarray, source: np.ndarray, destination: np.ndarray, origin: tuple[float, float],
                 step: float, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Scan the destination triangles on a grid (pixel (0, 0) at origin, spacing step, shape rows x cols).

    Returns source positions (rows, cols, 2) float32 and a (rows, cols) bool mask of the covered grid points.
    Later triangles overwrite earlier ones (numpy assigns repeated indices in order): skin over openings.
    """
    rows, cols = shape
    covered = np.zeros(rows * cols, dtype=bool)
    tri = np.asarray(triangles, dtype=np.int64)
    dst = (np.asarray(destination, dtype=np.float64) - np.asarray(origin)) / step  # grid units
    a, b, c = dst[tri[:, 0]], dst[tri[:, 1]], dst[tri[:, 2]]
    lo = np.maximum(np.ceil(np.minimum(np.minimum(a, b), c) - 1e-6), 0)
    hi = np.minimum(np.floor(np.maximum(np.maximum(a, b), c) + 1e-6), [cols - 1, rows - 1])
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    ids = np.flatnonzero((hi[:, 0] >= lo[:, 0]) & (hi[:, 1] >= lo[:, 1]) & (np.abs(det) > 1e-9))
    if len(ids) == 0:
        return np.zeros((rows, cols, 2), dtype=np.float32), covered.reshape(rows, cols)
    tri, a, e1, e2, det, lo, hi = tri[ids], a[ids], e1[ids], e2[ids], det[ids], lo[ids], hi[ids]
    # Barycentric coordinates are affine in the grid position, l_i = k_i . (x, y, 1); so is the source position.
    k1 = np.stack([e2[:, 1], -e2[:, 0], e2[:, 0] * a[:, 1] - e2[:, 1] * a[:, 0]], axis=1) / det[:, None]
    k2 = np.stack([-e1[:, 1], e1[:, 0], e1[:, 1] * a[:, 0] - e1[:, 0] * a[:, 1]], axis=1) / det[:, None]
    k0 = np.array([0.0, 0.0, 1.0]) - k1 - k2
    src = np.asarray(source, dtype=np.float64)
    s0 = src[tri[:, 0]]
    affine = (src[tri[:, 1]] - s0)[:, :, None] * k1[:, None, :] + (src[tri[:, 2]] - s0)[:, :, None] * k2[:, None, :]
    affine[:, :, 2] += s0
    # One span per (triangle, grid row of its box): the points inside are those where all three l_i >= -tolerance,
    # each a half-line in x, so no point outside the triangle is ever visited.
    # Per-triangle values are looked up per span (and per point) from contiguous 1-D rows: np.take on those is
    # several times quicker than fancy-indexing columns of (triangles, n) arrays.
    coef = np.ascontiguousarray(np.concatenate([k0, k1, k2], axis=1).T)  # (9, triangles): k0..k2, each (x, y, 1)
    maps = np.ascontiguousarray(affine.reshape(len(tri), 6).T)  # (6, triangles): source x row, source y row
    heights = (hi[:, 1] - lo[:, 1] + 1).astype(np.int64)
    owner = np.repeat(np.arange(len(tri)), heights)
    lo_x, lo_y, hi_x = np.ascontiguousarray(lo[:, 0]), np.ascontiguousarray(lo[:, 1]), np.ascontiguousarray(hi[:, 0])
    y = lo_y.take(owner) + (np.arange(int(heights.sum())) - np.repeat(np.cumsum(heights) - heights, heights))
    left, right = lo_x.take(owner), hi_x.take(owner)
    with np.errstate(divide="ignore", invalid="ignore"):  # once: entering errstate costs as much as a small ufunc
        for k in range(3):
            slope = coef[3 * k].take(owner)
            level = coef[3 * k + 1].take(owner) * y + coef[3 * k + 2].take(owner)
            bound = (-_INSIDE_TOLERANCE - level) / slope
            left = np.where(slope > 0, np.maximum(left, bound), left)
            right = np.where(slope < 0, np.minimum(right, bound), right)
            right = np.where((slope == 0) & (level < -_INSIDE_TOLERANCE), -1.0, right)
    left, right = np.ceil(left), np.floor(right)
    counts = np.maximum(right - left + 1, 0).astype(np.int64)
    # Every grid point of every span, in drawing order (later triangles overwrite earlier ones).
    total = int(counts.sum())
    steps = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    along = steps.astype(np.float64)
    flat = np.repeat((y * cols + left).astype(np.int64), counts) + steps
    columns = []
    for axis in range(2):  # written into contiguous 1-D columns (scattering into a strided column is slower)
        mx, my, mc = (maps[3 * axis + j].take(owner) for j in range(3))
        start = mx * left + my * y + mc
        value = np.repeat(mx, counts)
        value *= along
        value += np.repeat(start, counts)
        column = np.zeros(rows * cols, dtype=np.float32)
        column[flat] = value
        columns.append(column)
    covered[flat] = True
    out = np.stack(columns, axis=-1)
    return out.reshape(rows, cols, 2), covered.reshape(rows, cols)
