"""Writing H.264 + AAC MP4 files with the ffmpeg binary that ships in the imageio-ffmpeg wheel."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ectfg_core.errors import InputError, ModelError
from ectfg_core.media.audio import write_wav

# Equal frames and audio give a byte-identical file on any machine: one encoder thread (x264's output depends on its
# thread count, which ffmpeg otherwise takes from the CPU count) and no version strings or encoder tags in the file.
BITEXACT = ["-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ModelError("imageio-ffmpeg is not installed; run `pip install imageio-ffmpeg` (it ships ffmpeg)") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    final = Path(path)
    if final.is_dir():
        raise InputError(f"output {final} is a folder; pass a file name such as {final / 'out.mp4'}")
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".partial{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; outputs should read like any other file
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_mp4(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int = 22050,
    crf: int = 18,
) -> Path:
    """Encode RGB uint8 frames (H.264, yuv420p) with optional mono audio (AAC). Nothing is left behind on failure."""
    import imageio_ffmpeg

    final = Path(path)
    with tempfile.TemporaryDirectory(prefix="ectfg-") as workdir, atomic_output(final) as tmp:
        audio_path = None
        if audio is not None:
            audio_path = os.path.join(workdir, "speech.wav")
            write_wav(audio_path, audio, sample_rate)
        writer = None
        count = 0
        try:
            for frame in frames:
                if writer is None:
                    height, width = frame.shape[:2]
                    writer = imageio_ffmpeg.write_frames(
                        str(tmp), (width, height), fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
                        macro_block_size=2, quality=None, audio_path=audio_path, audio_codec="aac",
                        ffmpeg_log_level="error",
                        output_params=["-crf", str(crf), "-preset", "veryfast", "-movflags", "+faststart", *BITEXACT],
                    )
                    writer.send(None)
                writer.send(np.ascontiguousarray(frame, dtype=np.uint8))
                count += 1
        finally:
            if writer is not None:
                writer.close()
        if count == 0:
            raise InputError("no video frames were produced; check that the text produced speech")
    return final


def probe_durations(path: str | Path) -> dict[str, float]:
    """Durations in seconds of the video and audio streams, read by decoding the file with ffmpeg."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    out: dict[str, float] = {}
    # The last progress line reports the decoded time per stream type; decode each stream alone for exact figures.
    for kind, flag in (("video", "-an"), ("audio", "-vn")):
        res = subprocess.run([ffmpeg_exe(), "-v", "info", "-i", str(path), flag, "-f", "null", "-"], capture_output=True, text=True)
        times = re.findall(r"time=(\d+):(\d+):(\d+\.\d+)", res.stderr)
        if times:
            h, m, s = times[-1]
            out[kind] = int(h) * 3600 + int(m) * 60 + float(s)
    match = re.search(r"Video: (\w+).*?, (\d+)x(\d+)", result.stderr)
    if match:
        out["width"], out["height"] = float(match.group(2)), float(match.group(3))
    out["has_h264"] = float("Video: h264" in result.stderr)
    out["has_aac"] = float("Audio: aac" in result.stderr)
    return out
