"""The backbone as a diffusers pipeline: `ectfg convert-hallo` writes it once, diffusers loads it back, and the sampler
gives the same video from it as from Hallo's files (tiny random weights on the CPU)."""

from __future__ import annotations

import hashlib

import pytest
import torch
from diffusion_tiny import make_root, tiny_models, train_emotion

from ectfg_core.cli import OneLineParser
from ectfg_core.commands import convert_hallo, sample
from ectfg_core.diffusion.files import locate
from ectfg_core.diffusion.guided_pipeline import EmotionGuidedPipeline
from ectfg_core.diffusion.weights import load_models, save_emotion_weights
from ectfg_core.errors import InputError, ModelError


def run(*argv: str) -> int:
    parser = OneLineParser(prog="ectfg")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    convert_hallo.register(sub)
    sample.register(sub)
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_a_saved_pipeline_loads_back_the_same_networks(tmp_path):
    models = tiny_models(seed=2, audio_encoder=True)
    EmotionGuidedPipeline.from_models(models).save_pretrained(str(tmp_path / "pipe"))
    assert (tmp_path / "pipe" / "model_index.json").is_file() and (tmp_path / "pipe" / "denoiser" / "config.json").is_file()
    loaded = load_models(str(tmp_path / "pipe"))
    assert loaded.arch == models.arch
    before, after = models.state_dict(), loaded.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert loaded.scheduler().config.num_train_timesteps == models.scheduler().config.num_train_timesteps
    assert loaded.emotion_weights is None  # untrained fusion stays marked untrained


def test_convert_hallo_gives_the_same_video_as_hallos_files(tmp_path, capsys):
    models = tiny_models(seed=4, audio_encoder=True)
    train_emotion(models)
    root = make_root(tmp_path / "models", models)
    save_emotion_weights(models, root / "ectfg" / "emotion_fusion.safetensors")
    converted = tmp_path / "converted"
    assert run("convert-hallo", "--models", str(root), "--out", str(converted), "--precision", "fp32", "--quiet") == 0
    assert f"wrote {converted}" in capsys.readouterr().out
    assert locate(converted).pipeline == converted
    videos = {}
    for name, folder in (("hallo", root), ("converted", converted)):
        out = tmp_path / f"{name}.mp4"
        code = run("sample", "--text", "Hi there.", "--emotion", "suddenly furious", "--out", str(out), "--models", str(folder),
                   "--size", "128", "--steps", "1", "--cfg", "1", "--clip-length", "8", "--precision", "fp32",
                   "--device", "cpu", "--quiet")
        assert code == 0
        videos[name] = hashlib.sha256(out.read_bytes()).hexdigest()
    assert videos["hallo"] == videos["converted"]
    assert "no trained emotion weights" not in capsys.readouterr().err  # the trained fusion came along


def test_convert_hallo_refuses_to_overwrite_and_names_what_is_missing(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="--out .* already exists"):
        run("convert-hallo", "--models", str(tmp_path), "--out", str(taken))
    assert (taken / "keep.txt").read_text() == "mine"
    with pytest.raises(ModelError, match="hallo/net.pth"):
        run("convert-hallo", "--models", str(tmp_path / "empty"), "--out", str(tmp_path / "new"))
    assert not (tmp_path / "new").exists() and not (tmp_path / "new.partial").exists()


def test_a_damaged_pipeline_folder_is_named_with_the_fix(tmp_path):
    models = tiny_models(seed=2, audio_encoder=True)
    EmotionGuidedPipeline.from_models(models).save_pretrained(str(tmp_path / "pipe"))
    (tmp_path / "pipe" / "denoiser" / "diffusion_pytorch_model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError, match="convert-hallo"):
        load_models(str(tmp_path / "pipe"))


def test_calling_the_pipeline_runs_the_sampler_on_its_networks(portrait):
    import numpy as np
    from diffusion_tiny import fast_settings

    from ectfg_core.diffusion.animate import animate, audio_emotion_tokens
    from ectfg_core.face.framing import frame_portrait

    models = tiny_models(seed=3, audio_encoder=True)
    pipe = EmotionGuidedPipeline.from_models(models)
    small = frame_portrait(portrait.image, size=128)
    speech = np.random.default_rng(0).normal(0.0, 0.1, 8000).astype(np.float32)
    settings = fast_settings(clip_length=4)
    tokens = audio_emotion_tokens(models, speech, 16000, 6, 25.0, None, settings)
    direct = animate(models, small, tokens, fast_settings(clip_length=4))
    called = pipe(small, tokens, fast_settings(clip_length=4))
    assert called.shape == (6, 128, 128, 3) and torch.equal(called, direct)
