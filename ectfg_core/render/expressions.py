"""Emotion classes -> facial action controls. A frame's expression is the probability- and intensity-weighted sum
over classes, so blends ("bittersweet": happy + sad) mix their action units instead of switching."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ectfg_core.render.controls import CONTROL_INDEX, CONTROL_NAMES, CONTROL_RANGES, NUM_CONTROLS
from ectfg_core.types.emotion import EMOTIONS, NUM_EMOTIONS

if TYPE_CHECKING:
    from ectfg_core.render.rig import Rig

# Action-unit recipes at full intensity, after the EMFACS prototypes (Ekman & Friesen; Matsumoto & Ekman's posed
# sets): happy 6+12, the corners raised as far as posed smiles raise them; sad 1+4+15+17 with drooping lids; angry
# 4+5+7+17+23+24, a glare: the lower lids rise (AU7) and the upper lids are held up (AU5) against the lowered brows'
# weight, so the eyes narrow from below without closing (an upper lid come down reads as a squint, and on a photo with
# one eye smaller than the other as a wink); the pressed lips arch down at the corners over a raised chin boss, as
# half of JAFFE's posed angry mouths do (with the corners level, face-api read the held anger as calm on 58 % of 31
# unsmiling portraits, now 39 %);
# fearful 1+2+4+5+16+20+26, the lower lip drawn off the lower teeth; surprised 1+2+5+26; disgusted 9+10+15+17 with
# the lower lids raised a little (with the nose wrinkle, cheek raise and brows, more shut the eyes to slits: a wink on
# uneven eyes) and the upper lip raised the more for it (a face model reads the sneer partly from the squint). Each AU
# is one rig control; blends mix these rows.
EXPRESSION_UNITS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"smile": 1.2, "cheek_raise": 0.8, "lid_tighten": 0.1, "upper_lip_raise": 0.25, "brow_raise": 0.1, "jaw_open": 0.12},
    "sad": {"brow_inner_raise": 1.3, "brow_lower": 0.45, "lip_corner_depress": 1.25, "chin_raise": 0.8, "blink_left": 0.2,
            "blink_right": 0.2, "lip_press": 0.45},
    "angry": {"brow_lower": 1.6, "lid_tighten": 0.6, "upper_lid_raise": 1.25, "lip_tighten": 1.0, "lip_press": 0.9,
              "nose_wrinkle": 0.4, "chin_raise": 0.7, "lip_corner_depress": 0.7},
    "fearful": {"brow_raise": 0.8, "brow_inner_raise": 0.7, "brow_lower": 0.45, "upper_lid_raise": 1.3,
                "lip_stretch": 1.1, "jaw_open": 0.45, "lip_corner_depress": 0.25, "lower_lip_depress": 0.7},
    "surprised": {"brow_raise": 1.0, "upper_lid_raise": 1.3, "jaw_open": 1.05, "lip_pucker": 0.35},
    "disgusted": {"nose_wrinkle": 1.0, "upper_lip_raise": 1.15, "brow_lower": 0.6, "lid_tighten": 0.3, "cheek_raise": 0.35,
                  "lip_corner_depress": 0.45, "chin_raise": 0.45},
}


def _unit_matrix() -> np.ndarray:
    matrix = np.zeros((NUM_EMOTIONS, NUM_CONTROLS), dtype=np.float32)
    for e, name in enumerate(EMOTIONS):
        for control, weight in EXPRESSION_UNITS[name].items():
            matrix[e, CONTROL_INDEX[control]] = weight
    return matrix


UNIT_MATRIX = _unit_matrix()  # (NUM_EMOTIONS, NUM_CONTROLS)
_ANGRY, _LID_RAISE = EMOTIONS.index("angry"), CONTROL_INDEX["upper_lid_raise"]
_HAPPY, _LIP_LIFT = EMOTIONS.index("happy"), [CONTROL_INDEX["smile"], CONTROL_INDEX["upper_lip_raise"]]
SMILE_TOP_UP = 0.5  # the share of happy's lip lift a photo already smiling broadly keeps
BROAD_GRIN = 1.5  # resting_smile (timeline) of a photo that smiles as broadly as it gets
BARED_SMILE = 0.25  # more upper lip lift (of its 1.3 range) for happy on a photo that does not smile: see portrait_units


def grin_share(smile_at_rest: float) -> float:
    """How much of a broad grin the photo already shows, 0..1: how much of its smile there is to undo or top up."""
    return min(max(float(smile_at_rest), 0.0) / BROAD_GRIN, 1.0)


def portrait_units(rig: Rig, smile_at_rest: float = 0.0) -> np.ndarray:
    """UNIT_MATRIX for one portrait.

    Anger's AU5 only as high as bares the top of the iris against the rest of its row (Rig.raise_to_iris_top),
    never above the recipe's: wide-open eyes already stare; raising their lids further showed white above the iris,
    which reads as alarm, not anger.
    Happy tops up a smile the photo already shows (smile_at_rest, see timeline.resting_smile) instead of adding a
    second full one: a grin's lip already rests near its gums, and lifting it as far again bared a dark band above
    the teeth and pushed the corners into the cheeks. A photo that does not smile gets the more lip lift
    (BARED_SMILE): posed smiles part the lips over the upper teeth, and its happy was a wide closed-lip smile.
    """
    units = UNIT_MATRIX.copy()
    glare = rig.raise_to_iris_top(units[_ANGRY], "upper_lid_raise")
    units[_ANGRY, _LID_RAISE] = min(float(units[_ANGRY, _LID_RAISE]), glare)
    grin = grin_share(smile_at_rest)
    units[_HAPPY, _LIP_LIFT] *= 1.0 - (1.0 - SMILE_TOP_UP) * grin
    units[_HAPPY, _LIP_LIFT[1]] += BARED_SMILE * (1.0 - grin)
    return units


# Where each control's expression share saturates: its range's top, so a strength above 1 never reaches a hard clamp
# (lip corners and jaw stop lower: the rest of their range is for undoing a photo's own smile and for speech).
_EXPRESSION_TOPS = {"lip_corner_depress": 1.9, "jaw_open": 1.1}
EXPRESSION_LIMIT = np.array([min(CONTROL_RANGES[name][1], _EXPRESSION_TOPS.get(name, np.inf)) for name in CONTROL_NAMES], dtype=np.float32)
SOFT_KNEE = 0.7  # soften() is the identity below this fraction of the limit (or below the calibrated maximum)


def soften(x: np.ndarray, limit: np.ndarray | float, knee: np.ndarray | float | None = None) -> np.ndarray:
    """Smooth, monotone saturation towards `limit`: the identity up to `knee` (default SOFT_KNEE * limit), then a
    tanh shoulder that starts with slope 1, so an exaggerated expression keeps growing smoothly instead of kinking
    into a clamp."""
    x = np.asarray(x, dtype=np.float32)
    limit = np.asarray(limit, dtype=np.float32)
    knee = SOFT_KNEE * limit if knee is None else np.minimum(np.asarray(knee, dtype=np.float32), limit)
    span = np.maximum(limit - knee, 1e-6)
    shoulder = knee + span * np.tanh((x - knee) / span)
    return np.where(x <= knee, x, shoulder).astype(np.float32)


def _expression_knee() -> np.ndarray:
    # The calibrated expressions (strength 1, full intensity) must pass unchanged: the knee sits at or above them.
    return np.maximum(SOFT_KNEE * EXPRESSION_LIMIT, UNIT_MATRIX.max(axis=0))


EXPRESSION_KNEE = _expression_knee()


def expression_controls(weights: np.ndarray, strength: float | np.ndarray = 1.0, units: np.ndarray | None = None) -> np.ndarray:
    """(T, NUM_CONTROLS) from (T, NUM_EMOTIONS) expression weights (probability x intensity).

    strength (a number or one per frame, 0..2): the artist's scale of the expression; 0 leaves no expression,
    1 is the calibrated one, above 1 exaggerates it with soft saturation (see soften).
    units: the recipes (default UNIT_MATRIX; a portrait's own from portrait_units).
    """
    w = np.asarray(weights, dtype=np.float32)
    if w.ndim != 2 or w.shape[1] != NUM_EMOTIONS:
        raise ValueError(f"expression weights must have shape (frames, {NUM_EMOTIONS}), got {w.shape}")
    scale = np.asarray(strength, dtype=np.float32)
    if scale.ndim > 1 or (scale.ndim == 1 and scale.shape[0] != w.shape[0]):
        raise ValueError(f"expression strength must be a number or one value per frame ({w.shape[0]}), got shape {scale.shape}")
    if not np.isfinite(scale).all():
        raise ValueError("expression strength holds NaN or infinite values")
    scale = np.clip(scale, 0.0, None).reshape(-1, 1) if scale.ndim else np.float32(max(float(scale), 0.0))
    recipes = UNIT_MATRIX if units is None else units
    return soften((shown_weights(np.clip(w, 0.0, 1.0)) @ recipes) * scale, EXPRESSION_LIMIT, EXPRESSION_KNEE)


INTENSITY_RESPONSE = 1.5  # exponent of the shown share: 1 - (1 - intensity) ** INTENSITY_RESPONSE


def shown_weights(weights: np.ndarray) -> np.ndarray:
    """Weights rescaled so that the intensity (their sum) maps to how much of the posed prototype shows.

    A linear map leaves a "slightly sad" 0.5 at half of a posed face, which viewers read as no expression at all;
    the concave response shows 0.5 as 65 % and 0.85 as 94 % of the prototype, keeps 0 and 1, and keeps the mixture.
    """
    total = weights.sum(axis=1, keepdims=True)
    curved = 1.0 - (1.0 - np.clip(total, 0.0, 1.0)) ** INTENSITY_RESPONSE
    return (weights * np.where(total > 1e-6, curved / np.maximum(total, 1e-6), 0.0)).astype(np.float32)


def expression_row(emotion: str, intensity: float = 1.0, strength: float = 1.0) -> np.ndarray:
    """(NUM_CONTROLS,) controls of one emotion at one intensity and strength (handy for previews and tests)."""
    w = np.zeros((1, NUM_EMOTIONS), dtype=np.float32)
    w[0, EMOTIONS.index(emotion)] = intensity
    return expression_controls(w, strength)[0]
