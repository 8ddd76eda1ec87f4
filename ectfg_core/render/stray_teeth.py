"""Teeth the warp drags onto closing lips, painted over in the lips' colour.

On a toothy smile MediaPipe's inner lip contour often runs a pixel or three over the teeth, so those teeth belong to
the lips' triangles of the mesh. When the lips close (a /p b m/, or a smiling photo asked to look calm, sad or
angry) the lips come together carrying them, and a thin white strip or a dotted seam of teeth stays between lips
that are shut. Where the photo was teeth-coloured near its mouth opening, or inside it (the dark gaps between the
teeth too), and that spot now lies outside the open mouth, the lip colour goes over it, as far as the lips have
closed since the photo (a smile that stays open keeps its teeth exactly as photographed). The same goes for the dark
corridor a grin shows at its corners and for a laughing photo's lower teeth below the lower lip's contour, which the
lips would otherwise carry as black hooks at the seam's ends and a row of teeth in the lower lip.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter, label

from ectfg_core.render.geometry import INNER_LIP_POLYGON, LOWER_INNER, OUTER_CORNERS, UPPER_INNER, by_x
from ectfg_core.render.raster import box_around, polygon_coverage
from ectfg_core.render.sampling import sample

_REACH = 0.02  # face widths beyond the detected inner lip contour where the photo's teeth may still be
_RED_APART = 0.15  # lips at least this much redder than the teeth (redness per brightness), or brightness decides
_FILL_REACH = 6  # pixels around a covered one (up, down and along the lips) the fill takes its colours from
_BRIGHTER = 1.15  # teeth at least this much brighter than the lips, or there is nothing to tell apart
_LOWER_TEETH = 2.0  # how far (in reaches) below the lower lip's contour a laughing photo's lower teeth may lie
_FILL_SHADE = 0.9  # the lips' red where they meet, where the cover finds no lip near: a little into the mouth's shade
_CAVITY_DARK = 0.55  # below this share of the lips' brightness a pixel beside the opening is the cavity (fully below 0.4)


def _area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def redness(color: torch.Tensor) -> torch.Tensor:
    """How much redder than gray a colour is, per unit of brightness: lips are, teeth are not (whatever the light)."""
    luma = color.mean(dim=0).clamp_min(1.0)
    return (color[0] - 0.5 * (color[1] + color[2])) / luma


def _brighter(teeth_color: torch.Tensor, lip_color: torch.Tensor) -> bool:
    return float(teeth_color.mean()) >= _BRIGHTER * float(lip_color.mean())


def unlike_lips(teeth_color: torch.Tensor, lip_color: torch.Tensor) -> bool:
    """Whether a colour seen between the lips is plainly not lip: brighter and much less red."""
    less_red = float(redness(lip_color[:, None]) - redness(teeth_color[:, None])) > _RED_APART
    return _brighter(teeth_color, lip_color) and less_red


def toothiness(crop: torch.Tensor, teeth_color: torch.Tensor, lip_color: torch.Tensor) -> torch.Tensor:
    """0..1 per pixel of crop (3, h, w): how much more like the photo's teeth than its lips it looks. By redness
    where the lips are clearly redder than the teeth (the lips' own shading stays lip); by brightness in a gray
    photo."""
    lip_red, teeth_red = float(redness(lip_color[:, None])), float(redness(teeth_color[:, None]))
    if lip_red - teeth_red > _RED_APART:
        along = (lip_red - redness(crop)) / (lip_red - teeth_red)
    else:
        lip_luma, teeth_luma = float(lip_color.mean()), float(teeth_color.mean())
        along = (crop.mean(dim=0) - lip_luma) / max(teeth_luma - lip_luma, 1.0)
    return ((along - 0.35) / 0.3).clamp_(0.0, 1.0)


def _cavity_like(crop: torch.Tensor, lip_color: torch.Tensor) -> torch.Tensor:
    """0..1 per pixel of crop (3, h, w): how plainly darker than the lips it is (the mouth's cavity, not lip shading)."""
    ratio = crop.mean(dim=0) / max(float(lip_color.mean()), 1.0)
    return ((_CAVITY_DARK - ratio) / 0.15).clamp_(0.0, 1.0)


def _lower_teeth(toothy: torch.Tensor, darkness: torch.Tensor, opening: np.ndarray, lower: np.ndarray, ys: np.ndarray,
                 depth: float, between: np.ndarray) -> torch.Tensor:
    """The lower teeth a laughing photo shows below MediaPipe's lower lip contour (which often runs along their top):
    tooth- or cavity-coloured pixels up to `depth` below it that join, through such pixels, the teeth or the cavity
    inside the opening, between the mouth's corners (`between`, per column). A highlight on the lower lip is as pale
    as a tooth but lies apart, with lip around it; a beard beside the mouth is as dark as the cavity."""
    below = (ys[:, None] > lower) & (ys[:, None] < lower + depth) & between[None, :]
    inside = opening > 0.5
    candidates = ((toothy > 0.5) | (darkness > 0.5)).numpy() & (below | inside)
    parts, count = label(candidates)
    if count == 0:
        return torch.zeros_like(toothy)
    joined = np.isin(parts, np.unique(parts[candidates & inside]))
    return torch.from_numpy((joined & below).astype(np.float32))


def _lip_fill(view: torch.Tensor, alpha: torch.Tensor, fallback: torch.Tensor) -> torch.Tensor:
    """The lip around carried over the covered pixels (normalised convolution, up and down and along the lips), so
    the cover keeps the lips' shading (the seam where they meet is drawn by the mouth layer); the fallback colour
    where no lip pixel is near."""
    keep = (1.0 - alpha)[None, None]
    taps = torch.exp(-0.5 * (torch.arange(-_FILL_REACH, _FILL_REACH + 1, dtype=torch.float32) / (_FILL_REACH / 2)) ** 2)

    def smooth(x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, taps.view(1, 1, -1, 1), padding=(_FILL_REACH, 0))
        return F.conv2d(x, taps.view(1, 1, 1, -1), padding=(0, _FILL_REACH))

    both = smooth(torch.cat([keep[0], view * keep[0]]).unsqueeze(1))  # the weight and the weighted colour together
    weight, colour = both[:1], both[1:]
    trusted = (weight / float(taps.sum() ** 2) * 4.0).clamp_(0.0, 1.0)[0]
    colour = colour[:, 0] / weight[0].clamp_min(1e-6)
    return colour * trusted + fallback * (1.0 - trusted)


class StrayTeeth:
    """The portrait's teeth near its mouth opening as a mask in photo space, and its lip colour to cover them."""

    def __init__(self, source: torch.Tensor, points: np.ndarray, face_width: float, teeth_color: torch.Tensor,
                 lip_color: torch.Tensor, lip_red: torch.Tensor, blur: float = 0.0):
        """lip_red: the lips' own colour without what a soft photo smears into them (MouthLayer.lip_red); the cover
        takes it, a little into shade, where no lip is near."""
        points = np.asarray(points, dtype=np.float64)
        self.blur = float(blur)  # the photo's softness beyond the drawing's own (sharpness.drawn_blur): the cover's edge as soft
        self.inner = points[INNER_LIP_POLYGON]
        self.reach = _REACH * face_width
        self.margin = _LOWER_TEETH * self.reach  # how far past the opening anything to cover may lie
        self.source_area = max(_area(self.inner), 1.0)
        self.fill = (lip_red * _FILL_SHADE)[:, None, None]
        _, height, width = source.shape
        x0, y0, x1, y1 = box_around(self.inner, self.margin + 2.0, (0, 0, width, height))
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        # The opening, and a band above it that thins out towards the corners (beside the corners is skin, which
        # must stay).
        upper = np.interp(xs, *by_x(points[UPPER_INNER]))[None, :]
        lower = np.interp(xs, *by_x(points[LOWER_INNER]))[None, :]
        left, right = self.inner[:, 0].min(), self.inner[:, 0].max()
        across = np.clip(1.0 - ((xs - 0.5 * (left + right)) / max(0.5 * (right - left), 1.0)) ** 2, 0.0, 1.0)[None, :]
        band = self.reach * across
        # Hardly any below the lower lip's contour: teeth rarely hide there, the lower lip's highlights often do.
        near = np.clip(ys[:, None] - (upper - band) + 0.5, 0.0, 1.0) * np.clip(lower + 0.25 * band - ys[:, None] + 0.5, 0.0, 1.0)
        near *= (xs >= left)[None, :] & (xs <= right)[None, :]
        crop = source[:, y0:y1, x0:x1]
        tooth_coloured, darkness = toothiness(crop, teeth_color, lip_color), _cavity_like(crop, lip_color)
        # Everything the photo shows between its lips goes too, the dark gaps between the teeth and the cavity
        # beside them: covering only the teeth left those gaps as a dotted seam between closed lips.
        opening = np.clip(ys[:, None] - upper + 0.5, 0.0, 1.0) * np.clip(lower - ys[:, None] + 0.5, 0.0, 1.0)
        toothy = torch.maximum(tooth_coloured, torch.from_numpy(opening.astype(np.float32)))
        # And the dark of the cavity that reaches past the contour, corners included: at a grin's corners MediaPipe's
        # inner lip line runs inside the dark corridor beside the teeth, which closed lips carried as a black hook.
        # Half a reach, and not past the mouth's corners: a beard or moustache beside the mouth is as dark.
        edge = 0.5 * self.reach
        rim = np.clip(ys[:, None] - (upper - edge) + 0.5, 0.0, 1.0) * np.clip(lower + edge - ys[:, None] + 0.5, 0.0, 1.0)
        corners = points[list(OUTER_CORNERS), 0]
        between = (xs >= min(left, corners.min())) & (xs <= max(right, corners.max()))
        rim *= between[None, :]
        lower_teeth = _lower_teeth(tooth_coloured, darkness, opening, lower, ys, self.margin, between)
        past_contour = torch.maximum(darkness * torch.from_numpy(rim.astype(np.float32)), lower_teeth)
        # A pixel further: the bilinear sampling that lands on the lip's edge mixes in the tooth beside it.
        grown = F.max_pool2d(torch.stack([toothy, past_contour])[:, None], kernel_size=3, stride=1, padding=1)[:, 0]
        self.mask = torch.maximum(grown[0] * torch.from_numpy(near.astype(np.float32)), grown[1])[None]
        self.origin = (float(x0), float(y0))

    @classmethod
    def of(cls, source: torch.Tensor, points: np.ndarray, face_width: float, teeth_color: torch.Tensor | None,
           lip_color: torch.Tensor, lip_red: torch.Tensor, blur: float = 0.0) -> StrayTeeth | None:
        """None where the photo's lips are closed or nothing brighter than its lips shows between them."""
        if teeth_color is None or not _brighter(teeth_color, lip_color):
            return None
        return cls(source, points, face_width, teeth_color, lip_color, lip_red, blur)

    def cover(self, region: torch.Tensor, origin: tuple[int, int], coords: torch.Tensor, inner: np.ndarray) -> None:
        """Paint over, in region (3, h, w) at image pixel origin, the photo's teeth that coords (h, w, 2) brought
        outside the frame's open mouth (inner: its inner lip polygon), in place."""
        closed = 1.0 - min(_area(inner) / self.source_area, 1.0)
        if closed <= 0.02:
            return
        ox, oy = origin
        _, height, width = region.shape
        box = box_around(inner, self.margin + 4.0, (ox, oy, ox + width, oy + height))
        if box is None:
            return
        x0, y0, x1, y1 = box
        seen = sample(self.mask, coords[y0 - oy : y1 - oy, x0 - ox : x1 - ox], origin=self.origin, padding="zeros")[0]
        rows, cols = torch.nonzero(seen > 0.02, as_tuple=True)
        if len(rows) == 0:
            return
        # Only the span the teeth landed in (most frames a thin band), with the pixels around the fill takes colours from.
        r0, r1 = int(rows.min()), int(rows.max()) + 1
        c0, c1 = max(int(cols.min()) - _FILL_REACH, 0), min(int(cols.max()) + 1 + _FILL_REACH, x1 - x0)
        f0, f1 = max(r0 - _FILL_REACH, 0), min(r1 + _FILL_REACH, y1 - y0)
        xs, ys = np.arange(x0 + c0, x0 + c1, dtype=np.float64), np.arange(y0 + f0, y0 + f1, dtype=np.float64)
        opening = torch.from_numpy(polygon_coverage(inner, xs, ys, feather=1.0))
        alpha = seen[f0:f1, c0:c1] * (1.0 - opening) * closed
        if self.blur:
            # Full cover where it was, a soft edge around it as wide as the photo's own blur: a hard-edged cover
            # showed on a soft photo as a flat band laid over the lips.
            soft = torch.from_numpy(gaussian_filter(alpha.numpy(), self.blur))
            alpha = torch.maximum(alpha, soft * (1.0 - opening) * closed)
        view = region[:, y0 - oy + f0 : y0 - oy + f1, x0 - ox + c0 : x0 - ox + c1]
        # The fill reads the pixels as they are, before the cover darkens them (read after, a half-covered pixel at
        # the cover's edge counted with its colour already faded towards black: a brown band over soft photos' lips).
        fill = _lip_fill(view, alpha, self.fill)
        view.mul_(1.0 - alpha).add_(fill * alpha)
