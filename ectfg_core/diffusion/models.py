"""Every network of the diffusion backbone, as one module: one `.to()`, one state dict, one thing to offload."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from diffusers import AutoencoderKL, DDIMScheduler
from diffusers.models.embeddings import SinusoidalPositionalEmbedding
from torch import nn

from ectfg_core.diffusion.audio_projection import AudioProjection
from ectfg_core.diffusion.config import HALLO_SCHEDULER_CONFIG, Architecture
from ectfg_core.diffusion.face_locator import FaceLocator
from ectfg_core.diffusion.gated_fusion import EMOTION_FEATURES, GatedEmotionFusion
from ectfg_core.diffusion.image_projection import FaceImageProjection
from ectfg_core.diffusion.reference import build_reference_unet
from ectfg_core.diffusion.unet import AudioDrivenUNet, motion_unet_config

# The parts Hallo's checkpoint provides, by our attribute name.
HALLO_PARTS = ("reference_unet", "denoiser", "face_locator", "image_proj", "audio_proj")


def tiny_wav2vec2_config(arch: Architecture) -> dict[str, Any]:
    """A small random wav2vec2 with the layer count and width the tiny architecture expects (tests, smoke runs)."""
    return {
        "hidden_size": arch.audio_channels, "num_hidden_layers": arch.audio_layers, "num_attention_heads": 2,
        "intermediate_size": 2 * arch.audio_channels, "conv_dim": (16, 16), "conv_stride": (5, 4), "conv_kernel": (10, 4),
        "num_conv_pos_embeddings": 8, "num_conv_pos_embedding_groups": 2, "feat_extract_norm": "group", "do_stable_layer_norm": False,
    }


class DiffusionModels(nn.Module):
    """VAE, ReferenceNet, denoiser, face locator, face-image and audio projections, the gated fusion and wav2vec2."""

    def __init__(self, arch: Architecture, vae: AutoencoderKL, reference_unet: nn.Module, denoiser: AudioDrivenUNet,
                 face_locator: FaceLocator, image_proj: FaceImageProjection, audio_proj: AudioProjection,
                 fusion: GatedEmotionFusion, audio_encoder: nn.Module | None = None,
                 scheduler_config: dict[str, Any] | None = None):
        super().__init__()
        self.arch = arch
        self.vae = vae
        self.reference_unet = reference_unet
        self.denoiser = denoiser
        self.face_locator = face_locator
        self.image_proj = image_proj
        self.audio_proj = audio_proj
        self.fusion = fusion
        self.audio_encoder = audio_encoder
        self.scheduler_config = dict(scheduler_config or HALLO_SCHEDULER_CONFIG)
        self.emotion_weights: str | None = None  # where trained fusion weights came from; None = untrained (audio only)
        self.patcher: Any = None  # ComfyUI ModelPatcher, set when run inside ComfyUI

    @property
    def device(self) -> torch.device:
        return self.denoiser.unet.conv_in.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.denoiser.unet.conv_in.weight.dtype

    def scheduler(self) -> DDIMScheduler:
        return DDIMScheduler(**self.scheduler_config)

    @classmethod
    def build(cls, arch: Architecture, audio_encoder: nn.Module | None = None, on_meta: bool = False) -> DiffusionModels:
        """Random weights in Hallo's architecture (zero-initialised where Hallo zero-initialises).

        on_meta builds the big networks without memory so a checkpoint can fill them (see weights.load_models).
        """
        context = torch.device("meta") if on_meta else contextlib.nullcontext()
        with context:
            reference_unet = build_reference_unet(arch.unet)
            denoiser = AudioDrivenUNet(unet_config=motion_unet_config(arch.unet, arch.motion), audio_attention_dim=arch.cross_attention_dim,
                                       motion_frame_blocks=tuple(arch.motion_frame_blocks))
            vae = AutoencoderKL.from_config(arch.vae)
        face_locator = FaceLocator(embedding_channels=arch.unet["block_out_channels"][0],
                                   block_out_channels=tuple(arch.face_locator_channels))
        image_proj = FaceImageProjection(image_embed_dim=arch.face_embed_dim, cross_attention_dim=arch.cross_attention_dim,
                                     num_image_text_embeds=arch.face_tokens)
        audio_proj = AudioProjection(window=arch.audio_window, layers=arch.audio_layers, channels=arch.audio_channels,
                                     hidden=arch.audio_hidden, dim=arch.cross_attention_dim, tokens=arch.audio_tokens)
        fusion = GatedEmotionFusion(emotion_dim=EMOTION_FEATURES, window=arch.emotion_window, tokens=arch.audio_tokens,
                                    dim=arch.cross_attention_dim, hidden=arch.emotion_hidden)
        return cls(arch, vae, reference_unet, denoiser, face_locator, image_proj, audio_proj, fusion, audio_encoder)

    def materialize(self, device: torch.device | str, dtype: torch.dtype) -> None:
        """Give meta tensors real (uninitialised) storage on `device`, then restore the deterministic buffers."""
        for name, module in self.named_children():
            if module is None:
                continue
            if any(p.is_meta for p in module.parameters()) or any(b.is_meta for b in module.buffers()):
                nn.Module.to(module, dtype=dtype)  # plain torch: on meta tensors this only changes the dtype
                module.to_empty(device=device)
                restore_positional_tables(module)
            setattr(self, name, module)

    def hallo_state_dict(self) -> dict[str, torch.Tensor]:
        """The parts that Hallo's checkpoint covers, under our names."""
        return {k: v for k, v in self.state_dict().items() if k.split(".", 1)[0] in HALLO_PARTS}

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """What emotion training changes: the gated fusion and the audio modules."""
        return {k: v for k, v in self.state_dict().items() if k.startswith("fusion.") or ".audio_modules." in k}

    @contextlib.contextmanager
    def frozen_except_trainable(self) -> Iterator[list[nn.Parameter]]:
        """requires_grad only on the fusion and the audio modules (ReferenceNet, denoiser UNet, VAE ... frozen)."""
        previous = {p: p.requires_grad for p in self.parameters()}
        self.requires_grad_(False)
        trainable = [p for n, p in self.named_parameters() if n.startswith("fusion.") or ".audio_modules." in n]
        for p in trainable:
            p.requires_grad_(True)
        try:
            yield trainable
        finally:
            for p, flag in previous.items():
                p.requires_grad_(flag)


def restore_positional_tables(module: nn.Module) -> None:
    """Recompute the sinusoidal tables of the temporal modules (buffers that to_empty leaves uninitialised)."""
    for sub in module.modules():
        if isinstance(sub, SinusoidalPositionalEmbedding):
            length, dim = sub.pe.shape[1], sub.pe.shape[2]
            table = SinusoidalPositionalEmbedding(dim, length).pe
            sub.pe = table.to(device=sub.pe.device, dtype=sub.pe.dtype)
