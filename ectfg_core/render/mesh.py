"""The deformation mesh: MediaPipe's face triangles, strips over the eye and mouth openings, two rings outside the face.

The rasterizer inverts a piecewise-affine warp exactly: each destination triangle is scanned on a grid and its
pixels get the source position that maps onto them (vectorised over all triangles at once).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ectfg_core.errors import ModelError
from ectfg_core.render.geometry import EYES, LOWER_INNER, OVAL, UPPER_INNER, FaceFrame

NUM_MESH_LANDMARKS = 468  # the iris points are not part of the surface
RING_OFFSETS = (0.10, 0.30)  # face widths outside the oval: skin/hair that follows the face, then the fixed border


@functools.lru_cache(maxsize=1)
def face_triangles() -> np.ndarray:
    """(F, 3) triangles of the MediaPipe face mesh (it has holes at the eyes and the mouth)."""
    try:
        from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ModelError(f"MediaPipe is needed for the face mesh topology ({err}); install mediapipe==0.10.21") from None
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in FACEMESH_TESSELATION:
        neighbours[a].add(b)
        neighbours[b].add(a)
    # The tessellation is given as edges; its triangles are the 3-cycles, minus the few that are not faces
    # (a non-face 3-cycle is recognisable because each of its edges then borders three triangles).
    cycles = {tuple(sorted((a, b, c))) for a, b in FACEMESH_TESSELATION for c in neighbours[a] & neighbours[b]}
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


def build_mesh(points: np.ndarray, frame: FaceFrame) -> Mesh:
    """The mesh for one portrait from its 478 landmarks (pixels)."""
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
    surface = np.concatenate([face_triangles(), ring_triangles(np.array(OVAL), ring1), ring_triangles(ring1, ring2)])
    openings = np.concatenate([strip_triangles(UPPER_INNER, LOWER_INNER)] + [strip_triangles(u, lo) for u, lo in EYES.values()])
    return Mesh(vertices=vertices, surface=surface, openings=openings, ring1=ring1, ring2=ring2)


def scan_inverse(triangles: np.ndarray, source: np.ndarray, destination: np.ndarray, origin: tuple[float, float],
                 step: float, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Scan the destination triangles on a grid (pixel (0, 0) at origin, spacing step, shape rows x cols).

    Returns source positions (rows, cols, 2) float32 and a (rows, cols) bool mask of the covered grid points.
    Later triangles overwrite earlier ones (numpy assigns repeated indices in order): skin over openings.
    """
    rows, cols = shape
    out = np.zeros((rows * cols, 2), dtype=np.float32)
    covered = np.zeros(rows * cols, dtype=bool)
    tri = np.asarray(triangles, dtype=np.int64)
    dst = (np.asarray(destination, dtype=np.float64) - np.asarray(origin)) / step  # grid units
    a, b, c = dst[tri[:, 0]], dst[tri[:, 1]], dst[tri[:, 2]]
    lo = np.maximum(np.ceil(np.minimum(np.minimum(a, b), c) - 1e-6), 0)
    hi = np.minimum(np.floor(np.maximum(np.maximum(a, b), c) + 1e-6), [cols - 1, rows - 1])
    size = (hi - lo + 1).astype(np.int64)
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    ids = np.flatnonzero((size[:, 0] > 0) & (size[:, 1] > 0) & (np.abs(det) > 1e-9))
    if len(ids) == 0:
        return out.reshape(rows, cols, 2), covered.reshape(rows, cols)
    tri, e1, e2, det, lo, size = tri[ids], e1[ids], e2[ids], det[ids], lo[ids], size[ids]
    a = a[ids] - lo  # relative to each triangle's box corner: small numbers, so the per-point test runs in float32
    # Barycentric coordinates are affine in the grid position, l = k . (x, y, 1), and so is the source position
    # s0 + l1 (s1 - s0) + l2 (s2 - s0): per triangle, two 3-vectors for the inside test and a 2x3 map.
    k1 = np.stack([e2[:, 1], -e2[:, 0], e2[:, 0] * a[:, 1] - e2[:, 1] * a[:, 0]], axis=1) / det[:, None]
    k2 = np.stack([-e1[:, 1], e1[:, 0], e1[:, 1] * a[:, 0] - e1[:, 0] * a[:, 1]], axis=1) / det[:, None]
    src = np.asarray(source, dtype=np.float64)
    s0 = src[tri[:, 0]]
    affine = (src[tri[:, 1]] - s0)[:, :, None] * k1[:, None, :] + (src[tri[:, 2]] - s0)[:, :, None] * k2[:, None, :]
    affine[:, :, 2] += s0
    # Ragged expansion: one entry per (triangle, grid point of its bounding box), in drawing order.
    widths, counts = size[:, 0], size[:, 0] * size[:, 1]
    local = (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)).astype(np.int32)
    width = np.repeat(widths.astype(np.int32), counts)
    qy = local // width
    qx = local - qy * width
    fx, fy = qx.astype(np.float32), qy.astype(np.float32)
    coef = np.repeat(np.concatenate([k1, k2], axis=1).astype(np.float32), counts, axis=0)
    l1 = coef[:, 0] * fx + coef[:, 1] * fy + coef[:, 2]
    l2 = coef[:, 3] * fx + coef[:, 4] * fy + coef[:, 5]
    inside = (l1 >= -1e-4) & (l2 >= -1e-4) & (l1 + l2 <= 1.0 + 1e-4)
    owner = np.repeat(np.arange(len(ids), dtype=np.int32), counts)[inside]
    fx, fy = fx[inside].astype(np.float64), fy[inside].astype(np.float64)
    m = affine[owner]
    corner = lo.astype(np.int64)[owner]
    flat = (qy[inside] + corner[:, 1]) * cols + qx[inside] + corner[:, 0]
    out[flat, 0] = m[:, 0, 0] * fx + m[:, 0, 1] * fy + m[:, 0, 2]
    out[flat, 1] = m[:, 1, 0] * fx + m[:, 1, 1] * fy + m[:, 1, 2]
    covered[flat] = True
    return out.reshape(rows, cols, 2), covered.reshape(rows, cols)
