"""Architecture and sampling settings of the diffusion backbone, with Hallo's released defaults.

Hallo (Xu et al. 2024, github.com/fudan-generative-vision/hallo) is the backbone the TIE-TFG paper uses. The
numbers below are the ones of its `configs/inference/default.yaml` and `scripts/inference.py`, so that its
released checkpoint behaves here as it does there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from ectfg_core.errors import InputError

# Stable Diffusion 1.5 UNet (diffusers layout, `unet/config.json`); used when building without files (bench, tests).
SD15_UNET_CONFIG: dict[str, Any] = {
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False,
    "cross_attention_dim": 768,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}

# sd-vae-ft-mse (`vae/config.json`).
SD_VAE_CONFIG: dict[str, Any] = {
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 256,
    "scaling_factor": 0.18215,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}

# AnimateDiff mm_sd_v15_v2 as a diffusers MotionAdapter: 8 heads, 32 positions, a mid-block module.
MM_SD_V15_V2_CONFIG: dict[str, Any] = {
    "block_out_channels": [320, 640, 1280, 1280],
    "motion_layers_per_block": 2,
    "motion_mid_block_layers_per_block": 1,
    "motion_num_attention_heads": 8,
    "motion_norm_num_groups": 32,
    "motion_max_seq_length": 32,
    "use_motion_mid_block": True,
}

# Hallo's DDIM: zero terminal SNR, v-prediction, trailing timesteps (`noise_scheduler_kwargs` + `enable_zero_snr`).
HALLO_SCHEDULER_CONFIG: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "linear",
    "clip_sample": False,
    "steps_offset": 1,
    "prediction_type": "v_prediction",
    "rescale_betas_zero_snr": True,
    "timestep_spacing": "trailing",
}

WAV2VEC_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Architecture:
    """Shapes of every network of the backbone. `full()` is Hallo's; `tiny()` is for CPU tests and smoke runs."""

    unet: dict[str, Any]
    vae: dict[str, Any]
    motion: dict[str, Any]
    audio_layers: int = 12  # wav2vec2-base hidden layers used (Hallo: all 12, `wav2vec.features: all`)
    audio_channels: int = 768
    audio_window: int = 5  # frames of audio features per video frame (Hallo: i-2 .. i+2)
    audio_tokens: int = 32  # context tokens per frame out of the audio projection
    audio_hidden: int = 512
    face_embed_dim: int = 512  # ArcFace embedding size (insightface)
    face_tokens: int = 4
    face_locator_channels: tuple[int, ...] = (16, 32, 64, 128)
    emotion_window: int = 5
    emotion_hidden: int = 512
    # Blocks whose temporal modules also see the motion frames. Hallo's inference does it in the mid block only.
    motion_frame_blocks: tuple[str, ...] = ("mid",)

    @property
    def cross_attention_dim(self) -> int:
        return int(self.unet["cross_attention_dim"])

    @property
    def latent_levels(self) -> int:
        return len(self.unet["block_out_channels"])

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae["block_out_channels"]) - 1)

    @classmethod
    def full(cls, unet: dict[str, Any] | None = None) -> Architecture:
        return cls(unet=copy.deepcopy(unet or SD15_UNET_CONFIG), vae=copy.deepcopy(SD_VAE_CONFIG),
                   motion=copy.deepcopy(MM_SD_V15_V2_CONFIG))

    @classmethod
    def tiny(cls) -> Architecture:
        """Two-level UNet, 32/64 channels, one layer per block: the whole sampler runs in seconds on a CPU."""
        unet = {
            **SD15_UNET_CONFIG,
            "block_out_channels": [32, 64],
            "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
            "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
            "layers_per_block": 1,
            "cross_attention_dim": 32,
            "attention_head_dim": 2,
            "norm_num_groups": 8,
            "sample_size": 16,
        }
        vae = {**SD_VAE_CONFIG, "block_out_channels": [16, 32], "down_block_types": ["DownEncoderBlock2D"] * 2,
               "up_block_types": ["UpDecoderBlock2D"] * 2, "layers_per_block": 1, "norm_num_groups": 8, "sample_size": 32}
        motion = {**MM_SD_V15_V2_CONFIG, "block_out_channels": [32, 64], "motion_layers_per_block": 1,
                  "motion_num_attention_heads": 2, "motion_norm_num_groups": 8}
        return cls(unet=unet, vae=vae, motion=motion, audio_layers=2, audio_channels=16, audio_tokens=4, audio_hidden=32,
                   face_embed_dim=16, face_tokens=2, face_locator_channels=(8, 16), emotion_hidden=16)

    @classmethod
    def small(cls) -> Architecture:
        """Hallo's four levels at 32/64/64/64 channels: small enough for a CPU, shaped so Hallo's own code runs it too
        (its UNet hard-codes four levels and 32 normalisation groups in the temporal modules)."""
        tiny = cls.tiny()
        unet = {**tiny.unet, "block_out_channels": [32, 64, 64, 64], "down_block_types": SD15_UNET_CONFIG["down_block_types"],
                "up_block_types": SD15_UNET_CONFIG["up_block_types"], "norm_num_groups": 32}
        vae = {**tiny.vae, "block_out_channels": [32, 32], "norm_num_groups": 32}
        motion = {**tiny.motion, "block_out_channels": [32, 64, 64, 64], "motion_norm_num_groups": 32}
        return replace(tiny, unet=unet, vae=vae, motion=motion, face_locator_channels=(16, 32))

    def with_unet(self, unet: dict[str, Any]) -> Architecture:
        return replace(self, unet=copy.deepcopy(unet))

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else copy.deepcopy(v)) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Architecture:
        names = set(cls.__dataclass_fields__)
        kwargs = {k: (tuple(v) if k in ("face_locator_channels", "motion_frame_blocks") else v) for k, v in data.items() if k in names}
        return cls(**kwargs)


@dataclass
class SamplerSettings:
    """One sampling run. Defaults are Hallo's inference settings (40 DDIM steps, CFG 3.5, clips of 16 + 2 motion frames)."""

    steps: int = 40
    guidance_scale: float = 3.5
    seed: int = 42
    clip_length: int = 16
    motion_frames: int = 2
    fps: float = 25.0
    # Weights of the pose / expression / lip attention outputs (Hallo's pose_weight, face_weight, lip_weight).
    region_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # Scale of the emotion features in the gated fusion; 0 gives the audio-only result exactly.
    emotion_scale: float = 1.0
    # Guide frames: start from them noised to this strength (1.0 = pure noise, the guide is ignored).
    guide_strength: float = 0.8
    decode_chunk: int = 4  # frames per VAE decode call (Hallo decodes one at a time; 4 keeps the peak below the UNet's)
    eta: float = 0.0

    def validate(self) -> SamplerSettings:
        if not 1 <= int(self.steps) <= 1000:
            raise InputError(f"steps {self.steps} is out of range; use 1 to 1000 (Hallo uses 40)")
        if not 0.0 <= float(self.guidance_scale) <= 30.0:
            raise InputError(f"guidance scale {self.guidance_scale} is out of range; use 0 to 30 (Hallo uses 3.5)")
        if int(self.clip_length) < 1 or int(self.motion_frames) < 0:
            raise InputError(f"clip length {self.clip_length} and motion frames {self.motion_frames} must be >= 1 and >= 0")
        if not 0.0 <= float(self.guide_strength) <= 1.0:
            raise InputError(f"guide strength {self.guide_strength} is out of range; use 0 (keep the guide) to 1 (ignore it)")
        if len(self.region_weights) != 3 or any(w < 0 for w in self.region_weights):
            raise InputError(f"region weights {self.region_weights} must be three non-negative numbers (pose, expression, lip)")
        if int(self.decode_chunk) < 1:
            raise InputError(f"decode chunk {self.decode_chunk} must be at least 1 frame")
        return self
