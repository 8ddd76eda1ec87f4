"""The skin warp: where every output pixel takes its colour from in the portrait.

The mesh (already moved by the rig and the head) is scanned on a coarse grid that is upsampled, and again at
full resolution around the mouth and the eyes, where lips and lids meet along sharp seams. Outside the mesh
the head motion is inverted directly. Last, the motion is restrained to what may move (segmentation.py): the
background and the clothes keep their place, whatever the face and the head do.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from ectfg_core.render.head import HeadMotion
from ectfg_core.render.mesh import Mesh, scan_inverse
from ectfg_core.render.raster import box_around
from ectfg_core.render.sampling import pixel_grid, sample
from ectfg_core.render.segmentation import MotionRegions

# Grid cells per face width for the coarse scan; finer costs time without visible gain, since the detail
# boxes are scanned at full resolution anyway.
_CELLS_PER_FACE = 110
# Skin squeezed under a moved face (the neck under a dropped chin): shaded from this many source rows per row shown,
# fully over this many more, to this darkness.
_SQUEEZE_START, _SQUEEZE_SPAN = 1.2, 2.0
_OCCLUDED_DARKNESS = 0.55
_OCCLUDED_SPREAD = 1.0  # grid cells: the Gaussian the shade is spread by
# Skin off the face squeezed under a moved face (the jaw's edge over the neck) is sampled from a copy of the photo
# blurred by this Gaussian (pixels), from this many source pixels per pixel shown on, fully from the second.
SQUEEZE_BLUR_SIGMA = 1.5
_BLUR_START, _BLUR_FULL = 1.5, 3.0


class WarpField(NamedTuple):
    """One frame's warp over SkinWarp.box (see SkinWarp.coordinates)."""

    coords: torch.Tensor
    uncovered: torch.Tensor | None
    occluded: torch.Tensor | None
    squeezed: torch.Tensor | None


def _span(field: torch.Tensor) -> tuple[int, int, int, int]:
    """(r0, r1, c0, c1): the rows and columns of a 2-D field that hold anything but zeros (end exclusive)."""
    rows = torch.nonzero(field.amax(dim=1)).flatten()
    cols = torch.nonzero(field.amax(dim=0)).flatten()
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


class SkinWarp:
    """Backward sampling coordinates for a frame, restricted to the region that can move (self.box)."""

    def __init__(self, mesh: Mesh, head: HeadMotion, face_width: float, image_size: tuple[int, int],
                 detail_groups: list[list[int]], regions: MotionRegions | None = None):
        height, width = image_size
        self.mesh = mesh
        # Detail regions (vertex groups: mouth, eyes) and the triangles that can reach them: those near in the
        # portrait, since the rig moves neighbours together (the head moves everything alike).
        self.detail_groups = [np.asarray(g) for g in detail_groups]
        centroids = mesh.vertices[mesh.triangles].mean(axis=1)
        self.detail_triangles = []
        for group in self.detail_groups:
            lo = mesh.vertices[group].min(axis=0) - 0.3 * face_width
            hi = mesh.vertices[group].max(axis=0) + 0.3 * face_width
            near = np.all((centroids >= lo) & (centroids <= hi), axis=1)
            self.detail_triangles.append(mesh.triangles[near])
        self.head = head
        self.step = max(1, int(round(face_width / _CELLS_PER_FACE)))
        # The region that can change: the mesh's outer ring (plus room for head motion) and the head mask.
        ring = mesh.vertices[mesh.ring2]
        margin = 0.12 * face_width
        hx0, hy0, hx1, hy1 = head.box
        x0 = max(min(int(ring[:, 0].min() - margin), hx0), 0)
        y0 = max(min(int(ring[:, 1].min() - margin), hy0), 0)
        x1 = min(max(int(ring[:, 0].max() + margin) + 1, hx1), width)
        y1 = min(max(int(ring[:, 1].max() + margin) + 1, hy1), height)
        self.box = (x0, y0, x1, y1)
        s = self.step
        self.grid_shape = (int(math.ceil((y1 - 1 - y0) / s)) + 1, int(math.ceil((x1 - 1 - x0) / s)) + 1)
        self.grid = pixel_grid(x0, y0, self.grid_shape[1], self.grid_shape[0], s)
        self.grid_mask = head.mask(self.grid)  # the head mask barely changes under the small motion: fixed
        # A dropped chin squeezes only what lies below the mouth (see _occluded): the grid rows from the lower lip down.
        self._jaw_row = max(int((mesh.vertices[17, 1] - y0) // s), 1)
        # The jaw's edge is squeezed against the neck from the level of the nose tip down (see _squeezed).
        self._nose_row = max(int((mesh.vertices[1, 1] - y0) // s), 1)
        self._weights = None
        self._plate = None
        self._off_face = None
        if regions is not None:
            # (face, not clothing[, person]) over the box, may_move[, person] at the coarse grid: cut once, looked up per frame.
            layers = [regions.face, 1.0 - regions.clothing] + ([regions.person] if regions.plate is not None else [])
            weights = np.stack([layer[y0:y1, x0:x1] for layer in layers])
            self._weights = torch.from_numpy(np.ascontiguousarray(weights, dtype=np.float32))
            at_grid = [regions.may_move] + ([regions.person] if regions.plate is not None else [])
            at_grid = torch.from_numpy(np.ascontiguousarray(np.stack([layer[y0:y1, x0:x1] for layer in at_grid]), dtype=np.float32))
            self._at_grid = sample(at_grid, self.grid, origin=(x0, y0))
            self._off_face = 1.0 - sample(self._weights[:1], self.grid, origin=(x0, y0))[0]
            if regions.plate is not None:
                self._plate = torch.from_numpy(np.ascontiguousarray(regions.plate[y0:y1, x0:x1].transpose(2, 0, 1)))

    def _restrain(self, coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """coords (rows, cols, 2) of the coarse grid restrained to what may move, how much background each point has
        uncovered (or None), and how deep in the shade of what moved over it each point is (or None).

        What shows at a point comes from its source position: face content moves wherever it goes (the chin
        over a collar); anything else moves only where the point may move (the head's edge is never pulled over
        the background), and never brings clothing along (a collar is not stretched up into the neck). Where the
        head moves away from a point of the person and brings background there, the plate shows instead (what
        was behind the head, not a copy of what stands beside it). Background content never shows displaced:
        on the background only the person's share of what arrives shows, over the still background (the hair's
        soft edge passing over it).
        """
        x0, y0 = self.box[:2]
        here = self._at_grid
        at_source = sample(self._weights, coords, origin=(x0, y0))
        keep = torch.maximum(at_source[0], here[0] * at_source[1])
        motion = coords - self.grid
        restrained = torch.addcmul(self.grid, motion, keep[..., None])
        occluded = self._occluded(restrained, at_source[0], keep)
        if self._plate is None:
            return restrained, None, occluded
        # Person-ness lost between the point and its (restrained) source, and background arriving from elsewhere
        # (fully once it comes from a pixel or more away).
        # The larger of |dx| and |dy| as a maximum of the two planes: amax over a last axis of 2 took twice as long.
        travel = (keep * torch.maximum(motion[..., 0].abs(), motion[..., 1].abs())).clamp_(max=1.0)
        lost = torch.maximum(keep * (here[1] - at_source[2]), (1.0 - at_source[2]) * travel).clamp_(min=0.0)
        return restrained, lost if bool((lost > 0).any()) else None, occluded

    def _occluded(self, restrained: torch.Tensor, face: torch.Tensor, keep: torch.Tensor) -> torch.Tensor | None:
        """How far each grid point off the face lies in the shade of the face moved over it: where a dropped chin
        squeezes the neck under it into a thin strip (several source rows per row shown), that strip is what the
        chin now hangs over; lit as in the photo it showed as a bright seam along the chin. Beside the face the strip
        is often a grid cell or two wide, and shaded only there it drew the jaw as a dark pencil line: the shade is
        spread into a soft shadow."""
        top = self._jaw_row
        if restrained.shape[0] - top < 3:
            return None
        rows = restrained[top - 1 :, :, 1]
        squeeze = (rows[2:] - rows[:-2]) / (2.0 * self.step)  # source rows per shown row, down the columns
        part = ((squeeze - _SQUEEZE_START) / _SQUEEZE_SPAN).clamp_(0.0, 1.0) * (1.0 - face[top:-1]) * keep[top:-1]
        part = torch.where(part > 0.02, part, 0.0)  # the faintest shade is not worth a pass over the frame
        if not bool(part.any()):
            return None
        strip = torch.zeros_like(face)
        strip[top:-1] = part
        r0, r1, c0, c1 = _span(strip)
        pad = int(math.ceil(3 * _OCCLUDED_SPREAD))
        r0, r1, c0, c1 = max(r0 - pad, 0), min(r1 + pad, strip.shape[0]), max(c0 - pad, 0), min(c1 + pad, strip.shape[1])
        shade = torch.zeros_like(face)
        shade[r0:r1, c0:c1] = torch.from_numpy(ndimage.gaussian_filter(strip[r0:r1, c0:c1].numpy(), _OCCLUDED_SPREAD, mode="constant"))
        return shade

    def _squeezed(self, coords: torch.Tensor) -> torch.Tensor | None:
        """How far each grid point off the face, below the nose, is to be sampled from the blurred photo: by how many
        source pixels per pixel shown the restrained motion squeezes the skin there, along the grid's rows or columns.
        The jaw's own soft shadow, squeezed between the moved jaw and the neck that stays, point-sampled into a crisp
        dotted line. The face itself is left alone: its lips and lids are squeezed shut on purpose, and sharp."""
        top = self._nose_row
        if self._off_face is None or coords.shape[0] - top < 2:
            return None
        below = coords[top - 1 :]
        step_down, step_across = below[1:] - below[:-1], below[:, 1:] - below[:, :-1]
        down = torch.hypot(step_down[..., 0], step_down[..., 1])
        across = torch.hypot(step_across[..., 0], step_across[..., 1])
        squeeze = torch.zeros(below.shape[:2])
        squeeze[1:] = down
        squeeze[:-1] = torch.maximum(squeeze[:-1], down)
        squeeze[:, 1:] = torch.maximum(squeeze[:, 1:], across)
        squeeze[:, :-1] = torch.maximum(squeeze[:, :-1], across)
        start, span = _BLUR_START * self.step, (_BLUR_FULL - _BLUR_START) * self.step
        part = ((squeeze[1:] - start) / span).clamp_(0.0, 1.0) * self._off_face[top:]
        if not bool((part > 0.02).any()):
            return None
        share = torch.zeros(coords.shape[:2])
        share[top:] = torch.where(part > 0.02, part, 0.0)
        return share

    def shade_occluded(self, region: torch.Tensor, occluded: torch.Tensor | None) -> None:
        """Darken, in region (3, H_box, W_box), what lies in the shade of the face moved over it (see _occluded)."""
        if occluded is None:
            return
        r0, r1, c0, c1 = _span(occluded)
        region[:, r0:r1, c0:c1].mul_(1.0 - _OCCLUDED_DARKNESS * occluded[r0:r1, c0:c1])

    def soften_squeezed(self, region: torch.Tensor, blurred: torch.Tensor, coords: torch.Tensor,
                        squeezed: torch.Tensor | None) -> None:
        """In region (3, H_box, W_box), sampled at coords, take the squeezed skin (the share coordinates() returned)
        from `blurred`, the photo blurred by SQUEEZE_BLUR_SIGMA."""
        if squeezed is None:
            return
        # A thin strip under the jaw: sampled point by point, not over its bounding box (the width of the face).
        at = torch.nonzero(squeezed.flatten()).flatten()
        pixels = region.view(3, -1)
        shown = pixels.index_select(1, at)
        soft = sample(blurred, coords.reshape(-1, 2).index_select(0, at))
        pixels.index_copy_(1, at, torch.lerp(shown, soft, squeezed.flatten().index_select(0, at)))

    def _upsample_share(self, coarse: torch.Tensor) -> torch.Tensor:
        """A coarse-grid share (uncovered, occluded, squeezed) at every pixel of the box, interpolated only around where it is
        not zero."""
        x0, y0, x1, y1 = self.box
        s = self.step
        r0, r1, c0, c1 = _span(coarse)
        r0, r1 = max(r0 - 1, 0), min(r1 + 1, coarse.shape[0])
        c0, c1 = max(c0 - 1, 0), min(c1 + 1, coarse.shape[1])
        part = F.interpolate(coarse[None, None, r0:r1, c0:c1], size=((r1 - r0 - 1) * s + 1, (c1 - c0 - 1) * s + 1),
                             mode="bilinear", align_corners=True)[0, 0]
        full = torch.zeros(y1 - y0, x1 - x0)
        view = full[r0 * s : (r1 - 1) * s + 1, c0 * s : (c1 - 1) * s + 1]
        view.copy_(part[: view.shape[0], : view.shape[1]])
        return full

    def fill_uncovered(self, region: torch.Tensor, uncovered: torch.Tensor | None) -> None:
        """Show the background plate where the frame's head motion uncovered it (the share coordinates() returned);
        region (3, H_box, W_box)."""
        if uncovered is None:
            return
        r0, r1, c0, c1 = _span(uncovered)
        region[:, r0:r1, c0:c1].lerp_(self._plate[:, r0:r1, c0:c1], uncovered[r0:r1, c0:c1])

    def coordinates(self, source: np.ndarray, destination: np.ndarray, head_row: dict[str, float]) -> WarpField:
        """(H_box, W_box, 2) source pixel coordinates for every pixel of self.box, the (H_box, W_box) share of the
        background plate where the head motion uncovered it (None where it uncovered nothing), the (H_box, W_box)
        shade of what the face moved over (None where it moved over nothing; see shade_occluded), and the (H_box,
        W_box) share of squeezed skin to sample blurred (None where none is; see soften_squeezed).

        source, destination: (V, 2) mesh vertices before and after motion. Nothing is kept between calls, so frames
        may be rendered side by side.
        """
        x0, y0, x1, y1 = self.box
        s = self.step
        positions, covered = scan_inverse(self.mesh.triangles, source, destination, (x0, y0), s, self.grid_shape)
        coords = self.head.inverse(self.grid, head_row, mask=self.grid_mask)
        coords = torch.where(torch.from_numpy(covered)[..., None], torch.from_numpy(positions), coords)
        uncovered = None
        if self._weights is not None:
            # Where nothing may move this is the grid itself, and upsampled it is the pixels to within float
            # rounding (1e-4 px), far too little to change a rounded colour: the still photo, bit for bit.
            coords, uncovered, occluded = self._restrain(coords)
        else:
            occluded = None
        squeezed = self._squeezed(coords)
        if s > 1 and uncovered is not None:
            uncovered = self._upsample_share(uncovered)
        if s > 1 and occluded is not None:
            occluded = self._upsample_share(occluded)
        if s > 1 and squeezed is not None:
            squeezed = self._upsample_share(squeezed)
        if s > 1:
            rows, cols = self.grid_shape
            # The (1, 2, rows, cols) view of channel-last coordinates is channels-last, and so is the upsampled field:
            # back to (H, W, 2) without a copy.
            full = F.interpolate(coords.permute(2, 0, 1)[None], size=((rows - 1) * s + 1, (cols - 1) * s + 1),
                                 mode="bilinear", align_corners=True)
            coords = full.permute(0, 2, 3, 1)[0, : y1 - y0, : x1 - x0]
            pixels = coords.numpy()  # the same memory: the detail scans are written in place
            for group, triangles in zip(self.detail_groups, self.detail_triangles, strict=True):
                box = box_around(destination[group], 2.0 * s, self.box)
                if box is None:
                    continue
                bx0, by0, bx1, by1 = box
                fine, hit = scan_inverse(triangles, source, destination, (bx0, by0), 1.0, (by1 - by0, bx1 - bx0))
                np.copyto(pixels[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0], fine, where=hit[..., None])
        return WarpField(coords, uncovered, occluded, squeezed)
