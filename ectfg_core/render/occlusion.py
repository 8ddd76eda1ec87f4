"""What of an eye the nose hides on a face turned to one side.

The eye layer is drawn over the warped skin. On a three-quarter face the far eye's inner corner lies behind the bridge
of the nose, and a lid raised there bared white in front of the nose. The triangles of the face that lie nearer than
the eye and already cover part of it in the photo are its occluders; each frame they are scanned where the skin has
moved them, and the eye layer is left out under them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ectfg_core.render.mesh import NUM_MESH_LANDMARKS, Mesh, scan_inverse
from ectfg_core.render.raster import box_around, polygon_coverage

_NEARER = 0.02  # face widths: how much nearer than the eye's nearest point a triangle must lie to hide it
_REACH = 0.06  # face widths around the eye in which occluders are looked for (what the motion may bring over it)
_EDGE = 0.6  # pixels: the Gaussian that softens the occluders' edge (the warp's own edge there is anti-aliased)


def eye_occluders(mesh: Mesh, depth: np.ndarray, polygon: list[int], face_width: float) -> np.ndarray | None:
    """(K, 3) face triangles that lie in front of the eye `polygon` and hide part of it in the photo, or None (the
    eye is in full view: every frontal face)."""
    z = np.asarray(depth, dtype=np.float64)[:NUM_MESH_LANDMARKS]
    vertices = mesh.vertices
    face = mesh.surface[(mesh.surface < NUM_MESH_LANDMARKS).all(axis=1)]
    nearer = face[z[face].max(axis=1) < z[polygon].min() - _NEARER * face_width]
    if not len(nearer):
        return None
    bounds = (0, 0, int(np.ceil(vertices[:, 0].max())) + 1, int(np.ceil(vertices[:, 1].max())) + 1)
    box = box_around(vertices[polygon], _REACH * face_width, bounds)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    corners = vertices[nearer]
    close = ((corners[..., 0].max(axis=1) >= x0) & (corners[..., 0].min(axis=1) < x1)
             & (corners[..., 1].max(axis=1) >= y0) & (corners[..., 1].min(axis=1) < y1))
    nearer = nearer[close]
    if not len(nearer):
        return None
    inside = polygon_coverage(vertices[polygon], np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)) > 0.5
    hidden = occluded(nearer, vertices, (x0, y0, x1, y1)) > 0.5
    return nearer if bool((hidden & inside).any()) else None


def occluded(triangles: np.ndarray, vertices: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """(h, w) float32 share of each pixel of box (x0, y0, x1, y1) covered by the triangles at these vertices."""
    x0, y0, x1, y1 = box
    _, covered = scan_inverse(triangles, vertices, vertices, (x0, y0), 1.0, (y1 - y0, x1 - x0))
    return np.clip(ndimage.gaussian_filter(covered.astype(np.float32), _EDGE), 0.0, 1.0)
