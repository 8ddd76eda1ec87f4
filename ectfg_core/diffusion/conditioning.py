"""What one denoiser call is conditioned on, shared with the processors and hooks inside the diffusers UNet.

diffusers' UNetMotionModel forward only carries the usual text states; the audio tokens, region masks, face-locator
features, reference features and motion frames reach the layers that need them through one slot set for the
duration of a call (AudioDrivenUNet.forward), instead of re-implementing the UNet's forward.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch


@dataclass
class ReferenceFeatures:
    """ReferenceNet self-attention inputs per layer name: (videos, tokens, channels), and their keys/values once computed."""

    tokens: dict[str, torch.Tensor]
    _kv: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)

    def key_value(self, name: str, attn: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of the reference tokens for one attention layer; computed once per video, not per step."""
        if name not in self._kv or torch.is_grad_enabled():
            ref = self.tokens[name].to(attn.to_k.weight.dtype)
            kv = (attn.to_k(ref), attn.to_v(ref))
            if torch.is_grad_enabled():  # training: the layers may change between calls, keep nothing
                return kv
            self._kv[name] = kv
        return self._kv[name]


@dataclass
class FrameConditioning:
    """Per call; "rows" are the batch rows of the UNet, one per frame of every video in the batch (videos x frames)."""

    num_frames: int
    audio_tokens: torch.Tensor | None  # (rows, tokens, dim): fused audio/emotion tokens of each frame
    null_audio_rows: int = 0  # the first rows carry all-zero audio (classifier-free guidance's unconditional half)
    masks: list[torch.Tensor] = field(default_factory=list)  # per level: (3, rows or 1, h*w) = pose, expression, lip
    region_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    face_features: torch.Tensor | None = None  # (rows or 1, channels, h, w), added after conv_in
    reference: ReferenceFeatures | None = None
    reference_rows: slice | None = None  # rows that attend to the reference; the rest use plain self-attention
    motion_frames: dict[str, torch.Tensor] = field(default_factory=dict)  # temporal module -> (videos, m, h*w, C) tokens


class ConditioningSlot:
    """Holds the conditioning of the call in progress; None outside a call (the UNet then behaves as a plain UNet)."""

    def __init__(self) -> None:
        self.current: FrameConditioning | None = None

    @contextlib.contextmanager
    def use(self, conditioning: FrameConditioning | None) -> Iterator[None]:
        previous, self.current = self.current, conditioning
        try:
            yield
        finally:
            self.current = previous
