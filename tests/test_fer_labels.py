"""Per-frame pseudo-labels of videos: no-face frames, the JSON format, and `ectfg label-video`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from efp_fixtures import cli_main, write_talking_video
from PIL import Image

from ectfg_core.fer import FrameLabels, label_frames, load_classifier
from ectfg_core.types.emotion import EmotionTrack


@pytest.fixture(scope="module")
def clip_frames(portrait):
    face = np.asarray(Image.fromarray(portrait.image).resize((256, 256)))
    blank = np.full_like(face, 128)
    return [face] * 6 + [blank] * 2 + [face] * 2


def test_label_frames_marks_faceless_frames(clip_frames):
    labels = label_frames(clip_frames, 25.0, load_classifier("mini-xception"))
    assert labels.num_frames == 10
    assert labels.face.tolist() == [True] * 6 + [False] * 2 + [True] * 2
    assert labels.labels[0] == "happy" and labels.labels[6] is None
    assert labels.confidence[6] == 0 and labels.intensity[6] == 0 and labels.confidence[0] > 0.9
    assert labels.dominant() == "happy"


def test_json_round_trip_and_track_compatibility(tmp_path, clip_frames):
    labels = label_frames(clip_frames[:4] + clip_frames[6:7], 30.0, load_classifier("small-cnn"), source="x.mp4")
    path = tmp_path / "x.labels.json"
    labels.save(path)
    back = FrameLabels.load(path)
    assert back.classifier == "small-cnn" and back.source == "x.mp4" and back.fps == 30.0
    assert back.face.tolist() == labels.face.tolist() and back.labels == labels.labels
    np.testing.assert_allclose(back.probs, labels.probs, atol=1e-4)
    track = EmotionTrack.load(path)  # pseudo-labels load wherever a track does
    assert track.num_frames == 5 and track.labels()[0] == "happy"
    frame = json.loads(path.read_text())["frames"][4]
    assert frame["face"] is False and frame["label"] is None


def test_label_video_command(tmp_path, capsys, clip_frames):
    video = write_talking_video(tmp_path / "talk.mp4", clip_frames)
    assert cli_main(["label-video", str(video), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "10 frames, face in 8" in out and "happy" in out
    labels = FrameLabels.load(tmp_path / "talk.labels.json")
    assert labels.num_frames == 10 and labels.fps == pytest.approx(25.0) and labels.classifier == "mini-xception"
    assert labels.face.sum() == 8


@pytest.mark.parametrize("argv, needle", [
    (["label-video", "missing.mp4"], "video not found"),
    (["label-video", "{video}", "{video}", "--out", "one.json"], "pass a folder"),
    (["label-video", "{bad}"], "cannot read the video"),
])
def test_label_video_errors_are_one_line(tmp_path, capsys, argv, needle):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    argv = [a.format(video=video, bad=bad) for a in argv]
    assert cli_main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("ectfg label-video: error:") and needle in err[0], err
