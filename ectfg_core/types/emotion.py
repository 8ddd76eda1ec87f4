"""The emotion data model shared by every stage: classes, per-word plan, per-frame track, the predictor's output."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.types.audio import AudioFrames

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted")
EMOTION_INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}
NUM_EMOTIONS = len(EMOTIONS)

PLAN_FORMAT = "ectfg.plan/1"
# Expression strength: an artist's scale of how strongly the emotion shows (0 none, 1 calibrated, 2 exaggerated).
DEFAULT_STRENGTH, MAX_STRENGTH = 1.0, 2.0
TRACK_FORMAT = "ectfg.track/1"


def check_emotion(name: str) -> str:
    """Return the canonical class name or raise an InputError naming the valid ones."""
    key = name.strip().lower()
    if key not in EMOTION_INDEX:
        raise InputError(f"unknown emotion class {name!r}; use one of: {', '.join(EMOTIONS)}")
    return key


def one_hot(emotion: str) -> np.ndarray:
    vec = np.zeros(NUM_EMOTIONS, dtype=np.float32)
    vec[EMOTION_INDEX[check_emotion(emotion)]] = 1.0
    return vec


def normalize_mixture(mixture: dict[str, float]) -> dict[str, float]:
    """Keep positive weights of known classes, summing to one."""
    cleaned = {check_emotion(k): float(v) for k, v in mixture.items() if float(v) > 0}
    total = sum(cleaned.values())
    if total <= 0:
        return {"neutral": 1.0}
    return {k: v / total for k, v in cleaned.items()}


@dataclass
class WordEmotion:
    """One spoken word with its timing (seconds) and the emotion it should carry."""

    word: str
    start: float
    end: float
    emotion: str
    intensity: float
    # Blends ("bittersweet") are a mixture over classes; None means one-hot on `emotion`.
    mixture: dict[str, float] | None = None
    # How strongly the face shows it (0..MAX_STRENGTH); None means the calibrated default, DEFAULT_STRENGTH.
    strength: float | None = None

    def distribution(self) -> np.ndarray:
        """Probability over EMOTIONS for this word."""
        if not self.mixture:
            return one_hot(self.emotion)
        vec = np.zeros(NUM_EMOTIONS, dtype=np.float32)
        for name, weight in normalize_mixture(self.mixture).items():
            vec[EMOTION_INDEX[name]] = weight
        return vec

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "word": self.word,
            "start": round(float(self.start), 4),
            "end": round(float(self.end), 4),
            "emotion": self.emotion,
            "intensity": round(float(self.intensity), 4),
        }
        if self.mixture:
            out["mixture"] = {k: round(v, 4) for k, v in self.mixture.items()}
        if self.strength is not None:
            out["strength"] = round(float(self.strength), 4)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordEmotion:
        try:
            word = cls(
                word=str(data["word"]),
                start=float(data["start"]),
                end=float(data["end"]),
                emotion=check_emotion(str(data["emotion"])),
                intensity=float(data["intensity"]),
                mixture=normalize_mixture(data["mixture"]) if data.get("mixture") else None,
                strength=_optional_number(data.get("strength"), "strength"),
            )
        except KeyError as missing:
            raise InputError(f"plan word entry lacks the field {missing}; each needs word, start, end, emotion, intensity") from None
        word.validate()
        return word

    def validate(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)) or self.end < self.start or self.start < 0:
            raise InputError(f"word {self.word!r} has invalid timing {self.start}..{self.end}; start must be >= 0 and <= end")
        if not 0.0 <= self.intensity <= 1.0:
            raise InputError(f"word {self.word!r} has intensity {self.intensity}; intensities go from 0 to 1")
        if self.strength is not None and not 0.0 <= self.strength <= MAX_STRENGTH:
            raise InputError(f"word {self.word!r} has strength {self.strength}; strengths go from 0 (no expression) to "
                             f"{MAX_STRENGTH:g} (exaggerated), 1 is the default")


@dataclass
class EmotionPlan:
    """The per-word plan: what each word says and feels, plus warnings found while making it."""

    words: list[WordEmotion]
    warnings: list[str] = field(default_factory=list)
    description: str = ""
    # How far the words of the text were let move the plan (0 = exactly the description); None: not recorded.
    content: float | None = None
    # What the description says about its text: "invite" ("let the words colour it"), "refuse", or None.
    content_stance: str | None = None

    @property
    def duration(self) -> float:
        return max((w.end for w in self.words), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": PLAN_FORMAT, "description": self.description}
        if self.content is not None:  # plans made before the content control keep their old form
            out["content"] = round(float(self.content), 4)
        if self.content_stance:
            out["content_stance"] = self.content_stance
        out["words"] = [w.to_dict() for w in self.words]
        out["warnings"] = list(self.warnings)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmotionPlan:
        if not isinstance(data, dict) or not isinstance(data.get("words"), list):
            raise InputError('an emotion plan is a JSON object with a "words" list, each word with word, start, end, '
                             'emotion and intensity (as a plan_json output or a plan file holds it)', field="plan")
        content = data.get("content")
        number = isinstance(content, (int, float)) and not isinstance(content, bool)
        if content is not None and not (number and 0.0 <= float(content) <= 1.0):
            raise InputError(f'the plan\'s "content" is {content!r}; it is a number from 0 to 1 (or absent)', field="plan")
        return cls(
            words=[WordEmotion.from_dict(w) for w in data["words"]],
            warnings=[str(w) for w in data.get("warnings", [])],
            description=str(data.get("description", "")),
            content=None if content is None else float(content),
            content_stance=str(data["content_stance"]) if data.get("content_stance") else None,
        )

    def carried(self, words: list[WordEmotion], warnings: list[str] | None = None) -> EmotionPlan:
        """A plan with other words (re-estimated, edited) and everything else of this one: description, content."""
        return EmotionPlan(words=words, warnings=list(self.warnings if warnings is None else warnings),
                           description=self.description, content=self.content, content_stance=self.content_stance)

    @classmethod
    def from_json(cls, text: str) -> EmotionPlan:
        return cls.from_dict(_parse_json(text, "plan"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> EmotionPlan:
        return cls.from_json(_read_text(path, "plan"))


@dataclass
class EmotionTrack:
    """Per-video-frame emotion: a probability over EMOTIONS and an intensity (0..1) per frame.

    strength: optional per-frame expression strength set by an artist (0..MAX_STRENGTH); None means 1 everywhere.
    """

    fps: float
    probs: np.ndarray  # (frames, NUM_EMOTIONS), rows sum to 1
    intensity: np.ndarray  # (frames,)
    strength: np.ndarray | None = None  # (frames,)

    def __post_init__(self) -> None:
        self.probs = np.asarray(self.probs, dtype=np.float32)
        self.intensity = np.asarray(self.intensity, dtype=np.float32)
        if self.fps <= 0:
            raise InputError(f"track fps must be positive, got {self.fps}")
        if self.probs.ndim != 2 or self.probs.shape[1] != NUM_EMOTIONS:
            raise InputError(f"track probabilities must have shape (frames, {NUM_EMOTIONS}), got {self.probs.shape}")
        if self.intensity.shape != (self.probs.shape[0],):
            raise InputError(f"track intensity must have one value per frame ({self.probs.shape[0]}), got {self.intensity.shape}")
        if not (np.isfinite(self.probs).all() and np.isfinite(self.intensity).all()):
            raise InputError("track holds NaN or infinite values; regenerate or fix the JSON")
        if (self.probs < -1e-6).any():
            raise InputError("track probabilities must not be negative")
        sums = self.probs.sum(axis=1, keepdims=True)
        self.probs = self.probs / np.where(sums > 0, sums, 1.0)
        self.intensity = np.clip(self.intensity, 0.0, 1.0)
        if self.strength is not None:
            self.strength = np.asarray(self.strength, dtype=np.float32)
            if self.strength.shape != self.intensity.shape or not np.isfinite(self.strength).all():
                raise InputError(f"track strength must hold one finite value per frame ({self.num_frames}), got {self.strength.shape}")
            self.strength = np.clip(self.strength, 0.0, MAX_STRENGTH)

    @property
    def num_frames(self) -> int:
        return int(self.probs.shape[0])

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def labels(self) -> list[str]:
        """The most probable class per frame."""
        return [EMOTIONS[i] for i in self.probs.argmax(axis=1)]

    def strengths(self) -> np.ndarray:
        """(frames,) expression strength, DEFAULT_STRENGTH where the track carries none."""
        if self.strength is None:
            return np.full(self.num_frames, DEFAULT_STRENGTH, dtype=np.float32)
        return self.strength

    def expression_weights(self) -> np.ndarray:
        """(frames, NUM_EMOTIONS): probability times intensity; what the face should show."""
        return self.probs * self.intensity[:, None]

    def to_dict(self) -> dict[str, Any]:
        frames = [
            {"probs": [round(float(p), 4) for p in row], "intensity": round(float(i), 4)}
            for row, i in zip(self.probs, self.intensity)
        ]
        if self.strength is not None:  # only when an artist set one: default tracks keep their old form
            for frame, s in zip(frames, self.strength):
                frame["strength"] = round(float(s), 4)
        return {"format": TRACK_FORMAT, "fps": self.fps, "emotions": list(EMOTIONS), "frames": frames}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmotionTrack:
        if not isinstance(data, dict) or "frames" not in data or "fps" not in data:
            raise InputError('an emotion track is a JSON object with "fps" and "frames" (as a track_json output or the '
                             '"track" of the JSON written beside a generated video holds it)', field="track")
        names = data.get("emotions", list(EMOTIONS))
        if list(names) != list(EMOTIONS):
            raise InputError(f"track classes {names} differ from {list(EMOTIONS)}")
        frames = data["frames"]
        try:
            probs = np.array([f["probs"] for f in frames], dtype=np.float32).reshape(len(frames), NUM_EMOTIONS)
            intensity = np.array([f["intensity"] for f in frames], dtype=np.float32)
            strength = None
            if any(f.get("strength") is not None for f in frames):
                strength = np.array([DEFAULT_STRENGTH if f.get("strength") is None else f["strength"] for f in frames],
                                    dtype=np.float32)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InputError(f'every track frame needs "probs" ({NUM_EMOTIONS} numbers) and "intensity": {err}') from None
        return cls(fps=float(data["fps"]), probs=probs, intensity=intensity, strength=strength)

    @classmethod
    def from_json(cls, text: str) -> EmotionTrack:
        return cls.from_dict(_parse_json(text, "track"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> EmotionTrack:
        return cls.from_json(_read_text(path, "track"))


@dataclass
class Prediction:
    """What the predictor gives: the per-word plan (intensity re-estimated) and the per-frame track."""

    plan: EmotionPlan
    track: EmotionTrack
    mode: str  # "embedded" or "learned"
    # The speech's loudness and pitch at the track's frames, as the predictor heard them; the renderer reuses them.
    audio: AudioFrames | None = None


def _optional_number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"plan word entry has {name} {value!r}; use a number") from None


def _parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"the {what} is not valid JSON ({err.msg} at line {err.lineno}); fix the file or regenerate it") from None


def _read_text(path: str | Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read the {what} file {path}: {err.strerror}") from None
