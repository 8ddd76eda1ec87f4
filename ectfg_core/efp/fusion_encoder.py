"""The trainable part of the learned EFP: a multimodal fusion encoder and the token-level heads (paper eq. 2).

Speech frames (from the audio encoder) are the sequence; each frame also gets the embedding of the word being spoken
at its time, and cross-attends to all the words of the utterance. Per-word outputs pool the fused frames inside each
word; per-video-frame outputs interpolate the fused frames at the video frame times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ectfg_core.efp.config import EFPConfig
from ectfg_core.types.emotion import NUM_EMOTIONS

TIME_UNIT = 0.02  # seconds per position of the sinusoidal time code (one wav2vec2 frame)


def time_code(times: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal code of times in seconds: (...,) -> (..., dim). Words and frames share it, so attention can align."""
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=times.device) / max(half, 1))
    angle = (times.float() / TIME_UNIT)[..., None] * freq
    code = torch.cat([angle.sin(), angle.cos()], dim=-1)
    return F.pad(code, (0, dim - 2 * half))


@dataclass
class FusionBatch:
    """Padded features of B clips (see EmotionFluctuationModel.collate)."""

    audio: torch.Tensor  # (B, Ta, Da) speech states (Da may be 0: no audio encoder)
    audio_times: torch.Tensor  # (B, Ta) seconds, centre of each speech frame
    audio_mask: torch.Tensor  # (B, Ta) bool, True where valid
    words: torch.Tensor  # (B, W, Dt) word vectors (Dt may be 0: no text encoder)
    word_spans: torch.Tensor  # (B, W, 2) start, end seconds
    word_mask: torch.Tensor  # (B, W) bool
    frame_times: torch.Tensor  # (B, T) seconds, centre of each video frame
    frame_mask: torch.Tensor  # (B, T) bool


@dataclass
class FusionOutput:
    frame_logits: torch.Tensor  # (B, T, NUM_EMOTIONS)
    frame_intensity: torch.Tensor  # (B, T) 0..1
    word_logits: torch.Tensor  # (B, W, NUM_EMOTIONS)
    word_intensity: torch.Tensor  # (B, W) 0..1


class FusionLayer(nn.Module):
    """Pre-norm: self-attention over speech frames, cross-attention to the words, feed-forward."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, x_pad: torch.Tensor, memory: torch.Tensor, memory_pad: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.self_attn(h, h, h, key_padding_mask=x_pad, need_weights=False)[0])
        h = self.norm2(x)
        x = x + self.drop(self.cross_attn(h, memory, memory, key_padding_mask=memory_pad, need_weights=False)[0])
        return x + self.drop(self.ff(self.norm3(x)))


def _membership(times: torch.Tensor, spans: torch.Tensor, span_mask: torch.Tensor) -> torch.Tensor:
    """(B, Ta, W) 1 where frame time lies in [start, end) of a valid word."""
    t = times[:, :, None]
    inside = (t >= spans[:, None, :, 0]) & (t < spans[:, None, :, 1]) & span_mask[:, None, :]
    return inside.float()


class FusionHead(nn.Module):
    """Everything of the learned EFP that is trained and saved (the encoders stay frozen and are referenced)."""

    def __init__(self, config: EFPConfig):
        super().__init__()
        d = config.hidden_size
        self.config = config
        self.audio_proj = nn.Linear(config.audio_dim, d) if config.audio_dim else None
        self.word_proj = nn.Linear(config.text_dim, d) if config.text_dim else None
        self.pause = nn.Parameter(torch.zeros(d))  # what a speech frame between words carries instead of a word
        self.null_word = nn.Parameter(torch.zeros(1, 1, d))  # always-present memory slot: no empty attention
        self.layers = nn.ModuleList([FusionLayer(d, config.num_heads, config.dropout) for _ in range(config.num_layers)])
        self.norm = nn.LayerNorm(d)
        self.frame_emotion = nn.Linear(d, NUM_EMOTIONS)
        self.frame_intensity = nn.Linear(d, 1)
        self.word_mlp = nn.Sequential(nn.Linear(2 * d, d), nn.GELU(), nn.Dropout(config.dropout))
        self.word_emotion = nn.Linear(d, NUM_EMOTIONS)
        self.word_intensity = nn.Linear(d, 1)

    def forward(self, batch: FusionBatch) -> FusionOutput:
        d = self.config.hidden_size
        b, ta = batch.audio_times.shape
        x = time_code(batch.audio_times, d)
        if self.audio_proj is not None:
            x = x + self.audio_proj(batch.audio)
        words = time_code(batch.word_spans.mean(dim=-1), d)
        if self.word_proj is not None:
            words = words + self.word_proj(batch.words)
        words = words * batch.word_mask[..., None]

        # Each speech frame carries the word it belongs to (the text emotion at that moment), or the pause vector.
        member = _membership(batch.audio_times, batch.word_spans, batch.word_mask)  # (B, Ta, W)
        count = member.sum(dim=-1, keepdim=True)
        x = x + torch.where(count > 0, member @ words / count.clamp_min(1.0), self.pause.expand(b, ta, d))

        memory = torch.cat([self.null_word.expand(b, 1, d), words], dim=1)
        memory_pad = torch.cat([torch.zeros(b, 1, dtype=torch.bool, device=x.device), ~batch.word_mask], dim=1)
        for layer in self.layers:
            x = layer(x, ~batch.audio_mask, memory, memory_pad)
        x = self.norm(x) * batch.audio_mask[..., None]

        frames = self._at_times(x, batch.audio_times, batch.audio_mask, batch.frame_times)
        word_state = self.word_mlp(torch.cat([self._pool_words(x, batch, member), words], dim=-1))
        return FusionOutput(
            frame_logits=self.frame_emotion(frames),
            frame_intensity=torch.sigmoid(self.frame_intensity(frames)[..., 0]),
            word_logits=self.word_emotion(word_state),
            word_intensity=torch.sigmoid(self.word_intensity(word_state)[..., 0]),
        )

    @staticmethod
    def _at_times(x: torch.Tensor, times: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Linear interpolation of the fused speech frames at the video frame times (clamped at the ends)."""
        length = mask.sum(dim=1).clamp_min(1)  # (B,)
        # Frames are evenly spaced: position = (t - t0) / step.
        t0 = times[:, :1]
        step = torch.where(length[:, None] > 1, times[:, 1:2] - t0, torch.ones_like(t0)).clamp_min(1e-6)
        pos = ((targets - t0) / step).clamp(min=0.0)
        pos = torch.minimum(pos, (length - 1)[:, None].float())
        lo = pos.floor().long()
        hi = torch.minimum(lo + 1, (length - 1)[:, None])
        w = (pos - lo.float())[..., None]
        gather = lambda idx: torch.gather(x, 1, idx[..., None].expand(-1, -1, x.shape[-1]))  # noqa: E731
        return gather(lo) * (1 - w) + gather(hi) * w

    def _pool_words(self, x: torch.Tensor, batch: FusionBatch, member: torch.Tensor) -> torch.Tensor:
        """(B, W, d): mean of the fused frames inside each word; a word shorter than a frame takes the nearest one."""
        weights = member.transpose(1, 2)  # (B, W, Ta)
        count = weights.sum(dim=-1, keepdim=True)
        pooled = weights @ x / count.clamp_min(1.0)
        nearest = self._at_times(x, batch.audio_times, batch.audio_mask, batch.word_spans.mean(dim=-1))
        return torch.where(count > 0, pooled, nearest)
