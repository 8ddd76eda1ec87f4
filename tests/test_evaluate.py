"""Evaluation: the metric definitions, and `ectfg evaluate` on rendered videos whose expression, track and mouth
motion are known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from efp_fixtures import cli_main
from PIL import Image

from ectfg_core.evaluate import evaluate, format_report
from ectfg_core.evaluate.metrics import label_agreement, lip_sync, matched_indices, track_agreement
from ectfg_core.fer.labels import FrameLabels
from ectfg_core.types.emotion import EMOTION_INDEX, NUM_EMOTIONS, EmotionTrack

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
    from ectfg_core.face.detect import detect_landmarks
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
    assert report.frames == FRAMES and report.face_frames == FRAMES and report.classifier == "face-api"
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
    # And the jaw opens with the speech: on the frames themselves (the clip's jaw is shut half the time, so the
    # report's median sits at a shut jaw, within the detector's noise of zero).
    from ectfg_core.evaluate.au_geometry import au_values
    from ectfg_core.face.detect import detect_landmarks
    from ectfg_core.media.decode import open_video

    still_points = detect_landmarks(np.asarray(Image.open(still).convert("RGB"))).points
    _, frames = open_video(synced, max_side=None)
    jaw = [au_values(detect_landmarks(frame).points, still_points)["AU26"] for frame in frames]
    assert np.percentile(jaw, 90) > THRESHOLDS["AU26"] > np.percentile(jaw, 10)
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
    # The library names the value at fault; the command line turns it into its flag.
    assert "--portrait not found" in capsys.readouterr().err


def test_arc_helpers_pair_by_time_split_runs_and_rank_labels():
    from ectfg_core.evaluate.breakdown import label_shares, runs, track_classes

    assert runs(np.array([True, True, False, True, False, False, True])) == [(0, 2), (3, 4), (6, 7)]
    assert runs(np.zeros(3, bool)) == []
    assert label_shares(np.array([3, 0, 0, 2])) == [("neutral", 0.5), ("sad", 0.25), ("angry", 0.25)]
    probs = np.zeros((4, NUM_EMOTIONS), np.float32)
    probs[:2, EMOTION_INDEX["happy"]] = probs[2:, EMOTION_INDEX["angry"]] = 1
    labels = FrameLabels(fps=25.0, probs=np.zeros((6, NUM_EMOTIONS)), face=np.ones(6, bool), classifier="x")
    track = EmotionTrack(fps=12.5, probs=probs, intensity=np.ones(4))  # half the video's rate, so two frames a step
    assert track_classes(labels, track).tolist() == [EMOTION_INDEX["happy"]] * 4 + [EMOTION_INDEX["angry"]] * 2


ARC = 12  # frames per half of the arc clip


@pytest.fixture(scope="module")
def arc(portrait, tmp_path_factory):
    """A held happy face for the first half and a held angry face for the second, its two-part track as the sidecar,
    a track that asks for the classes in another order (with a 3-frame neutral blip), and the still it was made from."""
    from ectfg_core.face.detect import detect_landmarks
    from ectfg_core.media.video import write_mp4
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.renderer import PortraitAnimator

    root = tmp_path_factory.mktemp("arc")
    small = np.asarray(Image.fromarray(portrait.image).resize((SIZE, SIZE)))
    still = root / "still.png"
    Image.fromarray(small).save(still)
    animator = PortraitAnimator(small, detect_landmarks(small))
    happy, angry = animator.render(expression_row("happy", 0.9)), animator.render(expression_row("angry", 0.9))
    clip = write_mp4(root / "arc.mp4", [happy] * ARC + [angry] * ARC, FPS)

    def track(*parts: tuple[str, int]) -> EmotionTrack:
        names = [name for name, count in parts for _ in range(count)]
        probs = np.zeros((len(names), NUM_EMOTIONS), np.float32)
        probs[np.arange(len(names)), [EMOTION_INDEX[n] for n in names]] = 1
        return EmotionTrack(fps=FPS, probs=probs, intensity=np.full(len(names), 0.9))

    (root / "arc.json").write_text(json.dumps({"format": "ectfg.generation/1",
                                               "track": track(("happy", ARC), ("angry", ARC)).to_dict()}))
    shuffled = root / "shuffled.json"
    track(("angry", 8), ("neutral", 3), ("happy", 7), ("angry", 6)).save(shuffled)
    return clip, still, shuffled


def test_evaluate_explains_an_arc_class_by_class(arc, capsys):
    from ectfg_core.evaluate.au_geometry import THRESHOLDS

    clip, still, shuffled = arc
    report = evaluate(clip, portrait=still)  # the sidecar asks for happy, then angry
    happy, angry = report.by_track_class
    assert (happy.emotion, happy.frames, angry.emotion, angry.frames) == ("happy", ARC, "angry", ARC)
    assert happy.spans == [(0.0, ARC / FPS)] and angry.spans == [(ARC / FPS, 2 * ARC / FPS)]
    # Each half is measured on its own frames: the smile is there in the happy half and (nearly) gone in the angry
    # one, which the whole-clip median (half of each) cannot tell apart. (On this smiling portrait the Tasks engine
    # still sees the angry corners ~0.015 face widths up, at the presence threshold; the legacy mesh ~0.01.)
    assert happy.au_geometry["AU12"] > THRESHOLDS["AU12"] and happy.au_geometry["AU12"] > 3 * angry.au_geometry["AU12"]
    assert happy.prototype.emotion == "happy" and happy.prototype.detail["AU12"]["present"]
    assert angry.prototype.emotion == "angry" and set(angry.prototype.detail) >= {"AU4", "AU5", "AU7", "AU23"}
    assert happy.agreement == 1.0 and happy.labels == [("happy", 1.0)]  # as the whole-clip test finds for this face
    for row in (happy, angry):  # the agreement is the requested class's share; the others are what it says instead
        assert row.agreement == dict(row.labels).get(row.emotion, 0.0)
        assert row.emotion not in dict(row.others()) and len(row.others()) <= 2
        assert sum(share for _, share in row.labels) == pytest.approx(1.0)
    text = format_report(report)
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("by requested class"))
    # A row per class, each followed by its indented detail lines (a blendshapes line too where the engine scores them).
    rows = [i for i in range(head + 1, len(lines)) if lines[i].split()[:1] in (["happy"], ["angry"])]
    assert rows[0] == head + 1 and len(rows) == 2
    happy_line, angry_line = lines[rows[0]], lines[rows[1]]
    assert happy_line.split()[:3] == ["happy", str(ARC), "frames"] and "(0.0-0.5 s)" in happy_line
    assert angry_line.split()[:3] == ["angry", str(ARC), "frames"] and "(0.5-1.0 s)" in angry_line
    assert "AU prototype" in angry_line and "AU4" in angry_line and "classifier: angry" in angry_line
    assert "AU12 +" in lines[rows[0] + 1]  # the AUs the happy half's median shows
    assert any(line.startswith("AU prototype of happy:") for line in lines[:head])  # the whole-clip lines stay, first

    # Rows follow first appearance, a class can come back (two spans), and a 3-frame blip gets no row.
    other = evaluate(clip, track=shuffled, portrait=still)
    assert [(r.emotion, r.frames) for r in other.by_track_class] == [("angry", 14), ("happy", 7)]
    assert other.by_track_class[0].spans == [(0.0, 8 / FPS), (18 / FPS, 24 / FPS)]
    assert "0.0-0.3 s, 0.7-1.0 s" in format_report(other)

    assert cli_main(["evaluate", "--generated", str(clip), "--portrait", str(still), "--json", "--quiet"]) == 0
    payload = json.loads(capsys.readouterr().out)["by_track_class"]
    assert payload["still"] == f"portrait {still}" and payload["min_frames"] == 5
    rows = payload["classes"]
    assert [(r["emotion"], r["frames"], r["spans_s"]) for r in rows] == [("happy", ARC, [[0.0, 0.48]]), ("angry", ARC, [[0.48, 0.96]])]
    assert rows[0]["classifier"] == {"agreement": 1.0, "labels": {"happy": 1.0}} and "AU12" in rows[0]["prototype"]["shown"]
    assert rows[0]["au_geometry"]["AU12"] > THRESHOLDS["AU12"] and "AU6" in rows[0]["prototype"]["detail"]

    # Without a track there is nothing to break down; without the still, the first frame is the baseline as above.
    alone = evaluate(clip, use_sidecar=False)
    assert alone.by_track_class is None and "by requested class" not in format_report(alone)
    first = evaluate(clip)
    assert [r.frames for r in first.by_track_class] == [ARC, ARC] and "no --portrait given" in format_report(first)
