"""GatedEmotionFusion (paper eq. 5-6): c_fusion = f_a + sigmoid(W_g f_a + b_g) * f_emo.

f_a are the audio context tokens of one video frame (the audio projection's output), f_emo the emotion fluctuation
features of the same frame projected into that token space. The projection's output layer starts at zero, so an
untrained fusion returns f_a unchanged and the whole sampler gives exactly the audio-only result.
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ectfg_core.types.emotion import NUM_EMOTIONS, EmotionTrack

EMOTION_FEATURES = NUM_EMOTIONS + 1  # class probabilities + intensity


def emotion_features(track: EmotionTrack, num_frames: int | None = None) -> np.ndarray:
    """(frames, 8): the probability of each class times the intensity, then the intensity; padded with the last frame."""
    feats = np.concatenate([track.expression_weights(), track.intensity[:, None]], axis=1).astype(np.float32)
    if num_frames is not None and num_frames != len(feats):
        idx = np.minimum(np.arange(num_frames), len(feats) - 1)
        feats = feats[idx]
    return feats


def frame_windows(features: torch.Tensor, window: int) -> torch.Tensor:
    """(frames, ...) -> (frames, window, ...): frame i with its neighbours i-w//2 .. i+w//2, clamped at the ends."""
    frames = features.shape[0]
    offsets = torch.arange(window, device=features.device) - window // 2
    idx = (torch.arange(frames, device=features.device)[:, None] + offsets[None, :]).clamp_(0, frames - 1)
    return features[idx]


class GatedEmotionFusion(ModelMixin, ConfigMixin):
    """Emotion features -> tokens (zero at initialisation), gated by the audio tokens and added to them."""

    @register_to_config
    def __init__(self, emotion_dim: int = EMOTION_FEATURES, window: int = 5, tokens: int = 32, dim: int = 768, hidden: int = 512):
        super().__init__()
        self.tokens, self.dim = tokens, dim
        self.emotion_proj = nn.Sequential(
            nn.Linear(emotion_dim * window, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, tokens * dim),
        )
        self.gate = nn.Linear(dim, dim)  # W_g, b_g of eq. 6, applied per token
        self.reset_emotion_output()

    def reset_emotion_output(self) -> None:
        # Why zero: without trained weights the fusion must be the identity on the audio tokens (f_emo = 0 exactly).
        nn.init.zeros_(self.emotion_proj[-1].weight)
        nn.init.zeros_(self.emotion_proj[-1].bias)

    def project_emotion(self, emotion_windows: torch.Tensor) -> torch.Tensor:
        """(batch, frames, window, emotion_dim) -> f_emo (batch, frames, tokens, dim)."""
        batch, frames = emotion_windows.shape[:2]
        flat = emotion_windows.reshape(batch * frames, -1).to(self.gate.weight.dtype)
        return self.emotion_proj(flat).reshape(batch, frames, self.tokens, self.dim)

    def forward(self, audio_tokens: torch.Tensor, emotion_windows: torch.Tensor | None, scale: float = 1.0) -> torch.Tensor:
        """audio_tokens (batch, frames, tokens, dim) -> c_fusion of the same shape. No emotion or scale 0: f_a itself."""
        if emotion_windows is None or scale == 0.0:
            return audio_tokens
        f_emo = self.project_emotion(emotion_windows)
        if scale != 1.0:
            f_emo = f_emo * scale
        gate = torch.sigmoid(self.gate(audio_tokens))
        return audio_tokens + gate * f_emo
