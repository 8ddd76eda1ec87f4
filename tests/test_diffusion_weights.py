"""Weights: a models folder laid out like Hallo's users have it, the key mapping round trip, and loud failures."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from diffusion_tiny import fast_settings, make_root, tiny_inputs, tiny_models, train_emotion
from safetensors.torch import save_file

from ectfg_core.diffusion.config import Architecture
from ectfg_core.diffusion.keymap import ours_to_hallo
from ectfg_core.diffusion.sampler import EmotionGuidedSampler, encode_conditioning
from ectfg_core.diffusion.weights import load_models, save_emotion_weights
from ectfg_core.errors import ModelError


@pytest.fixture(scope="module")
def source():
    return tiny_models(seed=3, audio_encoder=True)


def load(root: Path, **kwargs):
    return load_models(root, arch=Architecture.tiny(), **kwargs)


def assert_same_weights(a, b, fusion: bool = False):
    """Equal tensors; an untrained fusion is random except its zero output layer, which makes the rest inactive."""
    sa, sb = a.state_dict(), b.state_dict()
    assert set(sa) == set(sb)
    for key in sa:
        if fusion or not key.startswith("fusion.") or key.startswith("fusion.emotion_proj.4."):
            assert torch.equal(sa[key], sb[key]), key


def video(models):
    ref, features, regions, box = tiny_inputs(models, 4)
    tokens = encode_conditioning(models, features, None)
    return EmotionGuidedSampler(models).sample(ref, tokens, regions, box, 4, fast_settings())


@pytest.mark.parametrize("hallo", ["hallo/net.pth", "hallo/net.safetensors"])
def test_hallo_named_checkpoint_loads_back_exactly(tmp_path, source, hallo):
    root = make_root(tmp_path, source, hallo)
    state = torch.load(root / hallo, weights_only=True) if hallo.endswith(".pth") else None
    if state is not None:  # the file really uses Hallo's module names
        assert {k.split(".")[0] for k in state} == {"reference_unet", "denoising_unet", "face_locator", "imageproj", "audioproj"}
        assert any(".temporal_transformer.transformer_blocks.0.attention_blocks.1.pos_encoder.pe" in k for k in state)
        assert "imageproj.proj.weight" in state
    loaded = load(root)
    assert_same_weights(loaded, source)
    assert loaded.emotion_weights is None
    assert torch.equal(video(loaded), video(source))


def test_a_checkpoint_of_another_size_brings_its_architecture_along(tmp_path, source):
    """Hallo's net.pth has no config: its size is Hallo's. Exported at another size, an architecture.json beside it
    says which, so the loader (the node, the CLI) needs no architecture argument; a broken one is named."""
    root = make_root(tmp_path, source)
    assert (root / "hallo/architecture.json").is_file()
    loaded = load_models(root)
    assert loaded.arch == source.arch
    assert_same_weights(loaded, source)
    (root / "hallo/architecture.json").write_text("{not json")
    with pytest.raises(ModelError, match="architecture.json.*delete it"):
        load_models(root)
    (root / "hallo/architecture.json").unlink()  # Hallo's architecture then: the tiny weights do not fit it
    with pytest.raises(ModelError):
        load_models(root)


def test_checkpoint_split_per_module_loads_too(tmp_path, source):
    root = make_root(tmp_path, source)
    state = torch.load(root / "hallo/net.pth", weights_only=True)
    (root / "hallo/net.pth").unlink()
    for part in ("reference_unet", "denoising_unet", "face_locator", "imageproj", "audioproj"):
        save_file({k[len(part) + 1:]: v for k, v in state.items() if k.startswith(part + ".")}, str(root / f"hallo/{part}.safetensors"))
    assert_same_weights(load(root), source)


def test_missing_files_are_listed_in_one_message(tmp_path):
    with pytest.raises(ModelError) as err:
        load(tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path) in message
    for expected in ("stable-diffusion-v1-5/unet/config.json", "sd-vae-ft-mse", "wav2vec2-base-960h", "hallo/net.pth", "huggingface.co"):
        assert expected in message


def rewrite(root: Path, change) -> None:
    path = root / "hallo/net.pth"
    state = torch.load(path, weights_only=True)
    change(state)
    torch.save(state, path)


def test_mismatched_unexpected_and_missing_keys_fail_loudly(tmp_path, source):
    root = make_root(tmp_path / "shape", source)
    rewrite(root, lambda s: s.__setitem__("audioproj.proj1.weight", torch.zeros(3, 3)))
    with pytest.raises(ModelError, match=r"another shape.*audioproj\.proj1\.weight \(3, 3\)"):
        load(root)

    root = make_root(tmp_path / "extra", source)
    rewrite(root, lambda s: s.__setitem__("denoising_unet.up_blocks.9.attentions.0.proj_in.weight", torch.zeros(1)))
    with pytest.raises(ModelError, match=r"1 unexpected keys \(e\.g\. denoising_unet\.up_blocks\.9"):
        load(root)

    root = make_root(tmp_path / "missing", source)
    motion_key = "denoising_unet.mid_block.motion_modules.0.temporal_transformer.proj_in.weight"
    rewrite(root, lambda s: s.pop(motion_key))
    missing = r"1 missing keys \(e\.g\. denoiser\.unet\.mid_block\.motion_modules\.0\.proj_in\.weight\).*mm_sd_v15_v2"
    with pytest.raises(ModelError, match=missing):
        load(root)

    (root / "hallo/net.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot read"):
        load(root)


def test_keys_hallo_lacks_come_from_the_animatediff_motion_module(tmp_path, source):
    root = make_root(tmp_path, source)
    motion = {k: v for k, v in source.hallo_state_dict().items() if ".motion_modules." in k}
    rewrite(root, lambda s: [s.pop(k) for k in list(s) if ".motion_modules." in k])
    animatediff = {}
    for key, value in motion.items():  # AnimateDiff's own names: Hallo's without the denoising_unet prefix
        for hallo_key in ours_to_hallo(key):
            animatediff[hallo_key[len("denoising_unet."):]] = value
    (root / "animatediff_models").mkdir()
    torch.save(animatediff, root / "animatediff_models/mm_sd_v15_v2.ckpt")
    assert_same_weights(load(root), source)


def test_emotion_weights_load_on_top_and_bad_ones_are_refused(tmp_path, source):
    trained = tiny_models(seed=3, audio_encoder=True)
    train_emotion(trained)
    root = make_root(tmp_path, source)
    save_emotion_weights(trained, root / "ectfg/emotion_fusion.safetensors")
    loaded = load(root)
    assert loaded.emotion_weights.endswith("emotion_fusion.safetensors")
    for key, value in trained.trainable_state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key

    bad = tmp_path / "bad.safetensors"
    save_file({"fusion.gate.weight": torch.zeros(2, 2)}, str(bad), metadata={"format": "something/else"})
    with pytest.raises(ModelError, match="not an ectfg emotion weights file"):
        load(root, emotion=bad)
    partial = tmp_path / "partial.safetensors"
    state = {k: v for k, v in trained.trainable_state_dict().items() if k.startswith("fusion.") and "gate" not in k}
    save_file(state, str(partial), metadata={"format": "ectfg.emotion/1"})
    with pytest.raises(ModelError, match=r"missing keys \(e\.g\. fusion\.gate"):
        load(root, emotion=partial)
    with pytest.raises(ModelError, match="not found"):
        load(root, emotion=tmp_path / "nope.safetensors")
