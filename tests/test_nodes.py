"""The ComfyUI adapters, loaded the way ComfyUI loads a custom node folder, and run without a server."""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plugin():
    # ComfyUI imports custom_nodes/<folder>/__init__.py as a package named after the folder.
    spec = importlib.util.spec_from_file_location("ectfg_plugin", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["ectfg_plugin"] = module
    spec.loader.exec_module(module)
    return module


def test_entry_point_exposes_mappings_and_web_directory(plugin):
    assert set(plugin.NODE_CLASS_MAPPINGS) == set(plugin.NODE_DISPLAY_NAME_MAPPINGS)
    assert {"ECTFG_EmotionalTTS", "ECTFG_EmotionFluctuationPredictor", "ECTFG_FaceMaskExtractor"} <= set(plugin.NODE_CLASS_MAPPINGS)
    assert (ROOT / plugin.WEB_DIRECTORY).is_dir()


def test_every_node_is_documented(plugin):
    for name, cls in plugin.NODE_CLASS_MAPPINGS.items():
        assert cls.CATEGORY.startswith("ectfg"), name
        assert len(cls.DESCRIPTION) > 40, name
        assert callable(getattr(cls(), cls.FUNCTION))
        assert len(cls.RETURN_TYPES) == len(cls.RETURN_NAMES) == len(cls.OUTPUT_TOOLTIPS)
        for group in cls.INPUT_TYPES().values():
            for input_name, spec in group.items():
                assert spec[1].get("tooltip"), f"{name}.{input_name} has no tooltip"


def test_graph_of_nodes_produces_frames_and_matching_audio(plugin, astronaut):
    nodes = plugin.NODE_CLASS_MAPPINGS
    audio, speech, plan_json = nodes["ECTFG_EmotionalTTS"]().run("Hello, my friend.", "very happy", "en-us", 165)
    assert audio["waveform"].ndim == 3 and audio["sample_rate"] == 22050
    assert '"happy"' in plan_json
    track, track_json = nodes["ECTFG_EmotionFluctuationPredictor"]().run(speech, 25.0)
    image = torch.from_numpy(astronaut).float()[None] / 255.0
    portrait, lip, expression, pose, face = nodes["ECTFG_FaceMaskExtractor"]().run(image, 256, "face")
    assert portrait.shape == (1, 256, 256, 3) and lip.shape == expression.shape == pose.shape == (1, 256, 256)
    frames, video_audio, fps, video = nodes["ECTFG_EmbeddedRenderer"]().run(face, speech, track, 0)
    if importlib.util.find_spec("comfy_api") is None:  # ComfyUI absent: the node still loads; IMAGE/AUDIO/FLOAT carry the video
        assert video is None
    assert fps == 25.0 and frames.shape[1:] == (256, 256, 3) and frames.dtype == torch.float32
    assert frames.shape[0] == track.track.num_frames
    seconds = video_audio["waveform"].shape[-1] / video_audio["sample_rate"]
    assert abs(seconds - frames.shape[0] / fps) < 1 / fps
    assert float((frames[1:] - frames[:-1]).abs().mean()) > 0  # it moves
    # The renderer hears the speech as the predictor did (the TRACK carries its audio frames): the same frames.
    track.audio = None
    again, *_ = nodes["ECTFG_EmbeddedRenderer"]().run(face, speech, track, 0)
    assert torch.equal(frames, again)
    # A TRACK input fed something else (here the bare per-frame track) is refused, naming the input.
    from ectfg_core.errors import InputError

    with pytest.raises(InputError, match="the track input must come from the Emotion Fluctuation Predictor"):
        nodes["ECTFG_EmbeddedRenderer"]().run(face, speech, track.track, 0)


def test_the_renderer_offers_core_video_beside_image_and_audio(plugin):
    renderer = plugin.NODE_CLASS_MAPPINGS["ECTFG_EmbeddedRenderer"]
    assert renderer.RETURN_TYPES == ("IMAGE", "AUDIO", "FLOAT", "VIDEO")
    assert plugin.NODE_CLASS_MAPPINGS["ECTFG_EmotionGuidedSampler"].RETURN_TYPES[-1] == "VIDEO"


def test_face_node_says_which_engine_found_the_landmarks(plugin, astronaut, capsys):
    image = torch.from_numpy(astronaut).float()[None] / 255.0
    plugin.NODE_CLASS_MAPPINGS["ECTFG_FaceMaskExtractor"]().run(image, 128, "face")
    assert "[ectfg] Face Mask Extractor: face landmarks:" in capsys.readouterr().out
    spec = plugin.NODE_CLASS_MAPPINGS["ECTFG_FaceMaskExtractor"].INPUT_TYPES()["optional"]["face_detection_model"]
    assert "FACE_DETECTION_MODEL" in spec[0].split(",")  # ComfyUI's native face model socket


def test_connected_comfy_face_model_finds_the_landmarks_and_stays_for_the_renderer(plugin, astronaut, capsys):
    """With ComfyUI's face model on face_detection_model, the node's landmarks come from it, and it stays the
    process-wide engine, so the renderer's later detections use it too."""
    from test_face_engines import StandInComfyModel

    from ectfg_core.face import engines
    from ectfg_core.face.detect import detect_landmarks
    from ectfg_core.face.engines.legacy import LegacyFaceMeshEngine, legacy_available

    if legacy_available() is not None:
        pytest.skip(f"the stand-in model answers with the legacy face mesh, which is unavailable: {legacy_available()}")

    class LegacyBackedComfyModel(StandInComfyModel):
        """ComfyUI's FACE_DETECTION_MODEL call contract, answered with real landmarks from the legacy face mesh."""

        def detect_batch(self, images, num_faces, score_thresh, variant):
            self.calls.append(dict(variant=variant))
            return [[self._face_dict(f) for f in LegacyFaceMeshEngine().detect(image)] for image in images]

    model = LegacyBackedComfyModel([])
    image = torch.from_numpy(astronaut).float()[None] / 255.0
    try:
        _, lip, _, _, face = plugin.NODE_CLASS_MAPPINGS["ECTFG_FaceMaskExtractor"]().run(image, 128, "face", face_detection_model=model)
        assert "ComfyUI native" in capsys.readouterr().out
        used = len(model.calls)
        assert used >= 2  # the source image and the framed portrait
        detect_landmarks(face.image)  # what the renderer does later, with no engine argument
        assert len(model.calls) == used + 1
    finally:
        engines.set_engine(None)
    legacy = extract_masks_of(face.image)
    assert float((lip[0].numpy() > 0.5).mean()) == pytest.approx(float((legacy > 0.5).mean()), rel=0.05)


def extract_masks_of(image):
    from ectfg_core.face.detect import detect_landmarks
    from ectfg_core.face.engines.legacy import LegacyFaceMeshEngine
    from ectfg_core.face.masks import extract_masks

    return extract_masks(detect_landmarks(image, engine=LegacyFaceMeshEngine())).lip


def test_face_node_without_any_engine_names_its_input_not_cli_flags(plugin, astronaut, monkeypatch):
    from ectfg_core.errors import ModelError
    from ectfg_core.face import engines
    from ectfg_core.face.engines import legacy, tasks

    monkeypatch.setattr(legacy, "legacy_available", lambda: "mediapipe.solutions is not installed")
    monkeypatch.setattr(tasks, "tasks_available", lambda: "mediapipe.tasks is not installed")
    monkeypatch.setattr(engines, "find_model_file", lambda: None)
    image = torch.from_numpy(astronaut).float()[None] / 255.0
    with pytest.raises(ModelError) as err:
        plugin.NODE_CLASS_MAPPINGS["ECTFG_FaceMaskExtractor"]().run(image, 128, "face")
    message = str(err.value)
    assert "face_landmarker.task" in message and "face_detection_model" in message and "--" not in message


def test_adapters_turn_bad_tensors_into_clear_errors(plugin):
    from ectfg_core.errors import InputError

    face_node = plugin.NODE_CLASS_MAPPINGS["ECTFG_FaceMaskExtractor"]()
    with pytest.raises(InputError, match="expected an IMAGE tensor"):
        face_node.run(torch.zeros(3, 64, 64), 256, "face")
    tts = plugin.NODE_CLASS_MAPPINGS["ECTFG_EmotionalTTS"]()
    with pytest.raises(InputError, match="AUDIO"):
        tts.run("Hi", "happy", "en-us", 165, voice_reference={"nope": 1})
