"""The mouth interior: what shows between the parted lips, in colours taken from the portrait.

Teeth are fixed to the skull and the jaw, not to the lips, so they are never stretched: where the portrait shows
its teeth between its lips, what shows there moves with the head only; the lower teeth and the tongue follow the
jaw; the rest is a dark cavity. When the portrait shows no teeth (lips closed, or open on a cavity and a tongue,
which belong to no skull), the mouth is drawn whole: upper and lower teeth one by one (gaps, notched at the biting
edge, rounded edges, darker towards the canines) in the white of the portrait's own eyes.

Every colour here is a portrait colour times a scalar (or a mix of portrait colours), so the mouth keeps the
photo's white balance and saturation: a grayscale portrait gets a grayscale mouth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from ectfg_core.render.geometry import (
    EYES,
    INNER_LIP_POLYGON,
    IRIS,
    LOWER_INNER,
    LOWER_OUTER,
    UPPER_INNER,
    UPPER_OUTER,
    by_x,
    eye_polygon,
    iris_circle,
    smoothstep,
)
from ectfg_core.render.raster import box_around, polygon_coverage
from ectfg_core.render.rig import JAW_DROP
from ectfg_core.render.sampling import sample
from ectfg_core.render.stray_teeth import redness, toothiness, unlike_lips

_UPPER_COUNT = len(UPPER_INNER)
# Where neighbouring teeth meet, face widths from the midline as seen from the front (the arch turns away, so
# teeth further back look narrower): central and lateral incisors, canines, two premolars.
_UPPER_EDGES = np.array([0.0, 0.058, 0.1, 0.136, 0.165, 0.19])
_LOWER_EDGES = np.array([0.0, 0.036, 0.07, 0.1, 0.126, 0.15])
# Per tooth (same order): brightness (front teeth catch the light, the back ones sit in the mouth's shadow),
# how far the upper tooth reaches below the resting upper lip (face widths), how round its edge is (1: canine point).
_TOOTH_LIGHT = np.array([1.0, 0.9, 0.74, 0.58, 0.46, 0.4])
_UPPER_REACH = np.array([0.02, 0.016, 0.015, 0.01, 0.008, 0.006])
_LOWER_GAP = 0.25  # how much darker the seam between two lower teeth is, once the row shows itself
# How much less of itself the lower row shows at its last tooth than in the middle (less with the square of the
# distance from the middle).
_LOWER_SINK = 0.6
_GAPS_FROM, _GAPS_FULL = 2.5, 4.0  # pixels of lower teeth showing: the seams begin to show, and take this many more
# to darken fully (a jaw opened wide shows about 6 px at 512: its teeth stand apart)
_POINTED = np.array([0.0, 0.0, 1.0, 0.6, 0.6, 0.6])
# The seam between two teeth towards the gum, as a share of its darkness at the biting edge; and how deep (face
# widths) the notch at the edge reaches.
_SEAM_BODY, _NOTCH_DEPTH = 0.5, 0.01
_TOOTH_LENGTH = 0.075  # upper incisor crown, face widths: above it the gum
_DEEP, _RIM = 0.28, 0.6  # cavity brightness in lip-colour units: far back, and the wet inner lip at the edge
_SEAM_CORNER, _SEAM_TAPER = 0.5, 0.4  # the seam's strength at the corners, and over what share of the half-mouth it grows
# The seam darkens by exp(-(d / _SEAM_WIDTH)^2), d in face widths: closed mouths photographed show it 2-3 px wide at 512
# (falling by 0.21-0.60 of its depth per pixel across it); narrower, it read as a pencil line.
_SEAM_WIDTH = 0.008
_SEAM_DARKNESS = 0.8  # how far the line where parted lips now touch goes towards the inner lip's dark rim
# How much more of the upper teeth a smiling photo's upper lip hides (face widths): a lip lifted higher bares that
# much more tooth, then gum. And how far under the lip's detected contour the first clean row of teeth lies (pixels).
_HIDDEN_CROWN, _LIP_EDGE = 0.015, 2.0
# The tongue's body: its half width (face widths; its sides curve down into the floor of the mouth), and how much
# higher (face widths) its top stands behind the lower teeth once the jaw opens wider than speech opens it (above
# _TONGUE_SHOWS), up to a fully open jaw. Lying as low as in speech, a wide-open mouth showed a sliver of it under
# a flat dark cavity, a cartoon hole.
_TONGUE_HALF, _TONGUE_RISE, _TONGUE_SHOWS = 0.1, 0.025, 0.6
# The tongue tip rises to the upper teeth in full up to a jaw opened _TIP_OUT_OF_REACH - _TIP_FADE, not at all from
# _TIP_OUT_OF_REACH on: a tip raised for /n t d l/ while the vowel before still held the jaw open wide (0.84 in an
# angry "can't") stood in the mouth as a pink spike.
_TIP_OUT_OF_REACH, _TIP_FADE = 0.9, 0.3
# Its half width (face widths): a dome about as broad as the four front teeth, rounded at its shoulders (a narrow bell
# rising from the tongue's body had straight flanks, a pink wedge in every /t d n l/).
_TIP_HALF, _TIP_FLANK_SHADE = 0.075, 0.35
# Its brightness against the teeth's: lips darker than that give the tongue their hue, not their darkness.
_TONGUE_LIGHT = 0.6
# An opening counts for this share of a jaw opened as wide (rig.JAW_DROP).
_OPENING_SHARE = 0.8
_BLUR_REACH = 2.5  # sigmas the blur reaches (and the drawn box grows by): the rest of a Gaussian is below 1 %


@dataclass
class MouthPose:
    """What the mouth layer needs to know about a frame."""

    inner: np.ndarray  # (20, 2) driven inner lip polygon (INNER_LIP_POLYGON order)
    skull: np.ndarray  # (2,) how far the upper teeth moved (head motion), pixels
    jaw: np.ndarray  # (2,) how far the lower teeth moved (head + jaw), pixels
    jaw_open: float  # the jaw control, 0..1.4
    axes: tuple[np.ndarray, np.ndarray]  # face x and y axes after head roll
    tongue_tip: float = 0.0  # 0 the tongue lies low, 1 its tip touches the upper teeth (th, l, t, d, n)


def close_lips(skin: np.ndarray, press: float, ey: np.ndarray) -> np.ndarray:
    """Pull the inner lips together over what the other controls opened (smile, raised lip), and uncross them, in place.

    The rig's lip_press closes the gap the portrait has; a smile or a raised lip opens new gap on top, and a /m/
    must still close. Weighted by press**4: only a full press (a bilabial) closes everything.
    """
    upper, lower = UPPER_INNER[1:-1], LOWER_INNER[1:-1]
    weight = float(press) ** 4
    if weight > 1e-4:
        gap = np.clip((skin[lower] - skin[upper]) @ ey, 0.0, None)
        shift = 0.5 * weight * gap[:, None] * ey[None, :]
        skin[upper] += shift
        skin[lower] -= shift
        # The outer contours come along half way, so the lips move rather than only thicken.
        skin[UPPER_OUTER[1:-1]] += 0.5 * shift
        skin[LOWER_OUTER[1:-1]] -= 0.5 * shift
    # Lips meet, they never pass through each other: several closing controls together (press, tighten, chin raise)
    # can overshoot, and crossed lips fold the mouth's mesh and let slivers of the photo's teeth through.
    overlap = np.clip((skin[lower] - skin[upper]) @ ey, None, 0.0)
    if overlap.any():
        back = 0.5 * overlap[:, None] * ey[None, :]
        skin[upper] += back
        skin[lower] -= back
    return skin


def _luma(color: torch.Tensor) -> float:
    return float(color.mean())


class MouthLayer:
    """Mouth interior of one portrait."""

    def __init__(self, points: np.ndarray, face_width: float, source: torch.Tensor, ex: np.ndarray, ey: np.ndarray,
                 blur: float = 0.0):
        """blur: how much softer than its own drawing the photo is (sharpness.drawn_blur, sigma in pixels): the seam
        of shut lips and the opening's outline are blurred by that much."""
        pts = np.asarray(points, dtype=np.float64)
        self.face_width = face_width
        self.blur = float(blur)
        self.source_inner = pts[INNER_LIP_POLYGON]
        self.source_upper = pts[UPPER_INNER]
        self.source_lower = pts[LOWER_INNER]
        self.source_center = 0.5 * (pts[13] + pts[14])
        gap = float((pts[14] - pts[13]) @ ey)
        image = source
        lips = self._lip_pixels(pts, image)
        self.lip_color = lips.median(dim=1).values
        # The lips' own red, without the skin and teeth a soft photo smears into their outline: the redder half.
        red = redness(lips)
        self.lip_red = lips[:, red >= red.quantile(0.5)].median(dim=1).values
        skin = self._skin_color(pts, image)
        interior = self._interior_pixels(image)
        lum = interior.mean(dim=0) if interior.numel() else torch.zeros(0)
        # The portrait shows its own teeth when the lips are parted and what is between them is bright.
        self.has_interior = gap > 0.015 * face_width and interior.shape[1] >= 6
        # The brightest of what shows between parted lips: the photo's teeth, if any (see stray_teeth.py).
        self.photo_teeth_color = interior[:, lum >= lum.quantile(0.6)].mean(dim=1) if self.has_interior else None
        # Teeth in bright light, or teeth plainly unlike the lips (creamy teeth in a ruddy face, dark gaps between).
        self.shows_teeth = bool(self.has_interior and (lum.median() > 0.72 * _luma(skin)
                                                       or unlike_lips(self.photo_teeth_color, self.lip_color)))
        if self.shows_teeth:
            self.teeth_color = self.photo_teeth_color
        else:
            self.teeth_color = self._white(pts, image, skin)
        # Darkening by a scalar keeps the lip's hue and saturation (and a gray lip gray).
        self.cavity_color = self.lip_color * _DEEP
        self.rim_color = self.lip_color * _RIM
        # The tongue is not pigmented like the lips: dark lips lend it their hue, not their darkness.
        self.tongue_color = self.lip_color * max(1.0, _TONGUE_LIGHT * _luma(self.teeth_color) / max(_luma(self.lip_color), 1.0))
        self.gum_color = self.lip_color * 1.0
        # Only teeth ride with the skull: a photo's open mouth without them (cavity, tongue) carried so covered the
        # drawn upper teeth with its tongue, leaving fangs at the corners.
        self._source_layer = self._make_source_layer(image) if self.shows_teeth else None

    # ---- colours measured on the portrait -----------------------------------------------------------------
    def _lip_pixels(self, pts: np.ndarray, image: torch.Tensor) -> torch.Tensor:
        outer = np.concatenate([pts[UPPER_OUTER], pts[LOWER_OUTER][-2:0:-1]])
        box = box_around(outer, 1.0, (0, 0, image.shape[2], image.shape[1]))
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1), np.arange(y0, y1)
        band = polygon_coverage(outer, xs, ys, inset=1.0) * (1.0 - polygon_coverage(self.source_inner, xs, ys, inset=-1.5))
        crop = image[:, y0:y1, x0:x1]
        picked = crop[:, torch.from_numpy(band > 0.5)]
        if picked.shape[1]:
            return picked
        return image[:, y0:y1, x0:x1].reshape(3, -1)  # degenerate lips: the mouth region's own colours

    def _skin_color(self, pts: np.ndarray, image: torch.Tensor) -> torch.Tensor:
        """Median colour of the cheeks (beside the nose, below the eyes)."""
        cheeks = pts[[50, 280, 101, 330, 205, 425]]
        colors = sample(image, torch.tensor(cheeks, dtype=torch.float32))
        return colors.median(dim=1).values

    def _white(self, pts: np.ndarray, image: torch.Tensor, skin: torch.Tensor) -> torch.Tensor:
        """Colour for teeth the portrait does not show: the white of its eyes, a little warmer and in shade.

        The sclera carries the photo's white balance; without a usable sclera (closed eyes, glasses), bright
        skin with most of its colour taken out stands in.
        """
        whites = []
        for side in EYES:
            poly = pts[eye_polygon(side)]
            box = box_around(poly, 0.0, (0, 0, image.shape[2], image.shape[1]))
            if box is None:
                continue
            x0, y0, x1, y1 = box
            xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
            inside = polygon_coverage(poly, xs, ys, inset=1.0) > 0.5
            centre, radius = iris_circle(pts[IRIS[side]])
            off_iris = np.hypot(xs[None, :] - centre[0], ys[:, None] - centre[1]) > 1.15 * radius
            whites.append(image[:, y0:y1, x0:x1][:, torch.from_numpy(inside & off_iris)])
        pixels = torch.cat(whites, dim=1) if whites else torch.zeros(3, 0)
        skin_lum = max(_luma(skin), 1.0)
        if pixels.shape[1] >= 8:
            lum = pixels.mean(dim=0)
            sclera = pixels[:, lum >= lum.quantile(0.5)].median(dim=1).values
            if _luma(sclera) > 0.9 * skin_lum:
                white = 0.85 * sclera + 0.15 * skin * (_luma(sclera) / skin_lum)  # teeth are a touch warmer than eyes
                return white * 0.92
        neutral = skin.mean()
        return (0.3 * skin + 0.7 * neutral) * min(1.25, 235.0 / skin_lum)

    def _interior_pixels(self, image: torch.Tensor) -> torch.Tensor:
        box = box_around(self.source_inner, 1.0, (0, 0, image.shape[2], image.shape[1]))
        x0, y0, x1, y1 = box
        inside = polygon_coverage(self.source_inner, np.arange(x0, x1), np.arange(y0, y1), inset=1.0)
        return image[:, y0:y1, x0:x1][:, torch.from_numpy(inside > 0.5)]

    def _make_source_layer(self, image: torch.Tensor) -> tuple[torch.Tensor, tuple[float, float]]:
        """RGB + coverage of the portrait's own mouth interior, to be moved with the skull.

        Over teeth, the layer goes on above the upper lip for the crown the lip hid: the first clean row of teeth
        under the lip, continued up. A smile that lifts the lip past where the photo had it bares more of the same
        teeth (then gum), not a dark band or a second, drawn row above them.
        """
        crown = _HIDDEN_CROWN * self.face_width if self.shows_teeth else 0.0
        box = box_around(self.source_inner, 3.0 + crown, (0, 0, image.shape[2], image.shape[1]))
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        alpha = polygon_coverage(self.source_inner, xs, ys, inset=-1.0)
        # Fade out along the lips' edges: once the lips move, the lip pixels there must not come along.
        upper = np.interp(xs, *by_x(self.source_upper))[None, :]
        lower = np.interp(xs, *by_x(self.source_lower))[None, :]
        alpha *= np.clip((ys[:, None] - upper) / 1.5, 0.0, 1.0) * np.clip((lower - ys[:, None]) / 1.5, 0.0, 1.0)
        rgb = image[:, y0:y1, x0:x1].clone()
        if crown > 0:
            top = upper[0] + _LIP_EDGE
            row = sample(image, torch.from_numpy(np.stack([xs, top], axis=-1).astype(np.float32)))  # (3, W)
            # Only columns whose top row is teeth, well inside the opening (not the lower lip near the corners).
            teeth = toothiness(row[:, None, :], self.photo_teeth_color, self.lip_color)[0].numpy()
            teeth = teeth * np.clip((lower[0] - top - 2.0) / 2.0, 0.0, 1.0)
            above = ys[:, None] < top[None, :]
            # Crowns darken a little towards the gum, and the continuation ends softly where the gum begins.
            depth = np.clip((top[None, :] - ys[:, None]) / max(crown, 1.0), 0.0, 1.0)
            reach = np.clip((ys[:, None] - (upper - crown)) / 1.5, 0.0, 1.0)
            rgb = torch.where(torch.from_numpy(above)[None], row[:, None, :] * torch.from_numpy(
                (1.0 - 0.12 * depth).astype(np.float32))[None], rgb)
            alpha = np.where(above, np.maximum(alpha, reach * teeth[None, :]), alpha)
        layer = torch.cat([rgb, torch.from_numpy(alpha.astype(np.float32))[None]], dim=0)
        return layer, (float(x0), float(y0))

    # ---- per frame -------------------------------------------------------------------------------------
    def composite(self, canvas: torch.Tensor, origin: tuple[int, int], pose: MouthPose) -> None:
        """Draw the interior into canvas (3, h, w), whose pixel (0, 0) is image pixel origin."""
        ox, oy = origin
        _, height, width = canvas.shape
        # The box's 2 px around the opening hold its antialiased edge and a pixel of blur already.
        box = box_around(pose.inner, 2.0 + max(_BLUR_REACH * self.blur - 1.0, 0.0), (ox, oy, ox + width, oy + height))
        if box is None:
            return
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        ex, ey = pose.axes
        fw = self.face_width
        upper_c = pose.inner[:_UPPER_COUNT]
        lower_c = np.concatenate([pose.inner[:1], pose.inner[_UPPER_COUNT:][::-1], pose.inner[_UPPER_COUNT - 1 : _UPPER_COUNT]])
        center = 0.5 * (upper_c[_UPPER_COUNT // 2] + lower_c[len(lower_c) // 2])
        gx, gy = np.meshgrid(xs, ys)
        u = (gx - center[0]) * ex[0] + (gy - center[1]) * ex[1]
        v = (gx - center[0]) * ey[0] + (gy - center[1]) * ey[1]

        def profile(contour: np.ndarray, shift: np.ndarray | None = None) -> np.ndarray:
            c = contour if shift is None else contour + shift
            cu, cv = (c - center) @ ex, (c - center) @ ey
            order = np.argsort(cu)
            return np.interp(u, cu[order], cv[order])

        upper, lower = profile(upper_c), profile(lower_c)
        corner_u = (upper_c[[0, -1]] - center) @ ex
        half = max(0.5 * (corner_u.max() - corner_u.min()), 1.0)
        ur = np.clip(u / half, -1.0, 1.0)
        # Signed distance to the lip edge (pixels, + inside) from one coverage pass with a wide ramp.
        signed = (polygon_coverage(pose.inner, xs, ys, feather=16.0) - 0.5) * 16.0
        skull_line = profile(self.source_upper, pose.skull)  # where the upper teeth hang from
        # Anti-aliased. Where the upper lip has risen above its place in the photo, the warp brings along
        # slivers of what the photo had right under it (tooth tips): there the interior reaches a pixel over it.
        grow = 1.3 * np.clip((skull_line - upper - 1.0) / 2.0, 0.0, 1.0) * np.clip((lower - upper - 2.0) / 3.0, 0.0, 1.0)
        grow *= v < 0.5 * (upper + lower)
        mask = np.clip(signed - 0.3 + grow, 0.0, 1.0)
        source_gap = profile(self.source_lower, pose.skull) - skull_line
        seam = self._seam(v, upper, lower, lower - upper, source_gap, u, corner_u)
        if not mask.any() and seam is None:
            return

        def tensor(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.asarray(x, dtype=np.float32))

        view = canvas[:, y0 - oy : y1 - oy, x0 - ox : x1 - ox]
        if seam is not None and self.blur:
            seam = gaussian_filter(seam, self.blur, truncate=_BLUR_REACH)
        if seam is not None:
            # Firm, not faint: with everything the photo showed between its lips painted over (stray_teeth), this
            # line is all that tells shut lips apart, to viewers and to landmark detectors alike.
            view.mul_(1.0 - tensor(seam) * _SEAM_DARKNESS).add_(tensor(seam) * _SEAM_DARKNESS * self.rim_color[:, None, None] * 0.7)
        if not mask.any():
            return

        # Cavity: the wet inner lip is lit near the edge, the mouth darkens with depth and towards the corners.
        rim = np.exp(-np.clip(signed, 0.0, None) / max(0.012 * fw, 1.0))
        deep = (1.0 - 0.5 * ur**2) * (1.0 + 1.2 * np.exp(-np.clip(lower - v, 0.0, None) / (0.04 * fw)))
        color = _mix(self.cavity_color, self.rim_color, tensor(rim), tensor(deep))

        # Teeth positions are fixed to the skull (upper) and the jaw (lower), not to the moving lips.
        tu_upper = u - (self.source_center + pose.skull - center) @ ex
        tu_lower = u - (self.source_center + pose.jaw - center) @ ex
        jaw_line = profile(self.source_lower, pose.jaw)
        # How far the mouth is open: the jaw, or, for a mouth drawn whole, the opening itself (a photo's mouth open
        # on no teeth: its tongue and lower teeth show as for a jaw opened as far, not a dark hole under the upper
        # teeth). A photo's own teeth fill their opening themselves.
        opened = float(np.clip(pose.jaw_open, 0.0, 1.0))
        if not self.shows_teeth:
            opening = _in_the_middle((lower - upper)[0], u[0])
            opened = max(opened, float(np.clip(_OPENING_SHARE * opening / (JAW_DROP * fw), 0.0, 1.0)))

        # Lower incisors show a few millimetres above the lower lip once the jaw opens (less, and a mouth that talks
        # looks toothless: a dark band over the lower lip).
        lower_tips = jaw_line - (0.008 + 0.026 * opened) * fw
        # They follow the photo's lower lip, but show less of themselves towards the corners than in the middle: the
        # side teeth stand further back, behind the lip's curve. Where the lip now runs flatter than in the photo (a
        # smiling photo's upturned lip stretched by fear), side teeth shown as tall as the front ones, or taller, stood
        # up along it into the corners as a fence of pickets.
        shown = lower - lower_tips
        shown_middle = _in_the_middle(shown, tu_lower)
        to_corner = np.clip(np.abs(tu_lower) / (_LOWER_EDGES[-1] * fw), 0.0, 1.0)
        lower_tips = np.maximum(lower_tips, lower - shown_middle * (1.0 - _LOWER_SINK * to_corner**2))
        # Tongue on the floor of the mouth, rising behind the lower teeth as the jaw opens; its back is in shadow, its
        # groove a little darker. Its top is broad and flat (an elliptic top with a marked groove showed through a
        # rounded mouth as a peaked pink tent).
        tongue_floor = jaw_line - (0.006 + 0.016 * opened) * fw
        tongue_half = _TONGUE_HALF * fw
        across = np.clip(1.0 - (tu_lower / tongue_half) ** 2, 0.0, 1.0)
        rise = 0.006 + 0.03 * opened + _TONGUE_RISE * max(opened - _TONGUE_SHOWS, 0.0) / (1.0 - _TONGUE_SHOWS)
        tongue_top = tongue_floor - rise * fw * across**0.3 + (1.0 - across) * 0.02 * fw
        side, fade = 0.0, 1.0  # how far a raised tip's side has turned away, and how much of it still shows
        if pose.tongue_tip > 0:
            # The tip rises to the edge of the upper front teeth, narrower than the tongue's body; a jaw opened wide
            # takes it out of reach (stretched up all the way, it stood in the open mouth as a pink spike).
            tip_line = skull_line + 0.016 * fw
            reach = float(np.clip((_TIP_OUT_OF_REACH - opened) / _TIP_FADE, 0.0, 1.0))
            dome = np.clip(1.0 - (tu_lower / (_TIP_HALF * fw)) ** 2, 0.0, 1.0) ** 0.8
            raised = min(float(pose.tongue_tip), 1.0) * reach * dome
            body_top = tongue_top
            tongue_top = tongue_top + (np.minimum(tip_line, tongue_top) - tongue_top) * raised
            # Its flanks turn away from the light and fade into the mouth's shadow: a rounded tip, not a flat cut-out.
            side = np.clip(np.abs(tu_lower) / (_TIP_HALF * fw), 0.0, 1.0) ** 2 * np.clip(raised / 0.1, 0.0, 1.0)
            fade = np.where(v < body_top, 1.0 - side**2, 1.0)  # only the raised tip, not the tongue's body below it
        tongue = np.clip(v - tongue_top + 0.5, 0.0, 1.0) * (across > 0) * fade
        tongue_shade = (0.45 + 0.55 * np.clip((v - tongue_top) / (0.03 * fw), 0.0, 1.0)) * (1.0 - 0.5 * ur**2)
        tongue_shade *= (1.0 - 0.08 * np.exp(-((tu_lower / (0.012 * fw)) ** 2))) * (1.0 - _TIP_FLANK_SHADE * side)
        color = _over(color, self.tongue_color[:, None, None] * tensor(tongue_shade), tensor(tongue))

        # Lower teeth rise with the jaw, mostly behind the lower lip; more of them shows as the jaw opens.
        if opened > 0.05:
            # The seams between them darken only as the row shows itself: on a sliver a few pixels tall, a dark
            # tick per tooth drew the row as a dotted line.
            gap = _LOWER_GAP * float(np.clip((shown_middle - _GAPS_FROM) / _GAPS_FULL, 0.0, 1.0))
            shade, cover = self._teeth(tu_lower, v, lower_tips, _LOWER_EDGES, reach=np.zeros(6), hang=-1.0, gap=gap)
            color = _over(color, self.teeth_color[:, None, None] * tensor(shade * 0.9), tensor(cover * min(1.0, opened / 0.25)))

        # Upper teeth hang from the skull; gums above them show only when the upper lip rises far. Drawn ones hang
        # from the photo's upper lip, but never lower at the sides than in the middle: under the arched lip of a
        # photo's open mouth the side teeth hung longer than the front ones, like fangs.
        root = skull_line
        if not self.shows_teeth:
            root = np.minimum(skull_line, _in_the_middle(skull_line, tu_upper))
            shade, cover = self._teeth(tu_upper, v, root, _UPPER_EDGES, reach=_UPPER_REACH, hang=1.0, gap=0.35)
            color = _over(color, self.teeth_color[:, None, None] * tensor(shade), tensor(cover))
        # Where the portrait shows its teeth, its upper lip rests near their gum line: a lip lifted higher bares gum.
        gum_line = root + (1.5 if self.shows_teeth else (0.015 - _TOOTH_LENGTH) * fw)
        gums = np.clip(gum_line - v + 0.5, 0.0, 1.0) * np.clip(1.0 - np.abs(ur) ** 2.5, 0.0, 1.0)
        color = _over(color, self.gum_color[:, None, None], tensor(gums))

        # The upper lip's soft shadow falls on whatever is right under it; the corners sink into the cheeks.
        below_lip = np.clip(v - upper, 0.0, None)
        shadow = (1.0 - 0.35 * np.exp(-below_lip / (0.01 * fw))) * (1.0 - 0.35 * np.abs(ur) ** 3)
        color = color * tensor(shadow)
        a = tensor(mask)
        if self.blur:
            # The opening's edge (lips on the cavity) as soft as the photo's edges. What lies inside is left as drawn:
            # blurred too, the narrow gaps between the lower teeth washed out and the row read as one white strip.
            a = tensor(gaussian_filter(mask, self.blur, truncate=_BLUR_REACH))
        if self._source_layer is not None:
            color = self._own_teeth(color, gx, gy, pose)
        view.mul_(1 - a).add_(color * a)

    def _teeth(self, tu: np.ndarray, v: np.ndarray, root: np.ndarray, edges: np.ndarray, reach: np.ndarray,
               hang: float, gap: float) -> tuple[np.ndarray, np.ndarray]:
        """Shade and coverage of one row of teeth, one tooth at a time.

        root: the line the row is fixed to (upper: the resting upper lip, teeth hang below it by `reach`;
        lower: the line of the lower teeth's tips, the teeth stand below it). hang: +1 upper row, -1 lower row;
        gap: how much darker the narrow seam between two teeth is.
        """
        fw = self.face_width
        a = np.abs(tu) / fw
        k = np.clip(np.searchsorted(edges, a, side="right") - 1, 0, len(edges) - 2)
        left, right = edges[k], edges[k + 1]
        across = np.clip((a - left) / (right - left), 0.0, 1.0)  # 0..1 over one tooth
        from_middle = np.abs(2.0 * across - 1.0)  # 0 at the tooth's middle, 1 where it meets the next
        gap_px = np.minimum(a - left, right - a) * fw
        # Edges: incisors square with rounded corners, canines and premolars pointed.
        pointed = _POINTED[k]
        rounding = fw * (0.006 * from_middle**4 * (1.0 - pointed) + 0.01 * from_middle**1.5 * pointed)
        edge = root + hang * (reach[k] * fw - rounding)
        cover = np.clip(hang * (edge - v) + 0.5, 0.0, 1.0) * np.clip((edges[-1] - a) * fw / 2.0, 0.0, 1.0)
        from_edge = np.clip(hang * (edge - v), 0.0, None)
        # The light falls off along the arch as it turns into the mouth's shadow, one step per tooth, and the seams
        # between teeth run down to the lip: a lower row shows little more than its tips, and those seams are what
        # tell its teeth apart.
        light, notch = _TOOTH_LIGHT[k], 1.0
        if hang > 0:
            # Drawn so, the crowns a sneer bares read as piano keys. Along an upper row the light falls off smoothly,
            # and a seam is darkest at the biting edge, where the teeth part in a notch, fainter towards the gum.
            light = np.interp(a, 0.5 * (edges[:-1] + edges[1:]), _TOOTH_LIGHT[: len(edges) - 1])
            notch = _SEAM_BODY + (1.0 - _SEAM_BODY) * np.exp(-from_edge / (_NOTCH_DEPTH * fw))
        gaps = 1.0 - gap * notch * np.exp(-((gap_px / max(0.003 * fw, 0.6)) ** 2))
        shade = light * (1.0 - 0.15 * from_middle**2) * gaps  # each crown bulges a little towards the light
        # The biting edge is a little translucent (darker), the crown lighter.
        shade *= 0.88 + 0.12 * np.clip(from_edge / (0.01 * fw), 0.0, 1.0)
        return shade, cover

    def _own_teeth(self, color: torch.Tensor, gx: np.ndarray, gy: np.ndarray, pose: MouthPose) -> torch.Tensor:
        """The portrait's own mouth interior, moved rigidly with the skull (never squashed or stretched by the lips)."""
        layer, layer_origin = self._source_layer
        grid = np.stack([gx - pose.skull[0], gy - pose.skull[1]], axis=-1)
        moved = sample(layer, torch.from_numpy(grid.astype(np.float32)), origin=layer_origin, padding="zeros")
        return _over(color, moved[:3], moved[3])

    def _seam(self, v, upper, lower, opening, source_gap, u, corner_u) -> np.ndarray | None:
        """A dark line where lips that were parted in the portrait now touch (the warp leaves it too clean)."""
        closed = np.clip(1.0 - opening / 1.5, 0.0, 1.0) * np.clip(source_gap / 1.5, 0.0, 1.0)
        if closed.max() <= 0:
            return None
        # Fainter towards the corners, where the lips thin out and meet the skin: at full strength up to the corners
        # a shut grin's seam ran on past the lip red as a pencil line.
        half = max(0.5 * float(corner_u.max() - corner_u.min()), 1.0)
        inward = np.minimum(u - corner_u.min(), corner_u.max() - u) / half
        within = np.clip(inward * half, 0.0, 1.0) * (_SEAM_CORNER + (1.0 - _SEAM_CORNER) * smoothstep(0.0, _SEAM_TAPER, inward))
        mid = 0.5 * (upper + lower)
        width = max(0.7, _SEAM_WIDTH * self.face_width)
        return closed * within * np.exp(-(((v - mid) / width) ** 2))


def _in_the_middle(field: np.ndarray, across: np.ndarray) -> float:
    """field's value where `across` (distance along the mouth from its middle, per pixel) is nearest to zero."""
    return float(field.flat[int(np.argmin(np.abs(across)))])


def _mix(dark: torch.Tensor, light: torch.Tensor, t: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """(3, h, w): dark..light by t, times gain."""
    return (dark[:, None, None] + (light - dark)[:, None, None] * t) * gain


def _over(base: torch.Tensor, top: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    return base * (1 - alpha) + top * alpha
