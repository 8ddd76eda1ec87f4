"""The embedded CPU renderer: animates a portrait from landmarks, phonemes and an emotion track."""

from ectfg_core.render.controls import CONTROL_INDEX, CONTROL_NAMES, CONTROL_RANGES, NUM_CONTROLS, controls_row, zero_controls
from ectfg_core.render.expressions import expression_controls, expression_row
from ectfg_core.render.renderer import PortraitAnimator

__all__ = [
    "CONTROL_INDEX",
    "CONTROL_NAMES",
    "CONTROL_RANGES",
    "NUM_CONTROLS",
    "PortraitAnimator",
    "controls_row",
    "expression_controls",
    "expression_row",
    "zero_controls",
]
