"""Emotion Guided Sampler node: the photoreal talking-face video from the diffusion backbone."""

from __future__ import annotations

import numpy as np

from ectfg_core.diffusion.config import SamplerSettings
from ectfg_core.errors import InputError
from ectfg_core.face.framing import Portrait
from ectfg_core.media.audio import fit_to_frames

from .convert import audio_to_comfy
from .progress import ComfyProgress
from .types import AV_TOKENS, CATEGORY, DIFFUSION, FACE, VIDEO
from .video import VIDEO_TOOLTIP, make_video


def _mask(mask, height: int, width: int, name: str) -> np.ndarray:
    values = mask.detach().cpu().float().numpy()
    values = values[0] if values.ndim == 3 else values
    if values.shape != (height, width):
        raise InputError(f"{name} is {values.shape[1]}x{values.shape[0]}, the portrait {width}x{height}; make both at one size")
    return values


class EmotionGuidedSampler:
    DESCRIPTION = (
        "Animates the portrait with the diffusion backbone (DDIM with classifier-free guidance, Hallo's weights): "
        "identity from the ReferenceNet, lips / expression / head pose from the fused audio-emotion tokens through "
        "the region masks, clip by clip with motion frames carried over, so any length joins without jumps. Optional "
        "guide frames (e.g. the Embedded Renderer's output) steer the expressions from day one. GPU recommended."
    )
    CATEGORY = f"{CATEGORY}/diffusion"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "AUDIO", "FLOAT", VIDEO)
    RETURN_NAMES = ("frames", "audio", "fps", "video")
    OUTPUT_TOOLTIPS = ("Video frames (a batch of IMAGEs).", "The speech fitted to exactly the video's length.",
                       "Frame rate; connect it to Create Video's fps.", VIDEO_TOOLTIP)

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "models": (DIFFUSION, {"tooltip": "From the Diffusion Model Loader."}),
                "tokens": (AV_TOKENS, {"tooltip": "From the Gated Emotion Fusion."}),
                "face": (FACE, {"tooltip": "Framed portrait from the Face Mask Extractor (size a multiple of 64; 512 is Hallo's)."}),
                "steps": ("INT", {"default": 40, "min": 1, "max": 200, "tooltip": "DDIM steps (Hallo: 40)."}),
                "cfg": ("FLOAT", {"default": 3.5, "min": 1.0, "max": 15.0, "step": 0.1,
                                  "tooltip": "Classifier-free guidance scale (Hallo: 3.5); 1 turns it off (twice as fast)."}),
                "seed": ("INT", {"default": 42, "min": 0, "max": 2**31 - 1, "tooltip": "Noise seed; the same seed gives the same video."}),
                "pose_weight": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 3.0, "step": 0.05,
                                          "tooltip": "How much the audio moves the head region (outside the face)."}),
                "expression_weight": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 3.0, "step": 0.05,
                                                "tooltip": "How much the audio and emotion move the face (brows, eyes, cheeks)."}),
                "lip_weight": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 3.0, "step": 0.05,
                                         "tooltip": "How much the audio moves the lips."}),
            },
            "optional": {
                "guide_frames": ("IMAGE", {"tooltip": "Frames to start from, one per video frame or a single one: connect the "
                                                      "Embedded Renderer's frames to carry its expressions over."}),
                "guide_strength": ("FLOAT", {"default": 0.8, "min": 0.0, "max": 1.0, "step": 0.05,
                                             "tooltip": "Noise put on the guide frames: 0 returns them, 1 ignores them."}),
                "lip_mask": ("MASK", {"tooltip": "Replace the lip region (default: Hallo's, from the landmarks). Give all three or none."}),
                "expression_mask": ("MASK", {"tooltip": "Replace the expression region."}),
                "pose_mask": ("MASK", {"tooltip": "Replace the pose region (what lies outside the face)."}),
            },
        }

    def run(self, models, tokens, face: Portrait, steps: int, cfg: float, seed: int, pose_weight: float,
            expression_weight: float, lip_weight: float, guide_frames=None, guide_strength: float = 0.8,
            lip_mask=None, expression_mask=None, pose_mask=None):
        from ectfg_core.diffusion.animate import animate

        height, width = face.image.shape[:2]
        given = [m is not None for m in (pose_mask, expression_mask, lip_mask)]
        if any(given) and not all(given):
            raise InputError("connect all three region masks (lip, expression, pose) or none of them")
        masks = None
        if all(given):
            masks = (_mask(pose_mask, height, width, "pose_mask"), _mask(expression_mask, height, width, "expression_mask"),
                     _mask(lip_mask, height, width, "lip_mask"))
        settings = SamplerSettings(steps=int(steps), guidance_scale=float(cfg), seed=int(seed), fps=tokens.fps,
                                   clip_length=tokens.clip_length, guide_strength=float(guide_strength),
                                   region_weights=(float(pose_weight), float(expression_weight), float(lip_weight)))
        frames = animate(models, face, tokens, settings, guide_frames=guide_frames, masks=masks, progress=ComfyProgress())
        audio = audio_to_comfy(fit_to_frames(tokens.samples, tokens.sample_rate, frames.shape[0], tokens.fps), tokens.sample_rate)
        return (frames, audio, float(tokens.fps), make_video(frames, audio, tokens.fps))
