"""Neural EmotionalTTS: the plan spoken segment by segment by a description-conditioned model (Parler-TTS), joined
without clicks, with word timings from forced alignment.

torch/transformers load only when a neural backend is used; the embedded espeak-ng path never imports this module.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ectfg_core.errors import InputError, ModelError
from ectfg_core.model_folders import resolve
from ectfg_core.progress import Progress
from ectfg_core.text import check_text, tokenize, unspoken
from ectfg_core.tts.describe import describe
from ectfg_core.tts.join import join, trim
from ectfg_core.tts.prosody import PROFILES
from ectfg_core.tts.segments import Segment, plan_segments
from ectfg_core.tts.voice_hints import word_hints
from ectfg_core.tts.word_durations import settle_words
from ectfg_core.types.description import DescribedEmotion
from ectfg_core.types.emotion import EMOTIONS
from ectfg_core.types.speech import PhonemeTiming, Speech, WordAligner, WordTiming

_SECONDS_PER_WORD = 0.75  # generation budget per word (slow, sad speech included) ...
_EXTRA_SECONDS = 2.0  # ... plus this, so a segment never runs away to the model's 30 s limit


@dataclass
class NeuralResult:
    speech: Speech
    segments: list[Segment]
    descriptions: list[str]
    alignment: list[str] = field(default_factory=list)  # the aligner used per segment


_MODELS: dict[tuple[str, str | None], object] = {}
_MODELS_LOCK = threading.Lock()


def load_model(name_or_path: str | Path, device: str | None = None):
    """A Parler-TTS model from models/tts/<name> (or a path), cached: loading takes seconds to minutes."""
    folder = resolve("tts", name_or_path)
    key = (str(folder.resolve()), device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            from ectfg_core.tts.parler.model import ParlerTTS

            _MODELS[key] = ParlerTTS.from_pretrained(folder, device=device)
        return _MODELS[key]


def _gain_db(distribution: np.ndarray, intensity: float) -> float:
    """Half the embedded voice's loudness change (in dB): the model already makes angry speech louder itself."""
    dist = np.asarray(distribution, dtype=np.float64)
    dist = dist / dist.sum() if dist.sum() > 0 else np.eye(len(EMOTIONS))[0]
    volume = float(np.exp(sum(w * np.log(PROFILES[e].volume) for e, w in zip(EMOTIONS, dist)) * float(intensity)))
    return 0.5 * 20 * np.log10(volume)


def speak_neural(
    text: str,
    described: DescribedEmotion,
    model,
    align: WordAligner,
    speaker: str | None = "Jon",
    pitch_offset: float = 1.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> NeuralResult:
    """Synthesize the plan with `model` (a loaded ParlerTTS), one call per style segment; `align` times each segment's words."""
    progress = progress or Progress()
    text = check_text(text)
    tokens = tokenize(text)
    if len(described.targets) != len(tokens):
        raise InputError(f"the plan has {len(described.targets)} words but the text has {len(tokens)}; parse the same text")
    targets = [(t.distribution(), float(t.intensity)) for t in described.targets]
    hints = word_hints(described, len(tokens))
    segments = plan_segments(text, tokens, targets, hints)
    descriptions = [describe(s.distribution, s.intensity, s.hints, speaker, pitch_offset) for s in segments]
    sr = model.sampling_rate
    parts: list[np.ndarray] = []
    progress.stage("speech", len(segments))
    for k, (seg, desc) in enumerate(zip(segments, descriptions, strict=True)):
        budget = _SECONDS_PER_WORD * (seg.end - seg.first) + _EXTRA_SECONDS
        audio = model.speak(desc, unspoken(seg.text), seed=seed + k, max_seconds=budget, step=lambda *_: progress.check())
        if len(audio) == 0:
            raise ModelError(f"the model produced no audio for {seg.text!r}; check the model folder or try another seed")
        parts.append(trim(audio, sr)[0])
        progress.advance()
    samples, starts = join(parts, sr, [s.pause_before for s in segments], [_gain_db(s.distribution, s.intensity) for s in segments])

    progress.stage("align", len(segments))
    words: list[WordTiming] = []
    phonemes: list[PhonemeTiming] = []
    methods: list[str] = []
    for seg, part, start in zip(segments, parts, starts, strict=True):
        offset = start / sr
        timed = align(part, sr, seg.text, progress=progress)
        seg_words, seg_phonemes, method = timed.words, timed.phonemes, timed.method
        methods.append(method)
        words += [WordTiming(seg.first + w.index, w.word, w.start + offset, w.end + offset) for w in seg_words]
        phonemes += [PhonemeTiming(p.symbol, p.start + offset, p.end + offset, seg.first + p.word_index if p.word_index >= 0 else -1)
                     for p in seg_phonemes]
        progress.advance()
    progress.finish()
    duration = len(samples) / sr
    words = settle_words(sorted(words, key=lambda w: w.index), duration)  # inside the clip, none without time
    return NeuralResult(Speech(samples, sr, words, phonemes), segments, descriptions, methods)
