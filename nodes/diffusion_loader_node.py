"""Diffusion Model Loader node: Hallo's weights from ComfyUI's models/ folders, plus ectfg's emotion weights."""

from __future__ import annotations

from ectfg_core.diffusion.device import offload_device, pick_dtype
from ectfg_core.model_folders import list_model_files, resolve

from .progress import ComfyProgress
from .types import CATEGORY, DIFFUSION

NO_EMOTION = "none (audio only)"


class DiffusionModelLoader:
    DESCRIPTION = (
        "Loads the photoreal diffusion backbone (Hallo: SD1.5 ReferenceNet + denoising UNet with AnimateDiff motion "
        "modules and audio attention, sd-vae-ft-mse, wav2vec2-base-960h) from ComfyUI's models folders, the layout "
        "Hallo's users already have: diffusers/stable-diffusion-v1-5, vae/sd-vae-ft-mse, wav2vec2/wav2vec2-base-960h "
        "(or audio_encoders/), hallo/net.pth, animatediff_models/mm_sd_v15_v2.ckpt. Then ectfg's trained emotion "
        "fusion weights from models/ectfg on top. A missing file is named with the folder it belongs in."
    )
    CATEGORY = f"{CATEGORY}/diffusion"
    FUNCTION = "run"
    RETURN_TYPES = (DIFFUSION,)
    RETURN_NAMES = ("models",)
    OUTPUT_TOOLTIPS = ("The loaded backbone, for the Gated Emotion Fusion and the Emotion Guided Sampler.",)

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "emotion_weights": ([NO_EMOTION] + list_model_files("ectfg", (".safetensors",)), {
                    "tooltip": "Trained gated-fusion weights from models/ectfg (`ectfg train-sampler` writes them). "
                               "'none' gives Hallo's audio-only result exactly; use guide frames to show emotions.",
                }),
                "precision": (["auto", "fp16", "bf16", "fp32"], {
                    "default": "auto", "tooltip": "Weights precision: auto = fp16 on a GPU (as Hallo runs), fp32 on the CPU.",
                }),
            },
            "optional": {
                "models_dir": ("STRING", {"default": "", "tooltip": "Another models folder (e.g. Hallo's pretrained_models), "
                                                                    "or a pipeline folder `ectfg convert-hallo` wrote; "
                                                                    "empty = ComfyUI's models folder."}),
            },
        }

    def run(self, emotion_weights: str, precision: str, models_dir: str = ""):
        from ectfg_core.diffusion.device import compute_device
        from ectfg_core.diffusion.files import locate
        from ectfg_core.diffusion.weights import load_models

        emotion = None if emotion_weights == NO_EMOTION else resolve("ectfg", emotion_weights)
        files = locate(models_dir.strip() or None)
        files.emotion = emotion  # the dropdown decides, not whatever happens to sit in models/ectfg
        # Loaded on the offload device; the sampler asks ComfyUI's model management to move it to the GPU.
        dtype = pick_dtype(compute_device(), precision)
        return (load_models(files=files, device=offload_device(), dtype=dtype, progress=ComfyProgress()),)
