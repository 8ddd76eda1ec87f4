"""The learned EFP model: encoders from local folders, output shapes, exact save/load, clear errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from efp_fixtures import SAMPLE_RATE, build_tiny_encoders, synthetic_dataset

from ectfg_core.efp.config import EFPConfig
from ectfg_core.efp.model import EmotionFluctuationModel
from ectfg_core.errors import InputError, ModelError
from ectfg_core.types.emotion import NUM_EMOTIONS

SMALL = {"hidden_size": 32, "num_layers": 1, "num_heads": 2}


@pytest.fixture(scope="module")
def encoders(tmp_path_factory):
    return build_tiny_encoders(tmp_path_factory.mktemp("encoders"))


@pytest.fixture(scope="module")
def example():
    return synthetic_dataset(1, seed=3)[0]


def test_outputs_per_frame_and_per_word(encoders, example):
    model = EmotionFluctuationModel.create(*encoders, **SMALL)
    assert model.config.audio_dim == 32 and model.config.text_dim == 24
    out = model.predict(example.samples, SAMPLE_RATE, example.words, num_frames=40, fps=25.0)
    assert out.frame_probs.shape == (40, NUM_EMOTIONS) and out.frame_intensity.shape == (40,)
    assert out.word_probs.shape == (len(example.words), NUM_EMOTIONS)
    np.testing.assert_allclose(out.frame_probs.sum(axis=1), 1.0, atol=1e-5)
    assert ((out.frame_intensity > 0) & (out.frame_intensity < 1)).all()
    # Speech at another sample rate is resampled for the encoder: same number of outputs.
    again = model.predict(example.samples[::2], SAMPLE_RATE // 2, example.words, num_frames=40, fps=25.0)
    assert again.frame_probs.shape == (40, NUM_EMOTIONS)


def test_save_load_round_trip_is_exact(tmp_path, encoders, example):
    torch.manual_seed(1)
    model = EmotionFluctuationModel.create(*encoders, **SMALL)
    with torch.no_grad():
        for p in model.head.parameters():
            p.add_(0.1 * torch.randn_like(p))  # not the initial values: every tensor must travel
    folder = model.save_pretrained(tmp_path / "efp")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    loaded = EmotionFluctuationModel.from_pretrained(folder)
    for (name, a), (_, b) in zip(model.head.state_dict().items(), loaded.head.state_dict().items()):
        assert torch.equal(a, b), name
    a = model.predict(example.samples, SAMPLE_RATE, example.words, 30, 25.0)
    b = loaded.predict(example.samples, SAMPLE_RATE, example.words, 30, 25.0)
    assert np.array_equal(a.frame_probs, b.frame_probs) and np.array_equal(a.word_intensity, b.word_intensity)


def test_encoders_inside_the_model_folder_travel_with_it(tmp_path, encoders, example):
    folder = tmp_path / "bundle"
    for enc in encoders:
        shutil.copytree(enc, folder / enc.name)
    model = EmotionFluctuationModel.create(folder / encoders[0].name, folder / encoders[1].name, **SMALL)
    model.save_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    assert config["audio_encoder"] == "tiny-wav2vec2" and config["text_encoder"] == "tiny-bert"
    moved = shutil.move(str(folder), str(tmp_path / "moved"))
    loaded = EmotionFluctuationModel.from_pretrained(moved)
    assert loaded.predict(example.samples, SAMPLE_RATE, example.words, 10, 25.0).frame_probs.shape == (10, NUM_EMOTIONS)


def test_audio_only_and_text_only(encoders, example):
    for audio, text in ((encoders[0], None), (None, encoders[1])):
        model = EmotionFluctuationModel.create(audio, text, **SMALL)
        out = model.predict(example.samples, SAMPLE_RATE, example.words, 20, 25.0)
        assert out.frame_probs.shape == (20, NUM_EMOTIONS) and np.isfinite(out.word_probs).all()
    with pytest.raises(InputError, match="needs an audio encoder, a text encoder or both"):
        EmotionFluctuationModel.create(None, None)


def test_long_speech_is_encoded_in_chunks(encoders, example):
    model = EmotionFluctuationModel.create(encoders[0], None, chunk_seconds=0.5, **SMALL)
    whole = EmotionFluctuationModel.create(encoders[0], None, **SMALL)
    a = model.encode(example.samples, SAMPLE_RATE, example.words)
    b = whole.encode(example.samples, SAMPLE_RATE, example.words)
    chunks = int(np.ceil(len(example.samples) / (0.5 * SAMPLE_RATE)))
    assert chunks >= 3
    # Each chunk boundary may lose a frame or two to the convolutional front end; the frame rate stays right.
    assert 0 <= len(b.audio) - len(a.audio) <= 2 * (chunks - 1) and abs(a.audio_fps - b.audio_fps) / b.audio_fps < 0.05


def test_missing_and_mismatched_files_are_named(tmp_path, encoders):
    with pytest.raises(ModelError, match="must hold config.json and model.safetensors"):
        EmotionFluctuationModel.from_pretrained(tmp_path / "nothing")
    model = EmotionFluctuationModel.create(*encoders, **SMALL)
    folder = model.save_pretrained(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["hidden_size"] = 64
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="does not match its config.json|config.json implies"):
        EmotionFluctuationModel.from_pretrained(folder)
    config["hidden_size"], config["text_dim"] = 32, 48
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="hidden size 24"):
        EmotionFluctuationModel.from_pretrained(folder)
    config["text_dim"], config["audio_encoder"] = 24, str(tmp_path / "gone")
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="audio encoder folder .*gone not found"):
        EmotionFluctuationModel.from_pretrained(folder)
    empty = tmp_path / "empty-encoder"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="lacks model.safetensors"):
        EmotionFluctuationModel.create(empty, None)
    (folder / "config.json").write_text(json.dumps({"format": "something/1"}))
    with pytest.raises(ModelError, match="not an ectfg EFP model folder"):
        EFPConfig.load(folder)
