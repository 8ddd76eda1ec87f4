"""The learned EmotionFluctuationPredictor (paper sec. 3.2, eq. 2): frozen audio and text encoders from local
transformers folders, our fusion encoder and token-level heads; saved diffusers-style as config.json + safetensors."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ectfg_core.audio.features import resample
from ectfg_core.efp.config import WEIGHTS_NAME, EFPConfig
from ectfg_core.efp.encoders import AudioEncoder, TextEncoder
from ectfg_core.efp.fusion_encoder import FusionBatch, FusionHead, FusionOutput
from ectfg_core.errors import InputError, ModelError

WordSpan = tuple[str, float, float]  # word, start, end (seconds)


@dataclass
class EncodedClip:
    """Encoder features of one utterance (computed once; the encoders are frozen)."""

    audio: torch.Tensor  # (Ta, Da)
    audio_fps: float
    words: torch.Tensor  # (W, Dt)
    word_spans: torch.Tensor  # (W, 2) seconds
    duration: float

    @property
    def audio_times(self) -> torch.Tensor:
        return (torch.arange(len(self.audio), dtype=torch.float32) + 0.5) / self.audio_fps


@dataclass
class ClipPrediction:
    """Model output for one utterance, as numpy arrays."""

    frame_probs: np.ndarray  # (T, NUM_EMOTIONS)
    frame_intensity: np.ndarray  # (T,)
    word_probs: np.ndarray  # (W, NUM_EMOTIONS)
    word_intensity: np.ndarray  # (W,)


def frame_times(num_frames: int, fps: float) -> torch.Tensor:
    """Centres of video frames: frame i covers [i / fps, (i + 1) / fps)."""
    return (torch.arange(num_frames, dtype=torch.float32) + 0.5) / float(fps)


class EmotionFluctuationModel:
    """Speech + timed words -> per-word and per-video-frame emotion distribution and intensity."""

    def __init__(self, config: EFPConfig, audio_encoder: AudioEncoder | None, text_encoder: TextEncoder | None,
                 head: FusionHead | None = None, folder: Path | None = None):
        check_encoders(config, audio_encoder, text_encoder)
        self.config = config
        self.audio_encoder = audio_encoder
        self.text_encoder = text_encoder
        self.head = head if head is not None else FusionHead(config)
        self.folder = folder

    # ---- construction and files ------------------------------------------------------------------------
    @classmethod
    def create(cls, audio_encoder: str | Path | None, text_encoder: str | Path | None, **options) -> EmotionFluctuationModel:
        """A new model (random fusion layers) over the encoders in these folders."""
        probe = EFPConfig(audio_encoder=None if audio_encoder is None else str(Path(audio_encoder).resolve()),
                          text_encoder=None if text_encoder is None else str(Path(text_encoder).resolve()), **options)
        audio = _audio_encoder(probe, Path(probe.audio_encoder)) if probe.audio_encoder else None
        text = TextEncoder(probe.text_encoder) if probe.text_encoder else None
        probe.audio_dim = audio.dim if audio else 0
        probe.text_dim = text.dim if text else 0
        if audio is not None:
            probe.sample_rate = audio.sample_rate
        return cls(probe, audio, text)

    @classmethod
    def from_pretrained(cls, folder: str | Path, audio_encoder: str | Path | None = None,
                        text_encoder: str | Path | None = None) -> EmotionFluctuationModel:
        """Load config.json + model.safetensors; encoder folders from the config unless given here."""
        from safetensors.torch import load_file

        folder = Path(folder)
        if not folder.is_dir():
            raise ModelError(f"EFP model folder {folder} not found; it must hold config.json and {WEIGHTS_NAME} (see `ectfg train-efp`)")
        config = EFPConfig.load(folder)
        audio_path = Path(audio_encoder) if audio_encoder is not None else config.resolve(config.audio_encoder, folder)
        text_path = Path(text_encoder) if text_encoder is not None else config.resolve(config.text_encoder, folder)
        audio = _audio_encoder(config, audio_path) if audio_path is not None else None
        text = TextEncoder(text_path) if text_path is not None else None
        check_encoders(config, audio, text)
        weights = folder / WEIGHTS_NAME
        if not weights.is_file():
            raise ModelError(f"{weights} not found; an EFP model folder holds config.json and {WEIGHTS_NAME}")
        head = FusionHead(config)
        load_head_state(head, load_file(str(weights)), weights)
        return cls(config, audio, text, head.eval(), folder)

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write config.json and model.safetensors (our layers only) atomically into folder."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = EFPConfig.from_dict(self.config.to_dict())
        for attr in ("audio_encoder", "text_encoder"):
            value = getattr(config, attr)
            if value is not None:
                path = config.resolve(value, self.folder).resolve()
                # Encoders inside the model folder stay relative, so the folder can be moved as a whole.
                setattr(config, attr, os.path.relpath(path, folder.resolve()) if path.is_relative_to(folder.resolve()) else str(path))
        state = {k: v.detach().cpu().contiguous() for k, v in self.head.state_dict().items()}
        tmp = folder / f".{WEIGHTS_NAME}.partial"
        save_file(state, str(tmp), metadata={"format": "pt", "ectfg": config.format})
        os.replace(tmp, folder / WEIGHTS_NAME)
        config.save(folder)
        return folder

    # ---- features -----------------------------------------------------------------------------------
    def encode(self, samples: np.ndarray, sample_rate: int, words: Sequence[WordSpan]) -> EncodedClip:
        """Encoder features of an utterance: speech frames and one vector per word."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            raise InputError("the speech is empty; the EFP model needs audio")
        duration = len(samples) / float(sample_rate)
        if self.audio_encoder is not None:
            audio, fps = self.audio_encoder(resample(samples, sample_rate, self.audio_encoder.sample_rate))
        else:
            fps = self.config.audio_fps
            audio = torch.zeros(max(1, int(round(duration * fps))), 0)
        texts = [w for w, _, _ in words]
        if self.text_encoder is not None:
            vectors = self.text_encoder(texts)
        else:
            vectors = torch.zeros(len(texts), 0)
        spans = torch.tensor([[float(s), max(float(e), float(s) + 1e-3)] for _, s, e in words], dtype=torch.float32).reshape(-1, 2)
        return EncodedClip(audio=audio, audio_fps=fps, words=vectors, word_spans=spans, duration=duration)

    @staticmethod
    def collate(clips: Sequence[EncodedClip], times: Sequence[torch.Tensor]) -> FusionBatch:
        """Pad clips (and their video frame times) into one batch."""
        b = len(clips)
        ta = max(len(c.audio) for c in clips)
        w = max(1, max(len(c.word_spans) for c in clips))
        t = max(1, max(len(x) for x in times))
        da, dt = clips[0].audio.shape[1], clips[0].words.shape[1]
        batch = FusionBatch(
            audio=torch.zeros(b, ta, da), audio_times=torch.zeros(b, ta), audio_mask=torch.zeros(b, ta, dtype=torch.bool),
            words=torch.zeros(b, w, dt), word_spans=torch.zeros(b, w, 2), word_mask=torch.zeros(b, w, dtype=torch.bool),
            frame_times=torch.zeros(b, t), frame_mask=torch.zeros(b, t, dtype=torch.bool),
        )
        for i, (clip, ft) in enumerate(zip(clips, times)):
            n = len(clip.audio)
            batch.audio[i, :n] = clip.audio
            at = clip.audio_times
            batch.audio_times[i, :n] = at
            batch.audio_times[i, n:] = at[-1] if n else 0.0  # padding keeps times increasing-or-flat
            batch.audio_mask[i, :n] = True
            k = len(clip.word_spans)
            batch.words[i, :k] = clip.words
            batch.word_spans[i, :k] = clip.word_spans
            batch.word_mask[i, :k] = True
            batch.frame_times[i, : len(ft)] = ft
            batch.frame_mask[i, : len(ft)] = True
        return batch

    def forward(self, batch: FusionBatch) -> FusionOutput:
        return self.head(batch)

    # ---- inference --------------------------------------------------------------------------------
    @torch.inference_mode()
    def predict(self, samples: np.ndarray, sample_rate: int, words: Sequence[WordSpan], num_frames: int, fps: float) -> ClipPrediction:
        self.head.eval()
        clip = self.encode(samples, sample_rate, words)
        out = self.head(self.collate([clip], [frame_times(num_frames, fps)]))
        n_words = len(words)
        return ClipPrediction(
            frame_probs=torch.softmax(out.frame_logits[0, :num_frames], dim=-1).numpy(),
            frame_intensity=out.frame_intensity[0, :num_frames].numpy(),
            word_probs=torch.softmax(out.word_logits[0, :n_words], dim=-1).numpy(),
            word_intensity=out.word_intensity[0, :n_words].numpy(),
        )


def check_encoders(config: EFPConfig, audio: AudioEncoder | None, text: TextEncoder | None) -> None:
    """The encoders must be the kinds, and have the widths, the fusion layers were built for."""
    if (audio is None) != (config.audio_encoder is None) or (text is None) != (config.text_encoder is None):
        raise ModelError("the encoders given do not match the EFP config (audio_encoder / text_encoder)")
    for encoder, dim, name in ((audio, config.audio_dim, "audio"), (text, config.text_dim, "text")):
        if encoder is not None and encoder.dim != dim:
            raise ModelError(f"the {name} encoder at {encoder.path} has hidden size {encoder.dim}, but this EFP model was "
                             f"trained on one with {dim}; use the encoder it was trained with")


def _audio_encoder(config: EFPConfig, path: Path) -> AudioEncoder:
    return AudioEncoder(path, layer=config.audio_layer, chunk_seconds=config.chunk_seconds, sample_rate=config.sample_rate)


def load_head_state(head: FusionHead, state: dict[str, torch.Tensor], source: Path | str) -> None:
    """Exact load: every tensor present, no extra ones, identical shapes."""
    expected = head.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        detail = f"missing {', '.join(missing[:3])}" if missing else f"unexpected {', '.join(extra[:3])}"
        raise ModelError(f"{source} does not match its config.json ({detail}); the weights and config come from different models")
    for key, value in expected.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise ModelError(f"{source}: {key} has shape {tuple(state[key].shape)}, config.json implies {tuple(value.shape)}")
    head.load_state_dict(state, strict=True)
