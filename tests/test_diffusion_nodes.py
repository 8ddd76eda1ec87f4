"""The diffusion nodes, loaded the way ComfyUI loads the plugin, run as a graph on tiny weights without a server."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from diffusion_tiny import make_root, tiny_models

from ectfg_core.errors import InputError, ModelError

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = {"diffusion_loader_node": "DiffusionModelLoader", "fusion_node": "GatedEmotionFusion",
                "sampler_node": "EmotionGuidedSampler"}


@pytest.fixture(scope="module")
def nodes():
    if "ectfg_plugin" not in sys.modules:
        spec = importlib.util.spec_from_file_location("ectfg_plugin", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
        module = importlib.util.module_from_spec(spec)
        sys.modules["ectfg_plugin"] = module
        spec.loader.exec_module(module)
    return {cls: getattr(importlib.import_module(f"ectfg_plugin.nodes.{mod}"), cls) for mod, cls in NODE_MODULES.items()}


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return make_root(tmp_path_factory.mktemp("models"), tiny_models(seed=2, audio_encoder=True))


def test_nodes_are_documented(nodes):
    for name, cls in nodes.items():
        assert cls.CATEGORY.startswith("ectfg/") and len(cls.DESCRIPTION) > 80, name
        assert len(cls.RETURN_TYPES) == len(cls.RETURN_NAMES) == len(cls.OUTPUT_TOOLTIPS), name
        assert callable(getattr(cls(), cls.FUNCTION))
        for group in cls.INPUT_TYPES().values():
            for input_name, spec in group.items():
                assert spec[1].get("tooltip"), f"{name}.{input_name} has no tooltip"


def test_graph_speech_to_photoreal_frames(nodes, tiny_root, astronaut):
    plugin = sys.modules["ectfg_plugin"].NODE_CLASS_MAPPINGS
    models = nodes["DiffusionModelLoader"]().run("none (audio only)", "fp32", str(tiny_root))[0]
    assert models.emotion_weights is None
    _, speech, _ = plugin["ECTFG_EmotionalTTS"]().run("Hello there.", "very happy", "en-us", 200)
    track, _ = plugin["ECTFG_EmotionFluctuationPredictor"]().run(speech, 25.0)
    image = torch.from_numpy(astronaut).float()[None] / 255.0
    _, lip, expression, pose, face = plugin["ECTFG_FaceMaskExtractor"]().run(image, 128, "face")
    tokens, info = nodes["GatedEmotionFusion"]().run(models, speech, track, 1.0, 8)
    assert "audio-only" in info and tokens.num_frames == track.track.num_frames
    guides, _, _, _ = plugin["ECTFG_EmbeddedRenderer"]().run(face, speech, track, 0)
    frames, audio, fps, _ = nodes["EmotionGuidedSampler"]().run(models, tokens, face, 1, 1.0, 3, 1.0, 1.0, 1.0, guide_frames=guides,
                                                                guide_strength=0.6, lip_mask=lip, expression_mask=expression,
                                                                pose_mask=pose)
    assert frames.shape == (track.track.num_frames, 128, 128, 3) and frames.dtype == torch.float32
    assert 0.0 <= float(frames.min()) and float(frames.max()) <= 1.0 and fps == 25.0
    assert abs(audio["waveform"].shape[-1] / audio["sample_rate"] - frames.shape[0] / fps) < 1 / fps
    with pytest.raises(InputError, match="all three region masks"):
        nodes["EmotionGuidedSampler"]().run(models, tokens, face, 1, 1.0, 3, 1.0, 1.0, 1.0, lip_mask=lip)


def test_loader_names_missing_weights(nodes, tmp_path):
    with pytest.raises(ModelError, match="hallo/net.pth"):
        nodes["DiffusionModelLoader"]().run("none (audio only)", "auto", str(tmp_path))


def test_loader_takes_a_converted_pipeline_folder(nodes, tiny_root, tmp_path):
    """`ectfg convert-hallo`'s folder in the loader's models_dir gives the same networks as Hallo's files."""
    from ectfg_core.diffusion.guided_pipeline import EmotionGuidedPipeline
    from ectfg_core.diffusion.weights import load_models

    EmotionGuidedPipeline.from_models(load_models(str(tiny_root))).save_pretrained(str(tmp_path / "converted"))
    hallo = nodes["DiffusionModelLoader"]().run("none (audio only)", "fp32", str(tiny_root))[0]
    converted = nodes["DiffusionModelLoader"]().run("none (audio only)", "fp32", str(tmp_path / "converted"))[0]
    assert converted.arch == hallo.arch and converted.emotion_weights is None
    before, after = hallo.state_dict(), converted.state_dict()
    assert before.keys() == after.keys()
    # An untrained fusion's hidden layers are drawn at random on each load; its zero output layer makes them moot.
    assert all(torch.equal(before[k], after[k]) for k in before if not k.startswith("fusion."))
    assert not converted.fusion.emotion_proj[-1].weight.any()
