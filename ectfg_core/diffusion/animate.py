"""From the pipeline's objects (framed portrait, speech, emotion track) to the sampler's tensors, and one call for all."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ectfg_core.diffusion.audio_encoder import frame_audio_features
from ectfg_core.diffusion.config import SamplerSettings
from ectfg_core.diffusion.device import on_compute_device
from ectfg_core.diffusion.gated_fusion import emotion_features
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.regions import Regions, hallo_regions
from ectfg_core.diffusion.sampler import EmotionGuidedSampler, encode_conditioning
from ectfg_core.errors import InputError, ModelError
from ectfg_core.face.framing import Portrait
from ectfg_core.progress import Progress
from ectfg_core.types.emotion import EmotionTrack


@dataclass
class AudioEmotionTokens:
    """The gated fusion's output for a whole utterance: what the sampler's audio attention attends to."""

    tokens: torch.Tensor  # (frames padded to whole clips, tokens, dim), on the models' device
    num_frames: int  # real frames (the rest is padding)
    fps: float
    with_emotion: bool
    clip_length: int
    samples: np.ndarray | None = None  # the speech they were made from, to give the video its sound
    sample_rate: int = 0


def padded_frames(num_frames: int, clip_length: int) -> int:
    return math.ceil(num_frames / clip_length) * clip_length


def audio_emotion_tokens(models: DiffusionModels, samples: np.ndarray, sample_rate: int, num_frames: int, fps: float,
                         track: EmotionTrack | None, settings: SamplerSettings) -> AudioEmotionTokens:
    """wav2vec2 features of the speech (padded with silence to whole clips, as Hallo pads), the audio projection and
    the gated emotion fusion. Without a track, or without trained fusion weights, the tokens are the audio's alone."""
    if models.audio_encoder is None:
        raise ModelError("no wav2vec2 model is loaded; load the diffusion models with their audio encoder (wav2vec2-base-960h)")
    if track is not None and abs(track.fps - fps) > 1e-6:
        raise InputError(f"emotion track is at {track.fps:g} fps but the video is at {fps:g} fps; predict the track at the video fps")
    total = padded_frames(num_frames, settings.clip_length)
    emotion = emotion_features(track, total) if track is not None else None
    with on_compute_device(models):
        features = frame_audio_features(models.audio_encoder, samples, sample_rate, total, fps)
        tokens = encode_conditioning(models, features, emotion, emotion_scale=settings.emotion_scale)
    return AudioEmotionTokens(tokens=tokens, num_frames=num_frames, fps=fps, with_emotion=emotion is not None,
                              clip_length=settings.clip_length, samples=np.asarray(samples, dtype=np.float32),
                              sample_rate=int(sample_rate))


def portrait_regions(portrait: Portrait, masks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Regions:
    """Hallo's regions for the portrait; `masks` (pose, expression, lip at image size) replace its three masks."""
    regions = hallo_regions(portrait.landmarks)
    if masks is not None:
        height, width = portrait.image.shape[:2]
        for mask in masks:
            if np.asarray(mask).shape != (height, width):
                raise InputError(f"region masks must be {height}x{width} like the portrait, got {np.asarray(mask).shape}")
        regions.pose, regions.expression, regions.lip = (np.clip(np.asarray(m, dtype=np.float32), 0, 1) for m in masks)
    return regions


def animate(models: DiffusionModels, portrait: Portrait, conditioning: AudioEmotionTokens, settings: SamplerSettings | None = None,
            guide_frames: torch.Tensor | np.ndarray | None = None, face_embedding: torch.Tensor | np.ndarray | None = None,
            masks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, progress: Progress | None = None) -> torch.Tensor:
    """The talking-face video (frames, H, W, 3) float32 0..1 on the CPU."""
    settings = settings or SamplerSettings()
    if conditioning.clip_length != settings.clip_length:
        settings.clip_length = conditioning.clip_length  # tokens were padded for that clip length
    regions = portrait_regions(portrait, masks)
    with on_compute_device(models) as device:
        if conditioning.tokens.device != device:
            conditioning.tokens = conditioning.tokens.to(device)
        embedding = None if face_embedding is None else torch.as_tensor(np.asarray(face_embedding, dtype=np.float32))
        return EmotionGuidedSampler(models).sample(
            portrait.image, conditioning.tokens, regions.stacked(), regions.face_box, conditioning.num_frames, settings,
            face_embedding=embedding, guide_frames=guide_frames, progress=progress,
        )
