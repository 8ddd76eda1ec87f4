"""Hand edits of an emotion track: per-word emotion/intensity/strength changes, or a whole replacement track.

The timeline in the ComfyUI node (and anyone editing JSON by hand) writes an override. Three forms are accepted:

- edits (`ectfg.edits/1`): `{"words": [{"index": 3, "word": "glad", "emotion": "angry", "intensity": 0.8, "strength": 1.5}]}`;
  only the listed words change, any field may be left out; strength (0..2, default 1) scales how strongly the face
  shows the word's emotion, above 1 exaggerating it;
- a per-word plan (`ectfg.plan/1`, e.g. a `plan_json` output): every word, in order, with its emotion and intensity;
- a track (`ectfg.track/1`, e.g. a `track_json` output or the sidecar's "track"): replaces the track frame by frame.

Word edits keep the predicted fluctuation: the difference between the edited and the original per-word plan, drawn
as frames the same way the predictor draws a plan, is added to the track, so the edited word moves to the new level
while its frame-to-frame movement with the speech stays.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ectfg_core.emotion.frames import ONSET_SECONDS, plan_to_frames, smooth_frames  # edits change as the predictor does
from ectfg_core.errors import InputError
from ectfg_core.types.emotion import (
    DEFAULT_STRENGTH,
    EMOTIONS,
    MAX_STRENGTH,
    PLAN_FORMAT,
    TRACK_FORMAT,
    EmotionPlan,
    EmotionTrack,
    WordEmotion,
    check_emotion,
)

EDITS_FORMAT = "ectfg.edits/1"
MAX_WORD_MISMATCH_SHOWN = 3


@dataclass(frozen=True)
class WordEdit:
    """A change to one word of the plan; None leaves that field as predicted."""

    index: int
    word: str | None = None  # the word the edit was made on; checked so a stale edit is not applied elsewhere
    emotion: str | None = None
    intensity: float | None = None
    strength: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index}
        if self.word is not None:
            out["word"] = self.word
        if self.emotion is not None:
            out["emotion"] = self.emotion
        if self.intensity is not None:
            out["intensity"] = round(float(self.intensity), 3)
        if self.strength is not None:
            out["strength"] = round(float(self.strength), 3)
        return out


@dataclass(frozen=True)
class Override:
    """A parsed override: word edits, or a whole track."""

    edits: tuple[WordEdit, ...] = ()
    track: EmotionTrack | None = None
    from_plan: bool = False  # edits came from a full plan: it must cover every word

    @property
    def empty(self) -> bool:
        return not self.edits and self.track is None


def parse_override(text: str | None) -> Override:
    """Read an override from JSON text; empty text means no override. Raises InputError on anything malformed."""
    if text is None or not str(text).strip():
        return Override()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"override_json is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); fix it or clear the field"
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            'override_json must be a JSON object such as {"words": [...]} or a track; clear the field to use the prediction'
        )
    fmt = str(data.get("format", ""))
    if fmt == TRACK_FORMAT or ("frames" in data and "words" not in data):
        return Override(track=EmotionTrack.from_dict(data))
    words = data.get("words")
    if not isinstance(words, list):
        raise InputError(
            'override_json needs a "words" list (edits or a plan) or "frames" (a track); clear the field to use the prediction'
        )
    if fmt == PLAN_FORMAT or (words and all(isinstance(w, dict) and "index" not in w and "start" in w for w in words)):
        plan = EmotionPlan.from_dict(data)
        edits = tuple(WordEdit(i, w.word, w.emotion, w.intensity, w.strength) for i, w in enumerate(plan.words))
        return Override(edits=edits, from_plan=True)
    return Override(edits=tuple(_parse_edit(entry, n) for n, entry in enumerate(words)))


def _parse_edit(entry: Any, position: int) -> WordEdit:
    where = f"override_json word entry {position + 1}"
    if not isinstance(entry, dict):
        raise InputError(f'{where} must be an object like {{"index": 0, "emotion": "happy", "intensity": 0.5}}')
    try:
        index = int(entry["index"])
    except KeyError:
        raise InputError(f'{where} lacks "index" (the word\'s position, counting from 0)') from None
    except (TypeError, ValueError):
        raise InputError(f'{where} has index {entry.get("index")!r}; use the word\'s position as a whole number') from None
    if index < 0:
        raise InputError(f"{where} has a negative index {index}; words count from 0")
    emotion = check_emotion(str(entry["emotion"])) if entry.get("emotion") is not None else None
    intensity = _optional_number(entry, "intensity", where, 1.0, "intensities go from 0 to 1")
    strength = _optional_number(entry, "strength", where, MAX_STRENGTH,
                                f"strengths go from 0 (no expression) through 1 (the default) to {MAX_STRENGTH:g} (exaggerated)")
    word = entry.get("word")
    return WordEdit(index=index, word=None if word is None else str(word), emotion=emotion, intensity=intensity,
                    strength=strength)


def _optional_number(entry: dict, key: str, where: str, high: float, span: str) -> float | None:
    """entry[key] as a number from 0 to `high`, or None when absent; an InputError naming the edit otherwise."""
    value = entry.get(key)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where} has {key} {value!r}; use a number from 0 to {high:g}") from None
    if not 0.0 <= number <= high:
        raise InputError(f"{where} has {key} {number}; {span}")
    return number


def edits_to_json(edits: list[WordEdit] | tuple[WordEdit, ...]) -> str:
    """The edits form, as the timeline writes it."""
    return json.dumps({"format": EDITS_FORMAT, "words": [e.to_dict() for e in edits]}, indent=1)


def _same_word(a: str, b: str) -> bool:
    strip = ".,;:!?\"'“”‘’()[]"
    return a.strip(strip).casefold() == b.strip(strip).casefold()


def edited_plan(plan: EmotionPlan, edits: tuple[WordEdit, ...] | list[WordEdit], require_all: bool = False) -> EmotionPlan:
    """The plan with the edits applied; stale edits (another word at that index) raise an InputError."""
    if require_all and len(edits) != len(plan.words):
        raise InputError(
            f"the plan in override_json has {len(edits)} words but the speech has {len(plan.words)}; "
            "paste a plan made for this text, or clear override_json"
        )
    words = [dataclasses.replace(w, mixture=dict(w.mixture) if w.mixture else None) for w in plan.words]
    mismatches = []
    for edit in edits:
        if edit.index >= len(words):
            raise InputError(
                f"override_json edits word {edit.index} but the speech has only {len(words)} words; "
                "the text changed since the edit: clear override_json and edit the new timeline"
            )
        target = words[edit.index]
        if edit.word is not None and not _same_word(edit.word, target.word):
            mismatches.append(f"word {edit.index} was {edit.word!r}, now {target.word!r}")
            continue
        if edit.emotion is not None and edit.emotion != target.emotion:
            target.emotion, target.mixture = edit.emotion, None
        if edit.intensity is not None:
            target.intensity = float(edit.intensity)
        if edit.strength is not None:
            target.strength = float(edit.strength)
    if mismatches:
        shown = "; ".join(mismatches[:MAX_WORD_MISMATCH_SHOWN]) + ("; ..." if len(mismatches) > MAX_WORD_MISMATCH_SHOWN else "")
        raise InputError(f"override_json was made for a different text ({shown}); clear override_json and edit the new timeline")
    return plan.carried(words)


def plan_frames(words: list[WordEmotion], num_frames: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame distribution and intensity of a plan: held within words, linear across pauses, smoothed onsets."""
    probs, intensity = plan_to_frames(words, num_frames, fps)
    sigma = ONSET_SECONDS * fps
    return smooth_frames(probs, sigma), smooth_frames(intensity, sigma)


def strength_frames(words: list[WordEmotion], num_frames: int, fps: float) -> np.ndarray:
    """Per-frame expression strength of a plan, timed like its intensity (held within words, linear across pauses)."""
    if not words:
        return np.full(num_frames, DEFAULT_STRENGTH, dtype=np.float32)
    as_levels = [dataclasses.replace(w, intensity=_strength_of(w)) for w in words]
    return smooth_frames(plan_to_frames(as_levels, num_frames, fps)[1], ONSET_SECONDS * fps)


def _strength_of(word: WordEmotion) -> float:
    return DEFAULT_STRENGTH if word.strength is None else float(word.strength)


def _has_strength(plan: EmotionPlan) -> bool:
    return any(w.strength is not None for w in plan.words)


def apply_word_edits(track: EmotionTrack, before: EmotionPlan, after: EmotionPlan) -> EmotionTrack:
    """Move the track by the difference between two plans over the same words, keeping its fluctuation."""
    n, fps = track.num_frames, track.fps
    old_probs, old_level = plan_frames(before.words, n, fps)
    new_probs, new_level = plan_frames(after.words, n, fps)
    probs = np.clip(track.probs + (new_probs - old_probs), 0.0, None)
    sums = probs.sum(axis=1, keepdims=True)
    probs = np.where(sums > 1e-6, probs / np.maximum(sums, 1e-6), new_probs)
    intensity = np.clip(track.intensity + (new_level - old_level), 0.0, 1.0)
    strength = track.strength
    if _has_strength(before) or _has_strength(after):  # strength is an artist's setting: moved like the intensity
        change = strength_frames(after.words, n, fps) - strength_frames(before.words, n, fps)
        strength = np.clip(track.strengths() + change, 0.0, MAX_STRENGTH)
    return EmotionTrack(fps=fps, probs=probs, intensity=intensity, strength=strength)


def reread_plan(plan: EmotionPlan, track: EmotionTrack) -> EmotionPlan:
    """Per-word class and intensity as the track shows them (mean over each word's frames)."""
    words = []
    for w in plan.words:
        first = min(int(w.start * track.fps), max(track.num_frames - 1, 0))
        last = max(first + 1, min(int(np.ceil(w.end * track.fps)), track.num_frames))
        mean = track.probs[first:last].mean(axis=0)
        mixture = {EMOTIONS[i]: float(p) for i, p in enumerate(mean) if p >= 0.05}
        strength = None if track.strength is None else float(track.strength[first:last].mean())
        words.append(WordEmotion(
            word=w.word, start=w.start, end=w.end, emotion=EMOTIONS[int(mean.argmax())],
            intensity=float(np.clip(track.intensity[first:last].mean(), 0.0, 1.0)),
            mixture=mixture if len(mixture) > 1 else None, strength=strength,
        ))
    return plan.carried(words)


@dataclass
class EditedTrack:
    """Result of applying an override: the track, the per-word targets a timeline shows, which words were edited."""

    track: EmotionTrack
    plan: EmotionPlan  # per-word targets: the edits where given, the prediction elsewhere
    edited: frozenset[int]
    replaced: bool = False  # the whole track came from the override


def apply_override(plan: EmotionPlan, track: EmotionTrack, override: Override) -> EditedTrack:
    """Apply a parsed override to a predicted plan + track (neither is modified)."""
    if override.track is not None:
        new = override.track
        if new.num_frames != track.num_frames or abs(new.fps - track.fps) > 1e-6:
            raise InputError(
                f"the track in override_json has {new.num_frames} frames at {new.fps:g} fps but this speech needs "
                f"{track.num_frames} frames at {track.fps:g} fps; paste a track made for this speech, or clear override_json"
            )
        return EditedTrack(track=new, plan=reread_plan(plan, new), edited=frozenset(range(len(plan.words))), replaced=True)
    if not override.edits:
        return EditedTrack(track=track, plan=plan, edited=frozenset())
    target = edited_plan(plan, override.edits, require_all=override.from_plan)
    if override.from_plan:  # a pasted plan lists every word: mark the ones it changes
        edited = frozenset(
            i for i, (a, b) in enumerate(zip(plan.words, target.words))
            if a.emotion != b.emotion or abs(a.intensity - b.intensity) > 1e-3  # JSON keeps 4 decimals
            or abs(_strength_of(a) - _strength_of(b)) > 1e-3
        )
    else:
        edited = frozenset(e.index for e in override.edits)
    return EditedTrack(track=apply_word_edits(track, plan, target), plan=target, edited=edited)
