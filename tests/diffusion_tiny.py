"""Tiny random-weight diffusion models and inputs for the diffusion tests (CPU, seconds)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ectfg_core.diffusion.config import Architecture, SamplerSettings
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.weights import export_hallo_checkpoint

SIZE = 16  # frames of 16x16 pixels -> 8x8 latents -> 8x8 and 4x4 UNet levels


def tiny_models(seed: int = 0, wake: bool = True, audio_encoder: bool = False, arch: Architecture | None = None) -> DiffusionModels:
    """Tiny architecture with random weights. wake: give the layers Hallo zero-initialises (audio 1x1 convolutions,
    face-locator output, temporal output projections) random values too, so every path changes the output."""
    torch.manual_seed(seed)
    arch = arch or Architecture.tiny()
    encoder = None
    if audio_encoder:
        from transformers import Wav2Vec2Config, Wav2Vec2Model

        from ectfg_core.diffusion.models import tiny_wav2vec2_config

        encoder = Wav2Vec2Model(Wav2Vec2Config(**tiny_wav2vec2_config(arch))).eval()
    models = DiffusionModels.build(arch, audio_encoder=encoder)
    if wake:
        with torch.no_grad():
            for name, param in models.named_parameters():
                if "zero_conv" in name or name.startswith("face_locator.conv_out") or (".motion_modules." in name and "proj_out" in name):
                    param.normal_(0.0, 0.05)
    return models.eval().requires_grad_(False)


def tiny_with_sd_vae_scale() -> Architecture:
    """Tiny, but with the SD VAE's 8x downscaling (four thin levels): for runs at real frame sizes (128 px and up),
    where the tiny VAE's 2x would make latents 16 times larger than the real ones."""
    tiny = Architecture.tiny()
    vae = {**tiny.vae, "block_out_channels": [8, 8, 16, 16], "down_block_types": ["DownEncoderBlock2D"] * 4,
           "up_block_types": ["UpDecoderBlock2D"] * 4}
    return replace(tiny, vae=vae, face_locator_channels=(8, 8, 16, 16))  # the face locator downsamples as much


def train_emotion(models: DiffusionModels, seed: int = 1) -> None:
    """Stand-in for trained emotion weights: a non-zero emotion output layer."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in models.fusion.emotion_proj[-1].parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.5)


def tiny_inputs(models: DiffusionModels, frames: int, seed: int = 0):
    """(portrait (H, W, 3) float, audio features (frames, layers, channels), regions (3, H, W), face box (H, W))."""
    arch = models.arch
    generator = torch.Generator().manual_seed(seed)
    ref = torch.rand(SIZE, SIZE, 3, generator=generator)
    features = torch.randn(frames, arch.audio_layers, arch.audio_channels, generator=generator)
    regions = torch.rand(3, SIZE, SIZE, generator=generator).numpy()
    box = np.zeros((SIZE, SIZE), np.float32)
    box[4:12, 3:13] = 1.0
    return ref, features, regions, box


def emotion_ramp(frames: int) -> np.ndarray:
    """(frames, 8) emotion features: neutral turning happy with rising intensity."""
    feats = np.zeros((frames, 8), np.float32)
    ramp = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    feats[:, 0] = (1 - ramp) * ramp
    feats[:, 1] = ramp * ramp
    feats[:, 7] = ramp
    return feats


def fast_settings(**overrides) -> SamplerSettings:
    values = {"steps": 2, "clip_length": 4, "motion_frames": 2, "decode_chunk": 4, "seed": 7}
    values.update(overrides)
    return SamplerSettings(**values)


def make_root(root: Path, models, hallo: str = "hallo/net.pth") -> Path:
    """ComfyUI models/ layout: diffusers/, vae/, audio_encoders/, hallo/."""
    unet_dir = root / "diffusers/stable-diffusion-v1-5/unet"
    unet_dir.mkdir(parents=True)
    (unet_dir / "config.json").write_text(json.dumps({"_class_name": "UNet2DConditionModel", **models.arch.unet}))
    models.vae.save_pretrained(root / "vae/sd-vae-ft-mse")
    models.audio_encoder.save_pretrained(root / "audio_encoders/wav2vec2-base-960h")
    target = root / hallo
    target.parent.mkdir(parents=True, exist_ok=True)
    export_hallo_checkpoint(models, target)
    return root
