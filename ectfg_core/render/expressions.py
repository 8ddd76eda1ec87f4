"""Emotion classes -> facial action controls. A frame's expression is the probability- and intensity-weighted sum
over classes, so blends ("bittersweet": happy + sad) mix their action units instead of switching."""

from __future__ import annotations

import numpy as np

from ectfg_core.emotion.model import EMOTIONS, NUM_EMOTIONS
from ectfg_core.render.controls import CONTROL_INDEX, NUM_CONTROLS

# Action-unit recipes at full intensity, after the EMFACS prototypes (Ekman & Friesen; Matsumoto & Ekman's posed
# sets): happy 6+12; sad 1+4+15+17 with drooping lids; angry 4+7+23+24 (the narrowed-eye glare; AU5 is left out
# because it widens the eyes, which viewers read as surprise); fearful 1+2+4+5+20+26; surprised 1+2+5+26;
# disgusted 9+10+15+17 with the lower lids raised. Each AU is one rig control; blends mix these rows.
EXPRESSION_UNITS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"smile": 1.0, "cheek_raise": 0.8, "lid_tighten": 0.1, "upper_lip_raise": 0.25, "brow_raise": 0.1, "jaw_open": 0.12},
    "sad": {"brow_inner_raise": 1.0, "brow_lower": 0.35, "lip_corner_depress": 1.25, "chin_raise": 0.8, "blink_left": 0.3,
            "blink_right": 0.3, "lip_press": 0.45},
    "angry": {"brow_lower": 1.0, "lid_tighten": 0.9, "lip_tighten": 0.8, "lip_press": 0.7, "nose_wrinkle": 0.2,
              "chin_raise": 0.35, "lip_corner_depress": 0.2},
    "fearful": {"brow_raise": 0.8, "brow_inner_raise": 0.7, "brow_lower": 0.45, "upper_lid_raise": 1.0, "lid_tighten": 0.2,
                "lip_stretch": 1.0, "jaw_open": 0.4, "lip_corner_depress": 0.25},
    "surprised": {"brow_raise": 1.0, "upper_lid_raise": 1.0, "jaw_open": 0.8, "lip_pucker": 0.15},
    "disgusted": {"nose_wrinkle": 1.0, "upper_lip_raise": 1.0, "brow_lower": 0.6, "lid_tighten": 0.5, "cheek_raise": 0.35,
                  "lip_corner_depress": 0.45, "chin_raise": 0.45},
}


def _unit_matrix() -> np.ndarray:
    matrix = np.zeros((NUM_EMOTIONS, NUM_CONTROLS), dtype=np.float32)
    for e, name in enumerate(EMOTIONS):
        for control, weight in EXPRESSION_UNITS[name].items():
            matrix[e, CONTROL_INDEX[control]] = weight
    return matrix


UNIT_MATRIX = _unit_matrix()  # (NUM_EMOTIONS, NUM_CONTROLS)


def expression_controls(weights: np.ndarray) -> np.ndarray:
    """(T, NUM_CONTROLS) from (T, NUM_EMOTIONS) expression weights (probability x intensity)."""
    w = np.asarray(weights, dtype=np.float32)
    if w.ndim != 2 or w.shape[1] != NUM_EMOTIONS:
        raise ValueError(f"expression weights must have shape (frames, {NUM_EMOTIONS}), got {w.shape}")
    return np.clip(w, 0.0, 1.0) @ UNIT_MATRIX


def expression_row(emotion: str, intensity: float = 1.0) -> np.ndarray:
    """(NUM_CONTROLS,) controls of one emotion at one intensity (handy for previews and tests)."""
    w = np.zeros((1, NUM_EMOTIONS), dtype=np.float32)
    w[0, EMOTIONS.index(emotion)] = intensity
    return expression_controls(w)[0]
