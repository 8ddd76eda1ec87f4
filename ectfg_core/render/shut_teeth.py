"""Teeth between lips that the face mesh shut.

On a grin whose lips part only over the teeth, MediaPipe's legacy face mesh sometimes lays both inner lip contours
along the upper lip's edge. The photo's teeth then lie inside the lower lip's triangles: a calm, sad or angry face
cannot close its lips over them (the mesh has no gap to close), and every word stretches them with the lip. Where a
grinning photo's mesh says the lips meet, yet a band of teeth runs between its lips along the middle of the mouth,
the inner contours are moved apart onto the band's edges, and the rest of the renderer sees the parted, toothy grin
the photo shows.

A band of teeth is told from a highlight on the lower lip by colour where the lips are red (teeth are pale, a
highlight is still pink), and in a gray photo by the gaps between the teeth (fine detail along the band that the lip
does not have).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import map_coordinates

from ectfg_core.render.geometry import LOWER_INNER, LOWER_OUTER, UPPER_INNER, UPPER_OUTER, FaceFrame, by_x
from ectfg_core.render.stray_teeth import redness
from ectfg_core.render.timeline import resting_smile

_GRIN = 0.8  # resting_smile from which a mesh that shuts the lips is doubted (a grin nearly always parts them)
_SHUT = 0.01  # face widths: an inner-lip gap at the middle below this is the mesh saying the lips meet
_SPAN = (0.25, 0.75)  # the part of the mouth, between its inner corners, read
_NEAR = (0.012, 0.03)  # face widths above and below the mesh's line where the teeth's brightest row may lie
_REACH = (0.02, 0.045)  # face widths above and below the mesh's line that the band may take
_STEP = 0.5  # pixels between samples, down and along the mouth
_RED_LIPS = 0.15  # lips at least this red (per unit of brightness) are told from teeth by colour too:
_TEETH_RED = 0.25  # teeth are at most this red, and at most this share as red as
_TEETH_PALER = 0.4  # the upper lip or
_PALER_THAN_LOWER = 0.6  # the lower lip's body (a highlight on a lip is still pink)
_BRIGHTER = {True: 1.15, False: 1.25}  # teeth at least this much brighter than the upper lip (colour, gray)
_GAPS = 2.0  # in gray, at least this much more detail along the teeth than along the lower lip (their gaps)
_LOWER_LIP = 0.035  # face widths below the mesh's line: lower lip, where the band of a grin that barely parts is past
_STILL_TEETH = 0.9  # in a gray photo, a row at least this share of the teeth's brightness is still teeth
_MIN_BAND = 0.012  # face widths: a band of teeth at least this tall


def _luma_redness(colours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brightness, and redness (stray_teeth.redness) of (..., 3) colours."""
    return colours.mean(axis=-1), redness(torch.from_numpy(np.moveaxis(colours, -1, 0))).numpy()


def _detail(luma: np.ndarray) -> np.ndarray:
    """Per row of (rows, columns) brightness: the fine detail along it (mean absolute second difference), relative."""
    return np.abs(np.diff(luma, 2, axis=1)).mean(axis=1) / np.maximum(luma.mean(axis=1), 1.0)


def _extent(keep_up: np.ndarray, keep_down: np.ndarray, peak: int) -> tuple[int, int]:
    """(first, last): the rows from `peak` upwards while keep_up holds and downwards while keep_down does."""
    first = last = peak
    while first > 0 and keep_up[first - 1]:
        first -= 1
    while last + 1 < len(keep_down) and keep_down[last + 1]:
        last += 1
    return first, last


class _Mouth:
    """Colour samples of a mouth along rows that follow the mesh's line where the lips meet."""

    def __init__(self, image: np.ndarray, points: np.ndarray):
        self.frame = FaceFrame.from_points(points)
        self.image = np.asarray(image, dtype=np.float64)
        self.local = self.frame.to_local(points) * self.frame.width  # pixels along the face's own axes
        self.left, self.right = self.local[UPPER_INNER[0], 0], self.local[UPPER_INNER[-1], 0]
        span = self.right - self.left
        self.us = np.arange(self.left + _SPAN[0] * span, self.left + _SPAN[1] * span, _STEP)
        self.line = self.line_at(self.us)

    def height(self, contour: list[int], u: np.ndarray) -> np.ndarray:
        return np.interp(u, *by_x(self.local[contour]))

    def line_at(self, u: np.ndarray) -> np.ndarray:
        return 0.5 * (self.height(UPPER_INNER, u) + self.height(LOWER_INNER, u))

    def colours(self, vs: np.ndarray) -> np.ndarray:
        """(rows, columns, 3) at heights vs (rows, columns) over the columns."""
        xy = self.frame.to_pixels(np.stack([np.broadcast_to(self.us, vs.shape), vs], axis=-1) / self.frame.width)
        return np.stack([map_coordinates(self.image[..., c], [xy[..., 1], xy[..., 0]], order=1) for c in range(3)], -1)

    def between(self, contour: list[int], fractions: tuple[float, ...]) -> np.ndarray:
        """Colours at fractions of the way from the line to a lip's outer contour (the lip's own body)."""
        edge = self.height(contour, self.us)
        return self.colours(np.stack([self.line + f * (edge - self.line) for f in fractions]))


def _coloured_band(row_luma: np.ndarray, row_red: np.ndarray, peak: int, upper: tuple[float, float],
                   lower_red: float) -> tuple[int, int] | None:
    """The teeth's rows around `peak` where the lips are red, or None where the band there is no teeth: too dark, or
    too red (a highlight on a lip is still pink). upper: the upper lip's brightness and redness."""
    upper_luma, upper_red = upper
    if row_luma[peak] < _BRIGHTER[True] * upper_luma:
        return None
    if row_red[peak] > min(_TEETH_RED, _TEETH_PALER * upper_red, _PALER_THAN_LOWER * lower_red):
        return None
    # The teeth end where the rows turn half way as red as the lip beyond them.
    return _extent(row_red <= 0.5 * (row_red[peak] + upper_red), row_red <= 0.5 * (row_red[peak] + lower_red), peak)


def _gray_band(row_luma: np.ndarray, detail: np.ndarray, peak: int, upper_luma: float,
               below_lip: float) -> tuple[int, int] | None:
    """The teeth's rows around `peak` in a gray photo, or None where the band there is no teeth: too dark, or without
    the gaps between teeth along any of its rows (a highlight is smooth). below_lip: the lower lip's own detail."""
    if row_luma[peak] < _BRIGHTER[False] * upper_luma:
        return None
    as_bright = row_luma >= _STILL_TEETH * row_luma[peak]
    first, last = _extent(as_bright, as_bright, peak)
    if detail[first : last + 1].max() < _GAPS * below_lip:
        return None
    # Upwards, rows nearer the teeth's brightness than the lip's with the teeth's detail (the upper lip's own edge
    # has detail too); downwards also rows as bright as the teeth (their lower half is softer, in the lip's shade).
    gaps = detail - below_lip >= 0.5 * (detail[peak] - below_lip)
    bright = row_luma >= 0.5 * (upper_luma + row_luma[peak])
    return _extent(gaps & bright, gaps | as_bright, peak)


def _parted(mouth: _Mouth, top: float, bottom: float) -> np.ndarray:
    """The mesh's points (local pixels) with the inner contours moved onto the band's edges (offsets from the line at
    the middle), the move coming to nothing at the corners, where the lips meet."""
    out = mouth.local.copy()
    reach = _SPAN[0] * (mouth.right - mouth.left)
    for contour, shift in ((UPPER_INNER, min(top, 0.0)), (LOWER_INNER, max(bottom, 0.0))):
        for i in contour[1:-1]:
            u = mouth.local[i, 0]
            to_corner = float(np.clip(min(u - mouth.left, mouth.right - u) / reach, 0.0, 1.0))
            target = float(mouth.line_at(np.array([u]))[0]) + shift * to_corner
            out[i, 1] = min(out[i, 1], target) if shift < 0 else max(out[i, 1], target)
    return out


def reopen_lips(image: np.ndarray, points: np.ndarray, face_width: float) -> np.ndarray:
    """points (478, 2) with the inner lip contours moved apart onto the edges of the teeth a grinning photo shows
    between lips its mesh shut; the very same array where the mesh is right (nearly every photo)."""
    pts = np.asarray(points, dtype=np.float64)
    frame = FaceFrame.from_points(pts)
    if float((pts[14] - pts[13]) @ frame.ey) / frame.width >= _SHUT or resting_smile(pts, face_width) < _GRIN:
        return points
    mouth = _Mouth(image, pts)
    fw = frame.width
    offsets = np.arange(-_REACH[0] * fw, _REACH[1] * fw, _STEP)  # rows along the line, above (-) and below it
    luma, red = _luma_redness(mouth.colours(mouth.line[None, :] + offsets[:, None]))
    row_luma, row_red, detail = np.median(luma, axis=1), np.median(red, axis=1), _detail(luma)
    upper_luma, upper_red = (float(np.median(x)) for x in _luma_redness(mouth.between(UPPER_OUTER, (0.35, 0.5, 0.65))))
    near = np.flatnonzero((offsets >= -_NEAR[0] * fw) & (offsets <= _NEAR[1] * fw))
    peak = int(near[np.argmax(row_luma[near])])  # the teeth's brightest row
    if upper_red > _RED_LIPS:
        lower_red = float(np.median(_luma_redness(mouth.between(LOWER_OUTER, (0.75, 0.85, 0.95)))[1]))
        band = _coloured_band(row_luma, row_red, peak, (upper_luma, upper_red), lower_red)
    else:
        band = _gray_band(row_luma, detail, peak, upper_luma, float(detail[offsets > _LOWER_LIP * fw].mean()))
    if band is None or offsets[band[1]] - offsets[band[0]] < _MIN_BAND * fw:
        return points
    moved = frame.to_pixels(_parted(mouth, offsets[band[0]], offsets[band[1]]) / fw)
    result = np.array(points, copy=True)
    inner = UPPER_INNER[1:-1] + LOWER_INNER[1:-1]
    result[inner] = moved[inner].astype(result.dtype)
    return result
