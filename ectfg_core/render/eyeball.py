"""The eyeball beyond what the photo shows: for lids that open wider than in the portrait (surprise, fear, a smiling
photo's squint undone).

The photo shows the eyeball only between its lids; the top of the iris usually hides under the upper lid. A wider
opening must bare white above the iris (and the iris's own top), not stretch the iris into an upright oval. In the
photo's own coordinates this module keeps the photo's eye and a completed eyeball beside it: the iris a disc
(its hidden part mirrored from the visible part across the iris's middle), the white of the eye around it in the
photo's own sclera colour, darkening towards the corners. Near each lid margin the photo's eye is darkened by the
lashes and the lid's shadow; those bands give way to the completed eyeball as far as that margin has moved away.
"""

from __future__ import annotations

import numpy as np
import torch

from ectfg_core.render.geometry import by_x, iris_circle
from ectfg_core.render.raster import box_around, polygon_coverage
from ectfg_core.render.sampling import sample

_MIN_SCLERA_PIXELS = 8
_MIN_OPENING = 0.6  # the photo's eye opening, in iris radii, below which it is taken as shut
_MARGIN_BAND = 0.012  # face widths: the dark band along each lid margin inside the photo's opening (lashes, shadow)
# The white above the iris darkens from this many iris radii above its centre (the white right over the iris stays lit),
# by _TOP_SHADE over _SHADE_SPAN radii more.
_SHADE_FROM, _SHADE_SPAN, _TOP_SHADE = 1.4, 1.0, 0.3
# The upper lid's shade on the white is read down the columns of white beside the iris (at least _SHADOW_COLUMNS
# of them, _WHITE_FROM to _WHITE_REACH iris radii from its middle); the white is out of it where it is _LIT as bright as the
# lit white. What gives way to the completed eyeball under the photo's upper margin reaches at most _DEEPEST_BAND
# margin bands deep.
_SHADOW_COLUMNS, _WHITE_REACH, _LIT, _DEEPEST_BAND = 4, 2.6, 0.95, 3.0
_WHITE_FROM = 1.2  # iris radii from its middle: past this the photo's eye is white (or lid), not iris


def _shadow_depth(photo: torch.Tensor, upper: np.ndarray, opening: float, centre: np.ndarray, radius: float) -> float:
    """How far (pixels) the upper lid's shadow (lashes, the lid's shade) reaches down the white below its margin: the
    first depth where the columns of white beside the iris are lit again (0 where too little white shows to tell)."""
    xs = np.arange(np.ceil(upper[:, 0].min()), np.floor(upper[:, 0].max()) + 1.0)
    off = np.abs(xs - centre[0])
    xs = xs[(off > _WHITE_FROM * radius) & (off < _WHITE_REACH * radius)]
    if len(xs) < _SHADOW_COLUMNS or opening < 2.0:
        return 0.0
    depths = np.arange(0.0, 0.6 * opening, 0.5)
    tops = np.interp(xs, *by_x(upper))
    points = np.stack(np.broadcast_arrays(xs[None, :], tops[None, :] + depths[:, None]), axis=-1)
    profile = np.median(_luma(sample(photo, torch.from_numpy(points.astype(np.float32)))).numpy(), axis=1)
    lit = np.flatnonzero(profile >= _LIT * profile.max())
    return float(depths[lit[0]]) if len(lit) else 0.0


def _luma(colors: torch.Tensor) -> torch.Tensor:
    return colors.mean(dim=0)


class Eyeball:
    """Channels in photo space around one eye: the photo (3), the completed eyeball (3), and where a lid opened wider
    than in the photo bares what the photo does not show: the margin band and beyond, upper and lower (1 each)."""

    def __init__(self, source: torch.Tensor, upper: np.ndarray, lower: np.ndarray, iris: np.ndarray, face_width: float,
                 edge_on: bool = False):
        """edge_on: the far eye of a face turned well away (see eyes.edge_on_eyes), never completed."""
        contour = np.concatenate([upper, lower[-2:0:-1]])
        opening = float(np.max(np.interp(upper[:, 0], *by_x(lower)) - upper[:, 1]))
        centre, radius = iris_circle(iris)
        radius = max(radius, 1.0)
        self.band = max(_MARGIN_BAND * face_width, 1.0)
        pad = max(opening, 2.0 * radius) + 2.0 * self.band
        _, height, width = source.shape
        x0, y0, x1, y1 = box_around(contour, pad, (0, 0, width, height))
        self.origin = (float(x0), float(y0))
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        gx, gy = np.meshgrid(xs, ys)
        inside = polygon_coverage(contour, xs, ys, feather=1.0)
        below_upper = gy - np.interp(gx, *by_x(upper))
        above_lower = np.interp(gx, *by_x(lower)) - gy
        # Under the photo's upper margin, the completed eyeball takes over as deep as the lid's shade on the white
        # reaches, then fades out over a band: fading out from the margin itself, it left the shade's deeper part as a
        # dark seam across the bared white. Not over the iris, whose top holds the photo's catchlight.
        margin_band = inside * np.clip(1.0 - below_upper / self.band, 0.0, 1.0)
        lower_band = inside * np.clip(1.0 - above_lower / self.band, 0.0, 1.0)
        photo = source[:, y0:y1, x0:x1]
        dist = np.hypot(gx - centre[0], gy - centre[1])
        disc = np.clip(radius - dist + 0.5, 0.0, 1.0)
        shaded = min(_shadow_depth(source, upper, opening, centre, radius), (_DEEPEST_BAND - 1.0) * self.band)
        in_shade = inside * np.clip(1.0 + (shaded - below_upper) / self.band, 0.0, 1.0) * np.clip(dist - radius - 0.5, 0.0, 1.0)
        upper_band = np.maximum(margin_band, in_shade)

        # What the photo shows of the eyeball for sure: inside the opening, off both margin bands.
        clear = torch.from_numpy((inside > 0.5) & (margin_band < 0.5) & (lower_band < 0.5))
        iris_pixels = photo[:, clear & torch.from_numpy(disc > 0.5)]
        white_pixels = photo[:, clear & torch.from_numpy(dist > _WHITE_FROM * radius)]
        all_pixels = photo[:, clear] if bool(clear.any()) else photo.reshape(3, -1)
        # A photo with the eye (nearly) shut, or none of its white in view, shows too little of the eyeball to
        # complete: a lid opened wider than in it shows what the photo has there (the lid) rather than an invented eye.
        # Nor does the far eye of a face turned well away: seen nearly edge on, the little of its ball the photo shows
        # made a pale disc with a grey iris beside the nose.
        self.completes = bool(not edge_on and opening >= _MIN_OPENING * radius and white_pixels.shape[1] >= _MIN_SCLERA_PIXELS
                              and iris_pixels.shape[1] >= 4)
        if iris_pixels.shape[1] >= 4:
            # The iris without its catchlight: the darker three quarters.
            lum = _luma(iris_pixels)
            iris_color = iris_pixels[:, lum <= lum.quantile(0.75)].median(dim=1).values
            iris_ceiling = float(lum.quantile(0.75))
        else:
            iris_color = all_pixels.min(dim=1).values
            iris_ceiling = float(_luma(iris_color[:, None]))
        if white_pixels.shape[1] >= _MIN_SCLERA_PIXELS:
            lum = _luma(white_pixels)
            sclera = white_pixels[:, lum >= lum.quantile(0.75)].median(dim=1).values  # the lit white, not the corners
        else:
            sclera = all_pixels.max(dim=1).values * 0.9

        # The hidden part of the iris mirrored from the visible one (across its horizontal middle), where that shows.
        mirror = torch.from_numpy(np.stack([gx, 2.0 * centre[1] - gy], axis=-1).astype(np.float32))
        mirrored = sample(source, mirror)
        mirror_seen = sample(torch.from_numpy((clear.numpy() * 1.0).astype(np.float32))[None], mirror, origin=self.origin,
                             padding="zeros")[0]
        mirrored = torch.minimum(mirrored, torch.full_like(mirrored, iris_ceiling))  # no second catchlight
        iris_fill = mirrored * mirror_seen + iris_color[:, None, None] * (1.0 - mirror_seen)
        # A ball: the white darkens towards the eye's corners.
        left, right = float(contour[:, 0].min()), float(contour[:, 0].max())
        across = np.clip((gx - 0.5 * (left + right)) / max(0.5 * (right - left), 1.0), -1.0, 1.0)
        # And above the iris it turns up and back under the brow, out of the light: a raised lid bares a white that
        # darkens upwards (lit flat, it showed as a pale cut-out crescent).
        above = np.clip((centre[1] - gy - _SHADE_FROM * radius) / (_SHADE_SPAN * radius), 0.0, 1.0)
        white = sclera[:, None, None] * torch.from_numpy(((1.0 - 0.28 * across**2) * (1.0 - _TOP_SHADE * above)).astype(np.float32))
        d = torch.from_numpy(disc.astype(np.float32))
        completed = iris_fill * d + white * (1.0 - d)
        # Beyond the photo's opening, on the upper and on the lower side of its middle.
        middle = 0.5 * (np.interp(gx, *by_x(upper)) + np.interp(gx, *by_x(lower)))
        outside_up, outside_low = (1.0 - inside) * (gy < middle), (1.0 - inside) * (gy >= middle)
        masks = np.stack([upper_band + outside_up, lower_band + outside_low]).astype(np.float32)
        self.channels = torch.cat([photo, completed, torch.from_numpy(masks)], dim=0).contiguous()

    def at(self, points: torch.Tensor, in_socket: torch.Tensor, bared_upper: float, bared_lower: float) -> torch.Tensor:
        """(3, ...) eyeball colours at photo-space points (..., 2).

        The photo's eye, with the completed eyeball where the frame's socket (in_socket, 0..1 per point) shows what
        the photo has not: the margin bands the lids have moved away from and beyond them (bared_*: 0 in place .. 1
        fully). Outside the socket: the photo. (The bands' lashes and shadow ride with the lids: eyes.py.)
        """
        if (bared_upper <= 0.0 and bared_lower <= 0.0) or not self.completes:
            return sample(self.channels[:3], points, origin=self.origin)  # the lids are on the eyeball: the photo's eye
        values = sample(self.channels, points, origin=self.origin)
        photo, completed = values[:3], values[3:6]
        use = (values[6] * bared_upper + values[7] * bared_lower).clamp_(0.0, 1.0) * in_socket
        return photo + (completed - photo) * use
