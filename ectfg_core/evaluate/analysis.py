"""One pass over a video for evaluation: expression probabilities per frame (the evaluation classifier), mouth
opening from the landmarks, and speech loudness per frame from the video's own audio."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ectfg_core.audio.features import frame_features
from ectfg_core.errors import InputError
from ectfg_core.fer.classifier import ExpressionClassifier
from ectfg_core.fer.labels import FrameLabels, label_frames
from ectfg_core.media.decode import open_video, read_audio
from ectfg_core.progress import Progress
from ectfg_core.types.face import LEFT_EYE, LOWER_LIP_INNER_MID, RIGHT_EYE, UPPER_LIP_INNER_MID, FaceLandmarks

AUDIO_RATE = 16000


@dataclass
class VideoAnalysis:
    labels: FrameLabels
    mouth_open: np.ndarray  # (T,) inner-lip gap / eye distance, NaN where no face
    energy: np.ndarray | None  # (T,) speech loudness 0..1 per video frame, None without audio
    landmarks: dict[int, np.ndarray] = field(default_factory=dict)  # frame index -> (478, 2) points, frames with a face
    # frame index -> ARKit blendshape scores, when the face engine gives them (MediaPipe Tasks, ComfyUI's native model)
    blendshapes: dict[int, dict[str, float]] = field(default_factory=dict)


def mouth_opening(landmarks: FaceLandmarks) -> float:
    """Inner-lip gap in units of the distance between the eye centres (scale free)."""
    pts = landmarks.points
    eyes = float(np.linalg.norm(pts[LEFT_EYE].mean(axis=0) - pts[RIGHT_EYE].mean(axis=0)))
    return float(np.linalg.norm(pts[UPPER_LIP_INNER_MID] - pts[LOWER_LIP_INNER_MID])) / max(eyes, 1e-6)


def analyse_video(path: str | Path, classifier: ExpressionClassifier, progress: Progress | None = None) -> VideoAnalysis:
    info, frames = open_video(path)
    openings: dict[int, float] = {}
    points: dict[int, np.ndarray] = {}
    shapes: dict[int, dict[str, float]] = {}

    def on_face(index: int, _frame: np.ndarray, lm: FaceLandmarks) -> None:
        openings[index] = mouth_opening(lm)
        points[index] = lm.points
        if lm.blendshapes:
            shapes[index] = dict(lm.blendshapes)

    labels = label_frames(frames, info.fps, classifier, progress, info.approx_frames, on_face=on_face, source=Path(path).name)
    mouth = np.full(labels.num_frames, np.nan, dtype=np.float32)
    for index, value in openings.items():
        mouth[index] = value
    try:
        samples = read_audio(path, AUDIO_RATE)
    except InputError:  # a silent video still gets the expression figures
        energy = None
    else:
        energy = frame_features(samples, AUDIO_RATE, labels.fps, labels.num_frames).energy
    return VideoAnalysis(labels=labels, mouth_open=mouth, energy=energy, landmarks=points, blendshapes=shapes)
