"""The mouth as a viewer sees it: colours from the photo, real-looking teeth, lips that close on /p b m/ and at rest.

Closure is judged on landmarks found again by MediaPipe in the rendered frames, not on the rig's own numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ectfg_core.face.detect import detect_landmarks
from ectfg_core.render import timeline
from ectfg_core.render.controls import CONTROL_NAMES, controls_row
from ectfg_core.render.expressions import expression_row
from ectfg_core.render.geometry import LOWER_INNER, LOWER_OUTER, UPPER_INNER, UPPER_OUTER, FaceFrame
from ectfg_core.render.renderer import PortraitAnimator
from ectfg_core.types.emotion import EMOTIONS, EmotionTrack
from ectfg_core.types.face import FaceLandmarks
from ectfg_core.types.speech import PhonemeTiming

FPS = 25.0


def timed(symbols: list[tuple[str, float]], start: float = 0.1) -> list[PhonemeTiming]:
    out, t = [], start
    for symbol, length in symbols:
        out.append(PhonemeTiming(symbol, t, t + length))
        t += length
    return out


def inner_gap(frame: np.ndarray, face_width: float) -> float:
    """Distance between the inner lip midpoints (13, 14) found by MediaPipe, in face widths."""
    p = detect_landmarks(frame).points
    return float(np.linalg.norm(p[14] - p[13]) / face_width)


def seam_line(animator: PortraitAnimator, row: np.ndarray, trim: int) -> list[tuple[int, int]]:
    """(x, y) pixels along the driven upper inner lip, one per column, `trim` contour points short of each corner."""
    seam = animator.driven_landmarks(row)[UPPER_INNER]
    seam = seam[np.argsort(seam[:, 0])]
    xs = np.arange(int(seam[trim, 0]), int(seam[-trim - 1, 0]))
    ys = np.round(np.interp(xs, seam[:, 0], seam[:, 1])).astype(int)
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def constant_track(emotion: str, frames: int, intensity: float = 1.0) -> EmotionTrack:
    probs = np.zeros((frames, len(EMOTIONS)), dtype=np.float32)
    probs[:, EMOTIONS.index(emotion)] = 1.0
    return EmotionTrack(fps=FPS, probs=probs, intensity=np.full(frames, intensity, dtype=np.float32))


@pytest.fixture(scope="module")
def smiling(portrait) -> PortraitAnimator:
    """The bundled portrait: a smile with parted lips and its own upper teeth."""
    return PortraitAnimator(portrait.image, portrait.landmarks, seed=3)


@pytest.fixture(scope="module")
def closed() -> PortraitAnimator:
    """A real closed-mouth portrait (Grace Hopper, public domain): its teeth have to be drawn."""
    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.media.images import load_image

    framed = frame_portrait(load_image(Path(__file__).parent / "data" / "portraits" / "hopper.jpg"), size=512)
    return PortraitAnimator(framed.image, framed.landmarks, seed=3)


def gray(image: np.ndarray) -> np.ndarray:
    luma = np.round(image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    return np.repeat(luma[..., None], 3, axis=2)


def chroma(frame: np.ndarray) -> int:
    f = frame.astype(np.int16)
    return int(max(np.abs(f[..., 0] - f[..., 1]).max(), np.abs(f[..., 1] - f[..., 2]).max()))


def test_a_grayscale_portrait_gets_a_grayscale_mouth(portrait, closed):
    rows = {"open jaw": controls_row(jaw_open=1.0), "wide vowel": controls_row(jaw_open=0.8, upper_lip_raise=0.5),
            "smiling": expression_row("happy"), "sad": expression_row("sad"), "surprised": expression_row("surprised")}
    for image, landmarks in ((gray(portrait.image), portrait.landmarks), (gray(closed.image), None)):  # own teeth; drawn teeth
        animator = PortraitAnimator(image, landmarks if landmarks is not None else detect_landmarks(image))
        for name, row in rows.items():
            assert chroma(animator.render(row)) <= 1, name


def test_bilabials_close_the_lips(smiling):
    phonemes = timed([("h", 0.06), ("ə", 0.08), ("m", 0.09), ("a", 0.12), ("b", 0.08), ("ɪ", 0.09), ("p", 0.08), ("a", 0.14)])
    frames = 30
    fw = smiling.frame.width
    for track in (None, constant_track("surprised", frames)):  # surprise opens the jaw, a /p/ still closes it
        controls = smiling.controls_for(phonemes, None, track, frames, FPS)
        for ph in phonemes:
            if ph.symbol in "mbp":
                frame = smiling.render(controls[int(round((ph.start + ph.end) / 2 * FPS))])
                assert inner_gap(frame, fw) <= 0.005, (ph.symbol, track is not None)
        # ...and the open vowels between them really open (the closure is not a mouth glued shut): where a calm face
        # covers the grin's teeth about as wide as an unsmiling face's short vowel (0.04 on Grace Hopper's), less the
        # detector's noise; wide open where surprise drops the jaw.
        vowel = next(ph for ph in phonemes if ph.symbol == "a")
        gap = inner_gap(smiling.render(controls[int(round((vowel.start + vowel.end) / 2 * FPS))]), fw)
        assert gap > (0.1 if track is not None else 0.03), (gap, track is not None)


def test_a_closed_mouth_rests_closed_in_a_pause(closed):
    fw = closed.frame.width
    rest = inner_gap(closed.image, fw)
    phonemes = timed([("s", 0.08), ("a", 0.16), ("t", 0.06)]) + timed([("o", 0.16), ("k", 0.06)], start=0.9)  # pause 0.46 s
    frames = 30
    loud = np.full(frames, 0.8, dtype=np.float32)
    loud[int(0.45 * FPS) : int(0.85 * FPS)] = 0.02  # a quiet breath in the pause
    controls = closed.controls_for(phonemes, loud, None, frames, FPS)
    for i in (int(0.6 * FPS), int(0.7 * FPS)):
        driven = closed.driven_landmarks(controls[i])
        assert np.linalg.norm(driven[14] - driven[13]) / fw <= 0.005
        assert inner_gap(closed.render(controls[i]), fw) <= max(rest, 0.005) + 0.002


def teeth_profile(animator: PortraitAnimator, frame: np.ndarray, below_lip: float, half_width: float) -> np.ndarray:
    """Luminance along the portrait's resting upper lip line shifted down by below_lip (face widths), across the
    mouth centre: where upper teeth hanging from the skull show once the lips part."""
    p, fw = animator.points, animator.frame.width
    lip = p[UPPER_INNER][np.argsort(p[UPPER_INNER, 0])]
    cx = (p[13, 0] + p[14, 0]) / 2
    xs = np.arange(int(cx - half_width * fw), int(cx + half_width * fw))
    ys = np.round(np.interp(xs, lip[:, 0], lip[:, 1]) + below_lip * fw).astype(int)
    return frame[ys, xs].astype(np.float64).mean(axis=1)


def dips(profile: np.ndarray, depth: float, reach: int = 4) -> int:
    """How many pixels are local minima at least `depth` below the brightest pixel within `reach` on both sides."""
    count = 0
    for i in range(reach, len(profile) - reach):
        left, right = profile[i - reach : i].max(), profile[i + 1 : i + 1 + reach].max()
        if profile[i] == profile[i - reach : i + reach + 1].min() and min(left, right) - profile[i] >= depth:
            count += 1
    return count


def test_drawn_teeth_are_separate_teeth_not_a_band(closed):
    frame = closed.render(controls_row(jaw_open=1.0, upper_lip_raise=0.6))
    profile = teeth_profile(closed, frame, 0.008, 0.11)
    middle = profile[len(profile) // 4 : -len(profile) // 4]
    assert np.median(middle) > 140  # the front teeth are showing there, and they are light
    # A flat band has no dips; separate teeth leave a darker seam between neighbours (at least between the
    # central incisors and between each of them and the lateral incisors).
    assert dips(profile, depth=0.15 * np.median(middle)) >= 3


@pytest.mark.parametrize("name", ["hopper", "biden"])
def test_a_sneer_bares_a_row_of_upper_teeth_not_piano_keys(framed, name):
    """Disgust lifts the upper lip off the drawn upper teeth, baring their crowns near the gum. Each crown was a tile
    of its own brightness with a dark seam down its whole length: a keyboard. The light now falls off smoothly along
    the row and the seams are darkest at the biting edge, where teeth part in a notch. Across the brightest row of the
    bared crowns the three deepest seams, against the crowns' median: 0.15-0.17 before, 0.10-0.11 now."""
    portrait = framed(name)
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=3)
    row = expression_row("disgusted")
    frame = animator.render(row).astype(np.float64).mean(axis=2)
    driven, fw = animator.driven_landmarks(row), animator.frame.width
    cx, half = int(round(driven[13, 0])), int(0.06 * fw)
    rows = range(int(driven[13, 1] - 0.04 * fw), int(driven[14, 1]) + 1)
    crowns = max(rows, key=lambda y: np.median(frame[y, cx - half : cx + half]))  # the bared crowns' brightest row
    profile = frame[crowns, cx - half : cx + half]
    assert np.median(profile) > 100  # teeth, not the dark of the mouth
    seams = np.sort(0.5 * (profile[:-4] + profile[4:]) - profile[2:-2])[-3:].mean() / np.median(profile)
    assert 0.04 < seams < 0.13, seams  # separate teeth, but no keyboard


def corners_above_opening(points: np.ndarray, frame: FaceFrame) -> float:
    """How far the mouth corners sit above the middle of the lips' opening (face widths; + = above, a smile's)."""
    middle, corners = points[[13, 14]].mean(axis=0), points[[61, 291]].mean(axis=0)
    return float((middle - corners) @ frame.ey) / frame.width


def spoken_mouth(animator: PortraitAnimator, emotion: str, intensity: float = 1.0) -> tuple[float, float, float]:
    """Three open vowels spoken in `emotion`, as MediaPipe finds the mouth again in the frames (medians, face widths):
    how far the corners sit below the middle of the opening, how far the upper lip hangs below the base of the nose,
    and the opening's mean grey level between its quarter points (teeth are light, the cavity dark)."""
    vowels = [PhonemeTiming(symbol, 0.2 + 0.4 * k, 0.5 + 0.4 * k) for k, symbol in enumerate("aɑæ")]
    rows = animator.controls_for(vowels, None, constant_track(emotion, 40, intensity), 40, FPS)[[9, 19, 29]]
    ey, fw = animator.frame.ey, animator.frame.width
    measured = []
    for row in rows:
        frame = animator.render(row)
        p = detect_landmarks(frame).points[:, :2]
        corners = -corners_above_opening(p, animator.frame)
        hang = float((p[13] - p[2]) @ ey) / fw
        left, right = int(p[78, 0]), int(p[308, 0])
        quarter = (right - left) // 4
        opening = frame[int(p[13, 1]) : int(p[14, 1]) + 1, left + quarter : right - quarter]
        measured.append((corners, hang, float(opening.astype(np.float64).mean())))
    return tuple(np.median(measured, axis=0).tolist())


@pytest.mark.parametrize("name", ["biden", "hopper"])
def test_an_angry_face_that_speaks_bares_its_teeth_in_a_square_mouth(framed, monkeypatch, name):
    """Angry speech lets the pressed lips of anger go on every vowel; the mouth under the frown was a calm one, and
    the face read as calm (FER: neutral on 46 % of 31 unsmiling portraits' talking frames). Open-mouth anger raises
    the upper lip off the teeth and pulls the lower lip down into a square whose corners sit low: on Biden and Grace
    Hopper the upper lip rises by 0.009-0.032 face widths and the opening turns from cavity to teeth (its grey level
    up by 18-26), with either face engine; the corners sit 0.03-0.035 face widths lower than in calm speech (anger's
    own pressed, arched mouth already brings them down; the snarl adds 0.004-0.007)."""
    portrait = framed(name)
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=3)
    corners, hang, grey = spoken_mouth(animator, "angry")
    calm_corners = spoken_mouth(animator, "neutral")[0]
    monkeypatch.setattr(timeline, "SPOKEN_ANGER", {})
    _, unsnarled_hang, unsnarled_grey = spoken_mouth(animator, "angry")
    assert hang < unsnarled_hang - 0.006, (hang, unsnarled_hang)
    assert corners > calm_corners + 0.015, (corners, calm_corners)
    assert grey > unsnarled_grey + 10, (grey, unsnarled_grey)


@pytest.mark.parametrize("name", ["biden", "hopper"])
def test_irritation_speaks_with_far_less_teeth_than_fury(framed, name):
    """Open-mouth anger is a display of strong anger. Asked for "annoyed" (intensity 0.35) the speaking mouth bared
    the teeth a third as far as fury does (the opening's grey level over calm speech: 0.35-0.41 of fury's), and every
    irritated word was a snarl; now 0.07-0.21."""
    portrait = framed(name)
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=3)
    calm = spoken_mouth(animator, "neutral")[2]
    annoyed, furious = (spoken_mouth(animator, "angry", level)[2] for level in (0.35, 1.0))
    assert furious > calm + 10, (calm, furious)
    assert annoyed - calm < 0.3 * (furious - calm), (calm, annoyed, furious)


def test_an_angry_grin_speaks_with_its_teeth_covered(portrait, monkeypatch):
    """A grinning photo asked for anger keeps its teeth covered as it speaks: bared again, they read as its smile
    (FER, the angry talking frames of 11 smiling photos: happy on 44 % instead of 33)."""
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=3)
    vowels = [PhonemeTiming(symbol, 0.2 + 0.4 * k, 0.5 + 0.4 * k) for k, symbol in enumerate("aɑæ")]
    spoken = animator.controls_for(vowels, None, constant_track("angry", 40), 40, FPS)
    monkeypatch.setattr(timeline, "SPOKEN_ANGER", {})
    assert np.array_equal(spoken, animator.controls_for(vowels, None, constant_track("angry", 40), 40, FPS))


def test_lower_teeth_show_when_the_jaw_opens(smiling, closed):
    row = controls_row(jaw_open=1.0)
    for animator in (smiling, closed):
        fw = animator.frame.width
        frame, driven = animator.render(row), animator.driven_landmarks(row)
        cx = int(round(driven[14, 0]))
        # Just above the lowered lower lip: the lower incisors and canines, clearly lighter than the dark of the mouth.
        line = frame[int(round(driven[14, 1] - 0.01 * fw)), cx - int(0.09 * fw) : cx + int(0.09 * fw)].astype(np.float64).mean(axis=1)
        cavity = frame[int(round(driven[13, 1])) : int(round(driven[14, 1])), cx].astype(np.float64).mean(axis=1).min()
        assert np.median(line) > cavity + 60
        assert dips(line, depth=0.1 * np.median(line)) >= 3  # separate teeth, not a white strip


@pytest.mark.parametrize("name", ["astronaut", "obama_smile"])
def test_the_lower_teeth_sink_behind_the_lip_towards_the_corners(framed, name):
    """Fear opens a smiling photo's mouth: its lower teeth show most in front, not as a fence of equal pickets
    standing up along the curved lip into the corners."""
    portrait = framed(name)
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=3)
    fw = animator.frame.width
    animator.mouth.teeth_color = torch.tensor([0.0, 1.0, 0.0]) * animator.mouth.teeth_color.max()  # drawn teeth: green
    row = held_row(animator, "fearful")
    frame, driven = animator.render(row).astype(int), animator.driven_landmarks(row)
    green = frame[..., 1] - np.maximum(frame[..., 0], frame[..., 2]) > 40
    green[: int(0.5 * (driven[13, 1] + driven[14, 1]))] = False  # the lower row only
    cx = driven[14, 0]

    def shown(offsets: tuple[float, ...]) -> float:
        return float(np.mean([green[:, int(round(cx + o * fw))].sum() for o in offsets]))

    front, sides = shown((-0.02, 0.0, 0.02)), shown((-0.14, -0.12, 0.12, 0.14))
    assert front >= 4  # the front teeth show
    assert 1 <= sides <= 0.6 * front  # the side ones, less


def test_the_portraits_own_teeth_move_rigidly(smiling):
    """The photo's upper teeth are not squashed or stretched by the lips: they stay as they were (no head motion)."""
    p, fw = smiling.points, smiling.frame.width
    y0, y1 = int(p[13, 1] + 0.01 * fw), int(p[13, 1] + 0.03 * fw)
    x0, x1 = int(p[13, 0] - 0.08 * fw), int(p[13, 0] + 0.08 * fw)
    source = smiling.image[y0:y1, x0:x1].astype(np.float64)
    for row in (controls_row(jaw_open=1.0), controls_row(jaw_open=0.6, smile=0.6, lip_stretch=0.4)):
        moved = smiling.render(row)[y0:y1, x0:x1].astype(np.float64)
        assert np.abs(moved - source).mean() < 4.0


def test_the_tongue_tip_shows_on_th_and_stays_low_otherwise(closed):
    # The clip's controls raise the tip for /θ/ and /l/, not for /s/ or the vowels.
    phonemes = timed([("a", 0.16), ("θ", 0.1), ("a", 0.16), ("s", 0.1), ("a", 0.16), ("l", 0.1), ("a", 0.16)])
    controls = closed.controls_for(phonemes, None, None, 30, FPS)
    tip = CONTROL_NAMES.index("tongue_tip")
    at = {ph.symbol: controls[int(round((ph.start + ph.end) / 2 * FPS)), tip] for ph in phonemes}
    assert at["θ"] > 0.6 and at["l"] > 0.5 and at["s"] < 0.2
    # Drawn: with the tip up, the middle of a half-open mouth fills with tongue (lip-coloured, lighter than
    # the dark cavity); with the tip down that place stays dark.
    fw = closed.frame.width
    rows = [controls_row(jaw_open=0.6), controls_row(jaw_open=0.6, tongue_tip=1.0)]
    middles = []
    for row in rows:
        frame, driven = closed.render(row), closed.driven_landmarks(row)
        y = int(round(0.55 * driven[13, 1] + 0.45 * driven[14, 1]))
        cx = int(round(driven[13, 0]))
        middles.append(frame[y - 1 : y + 2, cx - int(0.02 * fw) : cx + int(0.02 * fw)].reshape(-1, 3).astype(np.float64).mean(axis=0))
    low, raised = middles
    assert raised.mean() > low.mean() + 30 and raised[0] > raised[2] + 15  # lighter, and red like the lips


@pytest.fixture(scope="module")
def broad_grin() -> PortraitAnimator:
    """Obama's official portrait (public domain): a grin that smiles more by its width than by raised corners."""
    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.media.images import load_image

    framed = frame_portrait(load_image(Path(__file__).parent / "data" / "portraits" / "obama_smile.jpg"), size=512)
    return PortraitAnimator(framed.image, framed.landmarks, seed=3)


def held_row(animator: PortraitAnimator, emotion: str, frames: int = 10) -> np.ndarray:
    """The controls of the last frame of a silent clip holding one class: the expression at rest."""
    return animator.controls_for([], np.zeros(frames, np.float32), constant_track(emotion, frames), frames, FPS)[-1]


def held(animator: PortraitAnimator, emotion: str) -> np.ndarray:
    """The last frame of a silent clip holding one class."""
    return animator.render(held_row(animator, emotion))


def test_a_broad_grin_turned_calm_keeps_its_corners_level(broad_grin):
    """Pulling a grin's corners down by its width (not by how high they sit) left a frown on a 'neutral' face."""
    fw = broad_grin.frame.width

    def corners_below_lip(frame: np.ndarray) -> float:
        p = detect_landmarks(frame).points
        return float(((p[61, 1] + p[291, 1]) / 2 - (p[13, 1] + p[14, 1]) / 2) / fw)

    assert abs(corners_below_lip(held(broad_grin, "neutral"))) < 0.008  # level: a relaxed mouth
    # Sadness still turns them down: 0.015 (Tasks) and 0.031 (legacy) below the lip line; the Tasks reading was 0.016
    # before the seam between the shut lips was drawn as wide as a real one, which moved its lip line 0.3 px.
    assert corners_below_lip(held(broad_grin, "sad")) > 0.012


def test_teeth_under_the_lip_contour_do_not_show_once_the_lips_close(portrait):
    """MediaPipe's inner lip contour often runs a few pixels over a grin's teeth; closing lips carried those teeth
    with them as a white strip between shut lips. Here the bundled portrait's upper lip edge is painted tooth-white
    for 2 pixels above its contour, as such a photo would look."""
    image, teeth, (x_lo, x_hi) = painted_teeth(portrait, UPPER_INNER, -2, 1)
    animator = PortraitAnimator(image, portrait.landmarks, seed=3)
    frame = animator.render(controls_row(lip_press=1.0)).astype(np.float64)
    seam_y = int(round(animator.driven_landmarks(controls_row(lip_press=1.0))[[13, 14], 1].mean()))
    band = frame[seam_y - 6 : seam_y, x_lo + 4 : x_hi - 4]  # the upper lip above the seam
    tooth_like = nearer_the_teeth(band, teeth, portrait)
    assert tooth_like.mean() < 0.05, tooth_like.mean()  # 0.33 with the teeth left uncovered, 0.01 painted over


def painted_teeth(portrait, contour: list[int], top: int, bottom: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The portrait with the rows top..bottom (pixels, from the inner lip contour given, down +) painted in its
    teeth's colour along the contour's middle; that colour; the painted columns."""
    image = portrait.image.copy()
    points = portrait.landmarks.points
    lip = points[contour][np.argsort(points[contour, 0])]
    x_lo, x_hi = int(lip[2, 0]), int(lip[-3, 0])
    teeth = np.median(image[int(points[13, 1]) + 3, x_lo:x_hi], axis=0)
    for x in range(x_lo, x_hi):
        y = int(round(np.interp(x, lip[:, 0], lip[:, 1])))
        image[y + top : y + bottom, x] = teeth
    return image, teeth, (x_lo, x_hi)


def nearer_the_teeth(pixels: np.ndarray, teeth: np.ndarray, portrait) -> np.ndarray:
    """Which pixels are nearer the photo's teeth than its lips in colour (the bundled portrait's pale lips are nearly
    as unred as its teeth, so redness alone cannot tell)."""
    return np.linalg.norm(pixels - teeth, axis=-1) < np.linalg.norm(pixels - lip_colour(portrait), axis=-1)


def test_a_laughing_photos_lower_teeth_do_not_show_in_its_closed_lower_lip(portrait):
    """On a laughing photo MediaPipe's lower inner lip line often runs along the top of the lower teeth, which then
    belong to the lower lip: closed, its red showed a row of pale teeth. Here the bundled portrait's lower lip is
    painted tooth-white for 6 pixels below its contour, as such a photo looks (0.81 of the lower lip under the closed
    seam nearer the teeth's colour than the lips' before, none now); a highlight painted on the lower lip apart from
    the opening, as pale as the teeth, must stay."""
    image, teeth, (x_lo, x_hi) = painted_teeth(portrait, LOWER_INNER, 0, 6)
    points = portrait.landmarks.points
    shine_x, shine_y = int(points[17, 0]), int(round(points[17, 1] - 0.25 * (points[17, 1] - points[14, 1])))
    image[shine_y - 1 : shine_y + 2, shine_x - 3 : shine_x + 4] = teeth  # near the lip's outer edge, lip all round
    animator = PortraitAnimator(image, portrait.landmarks, seed=3)
    row = controls_row(lip_press=1.0)
    frame = animator.render(row).astype(np.float64)
    driven = animator.driven_landmarks(row)
    seam = driven[LOWER_INNER][np.argsort(driven[LOWER_INNER, 0])]
    columns = np.arange(x_lo + 4, x_hi - 4)
    below = np.round(np.interp(columns, seam[:, 0], seam[:, 1])).astype(int)
    band = np.stack([frame[y + 1 : y + 5, x] for x, y in zip(columns, below, strict=True)])  # the lower lip under the seam
    tooth_like = nearer_the_teeth(band, teeth, portrait)
    assert tooth_like.mean() < 0.05, tooth_like.mean()
    x, y = np.round(driven[17] - 0.25 * (driven[17] - driven[14])).astype(int)
    shine = frame[y - 1 : y + 2, x - 3 : x + 4]
    assert np.linalg.norm(shine - teeth, axis=2).min() < 25  # the highlight is still there


def lip_colour(portrait) -> np.ndarray:
    """The median colour of the photo's lower lip (between its inner and outer contours)."""
    from ectfg_core.render.raster import polygon_coverage

    points = portrait.landmarks.points
    lower = np.concatenate([points[LOWER_INNER], points[LOWER_OUTER][::-1]])
    height, width = portrait.image.shape[:2]
    inside = polygon_coverage(lower, np.arange(width), np.arange(height)) > 0.5
    return np.median(portrait.image[inside].astype(np.float64), axis=0)


def full_lipped(portrait) -> PortraitAnimator:
    """The bundled portrait's grin with fuller lips: both outer lip contours moved out so that each lip is thicker
    than the thickest closed lips measured (0.05 and 0.075 face widths in the middle)."""
    points = portrait.landmarks.points.copy()
    frame = FaceFrame.from_points(points)
    local = frame.to_local(points)
    for contour, inner, sign, red in ((UPPER_OUTER, 13, -1.0, 0.05), (LOWER_OUTER, 14, 1.0, 0.075)):
        middle = contour[len(contour) // 2]
        extra = red - abs(local[middle, 1] - local[inner, 1])
        half = 0.5 * np.ptp(local[contour, 0])
        for idx in contour[1:-1]:
            across = (local[idx, 0] - local[middle, 0]) / half
            points[idx] += sign * extra * (1.0 - across**2) * frame.width * frame.ey
    landmarks = FaceLandmarks(points=points.astype(np.float32), image_size=portrait.landmarks.image_size,
                              depth=portrait.landmarks.depth)
    return PortraitAnimator(portrait.image, landmarks, seed=3)


def test_full_lips_closed_over_a_grin_keep_their_thickness(portrait, broad_grin):
    """Lips closing over a grin thickened by a quarter of the photo's lip gap each, to give back what the grin
    stretched thin; over full lips (and a gummy grin, whose gum MediaPipe counts as lip) that made the calm, sad or
    angry mouth look swollen (calm: upper and lower lip 1.26 and 1.21 times the photo's own here). Lips now thicken
    only up to the thickness of real closed lips (0.88 and 0.96: the press thins them a little); a grin's thin lips
    still get theirs back (Obama's upper lip: 1.6 times, 1.87 before; 1.1 with the Tasks engine's landmarks)."""
    full = full_lipped(portrait)
    still = full.points

    def red(p: np.ndarray) -> tuple[float, float]:
        return float(np.linalg.norm(p[13] - p[0])), float(np.linalg.norm(p[17] - p[14]))

    for emotion in ("neutral", "sad"):
        closed = full.driven_landmarks(held_row(full, emotion))
        assert red(closed)[0] < 1.05 * red(still)[0] and red(closed)[1] < 1.05 * red(still)[1], (emotion, red(closed))
    # A thin grin's upper lip (0.024-0.034 face widths, by engine) closes thicker than it was, as a relaxed lip is.
    calm = broad_grin.driven_landmarks(held_row(broad_grin, "neutral"))
    assert red(calm)[0] > 1.05 * red(broad_grin.points)[0]


def test_a_grin_closed_leaves_no_black_hooks_at_its_corners(broad_grin):
    """At a grin's corners MediaPipe's inner lip line runs inside the dark corridor beside the teeth; closed lips
    carried that dark as a black hook at each end of the seam (the darkest pixel by each corner 0.15-0.25 of the
    cheek's brightness on this portrait, neutral, sad and angry). It is painted over with the lips now (0.5-0.65)."""
    fw = broad_grin.frame.width
    for emotion in ("neutral", "sad", "angry"):
        row = held_row(broad_grin, emotion)
        frame = broad_grin.render(row).astype(np.float64).mean(axis=2)
        p = broad_grin.driven_landmarks(row)
        ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
        cheek = np.median(frame[np.hypot(xs - p[205, 0], ys - p[205, 1]) < 0.03 * fw])
        for corner in (61, 291):
            near = np.hypot(xs - p[corner, 0], ys - p[corner, 1]) < 0.02 * fw
            assert frame[near].min() > 0.35 * cheek, (emotion, corner, frame[near].min() / cheek)


def test_a_grin_turned_calm_loses_the_dark_pockets_beside_its_corners(broad_grin):
    """A grin presses its corners into the cheeks; the shadow there rode along with the corners, so a calm or angry
    mouth still ended in dark hooks and read as a smirk. The darkest tenth of the skin beside the corners was 0.46 of
    the cheek's brightness on this portrait; lifted, it is about 0.6."""
    from ectfg_core.render.raster import polygon_coverage
    from ectfg_core.types.face import LIPS_OUTER

    fw = broad_grin.frame.width
    for emotion in ("neutral", "angry"):
        frame = held(broad_grin, emotion).astype(np.float64).mean(axis=2)
        p = broad_grin.driven_landmarks(held_row(broad_grin, emotion))
        ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
        lips = polygon_coverage(p[LIPS_OUTER], np.arange(frame.shape[1]), np.arange(frame.shape[0])) > 0.5
        cheek = np.median(frame[np.hypot(xs - p[205, 0], ys - p[205, 1]) < 0.03 * fw])
        for corner, outward in ((61, -1.0), (291, 1.0)):
            cx, cy = p[corner, 0] + outward * 0.015 * fw, p[corner, 1]
            beside = (np.hypot(xs - cx, ys - cy) < 0.03 * fw) & ~lips
            assert np.percentile(frame[beside], 10) > 0.53 * cheek, (emotion, corner)


def test_a_calm_mouth_over_a_covered_grin_still_shows_its_lower_teeth(smiling):
    """A smiling photo asked to talk calmly covers its grin with the upper lip; with the lower incisors only a sliver
    above the lower lip, the open mouth was a dark toothless band (the row 0.015 face widths above the lower lip
    was 69 grey levels over the cavity; the teeth now reach it: about 110)."""
    fw = smiling.frame.width
    row = controls_row(jaw_open=0.6, upper_lip_cover=0.6, smile_release=1.0, lip_corner_depress=1.5)
    frame, driven = smiling.render(row).astype(np.float64), smiling.driven_landmarks(row)
    cx = int(round(driven[14, 0]))
    line = frame[int(round(driven[14, 1] - 0.015 * fw)), cx - int(0.06 * fw) : cx + int(0.06 * fw)].mean(axis=1)
    cavity = frame[int(round(driven[13, 1])) : int(round(driven[14, 1])), cx].mean(axis=1).min()
    assert np.median(line) > cavity + 90


def test_fear_held_over_a_toothy_grin_keeps_its_mouth_open(smiling):
    """Fear drops the jaw (AU26). Over a photo that bares its teeth, the lips closing over the grin shut that mouth
    whenever no word opened it, in every pause: held fear was a closed, stretched mouth (inner lips 0.001 face widths
    apart, found again by MediaPipe), not fear. The upper lip now covers the grin while the jaw stays open; a calm
    face, whose jaw stays up, still closes its lips over the teeth."""
    def held_a_second(emotion: str) -> np.ndarray:
        return smiling.render(held_row(smiling, emotion, frames=int(FPS)))

    fw = smiling.frame.width
    assert inner_gap(held_a_second("fearful"), fw) > 0.05
    assert inner_gap(held_a_second("neutral"), fw) < 0.01


def under_the_lip_level(animator: PortraitAnimator, emotion: str) -> float:
    """The median grey level right under the upper lip of the held expression: 2-5 px below its driven inner edge,
    over the middle half of the mouth."""
    row = held_row(animator, emotion)
    frame = animator.render(row).astype(np.float64).mean(axis=2)
    line = seam_line(animator, row, trim=4)
    quarter = len(line) // 4
    return float(np.median([frame[y + 2 : y + 6, x] for x, y in line[quarter:-quarter]]))


def photo_teeth_level(animator: PortraitAnimator) -> float:
    """The brightness of the photo's own teeth: the upper quartile of the grey levels of its opening."""
    points = animator.points
    opening = animator.image[int(points[13, 1]) : int(points[14, 1]), int(points[78, 0]) : int(points[308, 0])]
    return float(np.percentile(opening.mean(axis=2), 75))


def under_the_upper_lip(animator: PortraitAnimator, emotion: str) -> float:
    """under_the_lip_level as a share of the photo's teeth's brightness: about 1 where teeth show there, about half
    over a dark cavity or gum."""
    return under_the_lip_level(animator, emotion) / photo_teeth_level(animator)


def test_a_smile_lifting_the_lip_of_a_toothy_photo_bares_more_tooth_not_a_dark_band(smiling, broad_grin):
    """A smiling photo asked to look happy lifts its upper lip past where the photo had it. Nothing of the photo lay
    above its teeth, and a dark band of cavity and gum showed between lip and teeth (0.57 of the teeth's brightness
    under Obama's lip, 0.78 on the bundled portrait); a second, drawn row of teeth showed there on photos whose
    teeth the mouth layer did not recognise. The photo's own teeth now go on up under the lip (0.84 and 0.96), and
    happy tops up a smile the photo already has rather than lifting the lip as far again."""
    assert min(under_the_upper_lip(smiling, "happy"), under_the_upper_lip(broad_grin, "happy")) > 0.8


def test_a_closed_mouth_asked_to_be_very_happy_parts_its_lips_over_the_upper_teeth(closed, framed):
    """Posed smiles part the lips over the upper teeth; a closed-mouth photo's happy was a wide closed-lip smile
    (0.032-0.034 face widths between the inner lips over the middle half of the mouth). The upper lip lifts further
    on photos that do not smile already (a smiling photo tops up its own smile: see the test above)."""
    biden = PortraitAnimator(framed("biden").image, framed("biden").landmarks, seed=3)
    for animator in (closed, biden):
        row = held_row(animator, "happy")
        driven = animator.driven_landmarks(row)
        upper, lower = (c[np.argsort(c[:, 0])] for c in (driven[UPPER_INNER], driven[LOWER_INNER]))
        half = 0.25 * abs(driven[308, 0] - driven[78, 0])
        xs = np.arange(driven[13, 0] - half, driven[13, 0] + half)
        opening = np.median(np.interp(xs, lower[:, 0], lower[:, 1]) - np.interp(xs, upper[:, 0], upper[:, 1]))
        assert opening / animator.frame.width > 0.036


def test_fear_over_a_toothy_grin_shows_the_edges_of_the_upper_teeth(smiling, broad_grin):
    """Fear's dropped jaw over a grin: the lowered upper lip covered the photo's teeth whole, and the open mouth was a
    flat dark slot with a few lower teeth (0.46 and 0.61 of the teeth's brightness under the lip). The lip now stops
    short of the teeth's edges, as a relaxed upper lip does (0.82 and 0.78)."""
    assert min(under_the_upper_lip(smiling, "fearful"), under_the_upper_lip(broad_grin, "fearful")) > 0.7


def upper_teeth_share(animator: PortraitAnimator, emotion: str) -> tuple[float, float]:
    """Of the held expression's open mouth, over the middle half of its width: the share of the upper half of the
    opening that is as bright as the photo's teeth, and the opening's height in face widths (both medians)."""
    row = held_row(animator, emotion)
    frame = animator.render(row).astype(np.float64).mean(axis=2)
    driven = animator.driven_landmarks(row)
    teeth = photo_teeth_level(animator)
    upper, lower = (c[np.argsort(c[:, 0])] for c in (driven[UPPER_INNER], driven[LOWER_INNER]))
    half = 0.25 * abs(driven[308, 0] - driven[78, 0])
    shares, heights = [], []
    for x in range(int(driven[13, 0] - half), int(driven[13, 0] + half)):
        top, bottom = np.interp(x, upper[:, 0], upper[:, 1]), np.interp(x, lower[:, 0], lower[:, 1])
        column = frame[int(round(top)) + 1 : int(round(bottom)), x]
        shares.append(float(np.mean(column[: max(1, len(column) // 2)] > 0.7 * teeth)))
        heights.append((bottom - top) / animator.frame.width)
    return float(np.median(shares)), float(np.median(heights))


def test_surprise_over_a_toothy_grin_drops_the_jaw_under_the_lip_not_the_grin(smiling, broad_grin):
    """Surprise drops the jaw (AU26); over a photo that grins, the grin's whole upper row of teeth stayed bared over
    the dropped jaw, and the face laughed rather than gasped (teeth filled 0.72 and 0.70 of the upper half of the
    opening; FER read happy on 69 % of the surprised frames of eight smiling portraits). The upper lip now comes down
    over the grin as a relaxed lip does, to the teeth's edges (0.29 and 0.27), and the mouth stays wide open."""
    for animator in (smiling, broad_grin):
        share, height = upper_teeth_share(animator, "surprised")
        assert share < 0.4 and height > 0.15
        assert under_the_upper_lip(animator, "surprised") > 0.7  # the edges of the teeth still show, no dark slot


@pytest.fixture(scope="module")
def open_mouthed(portrait) -> PortraitAnimator:
    """The bundled portrait with its opening painted as a dark cavity over a tongue: a mouth open on no teeth."""
    points = portrait.landmarks.points
    upper = points[UPPER_INNER][np.argsort(points[UPPER_INNER, 0])]
    lower = points[LOWER_INNER][np.argsort(points[LOWER_INNER, 0])]
    image = portrait.image.copy()
    for x in range(int(upper[0, 0]), int(upper[-1, 0]) + 1):
        top, bottom = (np.interp(x, c[:, 0], c[:, 1]) for c in (upper, lower))
        mid = int(round((top + bottom) / 2))
        image[int(np.floor(top)) : mid, x] = (70, 30, 35)  # the dark of the mouth
        image[mid : int(np.ceil(bottom)) + 1, x] = (175, 95, 105)  # the tongue
    return PortraitAnimator(image, portrait.landmarks, seed=3)


def opening_height_near_the_corners(animator: PortraitAnimator, row: np.ndarray) -> float:
    """The driven opening's height (inner lips apart) at 4/5 of the way from the middle to each corner, as a share
    of its height in the middle (the mean of the two sides)."""
    driven = animator.frame.to_local(animator.driven_landmarks(row))
    upper, lower = (c[np.argsort(c[:, 0])] for c in (driven[UPPER_INNER], driven[LOWER_INNER]))
    middle, half = (driven[78, 0] + driven[308, 0]) / 2, abs(driven[308, 0] - driven[78, 0]) / 2

    def height(x: float) -> float:
        return float(np.interp(x, lower[:, 0], lower[:, 1]) - np.interp(x, upper[:, 0], upper[:, 1]))

    return (height(middle - 0.8 * half) + height(middle + 0.8 * half)) / 2 / height(middle)


def test_an_open_mouth_narrows_to_pointed_corners_not_a_grinning_box(closed, broad_grin, smiling):
    """The jaw drops the lower lip and, by half as much, the mouth corners; the upper lip stayed put to its ends. The
    opening got near-vertical sides up to the height of the upper lip (on Hopper 0.77 of its middle height at 4/5 of
    the way to a corner), a box whose top corners MediaPipe took for the mouth's corners: 0.053 and 0.064 face widths
    above the middle of a surprised opening on the two grinning photos, a laughing shape (the blendshape head scored
    mouthSmile 0.62 on Obama's surprise). The upper lip's ends now go down with the corners and the lips meet at
    pointed corners (0.63), found 0.027 and 0.033 face widths above the middle."""
    assert opening_height_near_the_corners(closed, held_row(closed, "surprised", frames=int(FPS))) < 0.7
    for animator in (broad_grin, smiling):
        p = detect_landmarks(animator.render(held_row(animator, "surprised", frames=int(FPS)))).points
        corners_above_middle = ((p[13, 1] + p[14, 1]) / 2 - (p[61, 1] + p[291, 1]) / 2) / animator.frame.width
        assert corners_above_middle < 0.04


def test_a_smile_talking_holds_its_corners_up_and_keeps_its_crescent(closed):
    """A smile holds the mouth corners up against the jaw, so the lens an open vowel makes is for unsmiling speech:
    lowering the upper lip's ends under a smile too took the crescent out of happy speech (FER's happy on the
    non-smiling portraits' happy clips fell from 45 % to 40 %). An open vowel keeps 0.70-0.72 of the opening's
    middle height near the corners when happy (0.56-0.57 with the ends lowered), 0.62-0.64 when calm."""
    phonemes, frames = timed([("a", 0.4)]), 15

    def widest_open(emotion: str) -> np.ndarray:
        controls = closed.controls_for(phonemes, np.ones(frames, np.float32), constant_track(emotion, frames), frames, FPS)
        return controls[int(np.argmax(controls[:, CONTROL_NAMES.index("jaw_open")]))]

    assert opening_height_near_the_corners(closed, widest_open("happy")) > 0.66
    assert opening_height_near_the_corners(closed, widest_open("neutral")) < 0.68


def test_an_open_mouth_showing_no_teeth_gets_a_whole_row_of_drawn_teeth(open_mouthed):
    """A photo with its mouth open on a dark cavity and a tongue, no teeth in view (here the bundled portrait's
    opening painted so). That interior was carried rigidly with the skull over the drawn upper teeth: a smile showed
    the photo's tongue across its middle and drawn teeth only at the corners, like fangs. Only teeth belong to the
    skull; such a mouth is drawn whole. Under the lifted upper lip of happy: the drawn teeth (grey level 154), not the
    photo's cavity and tongue (48)."""
    assert under_the_lip_level(open_mouthed, "happy") > 120


def test_the_gaps_between_a_grins_teeth_do_not_dot_the_closed_seam(portrait):
    """A grin turned calm closes its lips over its teeth. The teeth the lips carried along were painted over, the
    dark gaps between them were not: the seam of the shut lips came out dotted. Here gaps 2 px wide are painted
    between the bundled portrait's teeth every 6 px; the seam's darkest row may wobble along its length only a
    little more than without them (unevenness: mean distance from its own running median, grey levels; 1.2 without
    gaps, 6.8 with them before, 4.7 now)."""
    from scipy.ndimage import median_filter

    points = portrait.landmarks.points
    upper = points[UPPER_INNER][np.argsort(points[UPPER_INNER, 0])]
    lower = points[LOWER_INNER][np.argsort(points[LOWER_INNER, 0])]

    def unevenness(image: np.ndarray) -> float:
        animator = PortraitAnimator(image, portrait.landmarks, seed=3)
        row = held_row(animator, "neutral", frames=25)
        frame = animator.render(row).astype(np.float64).mean(axis=2)
        darkest = np.array([frame[y - 3 : y + 4, x].min() for x, y in seam_line(animator, row, trim=2)])
        return float(np.abs(darkest - median_filter(darkest, 9)).mean())

    gapped = portrait.image.copy()
    for x in range(int(upper[2, 0]), int(upper[-3, 0]), 6):
        top, bottom = (int(round(np.interp(x, c[:, 0], c[:, 1]))) for c in (upper, lower))
        gapped[top : bottom + 1, x : x + 2] = 40
    assert unevenness(gapped) < unevenness(portrait.image) + 4.0


def test_lips_shut_over_a_parted_photo_meet_at_a_dark_seam(smiling):
    """Where the photo's lips were parted, lips that now touch meet at a line the mouth layer draws: with the photo's
    teeth and the gaps between them painted over, that line is what tells two shut lips from one band of lip (and
    what landmark detectors find the lip contours by). The seam is at least 70 grey levels darker than the lips 5 px
    above and below it (60 when it was drawn faint, 83 now)."""
    row = controls_row(lip_press=1.0)
    frame = smiling.render(row).astype(np.float64).mean(axis=2)
    contrast = [0.5 * (frame[y - 5, x] + frame[y + 5, x]) - frame[y - 2 : y + 3, x].min() for x, y in seam_line(smiling, row, trim=3)]
    assert np.median(contrast) > 70


def test_the_seam_of_lips_shut_over_a_parted_photo_is_as_soft_as_a_photographed_one(smiling):
    """The drawn seam was a pencil line: across it the brightness fell by two thirds of its depth in one pixel
    (0.66 on the bundled portrait). Closed mouths photographed fall by 0.21-0.60 of it (median 0.38 over seven
    portraits): the seam is a soft shadow 2-3 px wide at 512. It stays as dark (see the test above)."""
    row = controls_row(lip_press=1.0)
    frame = smiling.render(row).astype(np.float64).mean(axis=2)
    steepness = []
    for x, y in seam_line(smiling, row, trim=0):
        column = frame[y - 8 : y + 9, x]
        depth = 0.5 * (column[0] + column[-1]) - column.min()
        steepness.append(np.abs(np.diff(column[4:13])).max() / max(depth, 1.0))
    assert np.median(steepness) < 0.55


def test_a_soft_photos_shut_lips_meet_at_a_seam_as_soft_as_the_photo():
    """A photo upscaled from a small face (Obama's, 4x down and up) showed its closed lips meeting at the sharpest line
    in the picture: the seam kept all the steepness it has on the sharp photo (1.08 of it) while every edge of the
    photo lost about two thirds of its own. Drawn as soft as the photo, it falls with them (0.60), and stays a seam
    (64 grey levels deep)."""
    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.media.images import load_image

    sharp = frame_portrait(load_image(Path(__file__).parent / "data" / "portraits" / "obama_smile.jpg"), size=512).image
    soft = np.asarray(Image.fromarray(sharp).resize((128, 128), Image.Resampling.BILINEAR).resize((512, 512), Image.Resampling.BICUBIC))

    def seam(image: np.ndarray) -> tuple[float, float]:
        """The steepest brightness step across the seam at the mouth's middle, and the seam's depth (grey levels)."""
        framed = frame_portrait(image, size=512)
        animator = PortraitAnimator(framed.image, framed.landmarks)
        row = controls_row(lip_press=1.0)
        frame = animator.render(row).astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        driven = animator.driven_landmarks(row)
        x, y = int(round(driven[13, 0])), int(round((driven[13, 1] + driven[14, 1]) / 2))
        columns = frame[y - 6 : y + 7, x - 8 : x + 9]
        steepest = np.abs(np.diff(columns[3:10], axis=0)).max(axis=0).mean()
        depth = (np.maximum(columns[:4].max(axis=0), columns[-4:].max(axis=0)) - columns[3:10].min(axis=0)).mean()
        return float(steepest), float(depth)

    (sharp_step, _), (soft_step, soft_depth) = seam(sharp), seam(soft)
    assert soft_step < 0.7 * sharp_step, f"the soft photo's seam keeps {soft_step / sharp_step:.2f} of the sharp one's steepness"
    assert soft_depth > 40


def test_lip_laid_over_a_grins_teeth_is_as_light_as_the_lip_it_is_taken_from(smiling):
    """The cover over a grin's teeth takes its colour from the lip around it. It read that lip after darkening the
    pixels it half covers, so its soft edge was counted darker than it is: over a lip of one colour it laid a brown
    band (up to 39 grey levels darker on the bundled portrait). Painting lip over the same lip must change nothing."""
    stray = smiling.stray_teeth
    height, width = smiling.image.shape[:2]
    lip = stray.fill[:, 0, 0]
    region = lip[:, None, None].expand(3, height, width).clone()
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij")
    upper = smiling.points[UPPER_INNER]
    shut = np.concatenate([upper, upper[::-1]])  # lips closed along the photo's upper lip line
    stray.cover(region, (0, 0), torch.stack([xs, ys], dim=-1), shut)
    assert float((region - lip[:, None, None]).abs().max()) < 1.0


def test_a_wide_open_mouth_shows_its_tongue_not_a_flat_dark_hole(broad_grin):
    """Obama's lips are dark, and the tongue took their colour and sat a sliver above the lower teeth: a jaw opened
    wide showed a flat dark hole over a row of teeth. The tongue now rises behind the lower teeth as the jaw opens,
    lit like a tongue whatever the lips' pigment: the lower part of the opening is clearly lighter than the cavity
    (grey levels above the darkest: 7 before, 30 now)."""
    fw = broad_grin.frame.width
    row = controls_row(jaw_open=1.0)
    frame, driven = broad_grin.render(row), broad_grin.driven_landmarks(row)
    cx = int(round(driven[14, 0]))
    column = frame[:, cx - int(0.02 * fw) : cx + int(0.02 * fw)].astype(np.float64).mean(axis=1) @ np.array([0.299, 0.587, 0.114])
    top, bottom = driven[13, 1], driven[14, 1]

    def band(a: float, b: float) -> np.ndarray:
        return column[int(round(top + a * (bottom - top))) : int(round(top + b * (bottom - top))) + 1]

    cavity = band(0.3, 0.6).min()
    assert band(0.55, 0.75).mean() > cavity + 20


def test_fear_over_a_grin_shows_a_level_row_of_lower_teeth_not_pickets(broad_grin):
    """The lower teeth followed the photo's lower lip; Obama's grin turns his lower lip up at the corners, and fear
    stretches it flat, so the side teeth stood as tall as the front ones or taller (5 px of tooth against 5), a row
    of pickets. They now show no more of themselves anywhere than in the middle (2 px at the sides)."""
    row = held_row(broad_grin, "fearful")
    frame, driven = broad_grin.render(row).astype(np.float64).mean(axis=2), broad_grin.driven_landmarks(row)
    fw = broad_grin.frame.width
    lower = driven[LOWER_INNER]
    lower = lower[np.argsort(lower[:, 0])]
    cavity = frame[int(driven[13, 1]) : int(driven[14, 1]), int(round(driven[14, 0]))].min()

    def shown(dx: float) -> int:
        """Rows of tooth right above the lower lip, in the column dx face widths from the middle."""
        x = driven[14, 0] + dx * fw
        lip = float(np.interp(x, lower[:, 0], lower[:, 1]))
        return int((frame[int(lip - 0.06 * fw) : int(lip), int(round(x))] > cavity + 40).sum())

    front = shown(0.0)
    assert front >= 3, "the front teeth do not show: the test shows nothing"
    sides = max(shown(dx) for dx in (-0.15, -0.14, -0.12, -0.1, 0.1, 0.12, 0.14, 0.15))
    assert sides < front, f"side teeth {sides} px, front {front} px"


def lower_teeth_shown(animator: PortraitAnimator, emotion: str) -> int:
    """Rows of lower tooth right above the lower lip in the middle of the held expression's mouth."""
    row = held_row(animator, emotion)
    frame, driven = animator.render(row).astype(np.float64).mean(axis=2), animator.driven_landmarks(row)
    fw = animator.frame.width
    x = int(round(driven[14, 0]))
    cavity = frame[int(driven[13, 1]) : int(driven[14, 1]), x].min()
    return int((frame[int(driven[14, 1] - 0.06 * fw) : int(driven[14, 1]), x] > cavity + 40).sum())


def test_fear_draws_the_lower_lip_off_the_lower_teeth(closed, broad_grin):
    """Fear's mouth is stretched and its lower lip drawn down off the lower teeth (AU16). Without it the open mouth
    was a dark slot over a sliver of teeth (3 rows of tooth on Grace Hopper, 5 on Obama); now a row of lower teeth
    shows (6 and 9)."""
    assert min(lower_teeth_shown(closed, "fearful"), lower_teeth_shown(broad_grin, "fearful")) >= 5


def _middle_under_the_teeth(animator: PortraitAnimator, row: np.ndarray, down: float) -> float:
    """Brightness in the middle of the opening, `down` of the way from the upper inner lip to the lower one."""
    frame, driven = animator.render(row), animator.driven_landmarks(row)
    fw = animator.frame.width
    y = int(round((1.0 - down) * driven[13, 1] + down * driven[14, 1]))
    cx = int(round(driven[13, 0]))
    return float(frame[y - 1 : y + 2, cx - int(0.02 * fw) : cx + int(0.02 * fw)].astype(np.float64).mean())


def raised_tip(animator: PortraitAnimator) -> tuple[np.ndarray, np.ndarray]:
    """What a raised tongue tip adds to a half-open mouth: the grey levels of tip up minus tip down, and the driven
    landmarks."""
    up, down = (controls_row(jaw_open=0.6, tongue_tip=tip, upper_lip_cover=0.9) for tip in (1.0, 0.0))
    diff = animator.render(up).astype(np.float64).mean(axis=2) - animator.render(down).astype(np.float64).mean(axis=2)
    return diff, animator.driven_landmarks(up)


def test_a_raised_tongue_tip_is_rounded_not_a_pink_wedge(smiling):
    """The tip raised for /t d n l/ rose from the tongue's body as a narrow bell: between the bundled portrait's teeth
    a pink wedge with straight flanks and hard edges, narrower near the upper teeth (16 px at 0.3 of the opening
    against 21 at its middle) and falling from 80 % to 20 % of its brightness within 2-3 px at its sides. It is now
    a dome as broad as the front teeth, whose flanks turn into the mouth's shadow: 20 px and 20, over 5 px."""
    diff, driven = raised_tip(smiling)
    fw, cx = smiling.frame.width, driven[13, 0]

    def row(share: float) -> np.ndarray:
        y = int(round(driven[13, 1] + share * (driven[14, 1] - driven[13, 1])))
        return diff[y, int(cx - 0.12 * fw) : int(cx + 0.12 * fw)]

    middle = row(0.5)
    peak = middle.max()
    assert peak > 60  # the tip shows
    assert (row(0.3) > 0.5 * peak).sum() >= 0.9 * (middle > 0.5 * peak).sum()
    top = int(np.argmax(middle))
    for flank in (middle[: top + 1][::-1], middle[top:]):
        assert np.argmax(flank < 0.2 * peak) - np.argmax(flank < 0.8 * peak) >= 4


def test_a_jaw_opened_wide_takes_the_tongue_tip_out_of_reach(closed):
    """A raised tongue tip (t, d, n, l) over a jaw opened wide (an angry or surprised word) was stretched all the way
    up to the upper teeth and stood in the open mouth as a pink spike (the cavity under the upper teeth 50 grey levels
    lighter than with the tip down). Out of reach, it stays dark as without it."""
    # 0.27 of the way down: below the upper teeth, above the tongue's body
    down, up = (_middle_under_the_teeth(closed, controls_row(jaw_open=1.0, tongue_tip=tip), 0.27) for tip in (0.0, 1.0))
    assert abs(up - down) < 15, f"tip down {down:.0f}, tip up {up:.0f}"


def test_a_tongue_tip_raised_while_the_jaw_is_still_wide_stays_down(closed):
    """Coarticulation raises the tongue tip for /n t d l/ while the vowel before still holds the jaw open wide (0.84
    in an angry "can't"); stretched up to the upper teeth from there it stood in the mouth as a pink spike (the
    cavity under the teeth 17 grey levels lighter on Grace Hopper at a jaw of 0.85). It is out of reach there."""
    down, up = (_middle_under_the_teeth(closed, controls_row(jaw_open=0.85, tongue_tip=tip), 0.27) for tip in (0.0, 1.0))
    assert abs(up - down) < 10, f"tip down {down:.0f}, tip up {up:.0f}"


def test_a_photos_open_mouth_shows_a_tongue_and_lower_teeth_not_a_dark_hole(open_mouthed):
    """A photo whose mouth is open on no teeth (here the bundled portrait's opening painted as cavity and tongue) is
    drawn whole. The tongue and lower teeth followed the jaw control alone, which a smile barely opens: the photo's
    wide opening showed a dark hole under the upper teeth. They now follow the opening itself: its lower part is
    85 grey levels lighter than the cavity, 45 before."""
    animator = open_mouthed
    row = held_row(animator, "happy")
    frame, driven = animator.render(row), animator.driven_landmarks(row)
    fw = animator.frame.width
    x = int(round(driven[14, 0]))
    column = frame[:, x - int(0.02 * fw) : x + int(0.02 * fw)].astype(np.float64).mean(axis=(1, 2))
    top, bottom = driven[13, 1], driven[14, 1]
    band = column[int(round(top + 0.6 * (bottom - top))) : int(round(bottom))]
    cavity = column[int(round(top)) : int(round(bottom))].min()
    assert band.mean() > cavity + 60, f"lower part {band.mean():.0f}, cavity {cavity:.0f}"


def test_a_sliver_of_lower_teeth_shows_as_teeth_not_a_dotted_line(smiling):
    """Talking over a grin with its teeth covered, the jaw shows the lower teeth as a row a few pixels tall. Each seam
    between two teeth was drawn as dark as on a full row: a dark tick per tooth, a dotted line in `make demo`. The
    seams now darken only as more of the row shows. Over the row's middle, the deepest dip of a column below its
    neighbours 2 px away: 55 grey levels before, 45 now."""
    half = int(0.1 * smiling.frame.width)
    for jaw in (0.6, 0.7):
        row = controls_row(jaw_open=jaw, upper_lip_cover=1.0)
        frame = smiling.render(row).astype(np.float64).mean(axis=2)
        driven = smiling.driven_landmarks(row)
        x, y = (int(round(v)) for v in driven[14])  # the middle of the lower lip's inner edge
        teeth = frame[y - 5 : y - 1, x - half : x + half].mean(axis=0)  # the rows of lower teeth above it
        dips = 0.5 * (teeth[:-4] + teeth[4:]) - teeth[2:-2]
        assert dips.max() < 50.0, (jaw, dips.max())



@pytest.mark.parametrize("which", ["smiling", "broad_grin"])
def test_a_grin_talking_calmly_opens_like_a_calm_mouth_with_its_teeth_covered(which, request, monkeypatch):
    """A smiling photo asked to talk calmly or angrily covers its grin with the upper lip. A third of the cover came
    back on every open vowel, baring the grin's upper teeth (0.031-0.043 face widths of tooth-bright rows in the upper
    half of the opening), and the jaw dropped by all the cover took, so vowels opened on top of the grin's own gap:
    talking like a laugh (FER read 29 smiling photos talking calmly as happy on 63 % of frames, 52 % now). The teeth
    now stay under the lip (at most 0.021; 0.027 angry, whose nose wrinkle lifts the lip one pixel) and /ɑ/ opens
    0.02-0.04 face widths less, still wide open."""
    animator = request.getfixturevalue(which)
    fw, frames = animator.frame.width, 50
    vowel = timed([("m", 0.15), ("ɑ", 0.5), ("n", 0.15)], start=0.6)
    energy = np.zeros(frames, np.float32)
    energy[18:36] = 0.8
    bright = 0.75 * float(animator.mouth.photo_teeth_color @ torch.tensor([0.299, 0.587, 0.114]))

    def spoken(emotion: str) -> tuple[np.ndarray, np.ndarray]:
        row = animator.controls_for(vowel, energy, constant_track(emotion, frames), frames, FPS)[25]
        return row, animator.render(row)

    for emotion in ("neutral", "angry"):
        row, frame = spoken(emotion)
        luma = frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        p = animator.driven_landmarks(row)
        upper, lower = (c[np.argsort(c[:, 0])] for c in (p[UPPER_INNER], p[LOWER_INNER]))
        middle, half = 0.5 * (p[61, 0] + p[291, 0]), 0.5 * abs(p[291, 0] - p[61, 0])
        rows = []
        for x in range(int(middle - 0.3 * half), int(middle + 0.3 * half)):
            top, bottom = (int(round(np.interp(x, c[:, 0], c[:, 1]))) for c in (upper, lower))
            column = luma[top - 2 : bottom + 1, x]
            rows.append(int((column[: max(1, len(column) // 2)] > bright).sum()))
        assert np.median(rows) <= 0.027 * fw, (emotion, np.median(rows) / fw)
        gap = inner_gap(frame, fw)
        with monkeypatch.context() as patched:
            patched.setattr(timeline, "SPOKEN_GAP_KEPT", 1.0)
            laughing = inner_gap(spoken(emotion)[1], fw)
        assert 0.1 < gap < laughing - 0.012, (emotion, gap, laughing)

