"""The whole offline job, stage by stage: speech, plan, emotion track, face, frames, video."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ectfg_core.efp.config import DEFAULT_BLEND
from ectfg_core.emotion.content import check_amount
from ectfg_core.emotion.description import parse_description
from ectfg_core.emotion.planning import build_plan
from ectfg_core.errors import InputError
from ectfg_core.progress import Progress
from ectfg_core.text import check_text, tokenize
from ectfg_core.tts.voice_choice import AUTO, voice_note
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT, DescribedEmotion
from ectfg_core.types.emotion import DEFAULT_STRENGTH, MAX_STRENGTH, EmotionPlan, EmotionTrack
from ectfg_core.types.speech import Speech

# The heavy stages (torch, scipy.signal, the renderer, ffmpeg) load when first used, so speech and planning alone
# (`ectfg plan`, the TTS node) start in a fraction of a second.
if TYPE_CHECKING:
    from ectfg_core.diffusion.config import SamplerSettings
    from ectfg_core.efp.model import EmotionFluctuationModel
    from ectfg_core.face.framing import Portrait
    from ectfg_core.types.audio import AudioFrames
    from ectfg_core.types.emotion import Prediction

_LAZY = {"PortraitAnimator": "ectfg_core.render.renderer"}


def __getattr__(name: str):
    """Module attributes loaded on first use (PEP 562), e.g. pipeline.PortraitAnimator."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


MIN_FPS, MAX_FPS = 10.0, 60.0


@dataclass
class SpokenText:
    """EmotionalTTS output: the speech and the per-word plan timed by the engine."""

    speech: Speech
    plan: EmotionPlan
    described: DescribedEmotion


@dataclass
class Generation:
    """What `generate` or `sample` made and how long each stage took (seconds)."""

    video_path: Path
    sidecar_path: Path
    plan: EmotionPlan
    track: EmotionTrack
    num_frames: int
    audio_seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the user should be told about the result


def check_strength(strength: float, name: str = "expression strength") -> float:
    """An expression strength from 0 (no expression, speech only) to MAX_STRENGTH (exaggerated); 1 is the default."""
    value = float(strength)
    if not 0.0 <= value <= MAX_STRENGTH:  # also refuses NaN
        raise InputError(f"{name} {strength} is out of range; use 0 (speech only) to {MAX_STRENGTH:g} (exaggerated), "
                         f"1 is the default", field="expression_strength")
    return value


def check_fps(fps: float) -> float:
    if not MIN_FPS <= float(fps) <= MAX_FPS:
        raise InputError(f"fps {fps} is out of range; use {MIN_FPS:g} to {MAX_FPS:g} (default 25)", field="fps")
    return float(fps)


MAX_SEED = 2**31 - 1  # the nodes' seed widgets stop here too


def check_seed(seed: int) -> int:
    """A seed from 0 to MAX_SEED: numpy's generators refuse negative seeds with a bare ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise InputError(f"seed {seed} is out of range; use a whole number from 0 to {MAX_SEED}", field="seed")
    return int(seed)


def voice_pitch_from_reference(samples: np.ndarray, sample_rate: int) -> int | None:
    """espeak's base pitch (0-100) that best matches a reference speaker's median F0; None if unvoiced."""
    from ectfg_core.audio.features import median_pitch

    f0 = median_pitch(samples, sample_rate)
    if f0 is None:
        return None
    # espeak-ng's default voice sits near 120 Hz at pitch 50; its scale is roughly linear around there.
    return int(np.clip(50 + (f0 - 120.0) * 0.45, 0, 99))


EMBEDDED_BACKEND = "embedded (espeak-ng)"


def speech_backends() -> list[str]:
    """EmotionalTTS backend choices: the embedded espeak-ng voice, then each neural model folder under models/tts."""
    from ectfg_core.model_folders import list_model_dirs

    return [EMBEDDED_BACKEND] + list_model_dirs("tts", marker="config.json")


def _is_embedded(backend: str | None) -> bool:
    return backend is None or str(backend).strip().lower() in ("", "embedded", "espeak", "espeak-ng", EMBEDDED_BACKEND)


def speak(
    text: str,
    emotion: str,
    voice: str = AUTO,
    voice_reference: tuple[np.ndarray, int] | None = None,
    words_per_minute: int = 165,
    backend: str | None = EMBEDDED_BACKEND,
    speaker: str | None = None,
    aligner: str = "auto",
    seed: int = 0,
    progress: Progress | None = None,
    content: float = DEFAULT_CONTENT_AMOUNT,
) -> SpokenText:
    """EmotionalTTS: text + description -> timed speech and per-word plan.

    backend: the embedded espeak-ng voice (default; `voice`, "auto" for the text's script, and `words_per_minute`
    apply), or a neural model folder name under models/tts (or a path): the plan is spoken segment by segment by the
    description-conditioned model, as `speaker` (a Parler-TTS voice name), and the words are timed by `aligner`
    (auto: a wav2vec2 folder if installed, else espeak-ng + DTW). A voice reference sets the base pitch (and for
    neural models the speaker).
    """
    text = check_text(text)
    tokens = tokenize(text)
    described = parse_description(emotion, [t.text for t in tokens], content_amount=content)
    extra_warnings: list[str] = []
    if _is_embedded(backend):
        from ectfg_core.tts.embedded import speak_embedded

        base_pitch = voice_pitch_from_reference(*voice_reference) if voice_reference is not None else None
        speech = speak_embedded(text, described, voice=voice, words_per_minute=words_per_minute, base_pitch=base_pitch,
                                progress=progress)
        note = voice_note(text, voice)
        if note:
            extra_warnings.append(note)
    else:
        from ectfg_core.align.estimate import METHOD as ESTIMATED
        from ectfg_core.align.words import align_words
        from ectfg_core.tts.neural import load_model, speak_neural

        model = load_model(str(backend))
        who, offset = _neural_speaker(speaker, voice_reference)
        timer = partial(align_words, aligner=aligner, estimate=True)  # neural speech must be timed, one way or another
        result = speak_neural(text, described, model, timer, speaker=who, pitch_offset=offset, seed=seed, progress=progress)
        speech = result.speech
        if ESTIMATED in result.alignment:
            extra_warnings.append("some words could not be aligned to the neural speech and were timed by espeak-ng's reading "
                                  "of the text; install a wav2vec2 model in models/wav2vec2 for exact timings")
    timings = [(w.word, w.start, w.end) for w in sorted(speech.words, key=lambda w: w.index)]
    plan = build_plan(emotion, described, timings)
    plan.warnings += [w for w in extra_warnings if w not in plan.warnings]
    return SpokenText(speech=speech, plan=plan, described=described)


def _neural_speaker(speaker: str | None, reference: tuple[np.ndarray, int] | None) -> tuple[str, float]:
    """Parler voice name and pitch wording offset: from the reference's median F0 when given, else defaults."""
    from ectfg_core.audio.features import median_pitch

    f0 = median_pitch(*reference) if reference is not None else None
    if speaker and speaker.strip():
        name = speaker.strip()
    else:
        name = "Laura" if f0 is not None and f0 >= 165.0 else "Jon"
    if f0 is None:
        return name, 1.0
    typical = 210.0 if f0 >= 165.0 else 120.0
    return name, float(np.clip(f0 / typical, 0.8, 1.25))


def speak_external(
    audio_samples: np.ndarray,
    sample_rate: int,
    text: str,
    emotion: str,
    aligner: str = "auto",
    progress: Progress | None = None,
    content: float = DEFAULT_CONTENT_AMOUNT,
) -> SpokenText:
    """Speech made elsewhere (any TTS, a recording) + the text it speaks -> timed words and the per-word plan.

    Words are timed by `aligner`: "auto" (a wav2vec2 folder under models/wav2vec2 if one is installed, else
    espeak-ng + DTW), "espeak-dtw", or a wav2vec2 folder name/path. The description is read against those words.
    """
    from ectfg_core.align.words import align_words
    from ectfg_core.audio.features import to_mono

    text = check_text(text)
    content = check_amount(content)  # before the alignment, which takes a while
    x = np.clip(to_mono(np.asarray(audio_samples, dtype=np.float32)), -1.0, 1.0)
    if len(x) == 0:
        raise InputError("the external speech is empty; connect the audio of the spoken text")
    if progress is not None:
        progress.stage("align", 1)
    alignment = align_words(x, int(sample_rate), text, aligner, progress=progress)
    if progress is not None:
        progress.advance()
        progress.finish()
    words = [t.text for t in tokenize(text)]
    described = parse_description(emotion, words, content_amount=content)
    plan = build_plan(emotion, described, alignment.words)
    if alignment.method.startswith("ctc:") and alignment.confidence < 0.2:
        plan.warnings.append(
            f"the aligner is unsure the audio speaks this text (confidence {alignment.confidence:.2f}); "
            "check the text matches the audio word for word"
        )
    speech = Speech(samples=x, sample_rate=int(sample_rate), words=list(alignment.words), phonemes=list(alignment.phonemes))
    return SpokenText(speech=speech, plan=plan, described=described)


def predict_track(
    plan: EmotionPlan,
    speech: Speech,
    fps: float,
    efp_model: str | Path | EmotionFluctuationModel | None = None,
    blend: float = DEFAULT_BLEND,
) -> tuple[Prediction, AudioFrames]:
    """The EmotionFluctuationPredictor over the whole utterance.

    With trained weights (efp_model: a model folder or a loaded model; default: $ECTFG_EFP_MODEL) the learned model
    runs and `blend` weighs the description plan (1) against its prediction (0); without any, the embedded mode runs.
    Prediction.mode says which, and a log line says so once per process.
    """
    from ectfg_core.audio.features import frame_features
    from ectfg_core.efp.embedded import predict_embedded
    from ectfg_core.efp.learned import ENV_MODEL, check_blend, predict_learned, resolve_model, say_once
    from ectfg_core.media.audio import frame_count

    blend = check_blend(blend)
    num_frames = frame_count(speech.duration, fps)
    audio = frame_features(speech.samples, speech.sample_rate, fps, num_frames)
    model = resolve_model(efp_model)
    if model is None:
        say_once(f"EmotionFluctuationPredictor: embedded mode (no trained weights; set {ENV_MODEL} to a folder from "
                 "`ectfg train-efp` to use the learned model)")
        prediction = predict_embedded(plan, audio, num_frames)
    else:
        say_once(f"EmotionFluctuationPredictor: learned mode, weights from {model.folder or 'memory'} (blend {blend:g} with the plan)")
        prediction = predict_learned(model, plan, speech, audio, num_frames, fps, blend)
    prediction.audio = audio
    return prediction, audio


def render_frames(
    portrait: Portrait,
    speech: Speech,
    track: EmotionTrack,
    audio: AudioFrames | None,
    seed: int,
    progress: Progress,
    expression_strength: float = DEFAULT_STRENGTH,
    workers: int = 1,
) -> Iterator[np.ndarray]:
    """Frames of the embedded renderer, one per track frame; expression_strength (0..2) scales the expression on top
    of the track's own per-word strength. `audio` is the speech's loudness per track frame (Prediction.audio); it is
    measured here when missing or made for another track (a replaced track of another length or frame rate).

    workers > 1 renders in that many forked processes (render/parallel.py), for the command line; the default renders
    in this process, as a host application such as ComfyUI needs (forking a server with its threads is not safe).
    """
    if audio is None or len(audio) != track.num_frames or abs(audio.fps - track.fps) > 1e-9:
        from ectfg_core.audio.features import frame_features

        audio = frame_features(speech.samples, speech.sample_rate, track.fps, track.num_frames)
    animator_class = sys.modules[__name__].PortraitAnimator  # looked up here so a test can replace it
    animator = animator_class(portrait.image, portrait.landmarks, seed=seed)
    controls = animator.controls_for(speech.phonemes, audio.energy, track, track.num_frames, track.fps,
                                     strength=check_strength(expression_strength))
    progress.stage("render", track.num_frames)
    if workers > 1:
        from ectfg_core.render.parallel import render_in_workers

        frames = render_in_workers(animator, controls, workers)
    else:
        frames = (animator.render(row) for row in controls)
    with closing(frames):  # an interruption stops the workers at once
        for frame in frames:
            yield frame
            progress.advance()
    progress.finish()


@dataclass(frozen=True)
class JobOptions:
    """What `generate` and `sample` share (the CLI's flags of the same names): the frames, the speech, the predictor
    and how strongly the face shows the emotion."""

    fps: float = 25.0
    size: int = 512  # square frame size in pixels
    seed: int = 0  # blinks and head motion (and for `sample` the sampler's noise): the same seed, the same video
    crop: str = "face"  # frame the largest face, or "center"
    voice: str = AUTO  # espeak-ng voice of the embedded backend ("auto": the one for the text's script)
    backend: str | None = EMBEDDED_BACKEND  # or a neural model folder under models/tts (see `speak`)
    speaker: str | None = None  # a neural backend's speaker
    aligner: str = "auto"  # word timing of neural speech
    content: float = DEFAULT_CONTENT_AMOUNT  # how far the words may move the plan (0..1)
    efp_model: str | Path | None = None  # a trained predictor folder (default: $ECTFG_EFP_MODEL, else embedded)
    efp_blend: float = DEFAULT_BLEND  # with a trained predictor: the plan (1) against the model (0)
    expression_strength: float = DEFAULT_STRENGTH  # 0 = speech only .. 2 = exaggerated


@dataclass
class _Prepared:
    """The stages both video paths share: the framed portrait, the speech with its plan, the predicted track."""

    portrait: Portrait
    spoken: SpokenText
    prediction: Prediction  # its .audio: the speech's loudness and pitch per track frame


def _prepare(text: str, emotion: str, image: np.ndarray, options: JobOptions, progress: Progress,
             timings: dict[str, float]) -> _Prepared:
    from ectfg_core.face.framing import frame_portrait

    clock = time.perf_counter()
    portrait = frame_portrait(image, size=options.size, crop=options.crop)  # fail early on a bad image, before any synthesis
    timings["face"] = time.perf_counter() - clock

    clock = time.perf_counter()
    spoken = speak(text, emotion, voice=options.voice, backend=options.backend, speaker=options.speaker,
                   aligner=options.aligner, seed=options.seed, progress=progress, content=options.content)
    timings["tts+plan"] = time.perf_counter() - clock
    progress.check()

    clock = time.perf_counter()
    prediction, _ = predict_track(spoken.plan, spoken.speech, options.fps, efp_model=options.efp_model,
                                  blend=options.efp_blend)
    timings["efp"] = time.perf_counter() - clock
    return _Prepared(portrait, spoken, prediction)


def _checked(options: JobOptions | None, out_path: str | Path) -> tuple[JobOptions, Path]:
    """The options with fps, seed and strength checked, and the output path; InputError before any work otherwise."""
    options = options or JobOptions()
    options = dataclasses.replace(options, fps=check_fps(options.fps), seed=check_seed(options.seed),
                                  expression_strength=check_strength(options.expression_strength))
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".mp4":
        raise InputError(f"output {out_path} must end in .mp4")
    return options, out_path


def generate(
    out_path: str | Path,
    text: str,
    emotion: str,
    image: np.ndarray,
    options: JobOptions | None = None,
    progress: Progress | None = None,
) -> Generation:
    """Text + description + portrait -> MP4 (H.264 + AAC) from the embedded CPU renderer, and a sidecar JSON with the
    plan and the track. `options` (JobOptions) choose the frames, the speech, the predictor and the expression strength.
    """
    from ectfg_core.media.audio import fit_to_frames
    from ectfg_core.media.video import atomic_output, write_mp4
    from ectfg_core.render.parallel import default_workers

    progress = progress or Progress()
    options, out_path = _checked(options, out_path)
    fps = options.fps
    timings: dict[str, float] = {}
    job = _prepare(text, emotion, image, options, progress, timings)
    spoken, prediction = job.spoken, job.prediction
    track = prediction.track
    samples = fit_to_frames(spoken.speech.samples, spoken.speech.sample_rate, track.num_frames, fps)

    clock = time.perf_counter()
    sidecar = out_path.with_suffix(".json")
    # Frames from worker processes while this one feeds the encoder (itself a process): every core is busy.
    frames = render_frames(job.portrait, spoken.speech, track, prediction.audio, options.seed, progress, options.expression_strength,
                           workers=default_workers())
    write_mp4(out_path, frames, fps, samples, spoken.speech.sample_rate)
    timings["render+encode"] = time.perf_counter() - clock

    with atomic_output(sidecar) as tmp:
        payload = sidecar_payload(prediction, spoken, fps, options.size, options.seed, options.voice)
        payload["settings"]["expression_strength"] = options.expression_strength
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return Generation(
        video_path=out_path, sidecar_path=sidecar, plan=prediction.plan, track=track,
        num_frames=track.num_frames, audio_seconds=spoken.speech.duration, timings=timings,
    )


def sample(
    out_path: str | Path,
    text: str,
    emotion: str,
    image: np.ndarray,
    options: JobOptions | None = None,
    settings: SamplerSettings | None = None,
    models_dir: str | Path | None = None,
    emotion_weights: str | Path | None = None,
    precision: str = "auto",
    device: str | None = None,
    guide: bool = True,
    face_embedding: np.ndarray | None = None,
    progress: Progress | None = None,
) -> Generation:
    """Text + description + portrait -> photoreal MP4 from the diffusion sampler (Hallo's weights), and a sidecar JSON.

    The same speech, plan and track as `generate` for the same `options`, whose fps and seed are the sampler's too;
    `settings` are the sampler's own. With `guide`, the embedded renderer's frames at the options' expression strength
    steer the sampler's expressions. Missing weights are reported before any work.
    """
    from ectfg_core.diffusion.animate import animate, audio_emotion_tokens
    from ectfg_core.diffusion.config import SamplerSettings
    from ectfg_core.diffusion.device import compute_device, pick_dtype
    from ectfg_core.diffusion.files import locate
    from ectfg_core.diffusion.weights import load_models
    from ectfg_core.media.audio import fit_to_frames
    from ectfg_core.media.video import atomic_output, write_mp4

    progress = progress or Progress()
    options, out_path = _checked(options, out_path)
    fps = options.fps
    settings = dataclasses.replace(settings or SamplerSettings(), fps=fps, seed=options.seed).validate()
    torch_device = compute_device(device)
    dtype = pick_dtype(torch_device, precision)
    files = locate(models_dir, emotion_weights)  # fail on missing weights before any work
    timings: dict[str, float] = {}
    job = _prepare(text, emotion, image, options, progress, timings)
    spoken, prediction = job.spoken, job.prediction
    track = prediction.track

    clock = time.perf_counter()
    guides = None
    if guide:
        guides = np.stack(list(render_frames(job.portrait, spoken.speech, track, prediction.audio, options.seed, progress,
                                             options.expression_strength)))
    timings["guides"] = time.perf_counter() - clock

    clock = time.perf_counter()
    models = load_models(files=files, device=torch_device, dtype=dtype, progress=progress)
    conditioning = audio_emotion_tokens(models, spoken.speech.samples, spoken.speech.sample_rate, track.num_frames, fps,
                                        track, settings)
    video = animate(models, job.portrait, conditioning, settings, guide_frames=guides, face_embedding=face_embedding,
                    progress=progress)
    frames = (video.numpy() * 255.0).round().astype(np.uint8)
    timings["sample"] = time.perf_counter() - clock

    clock = time.perf_counter()
    samples = fit_to_frames(spoken.speech.samples, spoken.speech.sample_rate, len(frames), fps)
    write_mp4(out_path, frames, fps, samples, spoken.speech.sample_rate)
    sidecar = out_path.with_suffix(".json")
    payload = sidecar_payload(prediction, spoken, fps, options.size, options.seed, options.voice)
    payload["settings"]["expression_strength"] = options.expression_strength
    payload["diffusion"] = {
        "steps": settings.steps, "cfg": settings.guidance_scale, "clip_length": settings.clip_length,
        "guide": "renderer" if guide else "none", "guide_strength": settings.guide_strength,
        "emotion_scale": settings.emotion_scale, "region_weights": list(settings.region_weights),
        "emotion_weights": models.emotion_weights, "precision": str(dtype).replace("torch.", ""), "device": str(torch_device),
    }
    with atomic_output(sidecar) as tmp:
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    timings["encode"] = time.perf_counter() - clock
    notes = [] if models.emotion_weights is not None else [
        "no trained emotion weights; the emotion arc comes from the guide frames only"]
    return Generation(
        video_path=out_path, sidecar_path=sidecar, plan=prediction.plan, track=track, num_frames=len(frames),
        audio_seconds=spoken.speech.duration, timings=timings, notes=notes,
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
