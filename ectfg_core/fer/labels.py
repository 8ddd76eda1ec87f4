"""Per-frame expression labels of a video: the pseudo-labels EFP training learns from, and what evaluation compares.

The JSON is an `ectfg.track/1` emotion track (so it loads anywhere a track does) with, per frame, the classifier's
label, its confidence and whether a face was found, plus the classifier's name and the source video.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.fer.classifier import ExpressionClassifier, intensity_from_probs
from ectfg_core.progress import Progress
from ectfg_core.types.emotion import EMOTION_INDEX, EMOTIONS, NUM_EMOTIONS, TRACK_FORMAT, EmotionTrack
from ectfg_core.types.face import FaceLandmarks

LABELS_FORMAT = "ectfg.pseudolabels/1"
BATCH = 32  # crops classified together


@dataclass
class FrameLabels:
    """Classifier output for every frame of a video; frames where no face was found are marked and carry no label."""

    fps: float
    probs: np.ndarray  # (T, NUM_EMOTIONS) float32, EMOTIONS order; neutral one-hot where face is False
    face: np.ndarray  # (T,) bool
    classifier: str
    source: str = ""

    def __post_init__(self) -> None:
        self.probs = np.asarray(self.probs, dtype=np.float32).reshape(-1, NUM_EMOTIONS)
        self.face = np.asarray(self.face, dtype=bool).reshape(-1)
        if len(self.face) != len(self.probs):
            raise InputError(f"labels: {len(self.probs)} probability rows but {len(self.face)} face flags")
        if self.fps <= 0:
            raise InputError(f"labels fps must be positive, got {self.fps}")

    @property
    def num_frames(self) -> int:
        return len(self.probs)

    @property
    def label_index(self) -> np.ndarray:
        """(T,) int: the top class per frame, -1 where no face was found."""
        return np.where(self.face, self.probs.argmax(axis=1), -1)

    @property
    def labels(self) -> list[str | None]:
        return [EMOTIONS[i] if i >= 0 else None for i in self.label_index]

    @property
    def confidence(self) -> np.ndarray:
        return np.where(self.face, self.probs.max(axis=1), 0.0).astype(np.float32)

    @property
    def intensity(self) -> np.ndarray:
        return np.where(self.face, intensity_from_probs(self.probs), 0.0).astype(np.float32)

    def track(self) -> EmotionTrack:
        return EmotionTrack(fps=self.fps, probs=self.probs, intensity=self.intensity)

    def dominant(self) -> str | None:
        """The clip-level emotion: the class with the highest mean probability over frames with a face."""
        if not self.face.any():
            return None
        return EMOTIONS[int(self.probs[self.face].mean(axis=0).argmax())]

    def to_dict(self) -> dict[str, Any]:
        frames = []
        for probs, face, intensity in zip(self.probs, self.face, self.intensity):
            top = int(probs.argmax())
            frames.append({
                "probs": [round(float(p), 4) for p in probs], "intensity": round(float(intensity), 4),
                "label": EMOTIONS[top] if face else None, "confidence": round(float(probs[top]), 4) if face else 0.0,
                "face": bool(face),
            })
        return {"format": TRACK_FORMAT, "labels_format": LABELS_FORMAT, "classifier": self.classifier, "source": self.source,
                "fps": self.fps, "emotions": list(EMOTIONS), "frames": frames}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameLabels:
        """Pseudo-labels, or any emotion track (every frame then counts as a face labelled by its top class)."""
        track = EmotionTrack.from_dict(data)
        face = np.array([bool(f.get("face", True)) for f in data["frames"]], dtype=bool)
        probs = track.probs.copy()
        probs[~face] = np.eye(NUM_EMOTIONS, dtype=np.float32)[EMOTION_INDEX["neutral"]]
        return cls(fps=track.fps, probs=probs, face=face, classifier=str(data.get("classifier", "track")),
                   source=str(data.get("source", "")))

    @classmethod
    def load(cls, path: str | Path) -> FrameLabels:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise InputError(f"cannot read the labels file {path}: {err.strerror}") from None
        except json.JSONDecodeError as err:
            raise InputError(f"{path} is not valid JSON ({err.msg} at line {err.lineno}); delete it to relabel the video") from None
        return cls.from_dict(data)


FaceCallback = Callable[[int, np.ndarray, FaceLandmarks], None]


def label_frames(
    frames: Iterable[np.ndarray],
    fps: float,
    classifier: ExpressionClassifier,
    progress: Progress | None = None,
    total: int = 0,
    on_face: FaceCallback | None = None,
    source: str = "",
) -> FrameLabels:
    """Landmarks per frame (MediaPipe), a face crop, and the classifier's probabilities; on_face sees every found face."""
    progress = progress or Progress()
    progress.stage(f"labels ({classifier.name})", total)
    probs: list[np.ndarray] = []
    face: list[bool] = []
    pending: list[tuple[int, np.ndarray]] = []
    neutral = np.eye(NUM_EMOTIONS, dtype=np.float32)[EMOTION_INDEX["neutral"]]

    def flush() -> None:
        if pending:
            scores = classifier.predict_crops(np.stack([crop for _, crop in pending]))
            for (index, _), row in zip(pending, scores):
                probs[index] = row
            pending.clear()

    for index, frame in enumerate(frames):
        probs.append(neutral)
        try:
            landmarks = detect_landmarks(frame)
        except InputError:  # no face in this frame: it is marked and skipped by training and evaluation
            face.append(False)
        else:
            face.append(True)
            pending.append((index, classifier.crop(frame, landmarks)))
            if on_face is not None:
                on_face(index, frame, landmarks)
            if len(pending) >= BATCH:
                flush()
        progress.advance()
    flush()
    progress.finish()
    if not probs:
        raise InputError("the video has no frames; pass a video with a picture track")
    return FrameLabels(fps=fps, probs=np.stack(probs), face=np.array(face), classifier=classifier.name, source=source)


def label_video(path: str | Path, classifier: ExpressionClassifier, progress: Progress | None = None,
                on_face: FaceCallback | None = None) -> FrameLabels:
    """Pseudo-labels for every frame of a video file."""
    from ectfg_core.media.decode import open_video

    info, frames = open_video(path)
    return label_frames(frames, info.fps, classifier, progress, info.approx_frames, on_face, source=Path(path).name)
