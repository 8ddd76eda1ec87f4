"""`ectfg sample`, `ectfg train-sampler` and the sampler bench as a user runs them (tiny weights on the CPU)."""

from __future__ import annotations

import json
import re

import pytest
from diffusion_tiny import make_root, tiny_models

from ectfg_core.cli import OneLineParser
from ectfg_core.commands import bench, sample, train_sampler
from ectfg_core.errors import InputError, ModelError
from ectfg_core.media.video import probe_durations


def run(*argv: str) -> int:
    """The subcommands as ectfg's parser registers them (cli.py adds them to its COMMANDS)."""
    parser = OneLineParser(prog="ectfg")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    sample.register(sub)
    train_sampler.register(sub)
    bench.register(sub)
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_sample_without_weights_says_what_is_missing_before_any_work(tmp_path):
    out = tmp_path / "clip.mp4"
    with pytest.raises(ModelError) as err:
        run("sample", "--text", "Hello there.", "--out", str(out), "--models", str(tmp_path / "models"))
    assert "\n" not in str(err.value) and "hallo/net.pth" in str(err.value)
    assert not out.exists()
    with pytest.raises(InputError, match="must end in .mp4"):
        run("sample", "--text", "Hello", "--out", str(tmp_path / "clip.avi"))


def test_sample_writes_a_synchronised_mp4_and_sidecar(tmp_path, capsys):
    root = make_root(tmp_path / "models", tiny_models(seed=4, audio_encoder=True))
    out = tmp_path / "clip.mp4"
    code = run("sample", "--text", "Hi there.", "--emotion", "suddenly furious", "--out", str(out), "--models", str(root),
               "--size", "128", "--steps", "1", "--cfg", "1", "--clip-length", "8", "--precision", "fp32", "--device", "cpu",
               "--guide-strength", "0.7", "--content", "0", "--expression-strength", "1.5", "--quiet")
    assert code == 0
    captured = capsys.readouterr()
    frames = int(re.search(r"\((\d+) frames", captured.out).group(1))
    assert "no trained emotion weights" in captured.err
    durations = probe_durations(out)
    assert durations["width"] == 128 and durations["has_h264"] and durations["has_aac"]
    assert abs(durations["video"] - frames / 25.0) < 0.05 and abs(durations["audio"] - durations["video"]) < 0.05
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["diffusion"]["steps"] == 1 and sidecar["diffusion"]["emotion_weights"] is None
    # The options `generate` has reach the speech and the guide frames here too.
    assert sidecar["settings"]["expression_strength"] == 1.5 and sidecar["plan"]["content"] == 0
    assert len(sidecar["track"]["frames"]) == frames


def test_sample_uses_the_speech_backend_it_is_given(tmp_path):
    """`ectfg sample` once took --backend, --speaker and --aligner and spoke with espeak-ng whatever they said."""
    root = make_root(tmp_path / "models", tiny_models(seed=4, audio_encoder=True))
    out = tmp_path / "clip.mp4"
    with pytest.raises(ModelError, match="tts model 'no-such-voice' not found"):
        run("sample", "--text", "Hi there.", "--out", str(out), "--models", str(root), "--backend", "no-such-voice",
            "--size", "128", "--steps", "1", "--precision", "fp32", "--device", "cpu", "--quiet")
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_train_sampler_checks_its_data_folder_first(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        run("train-sampler", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "out"))


def test_bench_prints_seconds_per_frame_and_peak_memory(capsys):
    assert run("bench", "--sampler", "--size", "16", "--steps", "1", "--frames", "4", "--arch", "tiny", "--device", "cpu") == 0
    report = capsys.readouterr().out
    row = next(line for line in report.splitlines() if line.startswith("ectfg EmotionGuidedSampler"))
    per_frame, total, peak = (float(x) for x in re.findall(r"\d+\.\d+", row))
    assert per_frame > 0 and total >= per_frame and peak > 0.05  # GiB of process RSS
    assert "16x16, 4 frames, 1 DDIM steps" in report


def test_bench_gives_hallo_the_noise_ours_draws_whatever_the_precision():
    """Some torch builds (2.11 on an H200 host) draw float16 normals on the CPU along another path than float32 ones:
    Hallo, drawing in fp16, sampled other noise than ours from the same seed, and the fp16 comparison on a GPU found
    the videos 0.17 apart on average."""
    import sys
    import types

    import torch

    from ectfg_core.diffusion.bench import _noise_in_float32

    asked: list[torch.dtype] = []

    def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
        asked.append(dtype)
        return torch.randn(shape, generator=generator, dtype=dtype)

    module = types.ModuleType("hallo_face_animate_stand_in")
    module.randn_tensor = randn_tensor
    pipeline_cls = type("FaceAnimatePipeline", (), {"__module__": module.__name__})
    sys.modules[module.__name__] = module
    try:
        _noise_in_float32(pipeline_cls)
        _noise_in_float32(pipeline_cls)  # a second pipeline in the same process wraps once
        noise = module.randn_tensor((2, 4, 16, 8, 8), generator=torch.Generator().manual_seed(42), dtype=torch.float16)
    finally:
        del sys.modules[module.__name__]
    ours = torch.randn((2, 4, 16, 8, 8), generator=torch.Generator().manual_seed(42), dtype=torch.float32)
    assert asked == [torch.float32] and noise.dtype == torch.float16
    assert torch.equal(noise, ours.to(torch.float16))
