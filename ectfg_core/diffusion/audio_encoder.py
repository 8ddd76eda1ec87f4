"""wav2vec2 hidden states of every layer, one row per video frame (Hallo's audio features).

As in Hallo: the waveform (16 kHz, normalised to zero mean and unit variance) goes through wav2vec2's convolutional
feature extractor, whose 50 Hz output is linearly resampled to exactly one vector per video frame *before* the
transformer; the outputs of all its layers are kept. Layer outputs are read with forward hooks, so this works with
transformers 4 (layers return tuples) and 5 (tensors) alike.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from transformers import Wav2Vec2FeatureExtractor

from ectfg_core.audio.features import resample
from ectfg_core.diffusion.config import WAV2VEC_SAMPLE_RATE
from ectfg_core.errors import InputError


def normalized_waveform(samples: np.ndarray, sample_rate: int, num_frames: int, fps: float) -> np.ndarray:
    """16 kHz mono, zero mean and unit variance (wav2vec2's feature extractor), padded with silence to num_frames / fps."""
    wave = resample(np.asarray(samples, dtype=np.float32), int(sample_rate), WAV2VEC_SAMPLE_RATE)
    if wave.size == 0:
        raise InputError("the speech has no samples; synthesize some text first")
    wave = Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm([wave], attention_mask=None)[0]
    target = int(round(num_frames / fps * WAV2VEC_SAMPLE_RATE))
    if len(wave) < target:
        wave = np.concatenate([wave, np.zeros(target - len(wave), dtype=np.float32)])
    return wave[:target].astype(np.float32)


@torch.no_grad()
def frame_audio_features(model: torch.nn.Module, samples: np.ndarray, sample_rate: int, num_frames: int, fps: float) -> torch.Tensor:
    """(num_frames, layers, channels) float32 on the CPU, from a transformers Wav2Vec2Model."""
    wave = normalized_waveform(samples, sample_rate, num_frames, fps)
    param = next(model.parameters())
    x = torch.from_numpy(wave)[None].to(device=param.device, dtype=param.dtype)
    extracted = model.feature_extractor(x)  # (1, C, T50)
    extracted = F.interpolate(extracted.float(), size=num_frames, mode="linear", align_corners=True).to(param.dtype)
    hidden, _ = model.feature_projection(extracted.transpose(1, 2))
    outputs: list[torch.Tensor] = []
    hooks = [layer.register_forward_hook(lambda _m, _a, out: outputs.append(out[0] if isinstance(out, tuple) else out))
             for layer in model.encoder.layers]
    try:
        model.encoder(hidden)
    finally:
        for hook in hooks:
            hook.remove()
    return torch.stack(outputs, dim=2)[0].float().cpu()
