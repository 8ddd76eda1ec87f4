"""Inference with the learned EFP in the pipeline and the nodes: learned when weights are given or found, embedded
otherwise (said visibly), and blend weighing the description plan against the model."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest
import torch
from efp_fixtures import build_tiny_encoders

from ectfg_core.efp import learned
from ectfg_core.efp.model import EmotionFluctuationModel
from ectfg_core.errors import InputError, ModelError
from ectfg_core.pipeline import SpokenText, predict_track
from ectfg_core.types.emotion import EMOTION_INDEX, EmotionPlan, WordEmotion
from ectfg_core.types.speech import Speech

FPS = 25.0


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("efp")
    encoders = build_tiny_encoders(root)
    torch.manual_seed(0)
    model = EmotionFluctuationModel.create(*encoders, hidden_size=32, num_layers=1, num_heads=2)
    with torch.no_grad():  # push the model towards "angry" everywhere, so its influence is easy to see
        model.head.frame_emotion.bias[EMOTION_INDEX["angry"]] += 6.0
        model.head.word_emotion.bias[EMOTION_INDEX["angry"]] += 6.0
    return model.save_pretrained(root / "model")


@pytest.fixture(scope="module")
def utterance():
    rate = 16000
    t = np.arange(int(1.2 * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 200 * t) * (t > 0.1) * (t < 1.1)).astype(np.float32)
    words = [WordEmotion("hello", 0.1, 0.5, "happy", 0.8), WordEmotion("there", 0.6, 1.1, "happy", 0.8)]
    return EmotionPlan(words=words, description="happy"), Speech(samples=samples, sample_rate=rate)


def test_embedded_without_weights_says_so(monkeypatch, caplog, utterance):
    monkeypatch.delenv(learned.ENV_MODEL, raising=False)
    monkeypatch.setattr(learned, "_said", set())
    with caplog.at_level(logging.WARNING, logger="ectfg.efp"):
        prediction, audio = predict_track(*utterance, FPS)
    assert prediction.mode == "embedded" and len(audio) == prediction.track.num_frames == 30
    assert "embedded mode" in caplog.text and learned.ENV_MODEL in caplog.text


def test_learned_with_weights_and_blend(monkeypatch, caplog, model_dir, utterance):
    monkeypatch.setattr(learned, "_said", set())
    plan, speech = utterance
    embedded, _ = predict_track(plan, speech, FPS, efp_model=None)
    with caplog.at_level(logging.WARNING, logger="ectfg.efp"):
        only_model, _ = predict_track(plan, speech, FPS, efp_model=model_dir, blend=0.0)
    assert only_model.mode == "learned" and "learned mode" in caplog.text and str(model_dir) in caplog.text
    assert set(only_model.track.labels()) == {"angry"} and [w.emotion for w in only_model.plan.words] == ["angry", "angry"]
    only_plan, _ = predict_track(plan, speech, FPS, efp_model=model_dir, blend=1.0)
    np.testing.assert_allclose(only_plan.track.probs, embedded.track.probs, atol=1e-6)
    np.testing.assert_allclose(only_plan.track.intensity, embedded.track.intensity, atol=1e-6)
    assert [w.emotion for w in only_plan.plan.words] == ["happy", "happy"]
    half, _ = predict_track(plan, speech, FPS, efp_model=model_dir, blend=0.5)
    np.testing.assert_allclose(half.track.probs, 0.5 * embedded.track.probs + 0.5 * only_model.track.probs, atol=1e-5)
    assert half.plan.words[0].mixture and set(half.plan.words[0].mixture) >= {"happy", "angry"}


def test_environment_variable_and_errors(monkeypatch, model_dir, utterance, tmp_path):
    monkeypatch.setenv(learned.ENV_MODEL, str(model_dir))
    prediction, _ = predict_track(*utterance, FPS)
    assert prediction.mode == "learned"
    monkeypatch.setenv(learned.ENV_MODEL, str(tmp_path / "missing"))
    with pytest.raises(ModelError, match=rf"missing \(from \${learned.ENV_MODEL}\) not found"):
        predict_track(*utterance, FPS)
    monkeypatch.delenv(learned.ENV_MODEL)
    with pytest.raises(InputError, match="blend 1.5 is out of range"):
        predict_track(*utterance, FPS, blend=1.5)


def test_nodes_load_and_use_the_model(monkeypatch, model_dir, utterance, tmp_path):
    from nodes.efp_loader_node import NONE, EFPModelLoader
    from nodes.efp_node import EmotionFluctuationPredictor

    (tmp_path / "models" / "ectfg_efp").mkdir(parents=True)
    (tmp_path / "models" / "ectfg_efp" / model_dir.name).symlink_to(model_dir, target_is_directory=True)
    monkeypatch.setitem(sys.modules, "folder_paths", None)  # outside ComfyUI: models/ comes from the environment
    monkeypatch.setenv("ECTFG_MODELS_DIR", str(tmp_path / "models"))
    choices = EFPModelLoader.INPUT_TYPES()["required"]["model"][0]
    assert choices == [NONE, model_dir.name]
    (model,) = EFPModelLoader().run(model_dir.name)
    assert isinstance(model, EmotionFluctuationModel) and EFPModelLoader().run(NONE) == (None,)
    with pytest.raises(ModelError, match="not in models/ectfg_efp"):
        EFPModelLoader().run("other")
    plan, speech = utterance
    spoken = SpokenText(speech=speech, plan=plan, described=None)
    prediction, track_json = EmotionFluctuationPredictor().run(spoken, FPS, efp_model=model, blend=0.0)
    assert prediction.mode == "learned" and '"probs"' in track_json
    prediction, _ = EmotionFluctuationPredictor().run(spoken, FPS)
    assert prediction.mode == "embedded"
