"""A grin whose teeth the face mesh shut the lips over (shut_teeth.py) is parted again, and only such a grin.

The legacy face mesh laid both inner lip contours on the upper lip of a grayscale grin that parts its lips only over
its teeth; calm, sad and angry then kept the teeth between lips asked to close. The photo here is one of the test
grins with its lips brought nearer, so that a thin band of teeth shows, and its mesh shut as that one was.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.ndimage import map_coordinates
from test_render_mouth import held_row

import ectfg_core.render.renderer as renderer
from ectfg_core.render.controls import CONTROL_INDEX
from ectfg_core.render.geometry import LOWER_INNER, LOWER_OUTER, UPPER_INNER, FaceFrame, by_x
from ectfg_core.render.renderer import PortraitAnimator
from ectfg_core.render.shut_teeth import reopen_lips

BAND = 0.03  # face widths of teeth left showing at the middle of the mouth


def gray(image: np.ndarray) -> np.ndarray:
    return np.repeat(image.mean(axis=2, keepdims=True), 3, axis=2).round().astype(np.uint8)


def thin_grin(image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, shut, truth): the grin with its lower lip (and what is below it) pulled up until BAND face widths of
    teeth show at the middle, tapering to the corners; its points with both inner contours on the upper lip, as the
    mesh laid them; and with the lower one on the teeth's lower edge."""
    img, p = image.astype(np.float64), points.astype(np.float64)
    width = FaceFrame.from_points(p).width
    x0, x1 = p[UPPER_INNER[0], 0], p[UPPER_INNER[-1], 0]
    xs = np.arange(int(np.floor(x0)), int(np.ceil(x1)) + 1, dtype=np.float64)
    upper, lower = np.interp(xs, *by_x(p[UPPER_INNER])), np.interp(xs, *by_x(p[LOWER_INNER]))
    band = BAND * width * np.sqrt(np.clip(1.0 - ((xs - 0.5 * (x0 + x1)) / (0.5 * (x1 - x0))) ** 2, 0.0, 1.0))
    lift = np.clip(lower - upper - band, 0.0, None)
    rows, reach = np.arange(img.shape[0], dtype=np.float64), 0.25 * width
    out = img.copy()
    for k, x in enumerate(xs):
        start = upper[k] + band[k]
        share = np.clip(rows - start + 1.0, 0.0, 1.0) * np.clip(1.0 - (rows - start - reach) / reach, 0.0, 1.0)
        for c in range(3):
            out[:, int(x), c] = map_coordinates(img[:, int(x), c], [rows + lift[k] * share], order=1, mode="nearest")
    shut = p.copy()
    shut[LOWER_INNER[1:-1]] = p[UPPER_INNER[1:-1]]
    for i in LOWER_OUTER[1:-1]:
        shut[i, 1] -= np.interp(p[i, 0], xs, lift)
    truth = shut.copy()
    for i in LOWER_INNER[1:-1]:
        truth[i, 1] = np.interp(p[i, 0], xs, upper + band)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), shut.astype(np.float32), truth.astype(np.float32)


def middle_gap(points: np.ndarray) -> float:
    frame = FaceFrame.from_points(points.astype(np.float64))
    return float((points[14] - points[13]) @ frame.ey) / frame.width


@pytest.mark.parametrize("colour", [True, False], ids=["colour", "gray"])
@pytest.mark.parametrize("name", ["astronaut", "obama_smile"])
def test_a_grin_whose_teeth_the_mesh_shut_is_parted_again(framed, name, colour):
    portrait = framed(name)
    image = portrait.image if colour else gray(portrait.image)
    grin, shut, truth = thin_grin(image, portrait.landmarks.points)
    reopened = reopen_lips(grin, shut, portrait.landmarks.face_width)
    assert middle_gap(shut) == pytest.approx(0.0, abs=1e-6)
    # Within a fifth of the band (a pixel or so) of its true lower edge, the upper contour left on the upper lip.
    assert middle_gap(reopened) == pytest.approx(middle_gap(truth), abs=0.2 * BAND)
    assert np.allclose(reopened[UPPER_INNER], shut[UPPER_INNER], atol=0.5)


@pytest.mark.parametrize("name", ["astronaut", "obama_smile", "biden", "hopper"])
def test_a_mesh_that_finds_the_mouth_is_left_as_it_is(framed, name):
    """Open grins (astronaut, Obama) and closed, unsmiling mouths (Biden; Hopper, in colour and gray) are not
    touched; on 123 portraits of our own only the one grin whose teeth the mesh had shut was."""
    portrait = framed(name)
    points = portrait.landmarks.points
    assert reopen_lips(portrait.image, points, portrait.landmarks.face_width) is points
    assert reopen_lips(gray(portrait.image), points, portrait.landmarks.face_width) is points


def test_calm_closes_the_lips_over_the_teeth_the_mesh_had_shut(framed, monkeypatch):
    """What a viewer saw: asked for calm, the shut-mesh grin kept a strip of teeth between its lips."""
    portrait = framed("astronaut")
    grin, shut, _ = thin_grin(gray(portrait.image), portrait.landmarks.points)
    landmarks = dataclasses.replace(portrait.landmarks, points=shut)

    p = shut.astype(np.float64)
    width = FaceFrame.from_points(p).width
    x0, x1 = p[UPPER_INNER[0], 0], p[UPPER_INNER[-1], 0]
    xs = np.arange(int(0.75 * x0 + 0.25 * x1), int(0.25 * x0 + 0.75 * x1))
    line = np.interp(xs, *by_x(p[UPPER_INNER])).astype(int)
    band = [slice(y - int(0.01 * width), y + int(BAND * width)) for y in line]
    photo = grin.astype(np.float64).mean(axis=2)
    teeth = np.median([photo[rows, x].max() for rows, x in zip(band, xs, strict=True)])
    lip = np.median(photo[line - int(0.03 * width), xs])

    def teeth_between_the_lips(animator: PortraitAnimator) -> int:
        """Pixels along the middle of the mouth nearer the teeth's brightness than the lips'."""
        row = held_row(animator, "neutral", 25)
        row[[CONTROL_INDEX[name] for name in ("head_yaw", "head_pitch", "head_roll", "head_x", "head_y")]] = 0.0
        frame = animator.render(row).astype(np.float64).mean(axis=2)
        return sum(int((frame[rows, x] > 0.5 * (teeth + lip)).sum()) for rows, x in zip(band, xs, strict=True))

    fixed = teeth_between_the_lips(PortraitAnimator(grin, landmarks))
    monkeypatch.setattr(renderer, "reopen_lips", lambda image, points, face_width: points)
    kept = teeth_between_the_lips(PortraitAnimator(grin, landmarks))
    assert kept > 30  # the strip of teeth (three or four pixels tall at 512), left where it was
    assert fixed < 0.1 * kept, (fixed, kept)
