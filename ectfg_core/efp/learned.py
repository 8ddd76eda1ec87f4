"""Inference with the learned EFP: finding trained weights, running the model, and blending it with the plan.

blend weighs the description plan (as the embedded mode renders it) against the model: 1 = the plan only, 0 = the
model only. The model hears the speech and reads the words, so it adds the fluctuation; the plan keeps the arc the
user described.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import numpy as np

from ectfg_core.audio.torch_threads import fixed_threads
from ectfg_core.efp.config import CONFIG_NAME, DEFAULT_BLEND, EFP_FORMAT
from ectfg_core.efp.embedded import predict_embedded
from ectfg_core.efp.model import EmotionFluctuationModel
from ectfg_core.errors import InputError, ModelError
from ectfg_core.model_folders import model_roots
from ectfg_core.types.audio import AudioFrames
from ectfg_core.types.emotion import EMOTIONS, EmotionPlan, EmotionTrack, Prediction, WordEmotion
from ectfg_core.types.speech import Speech

ENV_MODEL = "ECTFG_EFP_MODEL"  # folder of a trained model, used when none is passed explicitly
MODEL_KIND = "ectfg_efp"  # models/ectfg_efp (ectfg_core.model_folders)
log = logging.getLogger("ectfg.efp")

_models: dict[str, EmotionFluctuationModel] = {}
_lock = threading.Lock()
_said: set[str] = set()


def check_blend(blend: float) -> float:
    value = float(blend)
    if not 0.0 <= value <= 1.0:
        raise InputError(f"blend {blend} is out of range; use 0 (the model only) to 1 (the description plan only)")
    return value


def say_once(message: str) -> None:
    """A visible line (logging WARNING reaches stderr even unconfigured), once per process and message."""
    if message not in _said:
        _said.add(message)
        log.warning(message)


def is_model_folder(path: Path) -> bool:
    """A folder written by `ectfg train-efp` (its config.json names our format; encoder folders are skipped)."""
    try:
        return json.loads((path / CONFIG_NAME).read_text(encoding="utf-8")).get("format") == EFP_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def list_models() -> list[Path]:
    """Trained model folders under models/ectfg_efp (ComfyUI's, or $ECTFG_MODELS_DIR's outside ComfyUI)."""
    found = []
    for root in model_roots(MODEL_KIND):
        if root.is_dir():
            found += sorted(p for p in root.iterdir() if p.is_dir() and is_model_folder(p))
    return found


def find_model_folder(explicit: str | Path | None = None) -> Path | None:
    """The trained model to use: the one given, else $ECTFG_EFP_MODEL; None means the embedded mode."""
    if explicit is not None and str(explicit).strip():
        return Path(explicit)
    env = os.environ.get(ENV_MODEL, "").strip()
    return Path(env) if env else None


def load_model(folder: str | Path) -> EmotionFluctuationModel:
    """Loaded once per folder and process (encoders take seconds to load)."""
    key = str(Path(folder).resolve())
    with _lock:
        if key not in _models:
            _models[key] = EmotionFluctuationModel.from_pretrained(folder)
        return _models[key]


def resolve_model(model: str | Path | EmotionFluctuationModel | None) -> EmotionFluctuationModel | None:
    if isinstance(model, EmotionFluctuationModel):
        return model
    folder = find_model_folder(model)
    if folder is None:
        return None
    if not folder.is_dir():
        source = "" if model is not None else f" (from ${ENV_MODEL})"
        raise ModelError(f"EFP model folder {folder}{source} not found; it must hold config.json and model.safetensors "
                         f"from `ectfg train-efp`, or unset {ENV_MODEL} for the embedded mode")
    return load_model(folder)


def blend_words(plan: EmotionPlan, embedded_plan: EmotionPlan, word_probs: np.ndarray, word_intensity: np.ndarray,
                blend: float) -> list[WordEmotion]:
    """Per-word plan: the description's distribution and the model's token-level head, weighted by blend."""
    words = []
    for i, (word, rendered) in enumerate(zip(plan.words, embedded_plan.words)):
        dist = blend * word.distribution() + (1.0 - blend) * word_probs[i]
        dist = dist / max(float(dist.sum()), 1e-8)
        mixture = {EMOTIONS[j]: float(p) for j, p in enumerate(dist) if p >= 0.05}
        words.append(WordEmotion(
            word=word.word, start=word.start, end=word.end, emotion=EMOTIONS[int(dist.argmax())],
            intensity=float(np.clip(blend * rendered.intensity + (1.0 - blend) * word_intensity[i], 0.0, 1.0)),
            mixture=mixture if len(mixture) > 1 else None,
        ))
    return words


def predict_learned(model: EmotionFluctuationModel, plan: EmotionPlan, speech: Speech, audio: AudioFrames, num_frames: int,
                    fps: float, blend: float = DEFAULT_BLEND) -> Prediction:
    """The model's per-frame and per-word prediction, blended with the embedded rendering of the plan."""
    blend = check_blend(blend)
    embedded = predict_embedded(plan, audio, num_frames)
    spans = [(w.word, w.start, w.end) for w in plan.words]
    with fixed_threads():
        out = model.predict(speech.samples, speech.sample_rate, spans, num_frames, fps)
    probs = blend * embedded.track.probs + (1.0 - blend) * out.frame_probs
    intensity = blend * embedded.track.intensity + (1.0 - blend) * out.frame_intensity
    track = EmotionTrack(fps=fps, probs=probs, intensity=intensity)
    words = blend_words(plan, embedded.plan, out.word_probs, out.word_intensity, blend)
    return Prediction(plan=plan.carried(words),
                      track=track, mode="learned")
