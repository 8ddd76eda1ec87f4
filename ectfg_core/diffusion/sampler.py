"""EmotionGuidedSampler: DDIM with classifier-free guidance over any video length, clip by clip.

Per video: the portrait's VAE latent, its ReferenceNet features (once, not per step or per clip), the face-locator
features and the region-mask pyramid. Per clip of `clip_length` frames: the motion frames (the last frames of the
previous clip, or the portrait for the first clip) go through the ReferenceNet once, then `steps` DDIM steps, each one
denoiser call on [unconditional rows; conditional rows]; then the clip is decoded in chunks. The unconditional half
has no audio/emotion tokens, no face region and no reference, as in Hallo. Noise comes from one seeded CPU generator,
so a seed gives the same video on any device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ectfg_core.diffusion.conditioning import FrameConditioning, ReferenceFeatures
from ectfg_core.diffusion.config import SamplerSettings
from ectfg_core.diffusion.gated_fusion import frame_windows
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.reference import ReferenceRecorder
from ectfg_core.diffusion.regions import mask_pyramid
from ectfg_core.errors import InputError
from ectfg_core.progress import Progress


@dataclass
class _Video:
    """Per-video state shared by its clips."""

    tokens: torch.Tensor  # (clips * clip_length, tokens, dim)
    latent_size: tuple[int, int]
    cond_face: torch.Tensor
    face_states: torch.Tensor  # encoder states per row
    face_rows: torch.Tensor  # face-locator features per row
    masks: list[torch.Tensor]
    reference: ReferenceFeatures
    cfg: bool


@dataclass
class ClipRecord:
    """What one clip was conditioned on, for inspection (tests, debugging)."""

    start: int
    motion_pixels: torch.Tensor | None  # (m, 3, H, W) in -1..1: the frames it continued from (None: the portrait)
    first_timestep: int


def encode_conditioning(models: DiffusionModels, audio_features: torch.Tensor, emotion: np.ndarray | torch.Tensor | None,
                        emotion_scale: float = 1.0) -> torch.Tensor:
    """Per-frame wav2vec2 features (frames, layers, channels) and emotion features (frames, 8) -> fused tokens.

    Audio projection over a window of frames, then the gated emotion fusion (eq. 5-6): (frames, tokens, dim).
    """
    arch = models.arch
    device, dtype = models.device, models.dtype
    feats = torch.as_tensor(audio_features, dtype=torch.float32)
    if feats.ndim != 3 or feats.shape[1:] != (arch.audio_layers, arch.audio_channels):
        raise InputError(f"audio features must be (frames, {arch.audio_layers}, {arch.audio_channels}), got {tuple(feats.shape)}")
    with torch.inference_mode():
        tokens = models.audio_proj(frame_windows(feats, arch.audio_window)[None].to(device, dtype))
        if emotion is not None:
            emo = torch.as_tensor(np.asarray(emotion, dtype=np.float32))
            if emo.shape[0] != feats.shape[0]:
                raise InputError(f"emotion track has {emo.shape[0]} frames but the audio has {feats.shape[0]}; use the same fps for both")
            tokens = models.fusion(tokens, frame_windows(emo, arch.emotion_window)[None].to(device, dtype), scale=emotion_scale)
    return tokens[0]


def _image_tensor(image: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(H, W, 3) uint8 or float 0..1 -> float32 (H, W, 3) 0..1."""
    x = torch.as_tensor(np.asarray(image) if not isinstance(image, torch.Tensor) else image)
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    return x.float()[..., :3]


class EmotionGuidedSampler:
    def __init__(self, models: DiffusionModels):
        self.models = models
        self.recorder = ReferenceRecorder(models.reference_unet)
        self.motion_layers = models.denoiser.motion_frame_layers()  # temporal module -> reference layer
        self.records: list[ClipRecord] = []
        self.reference_passes = 0  # ReferenceNet forward passes of the last run

    # --- VAE ----------------------------------------------------------------------------------------------------
    def _encode(self, pixels: torch.Tensor, chunk: int) -> torch.Tensor:
        """(n, 3, H, W) in -1..1 -> latents (n, 4, h, w) (posterior mean, scaled)."""
        vae = self.models.vae
        parts = [vae.encode(pixels[i:i + chunk].to(vae.device, vae.dtype)).latent_dist.mean for i in range(0, len(pixels), chunk)]
        return torch.cat(parts).float() * vae.config.scaling_factor

    def _decode(self, latents: torch.Tensor, chunk: int) -> torch.Tensor:
        """(n, 4, h, w) -> (n, 3, H, W) in -1..1 on the latents' device, float32."""
        vae = self.models.vae
        scaled = latents / vae.config.scaling_factor
        parts = [vae.decode(scaled[i:i + chunk].to(vae.dtype)).sample.float().clamp_(-1, 1) for i in range(0, len(scaled), chunk)]
        return torch.cat(parts)

    def _reference(self, latents: torch.Tensor, face_tokens: torch.Tensor, layers: list[str] | None) -> dict[str, torch.Tensor]:
        self.reference_passes += 1
        return self.recorder.features(latents, face_tokens.expand(latents.shape[0], -1, -1), layers)

    # --- sampling -----------------------------------------------------------------------------------------------
    def check(self, height: int, width: int, settings: SamplerSettings) -> None:
        arch = self.models.arch
        multiple = arch.vae_scale_factor * 2 ** (arch.latent_levels - 1)
        if height % multiple or width % multiple:
            raise InputError(f"frame size {width}x{height} must be a multiple of {multiple} on both sides (512x512 is Hallo's)")
        longest = int(arch.motion.get("motion_max_seq_length", 32))
        if settings.clip_length + settings.motion_frames > longest:
            raise InputError(f"clip length {settings.clip_length} + motion frames {settings.motion_frames} exceeds the motion "
                             f"module's {longest} positions; use a clip length of at most {longest - settings.motion_frames}")

    @torch.inference_mode()
    def sample(self, reference: np.ndarray | torch.Tensor, tokens: torch.Tensor, regions: np.ndarray, face_box: np.ndarray,
               num_frames: int, settings: SamplerSettings | None = None, face_embedding: torch.Tensor | None = None,
               guide_frames: torch.Tensor | np.ndarray | None = None, progress: Progress | None = None) -> torch.Tensor:
        """Video frames (num_frames, H, W, 3) float32 0..1 on the CPU.

        reference: the portrait (H, W, 3). tokens: fused audio/emotion tokens per frame (>= num_frames rows; padded
        with the last one up to whole clips). regions: (3, H, W) pose / expression / lip masks. face_box: (H, W).
        face_embedding: ArcFace embedding of the portrait, or None (zeros, as Hallo does when it finds no face).
        guide_frames: (num_frames or 1, H', W', 3) 0..1 frames to start from (see guide_strength).
        """
        settings = (settings or SamplerSettings()).validate()
        progress = progress or Progress()
        ref = _image_tensor(reference)
        height, width = ref.shape[:2]
        self.check(height, width, settings)
        if num_frames < 1 or tokens.shape[0] < 1:
            raise InputError("nothing to sample: the speech has no frames")
        clip = int(settings.clip_length)
        clips = math.ceil(num_frames / clip)
        self.records, self.reference_passes = [], 0
        video = self._prepare(ref, tokens, regions, face_box, face_embedding, clips * clip, settings)

        scheduler = self.models.scheduler()
        scheduler.set_timesteps(settings.steps, device=self.models.device)
        timesteps = scheduler.timesteps
        # Strength 1 starts from pure noise (zero terminal SNR): the guide would be multiplied by zero, so skip it.
        guides = None
        if guide_frames is not None and settings.guide_strength < 1.0:
            guides = self._guide_latents(guide_frames, clips * clip, num_frames, height, width, settings)
            keep = min(int(settings.steps * settings.guide_strength), settings.steps)
            timesteps = timesteps[settings.steps - keep:]
        generator = torch.Generator("cpu").manual_seed(int(settings.seed))
        progress.stage("diffusion", clips * (len(timesteps) + 1))
        outputs: list[torch.Tensor] = []
        previous: torch.Tensor | None = None
        for k in range(clips):
            clip_guides = None if guides is None else guides[k * clip:(k + 1) * clip]
            previous = self._clip(video, k, previous, clip_guides, scheduler, timesteps, generator, settings, progress)
            outputs.append(previous.cpu())
        progress.finish()
        frames = torch.cat(outputs)[:num_frames]
        return ((frames + 1) / 2).clamp_(0, 1).permute(0, 2, 3, 1).contiguous()

    def _prepare(self, ref: torch.Tensor, tokens: torch.Tensor, regions: np.ndarray, face_box: np.ndarray,
                 face_embedding: torch.Tensor | None, total: int, settings: SamplerSettings) -> _Video:
        """Everything computed once per video: portrait latent, face tokens, reference features, face region, masks."""
        models, arch = self.models, self.models.arch
        device, dtype = models.device, models.dtype
        clip, cfg = int(settings.clip_length), settings.guidance_scale > 1.0
        rows = torch.clamp(torch.arange(total), max=tokens.shape[0] - 1)
        ref_latent = self._encode(ref.permute(2, 0, 1)[None].to(device) * 2 - 1, 1)
        uncond_face = models.image_proj(torch.zeros(1, arch.face_embed_dim, device=device, dtype=dtype))
        cond_face = uncond_face if face_embedding is None else models.image_proj(
            torch.as_tensor(face_embedding).reshape(1, -1).to(device, dtype))
        reference_tokens = self._reference(ref_latent, cond_face, None)
        height, width = ref.shape[:2]
        box = torch.as_tensor(np.asarray(face_box, dtype=np.float32))[None, None].expand(1, 3, -1, -1)
        if box.shape[-2:] != (height, width):
            raise InputError(f"face box is {tuple(box.shape[-2:])}, frames are {(height, width)}; make both from the same portrait")
        face_feat = models.face_locator(box.to(device, dtype))
        masks, _ = mask_pyramid(regions, tuple(ref_latent.shape[-2:]), arch.latent_levels)
        face_rows = torch.cat([torch.zeros_like(face_feat), face_feat]) if cfg else face_feat
        face_states = cond_face.expand(clip, -1, -1)
        if cfg:
            face_states = torch.cat([uncond_face.expand(clip, -1, -1), face_states])
        return _Video(tokens=tokens[rows].to(device, dtype), latent_size=tuple(ref_latent.shape[-2:]), cond_face=cond_face,
                      face_states=face_states, face_rows=face_rows.repeat_interleave(clip, dim=0),
                      masks=[m.to(device, dtype) for m in masks], reference=ReferenceFeatures(tokens=reference_tokens), cfg=cfg)

    def _clip(self, video: _Video, k: int, previous: torch.Tensor | None, guides: torch.Tensor | None, scheduler, timesteps,
              generator: torch.Generator, settings: SamplerSettings, progress: Progress) -> torch.Tensor:
        """DDIM over clip k; returns its frames (clip, 3, H, W) in -1..1 on the device."""
        models = self.models
        device, dtype = models.device, models.dtype
        clip, extra, cfg = int(settings.clip_length), int(settings.motion_frames), video.cfg
        start = k * clip
        motion = self._motion_tokens(video.reference.tokens, previous, video.cond_face, extra, settings.decode_chunk)
        self.records.append(ClipRecord(start=start, motion_pixels=None if previous is None else previous[-extra:].cpu(),
                                       first_timestep=int(timesteps[0]) if len(timesteps) else -1))
        noise = torch.randn((1, models.denoiser.in_channels, clip, *video.latent_size), generator=generator, dtype=torch.float32)
        noise = noise.to(device)
        if guides is None:
            latents = noise * scheduler.init_noise_sigma
        else:
            clip_guides = guides.permute(1, 0, 2, 3)[None].to(device)
            latents = scheduler.add_noise(clip_guides, noise, timesteps[:1]) if len(timesteps) else clip_guides
        audio = video.tokens[start:start + clip]
        conditioning = FrameConditioning(
            num_frames=clip,
            audio_tokens=torch.cat([torch.zeros_like(audio), audio]) if cfg else audio,
            null_audio_rows=clip if cfg else 0,  # the unconditional half: no audio/emotion, no face region, no reference
            masks=video.masks, region_weights=tuple(float(w) for w in settings.region_weights),
            face_features=video.face_rows, reference=video.reference,
            reference_rows=slice(clip, 2 * clip) if cfg else slice(0, clip),
            motion_frames=motion,
        )
        for t in timesteps:
            model_in = latents.expand(2, -1, -1, -1, -1) if cfg else latents
            model_in = scheduler.scale_model_input(model_in, t).to(dtype)
            pred = models.denoiser(model_in, t, video.face_states, conditioning).float()
            if cfg:
                uncond, cond = pred.chunk(2)
                pred = uncond + settings.guidance_scale * (cond - uncond)
            latents = scheduler.step(pred, t, latents, eta=settings.eta, generator=generator).prev_sample
            progress.advance()
        pixels = self._decode(latents[0].permute(1, 0, 2, 3), settings.decode_chunk)
        progress.advance()
        return pixels

    def _motion_tokens(self, reference_tokens: dict[str, torch.Tensor], previous: torch.Tensor | None, face: torch.Tensor,
                       extra: int, chunk: int) -> dict[str, torch.Tensor]:
        """Temporal module -> (1, m, tokens, C): the first clip continues from the portrait, later ones from the
        previous clip's last frames (decoded, re-encoded and passed through the ReferenceNet, as Hallo does)."""
        if extra == 0 or not self.motion_layers:
            return {}
        if previous is None:
            return {module: reference_tokens[layer][:1, None].expand(1, extra, -1, -1) for module, layer in self.motion_layers.items()}
        latents = self._encode(previous[-extra:], chunk)
        tokens = self._reference(latents, face, sorted(set(self.motion_layers.values())))
        return {module: tokens[layer][None] for module, layer in self.motion_layers.items()}

    def _guide_latents(self, frames: torch.Tensor | np.ndarray, total: int, num_frames: int, height: int, width: int,
                       settings: SamplerSettings) -> torch.Tensor:
        """Guide frames -> latents (total, 4, h, w), one per output frame (the last repeated over the padding)."""
        x = torch.as_tensor(np.asarray(frames) if not isinstance(frames, torch.Tensor) else frames)
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[-1] not in (3, 4):
            raise InputError(f"guide frames must be an IMAGE batch (frames, height, width, 3), got {tuple(x.shape)}")
        if x.shape[0] not in (1, num_frames):
            raise InputError(f"{x.shape[0]} guide frames for {num_frames} video frames; give one frame or exactly one per frame "
                             "(e.g. the Embedded Renderer's output for the same speech and fps)")
        x = (x.float() / 255.0 if x.dtype == torch.uint8 else x.float())[..., :3].permute(0, 3, 1, 2)
        if x.shape[-2:] != (height, width):
            x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        latents = self._encode(x.clamp(0, 1) * 2 - 1, settings.decode_chunk)
        idx = torch.clamp(torch.arange(total), max=latents.shape[0] - 1)
        return latents[idx]
