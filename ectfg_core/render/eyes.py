"""The eye layer: the eyeball stays in its socket while the lids slide over it (blinks, squints, droops, wide eyes).

Inside the socket (the eye opening carried by the skin warp) three things are drawn: the eyeball, sampled from the
portrait and moved and scaled as a whole with the eye's corners (never stretched: a lid raised for surprise bares
white above the iris, eyeball.py); the upper lid surface, made from the portrait's skin just above the lashes brought
down to the lid's new margin; the lower lid surface, likewise from below, but from the frame as the skin warp made it
(the cheek has moved that skin). A lash line is drawn along a lowered upper margin. Where the face lies in front of
the eye (the nose, on a three-quarter face), nothing is drawn (occlusion.py).
"""

from __future__ import annotations

import numpy as np
import torch

from ectfg_core.render.eyeball import Eyeball
from ectfg_core.render.geometry import EYES, IRIS, eye_polygon, eye_width
from ectfg_core.render.occlusion import occluded
from ectfg_core.render.raster import apply_affine, box_around, invert_affine, polygon_coverage
from ectfg_core.render.rig import BLINK_MEET
from ectfg_core.render.sampling import sample

_MIN_CLOSURE_PX = 0.05  # below this the skin warp alone shows the eye correctly
# An eye narrower than this share of the other (corner to corner) is the far eye of a face turned well away.
_EDGE_ON_SHARE = 0.6


def edge_on_eyes(points: np.ndarray) -> set[str]:
    """The sides whose eye the photo shows nearly edge on: on a face turned well away (a three-quarter view or more)
    the far eye is foreshortened to about half the near one's width; frontal faces measure 0.8-1."""
    points = np.asarray(points, dtype=np.float64)
    width = {side: eye_width(points, side) for side in EYES}
    widest = max(width.values())
    return {side for side, w in width.items() if w < _EDGE_ON_SHARE * widest}


def close_eyes(lids: np.ndarray, blinks: dict[str, float], ey: np.ndarray) -> np.ndarray:
    """Close each eye's lid margins by its blink (0..1, by side) over whatever opening the other controls left, in
    place, and uncross them: a blink shuts even eyes opened wide, and lids closed by several controls at once (a glare's
    raised lower lid, a smile's cheeks, a blink) meet instead of passing through each other."""
    for side, (upper, lower) in EYES.items():
        up, low = np.asarray(upper[1:-1]), np.asarray(lower[1:-1])
        meet = lids[up] + BLINK_MEET * (lids[low] - lids[up])
        shut = float(np.clip(blinks.get(side, 0.0), 0.0, 1.0))
        if shut > 0.0:
            lids[up] += shut * (meet - lids[up])
            lids[low] += shut * (meet - lids[low])
        crossed = (lids[low] - lids[up]) @ ey < 0.0
        if crossed.any():
            lids[up[crossed]] = meet[crossed]
            lids[low[crossed]] = meet[crossed]
    return lids


class EyeLayer:
    """One eye of one portrait."""

    def __init__(self, side: str, points: np.ndarray, face_width: float, source: torch.Tensor, edge_on: bool = False):
        """edge_on: the far eye of a face turned well away (edge_on_eyes): its eyeball is not completed."""
        self.side = side
        self.upper, self.lower = EYES[side]
        self.polygon = eye_polygon(side)
        self.iris = IRIS[side]
        self.source_contour = np.asarray(points, dtype=np.float64)[self.polygon]
        self.face_width = face_width
        self.lash_gap = 0.012 * face_width  # lid margin and lash roots above the opening
        self.lash_reach = self._lash_reach(np.asarray(points, dtype=np.float64), source)  # how far up lashes show
        self.band = 0.03 * face_width  # skin band above the lashes that becomes the closed lid
        self.skin_reach = 0.06 * face_width  # how far above the lashes lid skin is looked for
        self.lash_width = max(0.8, 0.007 * face_width)
        self.lash_color = self._lash_color(np.asarray(points, dtype=np.float64), source)
        pts = np.asarray(points, dtype=np.float64)
        self.eyeball = Eyeball(source, pts[self.upper], pts[self.lower], pts[self.iris], face_width, edge_on=edge_on)

    def _lash_color(self, points: np.ndarray, source: torch.Tensor) -> torch.Tensor:
        """The dark of the upper lid margin: a low percentile of the pixels along it."""
        margin = points[self.upper]
        along = np.linspace(0.2, 0.8, 12)
        xs = np.interp(along, np.linspace(0, 1, len(margin)), margin[:, 0])
        ys = np.interp(along, np.linspace(0, 1, len(margin)), margin[:, 1])
        pts = torch.tensor(np.stack([xs, ys], axis=1), dtype=torch.float32)
        colors = sample(source, pts)  # (3, 12)
        darkest = colors.sum(dim=0).argsort()[:4]
        return colors[:, darkest].mean(dim=1)

    def _lash_reach(self, points: np.ndarray, source: torch.Tensor) -> float:
        """Distance above the upper margin where the lashes and lid shadow give way to skin (pixels)."""
        upper = points[self.upper[2:-2]]
        normal = np.array([0.0, -1.0])
        steps = np.linspace(0.0, 0.07 * self.face_width, 24)
        pts = upper[:, None, :] + steps[None, :, None] * normal
        lum = sample(source, torch.tensor(pts, dtype=torch.float32)).mean(dim=0).numpy()  # (n, steps)
        lum = np.median(lum, axis=0)
        dark, light = lum[:6].min(), np.percentile(lum, 90)
        recovered = np.flatnonzero((lum > dark + 0.8 * (light - dark)) & (steps > 0))
        reach = steps[recovered[0]] if len(recovered) else 0.03 * self.face_width
        return float(np.clip(reach, 0.01 * self.face_width, 0.05 * self.face_width))

    def eyeball_transform(self, socket: np.ndarray) -> np.ndarray:
        """(2, 3) similarity from the portrait's eye to the socket, fixed by the eye's corners: the eyeball moves,
        turns and scales as a whole, and never stretches when the lids open or close."""
        n_up = len(self.upper)
        p0, p1 = self.source_contour[0], self.source_contour[n_up - 1]
        q0, q1 = socket[0], socket[n_up - 1]
        s = complex(*(q1 - q0)) / complex(*(p1 - p0)) if np.any(p1 != p0) else 1.0 + 0.0j
        linear = np.array([[s.real, -s.imag], [s.imag, s.real]])
        return np.concatenate([linear, (q0 - linear @ p0)[:, None]], axis=1)

    def bared(self, socket: np.ndarray, rigid: np.ndarray) -> tuple[float, float]:
        """How far (pixels) the socket's upper and lower margins lie beyond the eyeball's own (rigid: the photo's eye
        contour moved by eyeball_transform): > 0 where the lids opened wider than in the photo."""
        n_up = len(self.upper)
        corner = socket[n_up - 1] - socket[0]
        down = np.array([-corner[1], corner[0]]) / max(float(np.linalg.norm(corner)), 1e-6)
        if down[1] < 0:
            down = -down
        up = float(np.max((rigid[1 : n_up - 1] - socket[1 : n_up - 1]) @ down))
        low = float(np.max((socket[n_up:] - rigid[n_up:]) @ down))
        return up, low

    def driven_iris(self, socket: np.ndarray, points: np.ndarray) -> np.ndarray:
        return apply_affine(self.eyeball_transform(socket), np.asarray(points, dtype=np.float64)[self.iris])

    def composite(self, canvas: torch.Tensor, origin: tuple[int, int], source: torch.Tensor, socket: np.ndarray,
                  margins: np.ndarray, axes: tuple[np.ndarray, np.ndarray],
                  occluders: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Draw into canvas (3, h, w), whose pixel (0, 0) is image pixel origin.

        socket: (P, 2) eye polygon as the skin warp moved it; margins: the same polygon with the lids closed
        as far as the controls say; axes: the head-rotated face axes (ex, ey); occluders: (triangles, the moved mesh
        vertices) of the face in front of this eye (occlusion.py), under which nothing of the layer is drawn.
        """
        travel = np.linalg.norm(margins - socket, axis=1)
        to_socket = self.eyeball_transform(socket)
        rigid = apply_affine(to_socket, self.source_contour)  # the photo's eye where the eyeball is now
        bared_up, bared_low = (float(np.clip(b / self.eyeball.band, 0.0, 1.0)) for b in self.bared(socket, rigid))
        if travel.max() < _MIN_CLOSURE_PX and max(bared_up, bared_low) < _MIN_CLOSURE_PX:
            return
        ex, ey = axes
        n_up = len(self.upper)
        # The layer covers the socket plus the lash band just outside it wherever a lid moves: the old lash
        # line must go under the lid, not stay behind as a second one.
        grow = np.zeros(len(socket))
        grow[:n_up] = (self.lash_reach + 1.0) * np.clip(travel[:n_up] / (0.5 * self.lash_gap), 0.0, 1.0)
        grow[[0, n_up - 1]] = 0.6 * grow[1 : n_up - 1].max()  # the lashes run into the corners: cover them there too
        grow[n_up:] = -np.minimum(1.5 * self.lash_gap, 2.0 * travel[n_up:])
        extent = socket - grow[:, None] * ey
        ox, oy = origin
        _, height, width = canvas.shape
        box = box_around(np.concatenate([extent, margins]), 2.0, (ox, oy, ox + width, oy + height))
        if box is None:
            return
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        # Ramps outwards (the layer's content there matches the skin), wide enough that the lid has no outline.
        alpha = polygon_coverage(extent, xs, ys, inset=-1.5, feather=3.5)
        if occluders is not None:
            alpha = alpha * (1.0 - occluded(occluders[0], occluders[1], box))
        if not alpha.any():
            return
        center = socket.mean(axis=0)
        gx, gy = np.meshgrid(xs, ys)
        u = (gx - center[0]) * ex[0] + (gy - center[1]) * ex[1]
        v = (gx - center[0]) * ey[0] + (gy - center[1]) * ey[1]

        def profile(contour: np.ndarray) -> np.ndarray:
            cu, cv = (contour - center) @ ex, (contour - center) @ ey
            order = np.argsort(cu)
            return np.interp(u, cu[order], cv[order])

        def split(poly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Upper contour (corner to corner) and lower contour (with both corners) of an eye polygon."""
            return poly[:n_up], np.concatenate([poly[:1], poly[n_up:], poly[n_up - 1 : n_up]])

        top, bottom = (profile(c) for c in split(extent))
        sock_low = profile(split(socket)[1])
        lid_up, lid_low = (profile(c) for c in split(margins))
        cover_up = np.clip(lid_up - v + 0.5, 0.0, 1.0)  # above the upper margin: lid
        cover_low = np.clip(v - lid_low + 0.5, 0.0, 1.0)  # below the lower margin: lid
        sock_up = profile(socket[:n_up])
        drop = np.clip(lid_up - sock_up, 0.0, None)  # how far the upper margin came down, per column
        # Upper lid: the real lash band moves down with the margin; between it and the layer's edge lies lid skin,
        # the skin beyond the edge mirrored back and forth (no seam, no stretched texture) and evened out
        # towards the skin's typical colour (the brighter half of nearby rows: lashes, crease and brow are darker).
        d_up = np.clip(v - top, 0.0, None)
        mirrored = np.where(v < top, v, top - (self.band - np.abs(np.mod(d_up, 2 * self.band) - self.band)))
        # The lash band (lashes and lid shadow) rides down with the margin, squeezed as the eye shuts
        # (closed lashes point down and look thinner).
        shut = np.clip(drop / np.maximum(sock_low - sock_up, 1e-3), 0.0, 1.0)
        band_h = self.lash_reach * (1.0 - 0.6 * shut)
        in_band = np.clip(v - (lid_up - band_h) + 0.5, 0.0, 1.0)
        v_band = sock_up - (lid_up - v) * self.lash_reach / band_h
        # The lid's tone: the colour just outside the layer's top edge, smoothed along the edge, so the lid joins its
        # surroundings without an outline (a smooth fill of the hole from its border).
        shifts = [s * self.band for s in (-1.0, -0.5, 0.0, 0.5, 1.0)]
        # The lower lid slides up: like the upper one it is the skin beyond the layer's edge mirrored back and forth
        # (stretching the thin band under the lashes over the gap drew vertical streaks), evened out towards the
        # skin's tone just below the edge.
        d_low = np.clip(bottom - v, 0.0, None)
        v_low = np.where(v > bottom, v, bottom + (self.band - np.abs(np.mod(d_low, 2 * self.band) - self.band)))
        # Its rim (lower lashes and lid margin) rides up with the margin unchanged.
        rim_h = 0.5 * self.lash_gap
        v_rim = sock_low + (v - lid_low)
        in_rim = np.clip(lid_low + rim_h - v + 0.5, 0.0, 1.0)

        # Where each layer looks in the portrait: the pixel itself, and points given in the socket's (u, v), all
        # carried back by the eyeball's affine map (composed with the (u, v) frame, itself affine).
        to_source = invert_affine(to_socket)
        linear = to_source[:, :2]
        base, along_u, along_v = linear @ center + to_source[:, 2], linear @ ex, linear @ ey
        # Lids opened wider than in the photo: their surfaces come from where the photo has them, laid off from the
        # eyeball's own margins (v units; zero where the margin has not moved off the eyeball).
        rigid_up, rigid_low = split(rigid)
        lift_up = (profile(rigid_up) - sock_up) if bared_up > 0 else np.zeros_like(u)
        lift_low = (profile(rigid_low) - sock_low) if bared_low > 0 else np.zeros_like(u)
        # The photo's margin bands (lashes, the lid's shadow on the eye) ride with the frame's margins likewise.
        lifted = [lift for bared, lift in ((bared_up, lift_up), (bared_low, lift_low)) if bared > 0]
        us = np.stack([u] * 3 + [u + du for du in shifts] + [u] * len(lifted))
        vs = np.stack([v_band + lift_up, mirrored + lift_up, v_rim + lift_low] + [top - 1.0 + lift_up] * len(shifts)
                      + [v + lift for lift in lifted])
        src = np.empty((1 + len(us), *u.shape, 2), dtype=np.float32)
        src[0] = apply_affine(to_source, np.stack([gx, gy], axis=-1))
        for axis in range(2):
            src[1:, ..., axis] = base[axis] + us * along_u[axis] + vs * along_v[axis]
        colors = sample(source, torch.from_numpy(src[1:]))  # (3, 3 + len(shifts) + len(lifted), h, w)
        lash_band, lid_mirror, lower_rim = (colors[:, i] for i in range(3))
        # Inside the socket (half a pixel beyond, anti-aliased): between its margins, from corner to corner.
        cu = (socket[:n_up] - center) @ ex  # the socket's upper margin along the eye
        in_socket = torch.from_numpy((np.clip(v - sock_up + 1.0, 0.0, 1.0) * np.clip(sock_low - v + 1.0, 0.0, 1.0)
                                      * np.clip(u - cu.min() + 1.0, 0.0, 1.0)
                                      * np.clip(cu.max() - u + 1.0, 0.0, 1.0)).astype(np.float32))
        eyeball = self.eyeball.at(torch.from_numpy(src[0]), in_socket, bared_up, bared_low)
        plane = 3 + len(shifts)
        for bared, depth in ((bared_up, v - sock_up), (bared_low, sock_low - v)):
            if bared > 0:
                weight = torch.from_numpy(np.clip(1.0 - depth / self.eyeball.band, 0.0, 1.0).astype(np.float32))
                eyeball = eyeball.lerp(colors[:, plane], weight * in_socket * min(1.0, 4.0 * bared))
                plane += 1
        border = colors[:, 3 : 3 + len(shifts)].mean(dim=1)
        # The lower lid's skin is the frame's own, as the skin warp placed it: a smile or a squint has moved the skin
        # under the eye with the cheek, and the photo's skin drawn there showed its lower lashes a second time, in a
        # pale band with an edge below the eye.
        below = np.stack([v_low] + [bottom + 1.0] * len(shifts))
        across = np.stack([u] + [u + du for du in shifts])
        at = np.stack([center[axis] + across * ex[axis] + below * ey[axis] for axis in range(2)], axis=-1)
        warped = sample(canvas, torch.from_numpy(at.astype(np.float32)), origin=(float(ox), float(oy)))
        lid_lower = warped[:, 0]
        border_low = warped[:, 1:].mean(dim=1)

        def tensor(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.asarray(x, dtype=np.float32))

        keep_texture = tensor(0.3 + 0.7 * np.exp(-d_up / self.lash_width))
        lid_skin = lid_mirror * keep_texture + border * (1 - keep_texture)
        t_up = np.clip(d_up / np.maximum(lid_up - band_h - top, 1e-3), 0.0, 1.0)
        # The closing lid is a dome over the eyeball: darker towards the lashes and the eye corners.
        along = np.clip((u - cu.min()) / max(cu.max() - cu.min(), 1e-6), 0.0, 1.0)
        dome = np.sin(np.pi * along) ** 0.6
        lid_skin = lid_skin * tensor(1.0 - 0.16 * t_up**1.5 - 0.12 * (1.0 - dome))
        lid_upper = lid_skin * (1 - tensor(in_band)) + lash_band * tensor(in_band)
        # The raised lower lid: its own rim along the new margin, then skin.
        keep_low = tensor(0.3 + 0.7 * np.exp(-d_low / self.lash_width))
        lid_lower = lid_lower * keep_low + border_low * (1 - keep_low)
        lid_lower = lid_lower * (1 - tensor(in_rim)) + lower_rim * tensor(in_rim)
        # The lashes' shadow on the eyeball just under a lowered margin.
        strength = np.clip(drop / (2 * self.lash_width), 0.0, 1.0)
        shade = 1.0 - 0.25 * strength * np.exp(-np.clip(v - lid_up, 0.0, None) / self.lash_width)
        # A lid raised off the eyeball still shades the white right under it.
        shade *= 1.0 - 0.3 * bared_up * np.exp(-np.clip(v - lid_up, 0.0, None) / (1.5 * self.lash_width))
        # Beyond the eye corners there is no lid: only the eyeball sample (which is the skin there) shows.
        within = np.clip(u - cu.min() + 0.5, 0.0, 1.0) * np.clip(cu.max() - u + 0.5, 0.0, 1.0)
        w_up = tensor(cover_up * within)
        # The lower lid fades in from the corners (its margin meets the corner there), so it has no vertical edge.
        ramp = max(2.0 * self.lash_width, 0.2 * (cu.max() - cu.min()))  # a fifth of the eye: no corner of a patch
        within_low = np.clip((u - cu.min()) / ramp, 0.0, 1.0) * np.clip((cu.max() - u) / ramp, 0.0, 1.0)
        w_low = tensor(cover_low * (1.0 - cover_up) * within_low)
        layer = eyeball * tensor(shade)
        layer = layer * (1 - w_low) + lid_lower * w_low
        layer = layer * (1 - w_up) + lid_upper * w_up
        # Outside the socket the eyeball map (fixed by the corners) need not match the skin warp's: there only the
        # lids are drawn, or an outline of the photo's eye shows around an eye the skin has moved.
        a = torch.from_numpy(alpha) * (in_socket + w_up + w_low).clamp_(max=1.0)
        view = canvas[:, y0 - oy : y1 - oy, x0 - ox : x1 - ox]
        view.mul_(1 - a).add_(layer * a)
