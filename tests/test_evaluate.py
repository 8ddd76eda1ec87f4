"""Evaluation: the metric definitions, and `ectfg evaluate` on rendered videos whose expression, track and mouth
motion are known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from efp_fixtures import cli_main
from PIL import Image

from ectfg_core.emotion.model import EMOTION_INDEX, NUM_EMOTIONS, EmotionTrack
from ectfg_core.evaluate import evaluate, format_report
from ectfg_core.evaluate.metrics import label_agreement, lip_sync, matched_indices, track_agreement
from ectfg_core.fer.labels import FrameLabels

FPS = 25.0
FRAMES = 40
SIZE = 256


def test_frames_pair_by_time_and_faceless_frames_are_skipped():
    a, b = matched_indices(4, 25.0, 10, 50.0)
    assert a.tolist() == [0, 1, 2, 3] and b.tolist() == [1, 3, 5, 7]
    a, b = matched_indices(6, 25.0, 2, 25.0)
    assert a.tolist() == [0, 1] and b.tolist() == [0, 1]
    agreement = label_agreement(np.array([1, 2, -1, 3]), np.array([1, 0, 1, 3]))
    assert agreement.score == pytest.approx(2 / 3) and agreement.frames == 3
    assert np.isnan(label_agreement(np.array([-1]), np.array([2])).score)
    probs = np.zeros((4, NUM_EMOTIONS), np.float32)
    probs[:, EMOTION_INDEX["sad"]] = 1
    labels = FrameLabels(fps=25.0, probs=probs, face=np.array([True, True, False, True]), classifier="x")
    track = EmotionTrack(fps=50.0, probs=np.repeat(probs, 2, axis=0), intensity=np.ones(8))
    assert track_agreement(labels, track).score == 1.0 and track_agreement(labels, track).frames == 3


def test_lip_sync_finds_correlation_and_lag():
    t = np.arange(200) / FPS
    energy = np.clip(np.sin(2 * np.pi * 2.3 * t) + 0.3 * np.sin(2 * np.pi * 5.1 * t), 0, None)
    synced = lip_sync(0.1 + 0.3 * energy, energy)
    assert synced.r > 0.99 and synced.best_lag == 0
    late = np.concatenate([np.zeros(2), energy[:-2]])  # the mouth moves two frames after the sound
    delayed = lip_sync(late, energy)
    assert delayed.best_lag == 2 and delayed.best_r > 0.99 > delayed.r
    mouth = 0.2 + 0.1 * energy
    mouth[::7] = np.nan  # frames without a face
    assert lip_sync(mouth, energy).frames == 200 - len(mouth[::7]) and lip_sync(mouth, energy).r > 0.99
    assert np.isnan(lip_sync(np.ones(50), energy[:50]).r)


@pytest.fixture(scope="module")
def videos(portrait, tmp_path_factory):
    """A happy face whose jaw follows the loudness of its audio, a copy whose jaw ignores it, and the track asked for."""
    from ectfg_core.face.landmarks import detect_landmarks
    from ectfg_core.media.video import write_mp4
    from ectfg_core.render.controls import CONTROL_INDEX
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.renderer import PortraitAnimator

    root = tmp_path_factory.mktemp("eval")
    small = np.asarray(Image.fromarray(portrait.image).resize((SIZE, SIZE)))
    animator = PortraitAnimator(small, detect_landmarks(small))
    t = (np.arange(FRAMES) + 0.5) / FPS
    envelope = np.clip(np.sin(2 * np.pi * 2.0 * t), 0, None)
    rate = 16000
    ts = np.arange(int(FRAMES / FPS * rate)) / rate
    audio = (0.4 * np.sin(2 * np.pi * 180 * ts) * np.clip(np.sin(2 * np.pi * 2.0 * ts), 0, None)).astype(np.float32)

    def render(jaw: np.ndarray, path):
        rows = []
        for value in jaw:
            row = expression_row("happy", 0.9)
            row[CONTROL_INDEX["jaw_open"]] = 0.9 * value
            rows.append(animator.render(row))
        return write_mp4(path, rows, FPS, audio, rate)

    synced = render(envelope, root / "synced.mp4")
    unsynced = render(np.clip(np.sin(2 * np.pi * 2.0 * t + np.pi), 0, None), root / "unsynced.mp4")
    probs = np.zeros((FRAMES, NUM_EMOTIONS), np.float32)
    probs[:, EMOTION_INDEX["happy"]] = 1
    track = EmotionTrack(fps=FPS, probs=probs, intensity=np.full(FRAMES, 0.9))
    (root / "synced.json").write_text(json.dumps({"format": "ectfg.generation/1", "track": track.to_dict()}))
    sad = np.zeros_like(probs)
    sad[:, EMOTION_INDEX["sad"]] = 1
    sad_track = root / "sad.json"
    EmotionTrack(fps=FPS, probs=sad, intensity=np.full(FRAMES, 0.9)).save(sad_track)
    return synced, unsynced, sad_track


def test_evaluate_reports_the_four_figures(videos):
    synced, unsynced, sad_track = videos
    report = evaluate(synced, reference=unsynced)  # the sidecar synced.json supplies the requested track
    assert report.frames == FRAMES and report.face_frames == FRAMES and report.classifier == "small-cnn"
    assert report.ef_score.score == 1.0 and report.ef_score.frames == FRAMES  # both show the same happy face
    assert report.emo_acc == 1.0 and report.generated_emotion == report.target_emotion == "happy"
    assert report.target_source == "reference"
    assert report.track_agreement.score == 1.0 and report.track_source.endswith("synced.json")
    assert report.lip_sync.r > 0.6 and report.reference_lip_sync.r < 0.0  # the copy opens its mouth in the pauses
    text = format_report(report)
    for needle in ("EF-score: 100.0%", "Emo-Acc: 100.0%", "track agreement: 100.0%", "lip-sync proxy: r = +"):
        assert needle in text, text
    against_sad = evaluate(synced, track=sad_track)
    assert against_sad.track_agreement.score == 0.0 and against_sad.emo_acc == 0.0 and against_sad.target_source == "track"
    assert "EF-score: n/a" in format_report(against_sad)


def test_evaluate_command(videos, capsys, tmp_path):
    synced, _, sad_track = videos
    assert cli_main(["evaluate", "--generated", str(synced), "--track", str(sad_track), "--json", "--quiet"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["track_agreement"]["score"] == 0.0 and payload["ef_score"] is None and payload["lip_sync"]["r"] > 0.6
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    for argv, needle in ((["--generated", str(tmp_path / "none.mp4")], "video not found"),
                         (["--generated", str(synced), "--track", str(bad)], "not valid JSON")):
        assert cli_main(["evaluate", *argv, "--quiet"]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and err[0].startswith("ectfg evaluate: error:") and needle in err[0], err


def test_evaluate_measures_action_units_against_the_still_portrait(videos, portrait, tmp_path, capsys):
    from ectfg_core.evaluate.au_geometry import THRESHOLDS

    synced, _, sad_track = videos
    still = tmp_path / "still.png"
    Image.fromarray(portrait.image).resize((SIZE, SIZE)).save(still)  # the photo the clips were rendered from
    report = evaluate(synced, portrait=still)  # the sidecar asks for happy
    assert report.au_still == f"portrait {still}" and report.au_frames == FRAMES
    assert report.au_geometry["AU12"] > THRESHOLDS["AU12"]  # the rendered smile is wider than the photo's own
    assert report.au_geometry["AU26"] > 0  # and the jaw opens with the speech
    assert report.au_prototype.emotion == "happy" and report.au_prototype.detail["AU12"]["present"]
    text = format_report(report)
    assert f"against portrait {still}" in text and "AU prototype of happy:" in text, text
    # Without the still, the clip's first frame is the baseline, and the report says so; a smile still reads as AU12.
    first = evaluate(synced, track=sad_track)
    assert first.au_still == "first frame" and first.au_geometry["AU12"] > THRESHOLDS["AU12"]
    assert first.au_prototype.emotion == "sad" and not first.au_prototype.present
    assert "no --portrait given" in format_report(first)
    assert cli_main(["evaluate", "--generated", str(synced), "--portrait", str(still), "--json", "--quiet"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["au_geometry"]["prototype"]["emotion"] == "happy" and payload["au_geometry"]["values"]["AU12"] > 0
    assert cli_main(["evaluate", "--generated", str(synced), "--portrait", str(tmp_path / "none.png"), "--quiet"]) == 2
    assert "portrait not found" in capsys.readouterr().err
