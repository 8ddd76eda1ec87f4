"""Keep the skin from folding over itself.

The rig adds control motions linearly, so a strong expression (or a face whose features sit close together, such as
brows pulled low in the photo) can push one row of vertices past the next: a brow raised above the forehead row over
it, the skin over the lid pushed below the lid crease. The warp would then show a mirrored sliver of skin with a hard
edge. Where a skin triangle turns over, its free vertices are first moved by the least amount that gives it back a
sliver of its area, so the rest of the skin keeps the rig's motion (a lowered brow stays low, the lid skin under it
bunches up). Whatever that cannot open (skin caught between pinned contours) is relaxed towards its neighbours' motion.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

# A triangle whose area fell below this share of the photo's, or turned over, counts as folded.
_MIN_AREA_SHARE = 0.05
_MAX_ROUNDS = 12
_SLIVER_SHARE = 0.1  # triangles smaller than this share of the median one in the photo (slivers) are not judged
_PROJECTION_ROUNDS = 100
_OMEGA = 1.5  # over-relaxed: a Jacobi sweep of crossing constraints converges slowly (brows caught between lids and crease)
# A triangle under min_share + _REACH is pushed back to min_share + _REACH_TO: the margin keeps a pushed triangle from
# dipping under the floor again as its neighbours are pushed.
_REACH, _REACH_TO = 0.005, 0.01


def _signed_area(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = vertices[triangles[:, 0]], vertices[triangles[:, 1]], vertices[triangles[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _across(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(N, 2): the gradient of the doubled signed area of (x, p, q) with respect to x."""
    return np.stack([p[:, 1] - q[:, 1], q[:, 0] - p[:, 0]], axis=1)


def _area_gradients(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(T, 3, 2): how each triangle's doubled signed area changes with each of its three vertices."""
    a, b, c = vertices[triangles[:, 0]], vertices[triangles[:, 1]], vertices[triangles[:, 2]]
    return np.stack([_across(b, c), _across(c, a), _across(a, b)], axis=1)


class FoldGuard:
    """Relaxes folds out of a moved mesh. `pinned` vertices (lip and lid contours, which the controls place exactly and
    which may meet on purpose) never move; triangles made of pinned vertices only are not judged.

    `yielding` (pinned vertices that may still give way) are relaxed in a second pass, only where triangles of
    theirs turned over once the rest of the skin has been relaxed; the skin is not touched by it.
    """

    def __init__(self, vertices: np.ndarray, triangles: np.ndarray, pinned: np.ndarray, yielding: np.ndarray | None = None,
                 min_share: float = _MIN_AREA_SHARE):
        still = np.asarray(vertices, dtype=np.float64)
        count = len(still)
        pinned_mask = np.zeros(count, dtype=bool)
        pinned_mask[np.asarray(pinned, dtype=np.int64)] = True
        area = _signed_area(still, triangles)
        judged = (np.abs(area) > _SLIVER_SHARE * np.median(np.abs(area))) & ~pinned_mask[triangles].all(axis=1)
        self.triangles = np.ascontiguousarray(triangles[judged])
        self.area = area[judged]
        self.still = still
        self.free = ~pinned_mask
        rows = np.concatenate([triangles[:, i] for i in (0, 0, 1, 1, 2, 2)])
        cols = np.concatenate([triangles[:, j] for j in (1, 2, 0, 2, 0, 1)])
        adjacency = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(count, count))
        adjacency.data[:] = 1.0  # repeated edges count once
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        self._mean = sparse.diags(1.0 / np.maximum(degree, 1.0)) @ adjacency  # row i: the mean over i's neighbours
        self.min_share = min_share
        self._then = None
        if yielding is not None and len(yielding):
            held = np.ones(count, dtype=bool)
            held[np.asarray(yielding, dtype=np.int64)] = False
            # Only where they turn over: pressed lips thin their skin on purpose, nearly to nothing.
            self._then = FoldGuard(still, triangles, np.flatnonzero(held), min_share=0.0)

    def folded(self, moved: np.ndarray) -> np.ndarray:
        """Indices of the judged triangles that turned over or nearly vanished in `moved`."""
        share = _signed_area(moved, self.triangles) / self.area
        return np.flatnonzero(share < self.min_share)

    def __call__(self, moved: np.ndarray) -> np.ndarray:
        """`moved` (V, 2) with its folds relaxed (the same array when nothing folded)."""
        relaxed = self._relax(moved)
        return relaxed if self._then is None else self._then(relaxed)

    def _relax(self, moved: np.ndarray) -> np.ndarray:
        if len(self.folded(moved)) == 0:
            return moved
        projected = self._project(np.array(moved, dtype=np.float64))
        left = len(self.folded(projected))
        if left == 0:
            return projected
        # Skin caught between pinned contours that the projection could not open (beyond any calibrated expression):
        # relaxing towards the neighbours opens some such folds and closes others, so it is kept where it opens more.
        smoothed = self._smooth(projected.copy())
        return smoothed if len(self.folded(smoothed)) < left else projected

    def _project(self, moved: np.ndarray) -> np.ndarray:
        """Position-based area constraints, swept Jacobi-style: every triangle under the floor asks its free vertices
        for the least motion (along its area's gradient) that lifts it back over the floor; each vertex takes the
        mean of what its triangles ask. Relaxing towards the neighbours instead moved every vertex of a folded
        triangle, the brows too: anger's lowered brows came back up by half or more on faces whose brows sit close
        over the eyes."""
        count = len(moved)
        give = self.free.astype(np.float64)
        floor = self.min_share + _REACH_TO
        for _ in range(_PROJECTION_ROUNDS):
            share = _signed_area(moved, self.triangles) / self.area
            under = np.flatnonzero(share < self.min_share + _REACH)
            if len(under) == 0:
                break
            corners = self.triangles[under]  # (U, 3)
            grad = _area_gradients(moved, corners) / self.area[under, None, None]  # d share / d vertex
            weight = give[corners]
            norm = (weight * (grad**2).sum(axis=2)).sum(axis=1)
            step = (floor - share[under]) / np.maximum(norm, 1e-12)
            push = (weight * step[:, None])[..., None] * grad  # (U, 3, 2)
            ids = corners.ravel()
            asks = np.bincount(ids, minlength=count).astype(np.float64)
            for k in range(2):
                moved[:, k] += _OMEGA * np.bincount(ids, push[..., k].ravel(), minlength=count) / np.maximum(asks, 1.0)
        return moved

    def _smooth(self, moved: np.ndarray) -> np.ndarray:
        """What the projection left folded, its free vertices relaxed towards their neighbours' motion."""
        bad = self.folded(moved)
        if len(bad) == 0:
            return moved
        motion = np.asarray(moved, dtype=np.float64) - self.still
        relaxing = np.zeros(len(self.still), dtype=bool)
        best, stalled = len(bad), 0
        for _ in range(_MAX_ROUNDS):
            relaxing[self.triangles[bad].ravel()] = True
            relaxing &= self.free
            # The folded vertices take their neighbours' mean motion: the fold opens, the motion around it is kept.
            smoothed = self._mean @ motion
            motion[relaxing] = smoothed[relaxing]
            bad = self.folded(self.still + motion)
            # Done, or stuck (a fold between pinned lips and lids that the free skin cannot open).
            stalled = 0 if len(bad) < best else stalled + 1
            best = min(best, len(bad))
            if len(bad) == 0 or stalled >= 3:
                break
        return self.still + motion
