"""Training clips for the sampler, in the EFP training layout: DIR/<clip>/video.mp4 + transcript.txt + an emotion track.

track.json is the clip's per-frame emotion track (ectfg.track/1 JSON: pseudo-labels from a facial-expression
classifier, one entry per video frame). Clips without it still train the audio attention, with no emotion input.
Each clip is prepared once (face crop from the first frame, VAE latents of every frame, wav2vec2 features, Hallo's
region masks) and cached beside the checkpoints, so epochs after the first read small tensors only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ectfg_core.diffusion.audio_encoder import frame_audio_features
from ectfg_core.diffusion.config import WAV2VEC_SAMPLE_RATE
from ectfg_core.diffusion.gated_fusion import emotion_features
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.regions import hallo_regions
from ectfg_core.errors import InputError
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.face.framing import face_crop_box
from ectfg_core.media.decode import open_video, read_audio
from ectfg_core.progress import Progress
from ectfg_core.types.emotion import EmotionTrack
from ectfg_core.types.face import FaceLandmarks

CACHE_VERSION = 1


@dataclass
class TrainingClip:
    name: str
    latents: torch.Tensor  # (frames, 4, h, w) float16, VAE posterior means (scaled)
    audio: torch.Tensor  # (frames, layers, channels) float16 wav2vec2 features
    emotion: torch.Tensor | None  # (frames, 8) float32, None without track.json
    regions: torch.Tensor  # (3, H, W) pose, expression, lip
    face_box: torch.Tensor  # (H, W)
    fps: float

    @property
    def frames(self) -> int:
        return int(self.latents.shape[0])


def clip_folders(data_dir: str | Path) -> list[Path]:
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(f"data {root} is not a folder; give the folder holding one sub-folder per clip (<clip>/video.mp4)",
                         field="data")
    clips = sorted(p for p in root.iterdir() if (p / "video.mp4").is_file())
    if not clips:
        raise InputError(f"no clips in {root}: each clip is a sub-folder with video.mp4 and transcript.txt (and track.json)")
    return clips


def crop_frames(frames: np.ndarray, size: int) -> tuple[np.ndarray, FaceLandmarks]:
    """Square face crop (from the first frame's landmarks, fixed for the clip) resized to size, and the landmarks in it."""
    first = detect_landmarks(frames[0])
    x0, y0, x1, y1 = face_crop_box(first)
    out = np.stack([np.asarray(Image.fromarray(f[y0:y1, x0:x1]).resize((size, size), Image.Resampling.LANCZOS)) for f in frames])
    return out, first.transformed(size / (x1 - x0), x0, y0, (size, size))


def track_features(track_path: Path, frames: int, fps: float) -> torch.Tensor | None:
    if not track_path.is_file():
        return None
    track = EmotionTrack.load(track_path)
    if abs(track.fps - fps) > 1e-3:  # resample by time to the video's frames
        idx = np.minimum((np.arange(frames) / fps * track.fps).round().astype(int), track.num_frames - 1)
        track = EmotionTrack(fps=fps, probs=track.probs[idx], intensity=track.intensity[idx])
    return torch.from_numpy(emotion_features(track, frames))


# Same names as the EFP training data: `ectfg label-video` writes video.labels.json (a track plus per-frame labels).
TRACK_NAMES = ("track.json", "labels.json", "video.labels.json")


def track_file(folder: Path) -> Path:
    """The clip's emotion track file, or the first candidate name when there is none."""
    return next((folder / name for name in TRACK_NAMES if (folder / name).is_file()), folder / TRACK_NAMES[0])


@torch.no_grad()
def prepare_clip(models: DiffusionModels, folder: Path, size: int, chunk: int = 8) -> TrainingClip:
    video = folder / "video.mp4"
    info, decoded = open_video(video, max_side=None)
    frames, fps = list(decoded), info.fps
    if not frames:
        raise InputError(f"{video} has no video frames")
    frames = np.stack(frames)
    cropped, landmarks = crop_frames(frames, size)
    regions = hallo_regions(landmarks)
    vae = models.vae
    pixels = torch.from_numpy(cropped).permute(0, 3, 1, 2).float() / 127.5 - 1
    latents = torch.cat([vae.encode(pixels[i:i + chunk].to(vae.device, vae.dtype)).latent_dist.mean.float().cpu()
                         for i in range(0, len(pixels), chunk)]) * vae.config.scaling_factor
    speech = read_audio(video, WAV2VEC_SAMPLE_RATE)  # a clip without sound is refused: it would teach silence
    audio = frame_audio_features(models.audio_encoder, speech, WAV2VEC_SAMPLE_RATE, len(frames), fps)
    return TrainingClip(name=folder.name, latents=latents.half(), audio=audio.half(),
                        emotion=track_features(track_file(folder), len(frames), fps),
                        regions=torch.from_numpy(regions.stacked()), face_box=torch.from_numpy(regions.face_box), fps=fps)


def load_clips(models: DiffusionModels, data_dir: str | Path, cache_dir: Path, size: int, min_frames: int,
               progress: Progress | None = None) -> list[TrainingClip]:
    """Every clip long enough to train on, prepared once and cached (keyed by size, file time and cache version)."""
    progress = progress or Progress()
    folders = clip_folders(data_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    progress.stage("prepare", len(folders))
    clips = []
    for folder in folders:
        stamp = int((folder / "video.mp4").stat().st_mtime)
        track = track_file(folder)
        stamp_track = int(track.stat().st_mtime) if track.is_file() else 0
        cache = cache_dir / f"{folder.name}-{size}-{stamp}-{stamp_track}-v{CACHE_VERSION}.pt"
        if cache.is_file():
            clip = TrainingClip(**torch.load(cache, weights_only=True))
        else:
            clip = prepare_clip(models, folder, size)
            torch.save(clip.__dict__, cache)
        if clip.frames >= min_frames:
            clips.append(clip)
        progress.advance()
    progress.finish()
    if not clips:
        raise InputError(f"no clip in {data_dir} has the {min_frames} frames one training sample needs; use longer clips")
    return clips
