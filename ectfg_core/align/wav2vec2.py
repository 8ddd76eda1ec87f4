"""Word and letter timings by CTC forced alignment with a character wav2vec2 model loaded from a local folder.

Folder layout (what `save_pretrained` writes, e.g. facebook/wav2vec2-base-960h): config.json, model.safetensors (or
pytorch_model.bin), vocab.json, tokenizer_config.json, preprocessor_config.json. torch and transformers are imported
only here, when an aligner is actually loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ectfg_core.align.ctc import forced_align, group_words
from ectfg_core.align.transcript import build_transcript
from ectfg_core.audio.features import resample
from ectfg_core.audio.torch_threads import fixed_threads
from ectfg_core.errors import InputError, ModelError
from ectfg_core.model_folders import quiet_loading, require_files, resolve
from ectfg_core.progress import Progress
from ectfg_core.types.speech import Alignment, PhonemeTiming, WordTiming

REQUIRED_FILES: list[tuple[str, ...]] = [
    ("config.json",),
    ("model.safetensors", "pytorch_model.bin"),
    ("vocab.json",),
    ("preprocessor_config.json",),
]
DEFAULT_NAME = "wav2vec2-base-960h"
_WINDOW_S = 20.0  # audio per forward pass: self-attention memory grows with the square of the length
_CONTEXT_S = 1.0  # extra audio on each side of a window, dropped from its output


class Wav2Vec2Aligner:
    """A loaded CTC model and its vocabulary; `align` is thread-safe."""

    def __init__(self, folder: str | Path, device: str | None = None) -> None:
        path = resolve("wav2vec2", folder)
        require_files(path, REQUIRED_FILES, "wav2vec2 aligner")
        try:
            import torch
            from transformers import AutoFeatureExtractor, AutoTokenizer, Wav2Vec2ForCTC
        except ImportError as exc:  # pragma: no cover - both are project dependencies
            raise ModelError(f"forced alignment needs torch and transformers ({exc}); pip install torch transformers") from exc
        try:
            with quiet_loading():
                self.model = Wav2Vec2ForCTC.from_pretrained(str(path), local_files_only=True)
                self.features = AutoFeatureExtractor.from_pretrained(str(path), local_files_only=True)
                self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot load the wav2vec2 aligner from {path} ({exc}); re-download the model folder") from exc
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.folder = path
        self.vocab: dict[str, int] = dict(self.tokenizer.get_vocab())
        self.blank = int(self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0)
        self.delimiter = getattr(self.tokenizer, "word_delimiter_token", None)
        self.sample_rate = int(getattr(self.features, "sampling_rate", 16000))
        self._lock = threading.Lock()

    def emissions(self, samples: np.ndarray, sample_rate: int, progress: Progress | None = None) -> tuple[np.ndarray, float]:
        """Log-probabilities (frames, vocabulary) and seconds per frame for the whole clip, in windows."""
        import torch

        x = resample(samples, sample_rate, self.sample_rate).astype(np.float32)
        if len(x) < self.sample_rate // 10:
            raise InputError("the audio is shorter than 0.1 s; give the aligner the whole spoken clip")
        window, context = int(_WINDOW_S * self.sample_rate), int(_CONTEXT_S * self.sample_rate)
        parts: list[np.ndarray] = []
        frames_per_sample = None
        for begin in range(0, len(x), window):
            lo, hi = max(0, begin - context), min(len(x), begin + window + context)
            inputs = self.features(x[lo:hi], sampling_rate=self.sample_rate, return_tensors="pt")
            with self._lock, torch.inference_mode(), fixed_threads():  # the same log-probabilities in every process
                logits = self.model(inputs.input_values.to(self.device)).logits[0]
            lp = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
            rate = lp.shape[0] / float(hi - lo)
            frames_per_sample = rate if frames_per_sample is None else frames_per_sample
            a = int(round((begin - lo) * rate))
            b = int(round((min(len(x), begin + window) - lo) * rate))
            parts.append(lp[a:b])
            if progress is not None:
                progress.check()
        log_probs = np.concatenate(parts, axis=0)
        return log_probs, len(x) / self.sample_rate / max(1, log_probs.shape[0])

    def align(self, samples: np.ndarray, sample_rate: int, words: Sequence[str],
              progress: Progress | None = None) -> Alignment:
        """One WordTiming per word (indices 0..n-1) and one PhonemeTiming per letter (the letter as its symbol)."""
        if not words:
            raise InputError("nothing to align: the text has no words")
        log_probs, seconds = self.emissions(samples, sample_rate, progress)
        # The wildcard matches "some letter": log of the probability of not blank.
        star = np.log1p(-np.minimum(np.exp(log_probs[:, self.blank]), 1 - 1e-7))[:, None]
        log_probs = np.concatenate([log_probs, star], axis=1)
        transcript = build_transcript(words, self.vocab, self.delimiter, wildcard=log_probs.shape[1] - 1)
        spans = forced_align(log_probs, transcript.labels, blank=self.blank)
        grouped = group_words(spans, transcript.word_labels)
        timed: list[WordTiming] = []
        phonemes: list[PhonemeTiming] = []
        for i, (word, span, letters) in enumerate(zip(words, grouped, transcript.letters, strict=True)):
            timed.append(WordTiming(i, str(word), span.start * seconds, span.end * seconds))
            for symbol, letter in zip(letters, span.letters, strict=True):
                phonemes.append(PhonemeTiming(symbol, letter.start * seconds, letter.end * seconds, i))
        confidence = float(np.mean([w.score for w in grouped]))
        return Alignment(timed, phonemes, f"ctc:{self.folder.name}", confidence)


_CACHE: dict[tuple[str, str | None], Wav2Vec2Aligner] = {}
_CACHE_LOCK = threading.Lock()


def load_aligner(folder: str | Path = DEFAULT_NAME, device: str | None = None) -> Wav2Vec2Aligner:
    """A cached aligner per folder: loading takes seconds, aligning a clip much less."""
    key = (str(resolve("wav2vec2", folder).resolve()), device)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Wav2Vec2Aligner(key[0], device)
        return _CACHE[key]
