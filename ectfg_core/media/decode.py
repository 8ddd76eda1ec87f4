"""Decoding video files: RGB frames and the mono sound track, through the ffmpeg binary of imageio-ffmpeg (the one decoder)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.media.video import ffmpeg_exe

MAX_SIDE = 720  # frames larger than this are scaled down on decode: landmarks and 64-pixel crops need no more


@dataclass
class VideoInfo:
    fps: float
    width: int
    height: int
    duration: float  # seconds, as the container reports it (0 if unknown)

    @property
    def approx_frames(self) -> int:
        return max(1, int(round(self.duration * self.fps))) if self.duration > 0 else 0


def _check_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video not found: {path}; pass the path of an MP4 (or any file ffmpeg reads)")
    return path


def _scale_filter(max_side: int | None) -> list[str]:
    if not max_side:
        return []
    # Keep the aspect ratio, only shrink, even sizes for every pixel format.
    expr = f"scale='if(gt(iw,ih),min({max_side},iw),-2)':'if(gt(iw,ih),-2,min({max_side},ih))'"
    return ["-vf", expr]


def open_video(path: str | Path, max_side: int | None = MAX_SIDE) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """Video information and an iterator of (H, W, 3) uint8 RGB frames."""
    import imageio_ffmpeg

    path = _check_file(path)
    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24", output_params=_scale_filter(max_side))
    try:
        meta = reader.__next__()
    except (RuntimeError, OSError, StopIteration) as err:
        reader.close()
        raise InputError(f"cannot read the video {path} ({str(err).splitlines()[0] if str(err) else 'no video stream'}); "
                         "pass an MP4/MOV/AVI/FLV file with a video stream") from None
    width, height = (int(v) for v in meta["size"])
    info = VideoInfo(fps=float(meta.get("fps") or 25.0), width=width, height=height, duration=float(meta.get("duration") or 0.0))

    def frames() -> Iterator[np.ndarray]:
        try:
            for raw in reader:
                yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
        finally:
            reader.close()

    return info, frames()


def read_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """The first audio stream as mono float32 at sample_rate; InputError if the file has no audio."""
    path = _check_file(path)
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-vn", "-ac", "1", "-ar", str(int(sample_rate)),
           "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    result = subprocess.run(cmd, capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"cannot decode the audio of {path} ({message[-1] if message else 'ffmpeg failed'}); "
                         "pass a video with a sound track")
    samples = np.frombuffer(result.stdout, dtype="<i2").astype(np.float32) / 32768.0
    if samples.size == 0:
        raise InputError(f"{path} has no audio stream; the speech track is needed (re-mux it with its audio)")
    return samples
