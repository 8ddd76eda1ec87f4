"""A second, independent reading of the action units: MediaPipe's ARKit-52 blendshape scores on the frames.

The landmark geometry (au_geometry.py) re-detects 478 points, and MediaPipe's mesh follows a raised or knitted brow
poorly. The blendshape head of the Tasks FaceLandmarker (and of ComfyUI's native face model) was trained on real
faces to score expressions directly, 0..1 per ARKit shape. Each emotion class's EMFACS prototype maps to the shapes
that carry its action units; a shape counts as shown when its score rose by BLENDSHAPE_RISE over the still, or
stands at BLENDSHAPE_LEVEL or more (a smiling photo asked to be happy keeps a smile it cannot raise much further).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Per class: shapes that must all rise (the prototype), then shapes reported beside them. Left and right are averaged.
# Happy 6+12: mouthSmile (cheekSquint rarely scores on MediaPipe's head, so it is reported only). Sad 1+4+15:
# browInnerUp (mouthFrown hardly scores either). Angry 4+7: browDown, eyeSquint. Surprised 1+2+26: browOuterUp,
# jawOpen (eyeWide barely scores on hooded eyes). Fearful 1+20: browInnerUp, mouthStretch. Disgusted 9/10: noseSneer or
# mouthUpperUp, whichever rose more.
BLENDSHAPE_PROTOTYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "neutral": ((), ("mouthSmile", "browDown", "browInnerUp", "jawOpen")),
    "happy": (("mouthSmile",), ("cheekSquint",)),
    "sad": (("browInnerUp",), ("mouthFrown", "browDown")),
    "angry": (("browDown", "eyeSquint"), ("mouthPress",)),
    "surprised": (("browOuterUp", "jawOpen"), ("browInnerUp", "eyeWide")),
    "fearful": (("browInnerUp", "mouthStretch"), ("browOuterUp", "eyeWide")),
    "disgusted": (("noseSneer|mouthUpperUp",), ("browDown",)),
}
BLENDSHAPE_RISE = 0.1  # score change over the still that a viewer-trained head calls a movement
BLENDSHAPE_LEVEL = 0.5  # a score this high is an expression shown, whatever the still had
NEUTRAL_DRIFT = 0.2  # a neutral face must not raise any shape this far (speech aside: jawOpen is not judged)


def paired(scores: Mapping[str, float]) -> dict[str, float]:
    """ARKit scores with Left/Right pairs averaged into one name (browDownLeft + browDownRight -> browDown)."""
    grouped: dict[str, list[float]] = {}
    for name, value in scores.items():
        grouped.setdefault(name.replace("Left", "").replace("Right", ""), []).append(float(value))
    return {name: float(np.mean(values)) for name, values in grouped.items()}


@dataclass(frozen=True)
class BlendshapeReading:
    emotion: str
    rises: dict[str, float]  # shape -> median rise over the still, the prototype's shapes and those reported beside
    shown: bool  # every required shape rose by BLENDSHAPE_RISE or reached BLENDSHAPE_LEVEL (neutral: none rose by NEUTRAL_DRIFT)


def read_blendshapes(emotion: str, frames: Sequence[Mapping[str, float]], still: Mapping[str, float]) -> BlendshapeReading:
    """Median rise of the class's shapes over the frames, and whether its prototype shows."""
    if emotion not in BLENDSHAPE_PROTOTYPES:
        raise ValueError(f"unknown emotion {emotion!r}; one of {', '.join(BLENDSHAPE_PROTOTYPES)}")
    if not frames:
        raise ValueError("no frames with blendshape scores")
    required, reported = BLENDSHAPE_PROTOTYPES[emotion]
    base = paired(still)
    now = [paired(f) for f in frames]

    def level(shape: str) -> float:
        return float(np.median([f.get(shape, 0.0) for f in now]))

    def rise(shape: str) -> float:
        return float(np.median([f.get(shape, 0.0) - base.get(shape, 0.0) for f in now]))

    rises: dict[str, float] = {}
    shown = True
    for entry in required:
        options = {shape: rise(shape) for shape in entry.split("|")}
        best = max(options, key=options.get)
        rises[best] = options[best]
        shown &= options[best] >= BLENDSHAPE_RISE or level(best) >= BLENDSHAPE_LEVEL
    for shape in reported:
        rises[shape] = rise(shape)
    if emotion == "neutral":
        drift = [rise(shape) for shape in set(base).union(*now) if shape != "jawOpen"]
        shown = not drift or max(drift) < NEUTRAL_DRIFT
    return BlendshapeReading(emotion=emotion, rises={k: round(v, 3) for k, v in rises.items()}, shown=bool(shown))
