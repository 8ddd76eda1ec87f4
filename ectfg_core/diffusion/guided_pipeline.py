"""The diffusion backbone as a diffusers `DiffusionPipeline`: one folder, saved and loaded by diffusers itself.

`EmotionGuidedPipeline.from_models(models).save_pretrained(folder)` writes diffusers' layout (model_index.json and a
subfolder of config + safetensors per network; `ectfg convert-hallo` does it once for Hallo's checkpoint), and
`EmotionGuidedPipeline.from_pretrained(folder)` reads it back with no key mapping. Calling the pipeline runs the
sampler (diffusion.animate) on the networks it holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL, DDIMScheduler, DiffusionPipeline

from ectfg_core.diffusion.animate import AudioEmotionTokens, animate
from ectfg_core.diffusion.audio_projection import AudioProjection
from ectfg_core.diffusion.config import Architecture, SamplerSettings
from ectfg_core.diffusion.face_locator import FaceLocator
from ectfg_core.diffusion.gated_fusion import GatedEmotionFusion
from ectfg_core.diffusion.image_projection import FaceImageProjection
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.reference import ReferenceUNet
from ectfg_core.diffusion.unet import AudioDrivenUNet
from ectfg_core.errors import ModelError
from ectfg_core.face.framing import Portrait
from ectfg_core.model_folders import quiet_loading


class EmotionGuidedPipeline(DiffusionPipeline):
    """VAE, ReferenceNet, denoiser, face locator, face-image and audio projections, gated emotion fusion, wav2vec2 and
    the DDIM scheduler; `architecture` is the shape record the sampler reads (config.Architecture.to_dict())."""

    _optional_components = ["audio_encoder"]

    def __init__(self, vae: AutoencoderKL, reference_unet: ReferenceUNet, denoiser: AudioDrivenUNet, face_locator: FaceLocator,
                 image_proj: FaceImageProjection, audio_proj: AudioProjection, fusion: GatedEmotionFusion,
                 scheduler: DDIMScheduler, audio_encoder: torch.nn.Module | None = None,
                 architecture: dict[str, Any] | None = None, emotion_weights: str | None = None):
        super().__init__()
        self.register_modules(vae=vae, reference_unet=reference_unet, denoiser=denoiser, face_locator=face_locator,
                              image_proj=image_proj, audio_proj=audio_proj, fusion=fusion, scheduler=scheduler,
                              audio_encoder=audio_encoder)
        # Where the fusion's trained weights came from (None: untrained, the sampler's result is Hallo's audio-only one).
        self.register_to_config(architecture=architecture, emotion_weights=emotion_weights)

    @classmethod
    def from_models(cls, models: DiffusionModels) -> EmotionGuidedPipeline:
        return cls(vae=models.vae, reference_unet=models.reference_unet, denoiser=models.denoiser, face_locator=models.face_locator,
                   image_proj=models.image_proj, audio_proj=models.audio_proj, fusion=models.fusion,
                   scheduler=models.scheduler(), audio_encoder=models.audio_encoder, architecture=models.arch.to_dict(),
                   emotion_weights=models.emotion_weights)

    def models(self) -> DiffusionModels:
        """The same networks (not copies) as the sampler takes them."""
        arch = Architecture.from_dict(self.config.architecture)
        scheduler = {k: v for k, v in self.scheduler.config.items() if not k.startswith("_")}
        models = DiffusionModels(arch, self.vae, self.reference_unet, self.denoiser, self.face_locator, self.image_proj,
                                 self.audio_proj, self.fusion, self.audio_encoder, scheduler_config=scheduler)
        models.emotion_weights = self.config.emotion_weights
        return models

    def __call__(self, portrait: Portrait, conditioning: AudioEmotionTokens, settings: SamplerSettings | None = None,
                 **kwargs: Any) -> torch.Tensor:
        """The talking-face video (frames, H, W, 3) float32 0..1: diffusion.animate.animate on these networks (its
        keyword arguments: guide_frames, face_embedding, masks, progress)."""
        return animate(self.models(), portrait, conditioning, settings, **kwargs)


def load_pipeline_models(folder: Path, device: torch.device | str, dtype: torch.dtype) -> DiffusionModels:
    """The networks of a folder `ectfg convert-hallo` wrote, on `device` in `dtype`, ready for the sampler."""
    try:
        with quiet_loading():
            pipeline = EmotionGuidedPipeline.from_pretrained(str(folder), torch_dtype=dtype, local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"cannot load the converted models in {folder} ({reason}); convert Hallo's checkpoint again with "
                         "`ectfg convert-hallo`") from None
    if pipeline.config.architecture is None:
        raise ModelError(f"{folder} holds no architecture record; convert Hallo's checkpoint again with `ectfg convert-hallo`")
    models = pipeline.models()
    models.to(device)
    return models.eval().requires_grad_(False)
