"""Against a real ComfyUI on the CPU with the plugin installed: node listing, workflow (a) end to end over HTTP and
the websocket, cache, edits, interrupt, validation messages, and the other workflows.

Skips unless ECTFG_COMFYUI_DIR points at a ComfyUI checkout (ECTFG_COMFYUI_PYTHON: its interpreter). Example:
  ECTFG_COMFYUI_DIR=~/ComfyUI ECTFG_COMFYUI_PYTHON=~/ComfyUI/venv/bin/python pytest tests/test_comfy_server.py
"""

from __future__ import annotations

import copy
import json
import os
import time
import urllib.parse
import urllib.request
import wave

import pytest
from comfy_harness import ComfyServer, HTTPFailure, Run, comfyui_dir
from workflow_graph import (
    CORE_FIXTURE,
    EXTERNAL_SPEECH,
    GPU_DIFFUSION,
    OFFLINE_CPU,
    core_fixture,
    load_api,
    load_plugin,
    normalize_core_def,
    our_node_defs,
    workflow_names,
)

pytestmark = pytest.mark.skipif(
    comfyui_dir() is None,
    reason="set ECTFG_COMFYUI_DIR to a ComfyUI checkout (and ECTFG_COMFYUI_PYTHON to its Python) to test against a real server",
)

RUN_TIMEOUT_S = 180
TRACK_EDITOR, RENDERER, SAVE = "9", "5", "7"  # node ids in the shared workflows
LONG_TEXT = " ".join([
    "Good morning everyone, and thank you for coming on such short notice.",
    "I have some news about the project that I need to share with all of you today.",
    "We worked very hard for many months, and I am proud of every single one of you.",
    "But the funding was cancelled yesterday, and we will have to stop at the end of the month.",
])


@pytest.fixture(scope="module")
def server():
    with ComfyServer(comfyui_dir()) as running:
        yield running


@pytest.fixture(scope="module")
def object_info(server):
    return server.get("/object_info", timeout=120)


def run_prompt(server: ComfyServer, prompt: dict, timeout: float = RUN_TIMEOUT_S) -> Run:
    ws, client_id = server.websocket()
    try:
        run = Run(server, prompt, ws, client_id)
        end = run.follow({"execution_success", "execution_error", "execution_interrupted"}, timeout=timeout)
    finally:
        ws.close()
    if end["type"] == "execution_error":
        data = end["data"]
        raise AssertionError(f"{data['node_type']} failed: {data['exception_message']}")
    assert end["type"] == "execution_success", end
    return run


def interrupt_when_progressing(server: ComfyServer, prompt: dict, node_id: str, at_value: int, timeout: float) -> tuple[Run, dict]:
    """Queue `prompt`, press Cancel (POST /interrupt) once `node_id` reports progress `at_value`; (run, its last message)."""
    ends = {"execution_success", "execution_error", "execution_interrupted"}
    ws, client_id = server.websocket()
    try:
        run = Run(server, prompt, ws, client_id)

        def progressing(msg):
            data = msg.get("data") or {}
            return msg["type"] == "progress" and data.get("node") == node_id and data["value"] >= at_value

        started = run.follow(ends, timeout, stop_when=progressing)
        assert started["type"] == "progress", f"the run ended before it could be interrupted: {started}"
        server.post("/interrupt")
        return run, run.follow(ends, timeout=60)
    finally:
        ws.close()


def saved_video(server: ComfyServer, run: Run):
    outputs = run.executed()[SAVE]
    assert outputs["animated"] == [True]
    (entry,) = outputs["images"]
    path = server.output_path(entry)
    assert path.is_file(), path
    return path


def output_videos(server: ComfyServer) -> set[str]:
    return {p.name for p in (server.base / "output").rglob("*.mp4")}


def test_object_info_lists_our_nodes_with_tooltips(object_info):
    plugin = load_plugin()
    for name in plugin.NODE_CLASS_MAPPINGS:
        info = object_info.get(name)
        assert info is not None, f"{name} is not listed; see the server log for an import error"
        assert info["display_name"] == plugin.NODE_DISPLAY_NAME_MAPPINGS[name]
        assert info["category"].split("/")[0] == "ectfg", name
        assert len(info["description"]) > 40, name
        for group in ("required", "optional"):
            for input_name, spec in info["input"].get(group, {}).items():
                assert spec[1].get("tooltip"), f"{name}.{input_name} has no tooltip in /object_info"
        assert len(info["output_tooltips"]) == len(info["output"]) and all(info["output_tooltips"]), name


def test_core_node_fixture_matches_this_comfyui(object_info):
    """tests/data/comfy_core_nodes.json is what this ComfyUI says; ECTFG_UPDATE_FIXTURES=1 rewrites it."""
    fixture = core_fixture()
    used = set()
    for name in workflow_names():
        used |= {n["class_type"] for n in load_api(name).values()}
    core = sorted(used - set(our_node_defs()))
    missing = [t for t in core if t not in object_info]
    assert not missing, f"this ComfyUI lacks core nodes the workflows use: {missing}"
    files = fixture["file_inputs"]
    live = {t: normalize_core_def(object_info[t], files.get(t, [])) for t in core}
    if os.environ.get("ECTFG_UPDATE_FIXTURES") == "1":
        fixture["nodes"] = json.loads(json.dumps(live))
        CORE_FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")
    assert json.loads(json.dumps(live)) == fixture["nodes"]


def test_model_folders_and_example_inputs_are_registered(server, object_info):
    from ectfg_plugin.nodes.examples import EXAMPLE_PORTRAIT, EXAMPLE_SPEECH

    from ectfg_core.model_folders import FOLDERS

    assert set(FOLDERS) <= set(server.get("/models"))
    assert EXAMPLE_PORTRAIT in object_info["LoadImage"]["input"]["required"]["image"][0]
    assert EXAMPLE_SPEECH in object_info["LoadAudio"]["input"]["required"]["audio"][1]["options"]


@pytest.fixture(scope="module")
def first_run(server):
    before = output_videos(server)
    run = run_prompt(server, load_api(OFFLINE_CPU))
    return run, before


def test_workflow_a_writes_a_video_with_speech(server, first_run):
    from ectfg_core.media.video import probe_durations

    run, before = first_run
    path = saved_video(server, run)
    assert path.name not in before
    info = probe_durations(path)
    assert info["has_h264"] and info["has_aac"]
    assert info["width"] == info["height"] == 512
    timeline = run.executed()[TRACK_EDITOR]["ectfg_timeline"][0]
    fps, frames = timeline["fps"], len(timeline["intensity"])
    assert abs(info["video"] - frames / fps) <= 1 / fps + 1e-6
    assert abs(info["audio"] - info["video"]) <= 1 / fps + 0.03  # AAC frames add up to ~23 ms
    assert frames / fps > 2.0  # it says the whole sentence
    assert [w["word"] for w in timeline["words"]][:4] == ["Hello", "I", "am", "so"]
    # The renderer reported its progress frame by frame, ending at the frame count.
    progress = [d for d in run.of_type("progress") if d["node"] == RENDERER]
    assert progress and progress[-1]["value"] == progress[-1]["max"] == frames
    assert [d["value"] for d in progress] == sorted(d["value"] for d in progress)


def test_the_same_prompt_again_is_served_from_cache(server, first_run):
    before = output_videos(server)
    prompt = load_api(OFFLINE_CPU)
    run = run_prompt(server, prompt)
    (cached,) = run.of_type("execution_cached")
    assert set(cached["nodes"]) == set(prompt)
    assert run.executing_nodes() == []  # nothing ran
    assert output_videos(server) == before  # and nothing new was written
    # Save Video's cached result is shown again. (The editor is no output node, so ComfyUI does not replay its UI
    # message; the browser keeps the timeline it drew on the last run.)
    assert run.executed()[SAVE]["images"]


def test_an_edit_reruns_only_the_editor_and_what_follows(server, first_run):
    first, _ = first_run
    words = first.executed()[TRACK_EDITOR]["ectfg_timeline"][0]["words"]
    prompt = load_api(OFFLINE_CPU)
    target = words[4]
    edit = {"words": [{"index": target["index"], "word": target["word"], "emotion": "fearful", "intensity": 0.95}]}
    prompt[TRACK_EDITOR]["inputs"]["override_json"] = json.dumps(edit)
    run = run_prompt(server, prompt)
    (cached,) = run.of_type("execution_cached")
    assert {"1", "2", "3", "4"} <= set(cached["nodes"])  # portrait, face, speech, prediction: untouched
    assert set(run.executing_nodes()) == {TRACK_EDITOR, RENDERER, SAVE}
    edited = run.executed()[TRACK_EDITOR]["ectfg_timeline"][0]
    assert edited["words"][4]["emotion"] == "fearful" and edited["words"][4]["edited"]
    assert saved_video(server, run) != saved_video(server, first)


def test_interrupt_stops_a_run_midway(server, first_run):
    prompt = load_api(OFFLINE_CPU)
    prompt["3"]["inputs"]["text"] = LONG_TEXT
    prompt[RENDERER]["inputs"]["motion_seed"] = 7
    before = output_videos(server)
    run, end = interrupt_when_progressing(server, prompt, RENDERER, at_value=5, timeout=RUN_TIMEOUT_S)
    assert end["type"] == "execution_interrupted", end
    assert end["data"]["node_id"] == RENDERER
    last = [d for d in run.of_type("progress") if d["node"] == RENDERER][-1]
    assert last["value"] < last["max"] / 2  # it stopped within a few frames, not at the end
    assert output_videos(server) == before  # no partial video
    deadline = time.monotonic() + 10  # the worker files the task away just after the message
    while server.get("/queue")["queue_running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.get("/queue")["queue_running"] == []
    # The server is fine afterwards: the next prompt runs normally (a short one, to keep the test quick).
    quick = load_api(OFFLINE_CPU)
    quick["3"]["inputs"]["text"] = "Hi there."
    quick["2"]["inputs"]["size"] = 128
    after = run_prompt(server, quick)
    assert after.of_type("execution_success") and saved_video(server, after).is_file()


def test_bad_values_are_reported_before_the_run(server):
    prompt = load_api(OFFLINE_CPU)
    prompt["2"]["inputs"]["size"] = 500
    prompt[TRACK_EDITOR]["inputs"]["override_json"] = '{"words": [{"index": 1, "intensity": 3}]}'
    with pytest.raises(HTTPFailure) as answer:
        server.post("/prompt", {"prompt": prompt})
    assert answer.value.status == 400
    errors = answer.value.body["node_errors"]
    assert set(errors) == {"2", TRACK_EDITOR}
    assert "not a multiple of 8" in errors["2"]["errors"][0]["details"]
    assert "intensities go from 0 to 1" in errors[TRACK_EDITOR]["errors"][0]["details"]


def test_errors_during_the_run_say_what_to_fix(server):
    prompt = load_api(OFFLINE_CPU)
    prompt["3"]["inputs"]["text"] = "   "
    with pytest.raises(AssertionError, match="the text to speak is empty"):
        run_prompt(server, prompt)
    prompt = load_api(OFFLINE_CPU)
    prompt[TRACK_EDITOR]["inputs"]["override_json"] = '{"words": [{"index": 1, "word": "elsewhere", "emotion": "sad"}]}'
    with pytest.raises(AssertionError, match="made for a different text"):
        run_prompt(server, prompt)


@pytest.mark.skipif(EXTERNAL_SPEECH not in workflow_names(), reason="workflow (c) not present")
def test_workflow_c_external_audio_drives_the_face(server):
    from ectfg_core.media.video import probe_durations

    prompt = load_api(EXTERNAL_SPEECH)
    prompt["2"]["inputs"]["size"] = 256  # the audio path is under test here, not the resolution
    (audio_node,) = [k for k, v in prompt.items() if v["class_type"] == "LoadAudio"]
    with wave.open(str(server.base / "input" / prompt[audio_node]["inputs"]["audio"])) as clip:
        seconds = clip.getnframes() / clip.getframerate()
    run = run_prompt(server, prompt)
    info = probe_durations(saved_video(server, run))
    assert info["has_h264"] and info["has_aac"]
    assert abs(info["video"] - seconds) < 0.1  # the video lasts as long as the external speech
    timeline = run.executed()[TRACK_EDITOR]["ectfg_timeline"][0]
    words = [w["word"] for w in timeline["words"]]
    text = next(v for v in prompt.values() if v["class_type"] == "ECTFG_ExternalSpeech")["inputs"]["text"]
    assert len(words) == len(text.split())
    assert 0 <= timeline["words"][0]["start"] < timeline["words"][-1]["end"] <= seconds + 0.05


@pytest.mark.parametrize("name", [n for n in workflow_names() if n not in (OFFLINE_CPU, EXTERNAL_SPEECH)])
def test_model_workflows_stop_visibly_at_missing_model_files(server, name):
    """(b) and (d) need weights this server lacks: the run never reports success having written nothing. Either Queue
    is refused (a model file name not in its dropdown, named in the answer) or the loader stops the run with the file
    and the folder it belongs in. Run before the weights are installed."""
    prompt = copy.deepcopy(load_api(name))
    for entry in prompt.values():  # keep the CPU part short: what is under test is how the graph meets its models
        if entry["class_type"] == "ECTFG_EmotionalTTS":
            entry["inputs"]["text"] = "Hi there."
        if entry["class_type"] == "ECTFG_FaceMaskExtractor":
            entry["inputs"]["size"] = 128
    files = core_fixture()["file_inputs"]
    before = output_videos(server)
    ws, client_id = server.websocket()
    try:
        try:
            run = Run(server, prompt, ws, client_id)
        except HTTPFailure as refused:  # refused at validation: nothing runs, the frontend shows the node's error
            assert refused.status == 400, refused
            assert refused.body["error"]["type"] == "prompt_outputs_failed_validation"
            problems, named = [], []
            for node_id, errors in (refused.body.get("node_errors") or {}).items():
                for error in errors["errors"]:
                    input_name = error.get("extra_info", {}).get("input_name")
                    if input_name not in files.get(prompt[node_id]["class_type"], []):
                        problems.append(f"{node_id}: {error['message']} {error.get('details')}")
                    else:
                        named.append(str(prompt[node_id]["inputs"][input_name]) in error.get("details", ""))
            assert refused.body.get("node_errors") and not problems, problems
            assert named and all(named)  # the missing file is named
            return
        end = run.follow({"execution_success", "execution_error", "execution_interrupted"}, timeout=RUN_TIMEOUT_S)
    finally:
        ws.close()
    assert end["type"] == "execution_error", f"{name} reported {end['type']} without its model files"
    data = end["data"]
    assert data["exception_type"].endswith("ModelError"), data
    assert "models" in data["exception_message"] and ("put" in data["exception_message"] or "missing" in data["exception_message"])
    assert "Loader" in data["node_type"], data
    assert output_videos(server) == before


def test_the_renderer_video_goes_through_core_video_nodes(server):
    """The renderer's VIDEO is ComfyUI's own: Get Video Components takes it apart and Create Video + Save Video
    write the same clip again."""
    from ectfg_core.media.video import probe_durations

    prompt = copy.deepcopy(load_api(OFFLINE_CPU))
    prompt["2"]["inputs"]["size"] = 128
    prompt["3"]["inputs"]["text"] = "Hello there, my friend."
    prompt[SAVE]["inputs"]["filename_prefix"] = "video/ectfg_components"
    prompt["90"] = {"class_type": "GetVideoComponents", "inputs": {"video": [RENDERER, 3]}}
    prompt["91"] = {"class_type": "CreateVideo", "inputs": {"images": ["90", 0], "audio": ["90", 1], "fps": ["90", 2]}}
    prompt[SAVE]["inputs"]["video"] = ["91", 0]
    run = run_prompt(server, prompt)
    info = probe_durations(saved_video(server, run))
    assert info["has_h264"] and info["has_aac"] and info["width"] == info["height"] == 128
    timeline = run.executed()[TRACK_EDITOR]["ectfg_timeline"][0]
    assert abs(info["video"] - len(timeline["intensity"]) / timeline["fps"]) <= 1 / timeline["fps"] + 1e-6


@pytest.fixture(scope="module")
def weights_installed(server):
    """Hallo-layout weights in this server's models/ folders: tiny random ones, the only kind that exists offline, with
    the SD VAE's 8x scale so that frames of 128 px give latents of real proportions. First used after the
    missing-files test, which needs them absent."""
    from diffusion_tiny import make_root, tiny_models, tiny_with_sd_vae_scale

    make_root(server.base / "models", tiny_models(seed=3, audio_encoder=True, arch=tiny_with_sd_vae_scale()))


def short_workflow_b(steps: int) -> tuple[dict, str]:
    prompt = copy.deepcopy(load_api(GPU_DIFFUSION))
    sampler_id = next(k for k, v in prompt.items() if v["class_type"] == "ECTFG_EmotionGuidedSampler")
    prompt["3"]["inputs"]["text"] = "Hello there."
    prompt["2"]["inputs"]["size"] = 128
    prompt[sampler_id]["inputs"].update(steps=steps, cfg=1.0)  # CPU: keep it short
    return prompt, sampler_id


def test_workflow_b_runs_once_weights_are_in_the_models_folder(server, weights_installed):
    """Workflow (b) as shared: ComfyUI's model management loads the weights, the sampler reports its progress, and the
    saved video has the speech's length at the face's size."""
    from ectfg_core.media.video import probe_durations

    prompt, sampler_id = short_workflow_b(steps=2)
    run = run_prompt(server, prompt, timeout=2 * RUN_TIMEOUT_S)
    path = saved_video(server, run)
    info = probe_durations(path)
    assert info["has_h264"] and info["has_aac"] and info["width"] == info["height"] == 128
    timeline = run.executed()[TRACK_EDITOR]["ectfg_timeline"][0]
    fps, frames = timeline["fps"], len(timeline["intensity"])
    assert abs(info["video"] - frames / fps) <= 1 / fps + 1e-6  # clips padded to 16 frames are trimmed back
    assert abs(info["audio"] - info["video"]) <= 1 / fps + 0.03
    clips = -(-frames // 16)
    progress = [d for d in run.of_type("progress") if d["node"] == sampler_id]
    steps_run = int(2 * prompt[sampler_id]["inputs"]["guide_strength"])  # the guide frames skip the noisiest steps
    assert progress and progress[-1]["value"] == progress[-1]["max"] == clips * (steps_run + 1)  # + decoding


def test_cancel_stops_the_sampler_within_a_step(server, weights_installed):
    prompt, sampler_id = short_workflow_b(steps=60)
    before = output_videos(server)
    run, end = interrupt_when_progressing(server, prompt, sampler_id, at_value=2, timeout=2 * RUN_TIMEOUT_S)
    assert end["type"] == "execution_interrupted", end
    assert end["data"]["node_id"] == sampler_id
    last = [d for d in run.of_type("progress") if d["node"] == sampler_id][-1]
    assert last["value"] < last["max"] / 2
    assert output_videos(server) == before


def test_workflows_are_offered_as_templates_with_thumbnails(server):
    """ComfyUI lists example_workflows/*.json of a plugin in its Templates browser, with <title>.jpg as the picture."""
    templates = server.get("/api/workflow_templates")
    assert sorted(templates.get("ectfg", [])) == workflow_names()  # the API twins in api/ stay out
    for name in workflow_names():
        url = f"{server.url}/api/workflow_templates/ectfg/{urllib.parse.quote(name)}"
        with urllib.request.urlopen(f"{url}.jpg", timeout=10) as response:
            assert response.headers["Content-Type"] == "image/jpeg" and len(response.read()) > 5000
        with urllib.request.urlopen(f"{url}.json", timeout=10) as response:
            assert json.loads(response.read())["version"] == 0.4
