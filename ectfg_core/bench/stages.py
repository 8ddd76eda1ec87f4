"""`ectfg bench`: seconds and real-time factor per stage for an utterance of a given length."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator

import numpy as np

from ectfg_core.efp.embedded import predict_embedded
from ectfg_core.face.framing import frame_portrait
from ectfg_core.face.masks import extract_masks
from ectfg_core.media.audio import fit_to_frames, frame_count
from ectfg_core.media.images import load_image
from ectfg_core.media.video import write_mp4
from ectfg_core.pipeline import JobOptions, generate, speak
from ectfg_core.render.parallel import default_workers, render_in_workers
from ectfg_core.render.renderer import PortraitAnimator

BENCH_TEXT = (
    "I honestly did not expect the results to come back this quickly, but here they are. "
    "The first numbers looked fine, then everything changed when we opened the last folder, "
    "and now I am not sure what to tell the others about the money, the plans, or the door we left open."
)
BENCH_EMOTION = "starts calm, grows irritated, then suddenly furious at 'changed', ends in a sad whisper"


def _text_of_length(seconds: float) -> str:
    """A prefix of BENCH_TEXT (repeated if needed) whose speech lasts about `seconds`."""
    words = BENCH_TEXT.split()
    while len(words) < 200:
        words += BENCH_TEXT.split()
    count = 40
    for _ in range(4):  # speech is not linear in words (pauses, emotion), so refine the estimate a few times
        duration = speak(" ".join(words[:count]), BENCH_EMOTION).speech.duration
        count = max(3, min(len(words), int(round(count * seconds / duration))))
    return " ".join(words[:count])


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run_bench(size: int = 512, fps: float = 25.0, seconds: float = 10.0) -> str:
    """Run each stage once on the bundled portrait; return the printed report."""
    text = _text_of_length(seconds)
    image = load_image(None)
    rows: list[tuple[str, float]] = []

    portrait, t_face = _timed(lambda: frame_portrait(image, size=size))
    _, t_masks = _timed(lambda: extract_masks(portrait.landmarks))
    rows += [("face: framing + landmarks", t_face), ("face: masks", t_masks)]
    spoken, t_tts = _timed(lambda: speak(text, BENCH_EMOTION))
    rows.append(("tts + plan (espeak-ng)", t_tts))
    audio_seconds = spoken.speech.duration
    num_frames = frame_count(audio_seconds, fps)

    from ectfg_core.audio.features import frame_features

    audio, t_feat = _timed(lambda: frame_features(spoken.speech.samples, spoken.speech.sample_rate, fps, num_frames))
    prediction, t_efp = _timed(lambda: predict_embedded(spoken.plan, audio, num_frames))
    rows += [("audio features", t_feat), ("efp (embedded)", t_efp)]

    animator, t_setup = _timed(lambda: PortraitAnimator(portrait.image, portrait.landmarks, seed=0))
    controls = animator.controls_for(spoken.speech.phonemes, audio.energy, prediction.track, num_frames, fps)
    frames, t_render = _timed(lambda: [animator.render(row) for row in controls])
    rows += [("render: setup", t_setup), ("render: frames", t_render)]
    workers = default_workers()  # as `ectfg generate` renders: in worker processes where the machine has the cores
    t_workers, same = None, True
    if workers > 1:
        same, t_workers = _timed(lambda: _frames_match(render_in_workers(animator, controls, workers), frames))

    samples = fit_to_frames(spoken.speech.samples, spoken.speech.sample_rate, num_frames, fps)
    with tempfile.TemporaryDirectory() as tmp:
        _, t_encode = _timed(lambda: write_mp4(os.path.join(tmp, "bench.mp4"), frames, fps, samples, spoken.speech.sample_rate))
        rows.append(("encode (H.264 + AAC)", t_encode))
        _, t_total = _timed(
            lambda: generate(os.path.join(tmp, "total.mp4"), text, BENCH_EMOTION, image, JobOptions(fps=fps, size=size))
        )

    lines = [
        f"ectfg bench: {audio_seconds:.2f} s of speech, {num_frames} frames at {size}x{size}, {fps:g} fps, "
        f"{os.cpu_count()} CPU cores",
        f"{'stage':<28}{'seconds':>9}{'RTF':>8}",
    ]
    for name, secs in rows:
        lines.append(f"{name:<28}{secs:9.3f}{secs / audio_seconds:8.3f}")
    lines.append(f"{'sum of stages':<28}{sum(s for _, s in rows):9.3f}{sum(s for _, s in rows) / audio_seconds:8.3f}")
    lines.append(f"{'total (ectfg generate)':<28}{t_total:9.3f}{t_total / audio_seconds:8.3f}")
    lines.append(f"renderer alone: {num_frames / max(t_render, 1e-9):.1f} frames/s in one process")
    if t_workers is not None:
        lines.append(f"renderer alone: {num_frames / max(t_workers, 1e-9):.1f} frames/s in {workers} worker processes "
                     f"(as `ectfg generate` renders; frames {'identical' if same else 'DIFFERENT'} to one process)")
    lines.append("RTF = seconds of work per second of speech; below 1.0 is faster than real time.")
    peak = _peak_rss_mb()
    if peak:
        lines.append(f"peak memory (RSS): {peak:.0f} MiB")
    return "\n".join(lines)


def _frames_match(frames: Iterator[np.ndarray], expected: list[np.ndarray]) -> bool:
    """Consume frames (none is kept) and say whether each equals the expected one, byte for byte."""
    same = True
    for frame, reference in zip(frames, expected, strict=True):
        same = same and np.array_equal(frame, reference)
    return same


def _peak_rss_mb() -> float | None:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except ImportError:  # pragma: no cover - not on POSIX
        return None
