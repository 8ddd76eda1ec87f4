"""Pretrained encoders loaded through transformers from local folders only (no hub access): speech frames from a
wav2vec2-family model and one vector per word from a BERT-style model. Both are frozen: their outputs are features."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from ectfg_core.errors import ModelError

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def check_folder(path: Path, what: str, extra: Sequence[str] = ()) -> Path:
    """A checkpoint folder must hold config.json and weights; say which files are missing and where."""
    if not path.is_dir():
        raise ModelError(f"{what} folder {path} not found; it must hold config.json and model.safetensors "
                         f"(save_pretrained output{', plus tokenizer files' if extra else ''})")
    missing = [name for name in ("config.json",) if not (path / name).is_file()]
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        missing.append("model.safetensors (or pytorch_model.bin)")
    missing += [name for name in extra if not (path / name).is_file()]
    if missing:
        raise ModelError(f"{what} folder {path} lacks {', '.join(missing)}; copy the complete checkpoint folder there")
    return path


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """No "Loading weights" bar from transformers while we load (restored afterwards for the host application)."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


class AudioEncoder:
    """Speech (mono float, config.sample_rate) -> (frames, dim) hidden states and their frame rate."""

    def __init__(self, path: str | Path, layer: int = -1, chunk_seconds: float = 20.0, sample_rate: int = 16000):
        from transformers import AutoFeatureExtractor, AutoModel

        self.path = check_folder(Path(path), "audio encoder")
        try:
            with quiet_loading():
                self.model = AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"cannot load the audio encoder from {self.path} ({str(err).splitlines()[0]}); "
                             "use a wav2vec2, HuBERT, WavLM or data2vec-audio checkpoint folder") from None
        self.model.requires_grad_(False)
        self.feature_extractor = None
        if (self.path / "preprocessor_config.json").is_file():
            self.feature_extractor = AutoFeatureExtractor.from_pretrained(str(self.path), local_files_only=True)
            sample_rate = int(getattr(self.feature_extractor, "sampling_rate", sample_rate))
        self.sample_rate = sample_rate
        self.layer = layer
        self.chunk = max(1, int(chunk_seconds * sample_rate))
        self.dim = int(self.model.config.hidden_size)

    def _normalise(self, x: np.ndarray) -> np.ndarray:
        # wav2vec2-family models expect zero-mean unit-variance input unless their extractor says otherwise.
        if self.feature_extractor is not None and not getattr(self.feature_extractor, "do_normalize", True):
            return x
        return (x - x.mean()) / np.sqrt(x.var() + 1e-7)

    @torch.inference_mode()
    def __call__(self, samples: np.ndarray) -> tuple[torch.Tensor, float]:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        min_len = self.sample_rate // 10  # the convolutional front end needs a few hundred samples
        if len(x) < min_len:
            x = np.pad(x, (0, min_len - len(x)))
        bounds = [*range(0, len(x), self.chunk), len(x)]
        if len(bounds) > 2 and bounds[-1] - bounds[-2] < min_len:
            del bounds[-2]  # a tiny tail joins the chunk before it
        parts = []
        for start, end in zip(bounds[:-1], bounds[1:]):
            inputs = torch.from_numpy(self._normalise(x[start:end]))[None]
            out = self.model(inputs, output_hidden_states=self.layer != -1)
            states = out.last_hidden_state if self.layer == -1 else out.hidden_states[self.layer]
            parts.append(states[0].float())
        states = torch.cat(parts)
        fps = len(states) / (len(x) / self.sample_rate)
        return states, float(fps)


class TextEncoder:
    """Words -> (words, dim): the mean of each word's sub-word states, in windows the encoder can take."""

    def __init__(self, path: str | Path):
        from transformers import AutoModel, AutoTokenizer

        self.path = check_folder(Path(path), "text encoder")
        if not any((self.path / name).is_file() for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "spiece.model")):
            raise ModelError(f"text encoder folder {self.path} has no tokenizer files (tokenizer.json or vocab.txt); "
                             "save the tokenizer there too (tokenizer.save_pretrained)")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
            with quiet_loading():
                self.model = AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"cannot load the text encoder from {self.path} ({str(err).splitlines()[0]}); "
                             "use a BERT-style checkpoint folder with its tokenizer") from None
        self.model.requires_grad_(False)
        self.dim = int(self.model.config.hidden_size)
        limits = [getattr(self.model.config, "max_position_embeddings", 512), getattr(self.tokenizer, "model_max_length", 512), 512]
        self.max_tokens = max(8, min(int(v) for v in limits if v)) - 2
        tok = self.tokenizer
        self.prefix = [tok.cls_token_id] if tok.cls_token_id is not None else ([tok.bos_token_id] if tok.bos_token_id is not None else [])
        self.suffix = [tok.sep_token_id] if tok.sep_token_id is not None else ([tok.eos_token_id] if tok.eos_token_id is not None else [])

    def _word_ids(self, words: Sequence[str]) -> list[list[int]]:
        # A leading space gives BPE tokenizers the in-sentence form of each word; WordPiece ignores it.
        out = []
        for i, word in enumerate(words):
            ids = self.tokenizer(word if i == 0 else " " + word, add_special_tokens=False)["input_ids"]
            out.append(list(ids)[: self.max_tokens] or [self.tokenizer.unk_token_id or 0])
        return out

    @torch.inference_mode()
    def __call__(self, words: Sequence[str]) -> torch.Tensor:
        if not words:
            return torch.zeros(0, self.dim)
        pieces = self._word_ids(words)
        vectors = torch.zeros(len(words), self.dim)
        start = 0
        while start < len(words):
            end, count = start, 0
            while end < len(words) and count + len(pieces[end]) <= self.max_tokens:
                count += len(pieces[end])
                end += 1
            end = max(end, start + 1)
            ids = self.prefix + [t for p in pieces[start:end] for t in p] + self.suffix
            states = self.model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
            hidden = states.last_hidden_state[0].float()
            pos = len(self.prefix)
            for w in range(start, end):
                n = len(pieces[w])
                vectors[w] = hidden[pos:pos + n].mean(dim=0)
                pos += n
            start = end
        return vectors
