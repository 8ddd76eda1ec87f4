"""What in a portrait may move when the face does: the head (face, hair, neck skin), not the background or the clothes.

MediaPipe's selfie segmentation (shipped inside the mediapipe wheel) separates the person from the background;
below the chin a skin-colour model learnt from the cheeks separates neck skin from collars, ties and suits.
Without the segmenter (mediapipe 1.x ships no model for it) a plain studio backdrop is told from the person by its
colour, a smooth gradient fitted to the photo's upper border; where the backdrop is busy the renderer falls back to the
geometric head ellipse (head.py). The missing segmenter is said once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from ectfg_core.face.engines.native_log import quiet_native_stderr
from ectfg_core.render.geometry import OVAL, FaceFrame, smoothstep

_log = logging.getLogger(__name__)

# Face widths outside the person's outline (the segmenter's 0.5 contour): the motion is full up to the first,
# so that the hair's faint outermost strands go with the head instead of staying behind as a thin outline, and it
# fades out to exactly zero at the second, over plain background where a partial motion is invisible.
_EDGE = (0.012, 0.03)
_FACE_EDGE = 0.02  # face content fades over this band inside the oval where it passes over what stays (chin over collar)
_BACKGROUND = 0.01  # person probability at or below which a pixel is plain background
# The segmenter's probability is a confidence, not a matte: over dim or grey hair it stays near 0.5 well inside the
# person. Read as half background, such hair let the background plate through wherever the head moved it (a grey band
# across the hair beside a turning face, a notch of backdrop at the jaw). Beyond the outline's soft band (_EDGE) from
# everything the segmenter is sure is background, a probability from the first to the second value counts in full.
_UNSURE_PERSON = (0.1, 0.35)
_PLATE_REACH = 0.025  # Gaussian sigma of the background guessed behind the head's edge
_SEAM_SOFTNESS = 0.012  # Gaussian sigma of the head / clothing seam (hides classifier noise, avoids a hard seam)
_BELOW_RAMP = 0.04  # the line's soft width
# Oval landmarks at the jaw's angle, about level with the ear lobes (both sides), and over how far (face widths) beside
# the oval's end the ears' line comes down to them.
_EAR_LOBE_LEVEL = (58, 288)
_LOBE_RAMP = 0.05
_NECK_HALF_WIDTH = (0.3, 0.42)  # below the chin only a neck-wide band may move
_NECK_LENGTH = (0.35, 0.6)  # ... and only so far down (chest skin stays with the body)
_GRAY_NECK_LENGTH = (0.05, 0.2)  # grayscale: no colour to find the collar by, so only a short band under the chin
# Cheek landmarks (both sides) whose surroundings teach the skin colour.
_CHEEKS = (50, 101, 118, 117, 123, 187, 205, 36, 280, 330, 347, 346, 352, 411, 425, 266)
_CHROMA_MIN_SPREAD = 2.5  # chroma std (8-bit units) below which the photo counts as grayscale / monochrome
_SKIN_DISTANCE = (2.5, 4.0)  # Mahalanobis distance in chroma: skin inside, not skin outside
# The backdrop model without a segmenter: the border band it is fitted on (fraction of the shorter side), the RMS
# misfit (8-bit RGB) above which the backdrop counts as busy, how far from the fit a pixel belongs to the person (times
# the misfit, at least a floor), and the radius (face widths) below which a detached shape is no part of the person.
_BACKDROP_BAND = 0.02
_BACKDROP_MAX_MISFIT = 20.0
_BACKDROP_DISTANCE = (3.0, 12.0)
_BACKDROP_THIN = 0.035
_BACKDROP_PERSON_SHARE = (0.1, 0.9)  # a person mask outside this share of the image is a failed fit

_lock = threading.Lock()
_segmenter = None
_warned = False


def person_mask(image: np.ndarray) -> np.ndarray | None:
    """(H, W) float32 0..1 probability that a pixel shows the person; None when MediaPipe's segmenter is missing."""
    global _segmenter, _warned
    with _lock:
        if _segmenter is None:
            os.environ.setdefault("GLOG_minloglevel", "2")
            try:
                from mediapipe.python.solutions import selfie_segmentation
            except ImportError as err:
                if not _warned:
                    _log.warning("person segmentation unavailable (%s); a plain backdrop is told from the person by its "
                                 "colour, on a busy one the head moves through a geometric ellipse and the background near "
                                 "the head may bend", err)
                    _warned = True
                return None
            with quiet_native_stderr():
                # Model 0 (the general one) follows hair and shoulders more tightly than the landscape model.
                _segmenter = selfie_segmentation.SelfieSegmentation(model_selection=0)
                result = _segmenter.process(np.ascontiguousarray(image))
        else:
            result = _segmenter.process(np.ascontiguousarray(image))
    return np.clip(np.asarray(result.segmentation_mask, dtype=np.float32), 0.0, 1.0)


def solid_person(person: np.ndarray, face_width: float) -> np.ndarray:
    """The segmenter's probabilities with the unsure inside of the person made sure (see _UNSURE_PERSON)."""
    inside = ndimage.distance_transform_edt(person > _BACKGROUND)
    away = smoothstep(max(_EDGE[0] * face_width, 1.5), max(_EDGE[1] * face_width, 3.0), inside)
    return np.maximum(person, away * smoothstep(*_UNSURE_PERSON, person)).astype(np.float32)


def backdrop_person_mask(image: np.ndarray, points: np.ndarray, face_width: float) -> np.ndarray | None:
    """(H, W) float32 0..1 person mask from a plain backdrop's colour; None when the backdrop is not plain enough.

    The backdrop is fitted, per channel, as a quadratic gradient in x and y to the top band and the side bands above
    the chin (below it the shoulders reach the border); the person is what departs from that fit and is joined to the
    face. Studio portraits fit well; curtains, flags and rooms do not, and are left to the head ellipse.
    """
    height, width = image.shape[:2]
    rgb = image.astype(np.float64)
    band = max(2, int(round(_BACKDROP_BAND * min(height, width))))
    chin = int(np.clip(np.asarray(points)[:, 1].max(), band, height))
    border = np.zeros((height, width), dtype=bool)
    border[:band] = True
    border[:chin, :band] = True
    border[:chin, -band:] = True
    ys, xs = np.mgrid[0:height, 0:width]
    u, v = xs / width - 0.5, ys / height - 0.5
    basis = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[border], rgb[border], rcond=None)
    departure = np.linalg.norm(rgb - basis @ coef, axis=-1)
    misfit = float(np.sqrt(np.mean(departure[border] ** 2)))
    if misfit > _BACKDROP_MAX_MISFIT:
        return None
    factor, floor = _BACKDROP_DISTANCE
    person = departure >= max(factor * misfit, floor)
    # Thin shapes (a pole, a frame's edge, a stray strand) are opened away, then only what joins the face is kept.
    r = max(1, int(round(_BACKDROP_THIN * face_width)))
    dy, dx = np.mgrid[-r: r + 1, -r: r + 1]
    person = ndimage.binary_opening(person, structure=dx * dx + dy * dy <= r * r)
    labels, _ = ndimage.label(person)
    nose_x, nose_y = np.clip(np.round(np.asarray(points)[1]).astype(int), 0, [width - 1, height - 1])
    if labels[nose_y, nose_x] == 0:
        return None
    person = ndimage.binary_fill_holes(labels == labels[nose_y, nose_x])
    if not _BACKDROP_PERSON_SHARE[0] <= person.mean() <= _BACKDROP_PERSON_SHARE[1]:
        return None
    return np.clip(ndimage.gaussian_filter(person.astype(np.float32), 1.5), 0.0, 1.0)


def chroma(image: np.ndarray) -> np.ndarray:
    """(H, W, 2) float32 Cb, Cr (ITU-R BT.601, 8-bit scale, 128 = neutral)."""
    rgb = np.asarray(image, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return np.stack([cb, cr], axis=-1)


def skin_likelihood(image: np.ndarray, points: np.ndarray, face_width: float) -> np.ndarray | None:
    """(H, W) float32 0..1: how much a pixel's colour looks like the cheeks'. None for grayscale or monochrome
    photos, where chroma tells skin from cloth no better than chance."""
    cbcr = chroma(image)
    if float(cbcr.reshape(-1, 2).std(axis=0).max()) < _CHROMA_MIN_SPREAD:
        return None
    height, width = image.shape[:2]
    radius = max(2, int(round(0.025 * face_width)))
    samples = []
    for idx in _CHEEKS:
        x, y = np.round(points[idx]).astype(int)
        patch = cbcr[max(y - radius, 0): min(y + radius + 1, height), max(x - radius, 0): min(x + radius + 1, width)]
        samples.append(patch.reshape(-1, 2))
    cheeks = np.concatenate(samples)
    if len(cheeks) < 8:
        return None
    mean = cheeks.mean(axis=0)
    cov = np.cov(cheeks, rowvar=False) + np.eye(2) * 4.0  # a floor: neck skin varies more than a cheek patch
    diff = cbcr - mean
    d2 = np.einsum("...i,ij,...j->...", diff, np.linalg.inv(cov), diff)
    lo, hi = _SKIN_DISTANCE
    return (1.0 - smoothstep(lo, hi, np.sqrt(d2))).astype(np.float32)


@dataclass
class MotionRegions:
    """Per-pixel weights (H, W) float32 0..1 computed once per portrait.

    face: inside the face oval; what shows there moves fully, even over the background (the chin over a collar).
    may_move: how much of the face and head motion a pixel takes: 1 on the head, hair and neck skin, 0 on the
    background and the clothes, feathered in between.
    clothing: the clothes below the chin; never pulled into the head (the neck does not stretch into a collar copy).
    person: the person probability from the segmenter (its unsure inside made sure, see solid_person), else from a
    plain backdrop's colour (None with neither).
    background: 1 where the person mask is sure there is no person, else 0 (None without a person mask).
    plate: (H, W, 3) float32 the photo with the background continued behind the person's edge, shown where the head
    moves away from it (None without a segmenter); equal to the photo on the background.
    """

    face: np.ndarray
    may_move: np.ndarray
    clothing: np.ndarray
    person: np.ndarray | None
    background: np.ndarray | None
    plate: np.ndarray | None
    source: str = "segmenter"  # what drew the person: "segmenter", "backdrop colour" or "head ellipse"

    @property
    def segmented(self) -> bool:
        """True when MediaPipe's segmenter drew the person mask."""
        return self.source == "segmenter"


def motion_regions(image: np.ndarray, points: np.ndarray, frame: FaceFrame, chin_v: float,
                   fallback: Callable[[np.ndarray], np.ndarray]) -> MotionRegions:
    """The face / may-move split of one portrait. fallback(xy) is the geometric head mask, used without a segmenter."""
    height, width = image.shape[:2]
    face = _face_oval(points, (height, width), frame.width)
    person, source = person_mask(image), "segmenter"
    if person is not None:
        person = solid_person(person, frame.width)
    else:
        person, source = backdrop_person_mask(image, points, frame.width), "backdrop colour"
    if person is None:
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
        head = np.asarray(fallback(np.stack([xs, ys], axis=-1)), dtype=np.float32)
        return MotionRegions(face=face, may_move=np.maximum(head, face), clothing=np.zeros_like(face), person=None,
                             background=None, plate=None, source="head ellipse")
    outside = ndimage.distance_transform_edt(person < 0.5)
    edge = 1.0 - smoothstep(max(_EDGE[0] * frame.width, 1.5), max(_EDGE[1] * frame.width, 3.0), outside)
    # Below the chin only neck skin may move.
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    local = frame.to_local(np.stack([xs, ys], axis=-1))
    u, v = local[..., 0], local[..., 1]
    below = smoothstep(0.0, _BELOW_RAMP, v - _jaw_line(points, frame, u))
    skin = skin_likelihood(image, points, frame.width)
    across = 1.0 - smoothstep(*_NECK_HALF_WIDTH, np.abs(u))
    if skin is None:
        neck = across * (1.0 - smoothstep(*(chin_v + np.asarray(_GRAY_NECK_LENGTH)), v))
    else:
        neck = skin * across * (1.0 - smoothstep(*(chin_v + np.asarray(_NECK_LENGTH)), v))
        # The ears go with the head: the skin beside the face down to the ear lobes. Held still below the oval's ends,
        # the lower half of an ear tore from the upper one as the head moved (a notch in a turned face's near ear);
        # hair there, or anything else beside the head, stays as before.
        ears = skin * (1.0 - smoothstep(0.0, _BELOW_RAMP, v - _jaw_line(points, frame, u, ear_lobes=True)))
        neck = np.maximum(neck, ears)
    head = ndimage.gaussian_filter(1.0 - below * (1.0 - neck), sigma=max(_SEAM_SOFTNESS * frame.width, 0.5))
    may_move = np.maximum(edge * head, face)
    clothing = person * (1.0 - head) * (1.0 - face)
    background = (person <= _BACKGROUND).astype(np.float32)
    return MotionRegions(face=face, may_move=may_move.astype(np.float32), clothing=clothing.astype(np.float32), person=person,
                         background=background, plate=background_plate(image, background, frame.width), source=source)


def background_plate(image: np.ndarray, background: np.ndarray, face_width: float) -> np.ndarray:
    """(H, W, 3) float32: the photo, with the background continued behind the person.

    Every person pixel takes the colour of the nearest background pixel, softened by a Gaussian: smooth, like the
    out-of-focus backdrop of most portraits, and free of copies of whatever stands next to the head. Exactly the
    photo on the background.
    """
    known = np.asarray(background) > 0
    if not known.any():
        return image.astype(np.float32)
    _, (rows, cols) = ndimage.distance_transform_edt(~known, return_indices=True)
    nearest = image[rows, cols].astype(np.float32)
    sigma = max(_PLATE_REACH * face_width, 2.0)
    soft = np.stack([ndimage.gaussian_filter(nearest[..., c], sigma) for c in range(3)], axis=-1)
    return np.where(known[..., None], image.astype(np.float32), soft)


def _jaw_line(points: np.ndarray, frame: FaceFrame, u: np.ndarray, ear_lobes: bool = False) -> np.ndarray:
    """v of the line below which the body begins: the lower oval, and beside the face level with the oval's ends.

    Shoulders and collars can rise above the chin beside the neck, so beside the face the line stays high; hair
    hanging beside the face below the oval's ends therefore stays with the body. With `ear_lobes` the line comes down
    beside the face to the jaw's angle, about level with the ear lobes: the oval ends near the tragus, so the lower half
    of each ear lies between the two lines.
    """
    local = frame.to_local(np.asarray(points, dtype=np.float64))
    oval = local[OVAL]
    lower = oval[oval[:, 1] > 0.0]
    order = np.argsort(lower[:, 0])
    us, vs = lower[order, 0], lower[order, 1]
    if ear_lobes:
        lobes = local[list(_EAR_LOBE_LEVEL)]
        lobes = lobes[np.argsort(lobes[:, 0])]  # the lower-u side first
        first, last = max(float(lobes[0, 1]), float(vs[0])), max(float(lobes[1, 1]), float(vs[-1]))
        us = np.concatenate([[us[0] - 1.0, us[0] - _LOBE_RAMP], us, [us[-1] + _LOBE_RAMP, us[-1] + 1.0]])
        vs = np.concatenate([[first, first], vs, [last, last]])
    return np.interp(u, us, vs)


def _face_oval(points: np.ndarray, size: tuple[int, int], face_width: float) -> np.ndarray:
    """(H, W) float32: 1 inside the face oval, falling to 0 at the oval over a narrow band (no jagged chin edge)."""
    height, width = size
    canvas = Image.new("1", (width, height), 0)
    ImageDraw.Draw(canvas).polygon([(float(x), float(y)) for x, y in np.asarray(points)[OVAL]], fill=1)
    depth = ndimage.distance_transform_edt(np.asarray(canvas, dtype=bool))
    return smoothstep(0.0, max(_FACE_EDGE * face_width, 2.0), depth).astype(np.float32)
