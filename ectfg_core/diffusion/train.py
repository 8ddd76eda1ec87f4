"""Training the emotion path (paper: Training and Inference): the gated fusion and the hierarchical audio attention.

ReferenceNet, the denoising UNet (spatial and temporal layers), the VAE, wav2vec2 and the projections stay frozen,
as the paper prescribes. One sample is a window of `frames` frames of a clip, the `motion_frames` before it as motion
frames (the portrait instead, at the clip's start and 5% of the time, as the first clip of a video sees it) and a
random frame of the same clip as the reference image. Hallo's objective: v-prediction on the zero-terminal-SNR
schedule, MSE weighted by min(SNR + 1, 5) / (SNR + 1); 5% of samples drop the audio/emotion tokens and 5% the
reference, so classifier-free guidance keeps working.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ectfg_core.diffusion.conditioning import FrameConditioning, ReferenceFeatures
from ectfg_core.diffusion.gated_fusion import frame_windows
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.reference import ReferenceRecorder
from ectfg_core.diffusion.regions import mask_pyramid
from ectfg_core.diffusion.train_data import TrainingClip, load_clips
from ectfg_core.diffusion.weights import load_emotion_weights, save_emotion_weights
from ectfg_core.errors import InputError
from ectfg_core.progress import Progress

CHECKPOINT = "checkpoint-"
FINAL_NAME = "emotion_fusion.safetensors"


@dataclass
class TrainSettings:
    steps: int = 30000  # Hallo's stage 2 runs 30k steps
    frames: int = 14  # Hallo's stage 2 n_sample_frames
    motion_frames: int = 2
    size: int = 512
    learning_rate: float = 1e-5
    weight_decay: float = 1e-2
    max_grad_norm: float = 1.0
    snr_gamma: float = 5.0
    drop_audio: float = 0.05
    drop_reference: float = 0.05
    portrait_motion: float = 0.05
    noise_offset: float = 0.05
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    seed: int = 42
    gradient_checkpointing: bool = True

    def validate(self) -> TrainSettings:
        if self.steps < 1 or self.frames < 1 or self.motion_frames < 0 or self.checkpoint_every < 1:
            raise InputError("steps, frames and checkpoint interval must be positive and motion frames not negative")
        if not 0 < self.learning_rate < 1:
            raise InputError(f"learning rate {self.learning_rate} is out of range; Hallo uses 1e-5")
        return self


@dataclass
class TrainResult:
    step: int
    losses: list[float]
    weights: Path
    resumed_from: int


def checkpoints(out_dir: Path) -> list[Path]:
    found = [p for p in out_dir.glob(f"{CHECKPOINT}*") if p.is_dir() and p.name[len(CHECKPOINT):].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(CHECKPOINT):]))


class SamplerTrainer:
    def __init__(self, models: DiffusionModels, settings: TrainSettings, device: torch.device | None = None):
        self.models = models
        self.settings = settings.validate()
        self.device = device or models.device
        self.recorder = ReferenceRecorder(models.reference_unet)
        self.motion_layers = models.denoiser.motion_frame_layers()
        self.scheduler = models.scheduler()
        self.autocast = self.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.autocast and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.autocast and self.amp_dtype == torch.float16)

    def _face_tokens(self) -> torch.Tensor:
        zeros = torch.zeros(1, self.models.arch.face_embed_dim, device=self.device, dtype=self.models.dtype)
        return self.models.image_proj(zeros)  # no ArcFace embedding: Hallo's no-face value

    def loss(self, clip: TrainingClip, rng: random.Random) -> torch.Tensor:
        s, models, arch = self.settings, self.models, self.models.arch
        frames, extra = s.frames, s.motion_frames
        start = rng.randint(0, clip.frames - frames)
        latents = clip.latents.to(self.device, torch.float32)
        reference = latents[rng.randrange(clip.frames)][None]
        face = self._face_tokens()
        with torch.no_grad():
            ref_tokens = self.recorder.features(reference, face)
            if extra and (start < extra or rng.random() < s.portrait_motion):
                motion = {m: ref_tokens[layer][:1, None].expand(1, extra, -1, -1) for m, layer in self.motion_layers.items()}
            elif extra:
                layers = sorted(set(self.motion_layers.values()))
                tokens = self.recorder.features(latents[start - extra:start], face.expand(extra, -1, -1), layers)
                motion = {m: tokens[layer][None] for m, layer in self.motion_layers.items()}
            else:
                motion = {}
            audio = frame_windows(clip.audio.float(), arch.audio_window)[start:start + frames][None].to(self.device, models.dtype)
            audio_tokens = models.audio_proj(audio)
            box = clip.face_box[None, None].expand(1, 3, -1, -1).to(self.device, models.dtype)
            face_features = models.face_locator(box)
        emotion = None
        if clip.emotion is not None:
            emotion = frame_windows(clip.emotion, arch.emotion_window)[start:start + frames][None].to(self.device, models.dtype)
        fused = models.fusion(audio_tokens, emotion)[0]  # trainable: gradients reach the fusion
        if rng.random() < s.drop_audio:
            fused = fused * 0.0
        masks, _ = mask_pyramid(clip.regions, tuple(latents.shape[-2:]), arch.latent_levels)
        drop_reference = rng.random() < s.drop_reference
        cond = FrameConditioning(
            num_frames=frames, audio_tokens=fused, masks=[m.to(self.device, models.dtype) for m in masks],
            face_features=face_features, reference=None if drop_reference else ReferenceFeatures(tokens=ref_tokens),
            reference_rows=None if drop_reference else slice(0, frames), motion_frames=motion,
        )
        target_latents = latents[start:start + frames].permute(1, 0, 2, 3)[None]  # (1, 4, frames, h, w)
        generator = torch.Generator().manual_seed(rng.randrange(2**31))
        noise = torch.randn(target_latents.shape, generator=generator).to(self.device)
        if s.noise_offset:
            noise = noise + s.noise_offset * torch.randn((1, noise.shape[1], 1, 1, 1), generator=generator).to(self.device)
        t = torch.tensor([rng.randrange(self.scheduler.config.num_train_timesteps)], device=self.device)
        noisy = self.scheduler.add_noise(target_latents, noise, t)
        target = self.scheduler.get_velocity(target_latents, noise, t)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.autocast):
            pred = models.denoiser(noisy.to(models.dtype), t, face.expand(frames, -1, -1), cond)
        mse = F.mse_loss(pred.float(), target.float())
        if not s.snr_gamma:
            return mse
        alphas = self.scheduler.alphas_cumprod.to(self.device)[t]
        snr = alphas / (1 - alphas).clamp(min=1e-8) + 1  # v-prediction: SNR + 1
        return mse * (torch.clamp(snr, max=s.snr_gamma) / snr).mean()

    def train(self, data_dir: str | Path, out_dir: str | Path, progress: Progress | None = None,
              log: Callable[[int, float], None] | None = None, log_every: int = 50) -> TrainResult:
        progress = progress or Progress()
        s, models = self.settings, self.models
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        clips = load_clips(models, data_dir, out / "cache", s.size, s.frames + 1, progress)
        models.eval()
        if s.gradient_checkpointing and self.device.type == "cuda":
            models.denoiser.enable_gradient_checkpointing()
        step, resumed = 0, 0
        with models.frozen_except_trainable() as params:
            optimizer = torch.optim.AdamW(params, lr=s.learning_rate, weight_decay=s.weight_decay)
            previous = checkpoints(out)
            if previous:
                step = resumed = self._resume(previous[-1], optimizer)
            weights = [len(c.latents) for c in clips]
            losses: list[float] = []
            progress.stage("train", max(s.steps - step, 0))
            while step < s.steps:
                rng = random.Random(s.seed * 1_000_003 + step)  # reproducible, and the same after a resume
                clip = rng.choices(clips, weights=weights)[0]
                loss = self.loss(clip, rng)
                optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                self.scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, s.max_grad_norm)
                self.scaler.step(optimizer)
                self.scaler.update()
                step += 1
                value = float(loss.detach())
                if not math.isfinite(value):
                    raise InputError(f"the loss became {value} at step {step}; lower the learning rate or train in fp32", field="lr")
                losses.append(value)
                if log is not None and (step % log_every == 0 or step == s.steps):
                    log(step, sum(losses[-log_every:]) / len(losses[-log_every:]))
                if step % s.checkpoint_every == 0 or step == s.steps:
                    self._checkpoint(out, step, optimizer, losses)
                progress.advance()
            progress.finish()
        final = save_emotion_weights(models, out / FINAL_NAME, {"step": str(step)})
        return TrainResult(step=step, losses=losses, weights=final, resumed_from=resumed)

    def _checkpoint(self, out: Path, step: int, optimizer: torch.optim.Optimizer, losses: list[float]) -> None:
        folder = out / f"{CHECKPOINT}{step}"
        partial = out / f".{CHECKPOINT}{step}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        save_emotion_weights(self.models, partial / FINAL_NAME, {"step": str(step)})
        torch.save(optimizer.state_dict(), partial / "optimizer.pt")
        state = {"step": step, "settings": asdict(self.settings), "last_loss": losses[-1] if losses else None}
        (partial / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)  # a checkpoint is complete or absent, never half-written
        for old in checkpoints(out)[: -self.settings.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)

    def _resume(self, folder: Path, optimizer: torch.optim.Optimizer) -> int:
        load_emotion_weights(self.models, folder / FINAL_NAME)
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True, map_location=self.device))
        return int(json.loads((folder / "state.json").read_text(encoding="utf-8"))["step"])


def train_sampler(models: DiffusionModels, data_dir: str | Path, out_dir: str | Path, settings: TrainSettings | None = None,
                  progress: Progress | None = None, log: Callable[[int, float], None] | None = None) -> TrainResult:
    return SamplerTrainer(models, settings or TrainSettings()).train(data_dir, out_dir, progress, log)
