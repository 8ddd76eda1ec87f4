"""The command line as a user runs it: one-line errors with exit code 2, JSON plans, real videos."""

import json

import numpy as np
import pytest
from PIL import Image

from ectfg_core.cli import main
from ectfg_core.media.video import probe_durations
from ectfg_core.text import MAX_TEXT_CHARS


def _run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code, err, *needles):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    "text, emotion, needles",
    [
        ("", "happy", ["text to speak is empty"]),
        ("   \n\t ", "happy", ["text to speak is empty"]),
        ("x" * (MAX_TEXT_CHARS + 1), "happy", ["limit is 5000", "split it"]),
        ("?!?! ...", "happy", ["no speakable words"]),
        ("Hello there", "blorp zzz qwerty", ["names no emotion"]),
    ],
)
def test_bad_text_and_descriptions_give_one_line_and_no_file(capsys, tmp_path, text, emotion, needles):
    out = tmp_path / "out.mp4"
    code, _, err = _run(capsys, "generate", "--text", text, "--emotion", emotion, "--out", str(out))
    _assert_one_line_error(code, err, *needles)
    assert list(tmp_path.iterdir()) == []


def test_no_face_image(capsys, tmp_path):
    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((300, 300, 3), 180, dtype=np.uint8)).save(blank)
    out = tmp_path / "out.mp4"
    code, _, err = _run(capsys, "generate", "--image", str(blank), "--text", "Hi", "--out", str(out))
    _assert_one_line_error(code, err, "no face found")
    assert not out.exists()


def test_unreadable_image(capsys, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 truncated")
    code, _, err = _run(capsys, "generate", "--image", str(bad), "--text", "Hi", "--out", str(tmp_path / "o.mp4"))
    _assert_one_line_error(code, err, "cannot read the image", "valid PNG or JPEG")


@pytest.mark.parametrize(
    "extra, needle",
    [(["--bogus"], "unrecognized arguments: --bogus"), (["--fps", "500"], "--fps 500"), (["--size", "100"], "--size 100"),
     (["--seed", "-1"], "--seed -1 is out of range")],  # numpy refused a negative seed with a traceback
)
def test_bad_options(capsys, tmp_path, extra, needle):
    code, _, err = _run(capsys, "generate", "--text", "Hi", "--out", str(tmp_path / "o.mp4"), *extra)
    _assert_one_line_error(code, err, needle)
    assert list(tmp_path.iterdir()) == []


def test_plan_json_has_timed_words(capsys):
    code, out, _ = _run(capsys, "plan", "--text", "I am happy, but then I get very angry.",
                        "--emotion", "happy, then suddenly furious at 'very angry'", "--json")
    assert code == 0
    payload = json.loads(out)
    words = payload["words"]
    assert [w["word"] for w in words] == ["I", "am", "happy", "but", "then", "I", "get", "very", "angry"]
    assert set(words[0]) >= {"word", "start", "end", "emotion", "intensity"}
    assert all(a["end"] <= b["start"] + 1e-6 for a, b in zip(words, words[1:]))
    assert words[0]["emotion"] == "happy" and words[-1]["emotion"] == "angry"
    assert isinstance(payload["warnings"], list)


def test_generate_writes_synchronised_mp4_and_sidecar(capsys, tmp_path):
    out = tmp_path / "clip.mp4"
    code, stdout, err = _run(capsys, "generate", "--text", "Hello there, how are you today?", "--emotion",
                             "happy", "--out", str(out), "--size", "256", "--fps", "25", "--quiet")
    assert code == 0, err
    info = probe_durations(out)
    assert info["has_h264"] and info["has_aac"] and info["width"] == 256
    assert abs(info["video"] - info["audio"]) <= 1 / 25 + 1e-6
    sidecar = json.loads(out.with_suffix(".json").read_text())
    track = sidecar["track"]
    assert abs(len(track["frames"]) / 25 - info["video"]) <= 1 / 25 + 1e-6
    assert {w["emotion"] for w in sidecar["plan"]["words"]} == {"happy"}
    assert "wrote" in stdout
