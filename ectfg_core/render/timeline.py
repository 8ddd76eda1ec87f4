"""A whole clip's controls: speech mouth shapes, the emotion track's expression, blinks and head motion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.render.controls import CONTROL_INDEX, NUM_CONTROLS, clamp_controls
from ectfg_core.render.expressions import expression_controls, grin_share
from ectfg_core.render.geometry import smoothstep
from ectfg_core.render.motion import HEAD_CHANNELS, blink_curve, head_curves
from ectfg_core.render.rig import JAW_DROP
from ectfg_core.render.visemes import MOUTH_CONTROLS, mouth_curves
from ectfg_core.types.emotion import EMOTION_INDEX, NUM_EMOTIONS, EmotionTrack
from ectfg_core.types.speech import PhonemeTiming

_C = CONTROL_INDEX


def energy_array(energy, num_frames: int) -> np.ndarray | None:
    """Per-frame loudness from an array or anything with an `.energy` array (AudioFrames), fitted to num_frames."""
    if energy is None:
        return None
    values = np.asarray(getattr(energy, "energy", energy), dtype=np.float32).reshape(-1)
    if len(values) >= num_frames:
        return values[:num_frames]
    return np.pad(values, (0, num_frames - len(values)), mode="edge" if len(values) else "constant")


def track_weights(track: EmotionTrack | None, num_frames: int, fps: float) -> np.ndarray:
    """(num_frames, NUM_EMOTIONS) expression weights, the track resampled to this clip's frames by time."""
    if track is None or track.num_frames == 0:
        weights = np.zeros((num_frames, NUM_EMOTIONS), dtype=np.float32)
        weights[:, EMOTION_INDEX["neutral"]] = 1.0
        return weights
    source = track.expression_weights()
    if track.num_frames == num_frames and abs(track.fps - fps) < 1e-6:
        return source.astype(np.float32)
    t_src = np.arange(track.num_frames) / track.fps
    t_dst = np.arange(num_frames) / fps
    return np.stack([np.interp(t_dst, t_src, source[:, k]) for k in range(NUM_EMOTIONS)], axis=1).astype(np.float32)


def track_strength(track: EmotionTrack | None, num_frames: int, fps: float) -> np.ndarray:
    """(num_frames,) the track's per-frame expression strength (1 where it has none), resampled by time."""
    if track is None or track.num_frames == 0 or track.strength is None:
        return np.ones(num_frames, dtype=np.float32)
    if track.num_frames == num_frames and abs(track.fps - fps) < 1e-6:
        return track.strength.astype(np.float32)
    t_src, t_dst = np.arange(track.num_frames) / track.fps, np.arange(num_frames) / fps
    return np.interp(t_dst, t_src, track.strength).astype(np.float32)


# Classes that do not smile; neutral too: a director asking for "calm" over a grinning photo wants the grin to relax.
UNSMILING = ("neutral", "sad", "angry", "fearful", "surprised", "disgusted")
# Classes whose lips close over a toothy photo smile, and how far: all but happy and disgust (whose sneer bares the
# teeth anyway); a calm face with the photo's grin and teeth still reads as happy, to viewers and classifiers alike.
# The dropped jaws of fear and surprise keep the edges of the upper teeth in view under a lowered lip: covered whole,
# the open mouth was a flat dark slot; bared further, the grin's teeth read as happy again (surprise kept the whole
# grin open over its dropped jaw, a laugh: FER said happy on 69 % of eight smiling photos' surprised frames, 59 % now).
CLOSED_LIPS = {"neutral": 1.0, "sad": 1.0, "angry": 1.0, "fearful": 0.6, "surprised": 0.5}
# A photo whose jaw hangs open without a smile (a posed surprise) has no grin's teeth to keep: happy closes it (kept
# open, a happy face over it read as shock), but keeps lips a word parts, which its smile turns into a toothy one.
# (Disgust keeps it: closed, its raised upper lip came down below the photo's, and the sneer went with it.)
UNSMILING_OPEN = (0.15, 0.45)  # resting_smile from which the photo's open mouth counts as a smile's, fully from the second
# How much of a covered grin's upper-lip cover an open vowel takes back, by class (see clip_controls).
VOWEL_TEETH = {"disgusted": 0.35}
SPOKEN_GAP_KEPT = 0.25  # how much of the lip's cover a vowel's jaw makes up for (see clip_controls)
# Classes whose brows do not knit (or, sad and fearful, only a little): a frowning photo's furrows ease for them.
UNFROWNING = {"neutral": 1.0, "happy": 1.0, "surprised": 1.0, "sad": 0.5, "fearful": 0.5}
# Unsmiling classes whose mouths are not wide: a photo's grin narrows for them (fear stretches the lips instead).
NARROW_MOUTHED = ("neutral", "sad", "angry", "surprised", "disgusted")
# Open-mouth anger (EMFACS 4+5+7+10+16+25): an angry mouth that speaks bares its teeth, the upper lip raised off
# them, the lower lip and the corners pulled down into a square. With the pressed lips of the closed-mouth prototype
# let go on every vowel, angry speech was a calm mouth under a frown (FER, talking frames of 31 unsmiling portraits:
# neutral 46 -> 35 %, angry 34 -> 42 %; the teeth alone, corners left up, read as happy on 10 % instead of 6).
SPOKEN_ANGER = {"upper_lip_raise": 1.0, "lower_lip_depress": 0.8, "lip_corner_depress": 0.75}
SMILING_SNARL = (0.4, 1.0)  # resting_smile from which a photo's smile takes the snarl off, wholly from the second


def _corner_lift(points: np.ndarray, face_width: float) -> float:
    """The mouth corners' height above the lip line, in units of one full lip_corner_depress (unclipped).

    The lip line is half way between the inner lips, or the upper lip's edge where the corners hang well below it: a
    jaw dropped without a smile (a word caught mid-speech) leaves the corners above the middle of its deep opening,
    which read as a smile. Measured against the upper lip's edge: the corners of eight grins lie from 0.04 face widths
    above it to 0.02 below, those of three dropped jaws 0.05 to 0.10 below.
    """
    corners = (points[61, 1] + points[291, 1]) / 2
    dropped = float(smoothstep(0.025, 0.045, (corners - points[13, 1]) / max(face_width, 1.0)))
    lip_line = points[13, 1] + 0.5 * (1.0 - dropped) * (points[14, 1] - points[13, 1])
    return ((lip_line - corners) / max(face_width, 1.0) - 0.005) / 0.045


def resting_smile(points: np.ndarray, face_width: float) -> float:
    """How much the portrait smiles, in units of one full lip_corner_depress: its mouth corners' lift above the lip
    line, or the grin's width, whichever says more (a broad grin's corners can sit almost level with its lips)."""
    # Relaxed closed mouths span ~0.33-0.40 face widths; a grin reaches ~0.45-0.55.
    breadth = (float(np.hypot(*(points[291] - points[61]))) / max(face_width, 1.0) - 0.40) / 0.07
    return float(np.clip(max(_corner_lift(points, face_width), breadth), 0.0, 1.8))


def resting_corner_lift(points: np.ndarray, face_width: float) -> float:
    """The part of resting_smile that lowering the corners undoes: how high they sit above the lip line (a grin's
    width is narrowed, not pulled down)."""
    return float(np.clip(_corner_lift(points, face_width), 0.0, 1.8))


def _inner_gap(points: np.ndarray, face_width: float) -> float:
    """The portrait's inner-lip gap at the middle of the mouth, face widths."""
    return float(points[14, 1] - points[13, 1]) / max(face_width, 1.0)


def resting_jaw_drop(points: np.ndarray, face_width: float) -> float:
    """How far the portrait's jaw hangs open (0: lips parted no wider than a word or a grin part them, 1: dropped as
    in a posed surprise)."""
    return float(smoothstep(0.06, 0.12, _inner_gap(points, face_width)))


def resting_lip_gap(points: np.ndarray, face_width: float) -> float:
    """How far the portrait's lips are parted at rest (0 closed .. 1 wide open, showing teeth)."""
    return float(np.clip((_inner_gap(points, face_width) - 0.015) / 0.05, 0.0, 1.0))


def _class_share(weights: np.ndarray, shares: dict[str, float], gain: float = 1.5) -> np.ndarray:
    """(T,) 0..1: how much of a class-dependent effect a frame gets, `gain` times its classes' weights by `shares`."""
    return np.clip(gain * sum(share * weights[:, EMOTION_INDEX[name]] for name, share in shares.items()), 0.0, 1.0)


def clip_controls(phonemes: Sequence[PhonemeTiming], energy, track: EmotionTrack | None, num_frames: int, fps: float,
                  seed: int = 0, smile_at_rest: float = 0.0, parted_at_rest: float = 0.0,
                  strength: float | np.ndarray = 1.0, corners_at_rest: float | None = None,
                  frown_at_rest: float = 0.0, units: np.ndarray | None = None, jaw_at_rest: float = 0.0,
                  open_corners: float = 0.0) -> np.ndarray:
    """(num_frames, NUM_CONTROLS) controls for a clip; deterministic for a seed.

    smile_at_rest (see resting_smile): a smiling portrait must lose its own smile before it can look sad or angry;
    parted_at_rest (see resting_lip_gap): a toothy smile also closes its lips for them, or it still reads as happy.
    corners_at_rest (see resting_corner_lift; None: smile_at_rest): how far the corners come down to level. A broad
    grin whose corners sit near its lip line smiles by its width: pulled down by all of it, the corners sagged into
    a frown on a calm face and a grimace on a sad one; the width is narrowed instead, two fifths of it still lowering.
    strength (a number or one per frame, 0..2) times the track's own per-word strength scales the expression:
    0 leaves speech, blinks and idle head motion only; mouth shapes are never scaled.
    frown_at_rest (0..1, see ShadingLayers.frown_at_rest): a portrait that frowns must lose its furrows before it can
    look calm, happy or surprised (half of them for sad and fearful, whose brows knit a little themselves).
    units: the portrait's own expression recipes (expressions.portrait_units; None: the calibrated ones).
    jaw_at_rest (see resting_jaw_drop): an open mouth that is no smile's is closed for happy too when the jaw drops.
    open_corners (lip_corner_depress units, see PortraitAnimator.open_corners): how much further a smiling photo's
    corners come down, for the unsmiling classes, as speech opens the mouth (a grin's corners ride up on open vowels).
    """
    num_frames = int(num_frames)
    if num_frames < 0 or not np.isfinite(fps) or fps <= 0:
        raise InputError(f"need num_frames >= 0 and fps > 0, got {num_frames} frames at {fps} fps")
    if num_frames == 0:
        return np.zeros((0, NUM_CONTROLS), dtype=np.float32)
    loud = energy_array(energy, num_frames)
    mouth = mouth_curves(list(phonemes or []), loud, num_frames, fps)
    weights = track_weights(track, num_frames, fps)
    shown = track_strength(track, num_frames, fps) * np.asarray(strength, dtype=np.float32)
    controls = expression_controls(weights, shown, units)
    weights = weights * shown[:, None]  # the smile release, wide-eyed blinking and head offsets follow the strength too
    unsmiling = _class_share(weights, dict.fromkeys(UNSMILING, 1.0))  # how much a photo's own smile is undone
    if smile_at_rest > 0:
        # Level corners for a calm face; the negative classes take them a third further, or the grin's curve still shows.
        overshoot = _class_share(weights, {name: 1.0 for name in UNSMILING if name != "neutral"})
        corners = smile_at_rest if corners_at_rest is None else min(corners_at_rest, smile_at_rest)
        breadth = smile_at_rest - corners  # how much more the grin smiles by its width than by its corners
        lowering = corners + 0.4 * breadth
        controls[:, _C["lip_corner_depress"]] += lowering * unsmiling * (1.0 + 0.35 * overshoot)
        narrowing = _class_share(weights, dict.fromkeys(NARROW_MOUTHED, 1.0))
        controls[:, _C["lip_pucker"]] += (0.2 * min(smile_at_rest, 1.0) + 0.15 * breadth) * narrowing  # a grin is also wide
        # Depressed corners alone leave the grin's raised cheeks, squinting lower lids and nasolabial bulge,
        # which still read as happy; a neutral-faced portrait (smile_at_rest 0) gets none of this.
        controls[:, _C["smile_release"]] += grin_share(smile_at_rest) * unsmiling
    if frown_at_rest > 0:
        unfrowning = _class_share(weights, UNFROWNING)
        controls[:, _C["frown_release"]] += float(frown_at_rest) * unfrowning
    grin_cover = np.zeros(num_frames, dtype=np.float32)
    if parted_at_rest > 0:
        no_grin = 1.0 - float(smoothstep(*UNSMILING_OPEN, smile_at_rest))
        closing = _class_share(weights, CLOSED_LIPS | {"happy": no_grin * float(jaw_at_rest)})
        grin_cover = (0.9 * parted_at_rest * closing).astype(np.float32)
        # Closed all the way over a photo that bares its teeth: a gap left open shows them as a dotted white seam.
        controls[:, _C["lip_press"]] += np.clip(4.0 * parted_at_rest, 0.0, 1.0) * closing
    rng = np.random.default_rng(seed)

    m = {name: mouth[:, i] for i, name in enumerate(MOUTH_CONTROLS)}
    speech_open = np.clip(2.0 * m["jaw_open"], 0.0, 1.0)  # how much the speech needs the mouth open now
    # How much the expression itself opens the mouth (fear's dropped jaw): closing a toothy photo's grin must not shut
    # it, in a pause either, so the lip hands over to the cover as for speech.
    expressed = np.clip(2.0 * controls[:, _C["jaw_open"]], 0.0, 1.0)
    opened = np.maximum(speech_open, expressed)
    press = m["lip_press"]
    # Speech wins over the expression where they fight over the lips: a /p/ closes even a surprised mouth,
    # an open vowel opens even clenched angry lips.
    # A bilabial closes the lips over whatever else opens them: the jaw (speech or expression) and a raised upper lip
    # are let go as the press takes hold, since lip_press only closes the gap the portrait itself has.
    controls[:, _C["jaw_open"]] = (m["jaw_open"] + controls[:, _C["jaw_open"]] * (1.0 - 0.5 * speech_open)) * (1.0 - press)
    controls[:, _C["lip_press"]] = np.maximum(press, controls[:, _C["lip_press"]] * (1.0 - opened))
    # While the mouth is open, a covered grin hands over from the press to the upper lip alone: the jaw opens the mouth
    # below a lip that stays over the photo's teeth, or every open vowel shows the grin again (and reads as happy).
    # Only disgust's sneer lets the lip up again on an open vowel: the grin's teeth bared by calm or angry speech read
    # as a smile (FER, 29 smiling photos talking calmly: happy on 63 % of frames with a third of the cover taken back
    # on vowels that opened as wide as a laugh, 52 % now; covered, those wide vowels were dark holes read as shock).
    baring = _class_share(weights, VOWEL_TEETH, gain=1.0)
    cover = grin_cover * opened * (1.0 - press) * (1.0 - baring * speech_open)
    controls[:, _C["upper_lip_cover"]] = cover
    # A jaw the expression drops (fear, surprise) drops by what the lowered upper lip takes from the opening (0.8 of
    # the photo's gap; a full jaw_open drops the lower lip JAW_DROP face widths), so it gapes as wide as it would.
    # Speech gets a quarter of that: given it all, its vowels opened on top of the grin's own gap, twice as wide as an
    # unsmiling face's (0.10 face widths against 0.05), a laugh more than a calm word.
    photo_gap = 0.015 + 0.05 * parted_at_rest  # inverse of resting_lip_gap, face widths
    dropped = expressed + SPOKEN_GAP_KEPT * (1.0 - expressed)
    controls[:, _C["jaw_open"]] += cover * dropped * 0.8 * photo_gap / JAW_DROP
    controls[:, _C["lip_tighten"]] *= 1.0 - 0.6 * speech_open
    if open_corners > 0:
        # A grin's mouth opened by speech keeps its corners above the opening's middle, where an unsmiling mouth's
        # sink with the jaw: a smile again on every open vowel.
        controls[:, _C["lip_corner_depress"]] += float(open_corners) * unsmiling * speech_open * (1.0 - press)
    # A display of strong anger: irritation ("annoyed", 0.35) gets an eighth of it, not a third.
    # A grin's teeth stay covered: bared again, they read as its smile (see CLOSED_LIPS).
    anger = weights[:, EMOTION_INDEX["angry"]]
    snarl = anger * np.clip(anger, 0.0, 1.0) * speech_open * (1.0 - float(smoothstep(*SMILING_SNARL, smile_at_rest)))
    for name, amount in SPOKEN_ANGER.items():
        controls[:, _C[name]] += amount * snarl
    controls[:, _C["lip_stretch"]] += m["lip_stretch"] * (1.0 - 0.5 * np.clip(controls[:, _C["lip_stretch"]], 0, 1))
    # An expression's rounded lips (surprise, a narrowed grin) part the lips a little, so a bilabial lets them go too.
    controls[:, _C["lip_pucker"]] = controls[:, _C["lip_pucker"]] * (1.0 - press) + m["lip_pucker"]
    controls[:, _C["smile"]] *= 1.0 - 0.5 * np.clip(m["lip_pucker"], 0.0, 1.0)  # rounding the lips narrows a smile
    controls[:, _C["lip_tuck"]] = m["lip_tuck"]
    # A lower lip pulled off the teeth (fear) comes back up for a bilabial, and to the upper teeth for f/v.
    controls[:, _C["lower_lip_depress"]] *= (1.0 - press) * (1.0 - np.clip(m["lip_tuck"], 0.0, 1.0))
    controls[:, _C["tongue_tip"]] = m["tongue_tip"]
    controls[:, _C["upper_lip_raise"]] = (controls[:, _C["upper_lip_raise"]] + m["upper_lip_raise"]) * (1.0 - press)

    # The upper lip's ends come down with the corners the jaw lowers, so an open mouth is a lens with pointed corners,
    # not a box whose top corners read as a grin's; a smile holds its corners up against the jaw, keeping its crescent.
    smiling = np.clip(controls[:, _C["smile"]], 0.0, 1.0)
    controls[:, _C["upper_lip_ends_lower"]] = controls[:, _C["jaw_open"]] * (1.0 - smiling)

    wide_eyed = weights[:, EMOTION_INDEX["surprised"]] + weights[:, EMOTION_INDEX["fearful"]]
    blink = blink_curve(num_frames, fps, rng, np.clip(wide_eyed, 0.0, 1.0))
    for side in ("blink_left", "blink_right"):
        controls[:, _C[side]] = controls[:, _C[side]] + blink * (1.0 - controls[:, _C[side]])
    head = head_curves(num_frames, fps, rng, loud, weights)
    for i, name in enumerate(HEAD_CHANNELS):
        controls[:, _C[name]] += head[:, i]
    return clamp_controls(controls)
