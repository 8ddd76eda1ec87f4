"""What the plugin sets up inside ComfyUI: model folders, example inputs, and input checks of the face and render
nodes. A stand-in `folder_paths` module plays ComfyUI's part."""

from __future__ import annotations

import os
import sys
import types
import wave

import pytest

from ectfg_core.errors import ModelError


@pytest.fixture
def fake_comfy(tmp_path, monkeypatch):
    """A minimal folder_paths as ComfyUI has it, with one of our keys already taken by another pack."""
    module = types.ModuleType("folder_paths")
    module.models_dir = str(tmp_path / "models")
    module.folder_names_and_paths = {
        "checkpoints": ([str(tmp_path / "models" / "checkpoints")], {".safetensors"}),
        "wav2vec2": ([str(tmp_path / "elsewhere" / "wav2vec2")], {".bin"}),
    }
    module.get_folder_paths = lambda key: list(module.folder_names_and_paths[key][0])

    def add_model_folder_path(key: str, path: str, is_default: bool = False) -> None:  # as ComfyUI's, without is_default
        if key in module.folder_names_and_paths:
            paths = module.folder_names_and_paths[key][0]
            if path not in paths:
                paths.append(path)
        else:
            module.folder_names_and_paths[key] = ([path], set())

    module.add_model_folder_path = add_model_folder_path
    module.get_input_directory = lambda: str(tmp_path / "input")
    monkeypatch.setitem(sys.modules, "folder_paths", module)
    return module


def test_model_folders_register_once_beside_other_packs(fake_comfy, tmp_path):
    from ectfg_core.model_folders import FOLDERS, model_roots, register

    assert register() and register()
    registry = fake_comfy.folder_names_and_paths
    assert set(FOLDERS) <= set(registry)
    assert registry["ectfg_efp"][0] == [os.path.join(fake_comfy.models_dir, "ectfg_efp")]
    # Another pack's folder stays first; ours is added once, and its file types widened for config files.
    assert registry["wav2vec2"][0] == [str(tmp_path / "elsewhere" / "wav2vec2"), os.path.join(fake_comfy.models_dir, "wav2vec2")]
    assert {".bin", ".json", ".safetensors"} <= registry["wav2vec2"][1]
    assert registry["checkpoints"][0] == [str(tmp_path / "models" / "checkpoints")]  # core folders untouched
    assert model_roots("hallo") == [tmp_path / "models" / "hallo"]


def test_model_dropdowns_list_what_is_there(fake_comfy, tmp_path):
    from ectfg_core.model_folders import list_model_dirs, list_model_files, resolve

    (tmp_path / "models" / "tts" / "parler-tiny").mkdir(parents=True)
    (tmp_path / "models" / "tts" / "parler-tiny" / "config.json").write_text("{}")
    (tmp_path / "models" / "tts" / ".cache").mkdir()
    (tmp_path / "models" / "animatediff_models").mkdir(parents=True)
    (tmp_path / "models" / "animatediff_models" / "mm_sd_v15_v2.ckpt").write_bytes(b"x")
    assert list_model_dirs("tts") == ["parler-tiny"]
    assert list_model_files("animatediff_models") == ["mm_sd_v15_v2.ckpt"]
    assert resolve("tts", "parler-tiny") == tmp_path / "models" / "tts" / "parler-tiny"
    with pytest.raises(ModelError, match=r"'missing' not found; put Hallo's checkpoint .* in .*models/hallo/missing"):
        resolve("hallo", "missing")
    with pytest.raises(KeyError, match="unknown ectfg model folder"):
        list_model_dirs("loras")


def test_without_comfyui_models_come_from_the_environment(monkeypatch, tmp_path):
    from ectfg_core import model_folders

    monkeypatch.setitem(sys.modules, "folder_paths", None)  # import folder_paths -> ImportError
    monkeypatch.delenv("ECTFG_MODELS_DIR", raising=False)
    assert model_folders.register() is False
    assert model_folders.model_roots("tts") == []
    with pytest.raises(ModelError, match="set ECTFG_MODELS_DIR"):
        model_folders.resolve("tts", "x")
    monkeypatch.setenv("ECTFG_MODELS_DIR", str(tmp_path))
    assert model_folders.model_roots("ectfg_efp") == [tmp_path / "ectfg_efp"]


def test_example_inputs_are_written_once(fake_comfy, tmp_path):
    from ectfg_core.media.images import default_portrait_path
    from nodes.examples import EXAMPLE_PORTRAIT, EXAMPLE_SPEECH, install_examples

    install_examples()
    portrait, speech = tmp_path / "input" / EXAMPLE_PORTRAIT, tmp_path / "input" / EXAMPLE_SPEECH
    assert portrait.read_bytes() == default_portrait_path().read_bytes()
    with wave.open(str(speech)) as clip:
        seconds = clip.getnframes() / clip.getframerate()
    assert 3.0 < seconds < 12.0  # the whole example sentence
    speech.write_bytes(b"user's own file")
    install_examples()
    assert speech.read_bytes() == b"user's own file"  # never overwritten
    assert not list((tmp_path / "input").glob(".*partial"))


def test_example_inputs_never_break_the_plugin(tmp_path, caplog):
    from nodes.examples import install_example_portrait

    blocker = tmp_path / "input"
    blocker.write_text("a file where the input folder should be")
    assert install_example_portrait(blocker) is None
    assert "could not write the example input" in caplog.text


@pytest.mark.parametrize("size, ok", [(512, True), (128, True), (None, True), (500, "not a multiple of 8"), (4096, "out of range")])
def test_face_size_is_checked_with_a_clear_message(size, ok):
    from nodes.face_node import FaceMaskExtractor

    result = FaceMaskExtractor.VALIDATE_INPUTS(size=size)
    assert result is True if ok is True else ok in result

