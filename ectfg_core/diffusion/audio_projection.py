"""Audio projection: a window of wav2vec2 hidden states per video frame -> context tokens for the audio attention.

Same layout and parameter names as Hallo's AudioProjModel (proj1, proj2, proj3, norm), so its weights load as they are.
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn


class AudioProjection(ModelMixin, ConfigMixin):
    @register_to_config
    def __init__(self, window: int = 5, layers: int = 12, channels: int = 768, hidden: int = 512, dim: int = 768, tokens: int = 32):
        super().__init__()
        self.tokens, self.dim = tokens, dim
        self.proj1 = nn.Linear(window * layers * channels, hidden)
        self.proj2 = nn.Linear(hidden, hidden)
        self.proj3 = nn.Linear(hidden, tokens * dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """(batch, frames, window, layers, channels) -> (batch, frames, tokens, dim)."""
        batch, frames = windows.shape[:2]
        x = windows.reshape(batch * frames, -1).to(self.proj1.weight.dtype)
        x = torch.relu(self.proj1(x))
        x = torch.relu(self.proj2(x))
        x = self.norm(self.proj3(x).reshape(batch * frames, self.tokens, self.dim))
        return x.reshape(batch, frames, self.tokens, self.dim)
