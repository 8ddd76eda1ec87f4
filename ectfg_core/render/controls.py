"""The renderer's control space: one named column per motion the rig knows, with its useful range."""

from __future__ import annotations

import numpy as np

# Mouth shapes (visemes), then facial action units, then the eyelids, then head pose; later additions go at the
# end so that stored control arrays keep their column meaning.
# Face controls are 0..1 ("1" = a strong, clearly visible movement); head angles are degrees,
# head shifts are percent of the face width.
CONTROL_NAMES: tuple[str, ...] = (
    "jaw_open",  # lower lip, chin and jaw drop (vowels; surprise)
    "lip_stretch",  # lips spread wide ("ee"; fear)
    "lip_pucker",  # lips rounded and pushed forward ("oo", "w")
    "lip_press",  # lips closed and pressed (p, b, m)
    "lip_tuck",  # lower lip up to the upper teeth (f, v)
    "upper_lip_raise",  # upper lip lifted, more upper teeth (disgust; open vowels)
    "smile",  # lip corners pulled up and out (AU12)
    "cheek_raise",  # cheeks up, lower lids pushed up (AU6)
    "lip_corner_depress",  # lip corners pulled down (AU15)
    "chin_raise",  # chin pushed up, lower lip pouts (AU17)
    "lip_tighten",  # lips narrowed and thinned (AU23)
    "nose_wrinkle",  # nose sides up, brows' inner ends down (AU9)
    "brow_raise",  # whole brows up (AU1+2)
    "brow_inner_raise",  # inner brow ends up, sad slant (AU1)
    "brow_lower",  # brows down and together, frown (AU4)
    "upper_lid_raise",  # eyes wide open (AU5)
    "lid_tighten",  # lids narrowed from below (AU7)
    "blink_left",  # subject's left eye closed (1 = shut)
    "blink_right",  # subject's right eye closed
    "head_yaw",  # degrees, + turns the nose towards the image's right
    "head_pitch",  # degrees, + tips the nose down
    "head_roll",  # degrees, + tilts the head clockwise in the image
    "head_x",  # percent of face width, + to the image's right
    "head_y",  # percent of face width, + down
    "smile_release",  # a photo's own smile undone: cheeks and lower lids down, nasolabial bulge eased
    "tongue_tip",  # tongue tip up to the teeth (th, l, t, d, n): drawn by the mouth layer, the skin does not move
    "upper_lip_cover",  # the upper lip down over a photo's bared teeth, the lower lip free (talking without the grin)
    "lower_lip_depress",  # lower lip pulled down off the lower teeth (AU16; fear)
    "frown_release",  # a photo's own frown undone: its furrows between the brows eased, the inner brow ends let up
    "upper_lip_ends_lower",  # the upper lip's ends down with the corners a dropped jaw lowers (set with jaw_open)
)
CONTROL_INDEX: dict[str, int] = {name: i for i, name in enumerate(CONTROL_NAMES)}
NUM_CONTROLS = len(CONTROL_NAMES)

HEAD_CONTROLS: tuple[str, ...] = ("head_yaw", "head_pitch", "head_roll", "head_x", "head_y")
# Controls that close the eye by sliding a lid over the eyeball (the eyeball itself stays put).
LID_CLOSING: tuple[str, ...] = ("cheek_raise", "lid_tighten", "brow_lower", "blink_left", "blink_right", "nose_wrinkle")

# (low, high) clamp per control; head ranges allow generous motion but no more.
CONTROL_RANGES: dict[str, tuple[float, float]] = {name: (0.0, 1.0) for name in CONTROL_NAMES}
# Corner depression goes past 1 so a portrait that already smiles broadly can be brought down to sad.
CONTROL_RANGES.update({"jaw_open": (0.0, 1.4), "lip_corner_depress": (0.0, 2.5), "head_yaw": (-12.0, 12.0), "head_pitch": (-10.0, 10.0),
                       "head_roll": (-10.0, 10.0), "head_x": (-8.0, 8.0), "head_y": (-8.0, 8.0)})
CONTROL_RANGES["upper_lip_ends_lower"] = CONTROL_RANGES["jaw_open"]  # follows the jaw all the way down
# Headroom above the calibrated 1 for the expression action units, so an artist's expression strength above 1 can
# exaggerate them (softly saturating, see expressions.soften). The tops were tuned on the bundled portrait so that each
# emotion at strength 2 folds hardly more skin over than at 1: the brows and lids fold the eyelid crease soon after 1,
# the chin and lips have more room.
CONTROL_RANGES.update({"smile": (0.0, 1.3), "cheek_raise": (0.0, 1.2), "chin_raise": (0.0, 1.6), "lip_tighten": (0.0, 1.6),
                       "nose_wrinkle": (0.0, 1.15), "brow_inner_raise": (0.0, 1.4), "brow_lower": (0.0, 1.7),
                       "upper_lid_raise": (0.0, 1.3), "lid_tighten": (0.0, 1.0), "lip_stretch": (0.0, 1.1), "upper_lip_raise": (0.0, 1.3)})
_LOW = np.array([CONTROL_RANGES[n][0] for n in CONTROL_NAMES], dtype=np.float32)
_HIGH = np.array([CONTROL_RANGES[n][1] for n in CONTROL_NAMES], dtype=np.float32)


def zero_controls(num_frames: int = 0) -> np.ndarray:
    """Rest pose: (num_frames, NUM_CONTROLS) zeros, or one (NUM_CONTROLS,) row when num_frames is 0."""
    return np.zeros((num_frames, NUM_CONTROLS) if num_frames else NUM_CONTROLS, dtype=np.float32)


def controls_row(**values: float) -> np.ndarray:
    """One control row from keyword values, e.g. controls_row(jaw_open=0.8, smile=0.5)."""
    row = zero_controls()
    for name, value in values.items():
        if name not in CONTROL_INDEX:
            raise KeyError(f"unknown control {name!r}; known: {', '.join(CONTROL_NAMES)}")
        row[CONTROL_INDEX[name]] = float(value)
    return row


def clamp_controls(controls: np.ndarray) -> np.ndarray:
    """Clip every column to its range (works on one row or a (T, K) block)."""
    return np.clip(np.asarray(controls, dtype=np.float32), _LOW, _HIGH)
