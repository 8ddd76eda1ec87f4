"""The whole offline job, stage by stage: speech, plan, emotion track, face, frames, video."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ectfg_core.audio.features import AudioFrames, frame_features, median_pitch
from ectfg_core.efp.embedded import Prediction, predict_embedded
from ectfg_core.emotion.description import DescribedEmotion, parse_description
from ectfg_core.emotion.model import EmotionPlan, EmotionTrack
from ectfg_core.emotion.planning import build_plan
from ectfg_core.errors import InputError
from ectfg_core.face.framing import Portrait, frame_portrait
from ectfg_core.media.audio import fit_to_frames, frame_count
from ectfg_core.media.video import atomic_output, write_mp4
from ectfg_core.progress import Progress
from ectfg_core.render.renderer import PortraitAnimator
from ectfg_core.text import check_text, tokenize
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.prosody import prosody_for_words
from ectfg_core.tts.types import Speech
from ectfg_core.tts.voice_hints import apply_voice_hints

MIN_FPS, MAX_FPS = 10.0, 60.0


@dataclass
class SpokenText:
    """EmotionalTTS output: the speech and the per-word plan timed by the engine."""

    speech: Speech
    plan: EmotionPlan
    described: DescribedEmotion


@dataclass
class Generation:
    """What `generate` made and how long each stage took (seconds)."""

    video_path: Path
    sidecar_path: Path
    plan: EmotionPlan
    track: EmotionTrack
    num_frames: int
    audio_seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def check_fps(fps: float) -> float:
    if not MIN_FPS <= float(fps) <= MAX_FPS:
        raise InputError(f"--fps {fps} is out of range; use {MIN_FPS:g} to {MAX_FPS:g} (default 25)")
    return float(fps)


def voice_pitch_from_reference(samples: np.ndarray, sample_rate: int) -> int | None:
    """espeak's base pitch (0-100) that best matches a reference speaker's median F0; None if unvoiced."""
    f0 = median_pitch(samples, sample_rate)
    if f0 is None:
        return None
    # espeak-ng's default voice sits near 120 Hz at pitch 50; its scale is roughly linear around there.
    return int(np.clip(50 + (f0 - 120.0) * 0.45, 0, 99))


def speak(
    text: str,
    emotion: str,
    voice: str = "en-us",
    voice_reference: tuple[np.ndarray, int] | None = None,
    words_per_minute: int = 165,
) -> SpokenText:
    """EmotionalTTS with the embedded espeak-ng backend: text + description -> timed speech and per-word plan."""
    text = check_text(text)
    tokens = tokenize(text)
    described = parse_description(emotion, [t.text for t in tokens])
    prosody = prosody_for_words([(target.distribution(), target.intensity) for target in described.targets])
    prosody = apply_voice_hints(prosody, described)
    base_pitch = voice_pitch_from_reference(*voice_reference) if voice_reference is not None else None
    speech = synthesize(text, prosody, voice=voice, words_per_minute=words_per_minute, base_pitch=base_pitch)
    timings = [(w.word, w.start, w.end) for w in sorted(speech.words, key=lambda w: w.index)]
    plan = build_plan(emotion, described, timings)
    return SpokenText(speech=speech, plan=plan, described=described)


def predict_track(plan: EmotionPlan, speech: Speech, fps: float) -> tuple[Prediction, AudioFrames]:
    """The embedded EmotionFluctuationPredictor over the whole utterance."""
    num_frames = frame_count(speech.duration, fps)
    audio = frame_features(speech.samples, speech.sample_rate, fps, num_frames)
    return predict_embedded(plan, audio, num_frames), audio


def render_frames(
    portrait: Portrait,
    speech: Speech,
    track: EmotionTrack,
    audio: AudioFrames,
    seed: int,
    progress: Progress,
) -> Iterator[np.ndarray]:
    """Frames of the embedded renderer, one per track frame."""
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=seed)
    controls = animator.controls_for(speech.phonemes, audio.energy, track, track.num_frames, track.fps)
    progress.stage("render", track.num_frames)
    for row in controls:
        yield animator.render(row)
        progress.advance()
    progress.finish()


def generate(
    out_path: str | Path,
    text: str,
    emotion: str,
    image: np.ndarray,
    fps: float = 25.0,
    size: int = 512,
    seed: int = 0,
    voice: str = "en-us",
    crop: str = "face",
    progress: Progress | None = None,
) -> Generation:
    """Text + description + portrait -> MP4 (H.264 + AAC) and a sidecar JSON with the plan and the track."""
    progress = progress or Progress()
    fps = check_fps(fps)
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".mp4":
        raise InputError(f"output {out_path} must end in .mp4")
    timings: dict[str, float] = {}

    clock = time.perf_counter()
    portrait = frame_portrait(image, size=size, crop=crop)  # fail early on a bad image, before any synthesis
    timings["face"] = time.perf_counter() - clock

    clock = time.perf_counter()
    spoken = speak(text, emotion, voice=voice)
    timings["tts+plan"] = time.perf_counter() - clock
    progress.check()

    clock = time.perf_counter()
    prediction, audio = predict_track(spoken.plan, spoken.speech, fps)
    timings["efp"] = time.perf_counter() - clock
    track = prediction.track
    samples = fit_to_frames(spoken.speech.samples, spoken.speech.sample_rate, track.num_frames, fps)

    clock = time.perf_counter()
    sidecar = out_path.with_suffix(".json")
    frames = render_frames(portrait, spoken.speech, track, audio, seed, progress)
    write_mp4(out_path, frames, fps, samples, spoken.speech.sample_rate)
    timings["render+encode"] = time.perf_counter() - clock

    with atomic_output(sidecar) as tmp:
        tmp.write_text(json.dumps(sidecar_payload(prediction, spoken, fps, size, seed, voice), indent=1), encoding="utf-8")
    return Generation(
        video_path=out_path, sidecar_path=sidecar, plan=prediction.plan, track=track,
        num_frames=track.num_frames, audio_seconds=spoken.speech.duration, timings=timings,
    )


def sidecar_payload(prediction: Prediction, spoken: SpokenText, fps: float, size: int, seed: int, voice: str) -> dict:
    return {
        "format": "ectfg.generation/1",
        "settings": {"fps": fps, "size": size, "seed": seed, "voice": voice, "efp_mode": prediction.mode},
        "description": spoken.plan.description,
        "hints": spoken.described.hints,
        "plan": prediction.plan.to_dict(),
        "requested_plan": spoken.plan.to_dict(),
        "track": prediction.track.to_dict(),
        "warnings": spoken.plan.warnings,
    }
