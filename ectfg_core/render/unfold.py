"""Keep the skin from folding over itself.

The rig adds control motions linearly, so a strong expression (or a face whose features sit close together, such as
brows pulled low in the photo) can push one row of vertices past the next: a brow raised above the forehead row over
it, the skin over the lid pushed below the lid crease. The warp would then show a mirrored sliver of skin with a hard
edge. Where a skin triangle turns over, the motion of its free vertices is relaxed towards their neighbours' until
none does, so the skin bunches up instead of folding.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

# A triangle whose area fell below this share of the photo's, or turned over, counts as folded.
_MIN_AREA_SHARE = 0.05
_MAX_ROUNDS = 12
_SLIVER_SHARE = 0.1  # triangles smaller than this share of the median one in the photo (slivers) are not judged


def _signed_area(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = vertices[triangles[:, 0]], vertices[triangles[:, 1]], vertices[triangles[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


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
