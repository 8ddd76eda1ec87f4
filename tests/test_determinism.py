"""Equal inputs and seed give bit-identical plan, track, audio and video: across processes (`ectfg generate` run
twice) and across repeated runs in one process (as ComfyUI queues them), whatever ran in between."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from ectfg_core.media.audio import write_wav
from ectfg_core.pipeline import JobOptions, generate, predict_track, speak

TEXT = "Hello, I am so glad to see you."
DESCRIPTION = "joyful, then a little wistful"
OTHER_TEXT = "No. I, a, to, so: it is gone, and I miss it so much."  # a sad, breathy voice in between
FPS = 12.0
SIZE = 128


def run_once(text: str = TEXT, description: str = DESCRIPTION):
    spoken = speak(text, description)
    prediction, audio = predict_track(spoken.plan, spoken.speech, FPS)
    return spoken, prediction, audio


def snapshot(spoken, prediction, audio) -> dict:
    """Everything a run hands on, as exact values (floats compared bit for bit through their bytes/JSON)."""
    return {
        "samples": spoken.speech.samples.tobytes(),
        "words": [(w.index, w.word, w.start, w.end) for w in spoken.speech.words],
        "phonemes": [(p.symbol, p.start, p.end, p.word_index) for p in spoken.speech.phonemes],
        "plan": json.dumps(spoken.plan.to_dict(), sort_keys=True),
        "predicted_plan": json.dumps(prediction.plan.to_dict(), sort_keys=True),
        "track": json.dumps(prediction.track.to_dict(), sort_keys=True),
        "probs": prediction.track.probs.tobytes(),
        "intensity": prediction.track.intensity.tobytes(),
        "energy": audio.energy.tobytes(),
        "f0": audio.f0.tobytes(),
    }


def test_three_runs_in_one_process_are_identical():
    first = snapshot(*run_once())
    second = snapshot(*run_once())
    run_once(OTHER_TEXT, "heartbroken, sobbing, whispering")  # state a different run could leave behind
    third = snapshot(*run_once())
    for key in first:
        assert first[key] == second[key] == third[key], f"{key} differs between runs"


def test_wav_bytes_repeat(tmp_path):
    paths = []
    for n in range(2):
        spoken = speak(TEXT, DESCRIPTION)
        paths.append(tmp_path / f"speech{n}.wav")
        write_wav(paths[-1], spoken.speech.samples, spoken.speech.sample_rate)
        speak(OTHER_TEXT, "furious")
    assert paths[0].read_bytes() == paths[1].read_bytes()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_twice_in_one_process_writes_identical_files(astronaut, tmp_path):
    outputs = []
    for n in range(2):
        result = generate(tmp_path / f"run{n}.mp4", TEXT, DESCRIPTION, astronaut, JobOptions(fps=FPS, size=SIZE, seed=3))
        outputs.append((digest(result.video_path), digest(result.sidecar_path)))
    assert outputs[0] == outputs[1]


def test_ectfg_generate_twice_writes_identical_files(tmp_path):
    outputs = []
    for n in range(2):
        out = tmp_path / f"cli{n}.mp4"
        done = subprocess.run(
            [sys.executable, "-m", "ectfg_core.cli", "generate", "--text", TEXT, "--emotion", DESCRIPTION, "--out", str(out),
             "--size", str(SIZE), "--fps", str(FPS), "--seed", "5", "--quiet"],
            capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr
        outputs.append((out.read_bytes(), out.with_suffix(".json").read_bytes()))
    assert outputs[0][0] == outputs[1][0], "the MP4 files differ"
    assert outputs[0][1] == outputs[1][1], "the sidecar JSON files differ"
    sidecar = json.loads(outputs[0][1])
    assert sidecar["settings"]["seed"] == 5 and len(sidecar["plan"]["words"]) == 8
    assert np.all(np.diff([w["start"] for w in sidecar["plan"]["words"]]) > 0)


def test_learned_predictor_ignores_the_thread_count(tmp_path):
    """The learned EFP gives the same bits whatever torch thread count the process (or another node) left set."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from efp_fixtures import build_tiny_encoders

    from ectfg_core.efp.model import EmotionFluctuationModel

    torch.manual_seed(0)
    model = EmotionFluctuationModel.create(*build_tiny_encoders(tmp_path), hidden_size=32, num_layers=2, num_heads=2)
    folder = model.save_pretrained(tmp_path / "model")
    spoken = speak(TEXT, DESCRIPTION)
    previous = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 3, 2):
            torch.set_num_threads(threads)
            prediction, _ = predict_track(spoken.plan, spoken.speech, FPS, efp_model=folder, blend=0.3)
            assert torch.get_num_threads() == threads  # the caller's setting is left as it was
            results.append(prediction.track.probs.tobytes() + prediction.track.intensity.tobytes()
                           + json.dumps(prediction.plan.to_dict()).encode())
    finally:
        torch.set_num_threads(previous)
    assert results[0] == results[1] == results[2]
