"""Conversions between ComfyUI's standard tensors (IMAGE, AUDIO, MASK) and the core library's numpy arrays."""

from __future__ import annotations

import numpy as np
import torch

from ectfg_core.audio.features import to_mono
from ectfg_core.errors import InputError


def image_to_numpy(image: torch.Tensor, index: int = 0) -> np.ndarray:
    """IMAGE (batch, H, W, C) float 0..1 -> (H, W, 3) uint8 of one batch item."""
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[-1] not in (3, 4):
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise InputError(f"expected an IMAGE tensor (batch, height, width, 3), got {shape}; connect a Load Image node")
    if not 0 <= index < image.shape[0]:
        raise InputError(f"image batch has {image.shape[0]} images; index {index} does not exist")
    return (image[index, :, :, :3].detach().cpu().float().clamp(0, 1).numpy() * 255.0).round().astype(np.uint8)


def frames_to_image(frames: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    """uint8 frames (N, H, W, 3) -> IMAGE float32 (N, H, W, 3)."""
    return torch.from_numpy(np.ascontiguousarray(np.stack(frames))).float().div_(255.0)


def mask_to_tensor(mask: np.ndarray) -> torch.Tensor:
    """(H, W) float 0..1 -> MASK (1, H, W)."""
    return torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None]


def audio_to_comfy(samples: np.ndarray, sample_rate: int) -> dict:
    """Mono float samples -> AUDIO {"waveform": (1, 1, S), "sample_rate": int}."""
    waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None, None]
    return {"waveform": waveform, "sample_rate": int(sample_rate)}


def comfy_to_audio(audio: dict) -> tuple[np.ndarray, int]:
    """AUDIO -> mono float32 samples of the first batch item, and the sample rate."""
    try:
        waveform, rate = audio["waveform"], int(audio["sample_rate"])
    except (TypeError, KeyError):
        raise InputError("expected an AUDIO input (a dict with waveform and sample_rate); connect a Load Audio node") from None
    if waveform.ndim != 3 or waveform.shape[-1] == 0:
        raise InputError(f"AUDIO waveform must be (batch, channels, samples) with some samples, got {tuple(waveform.shape)}")
    return to_mono(waveform[0].detach().cpu().float().numpy(), channel_axis=0), rate
