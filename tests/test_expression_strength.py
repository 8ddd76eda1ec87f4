"""Expression strength: an artist's scale of the expression, per node / CLI run and per word of the timeline.

0 leaves speech only, 1 is the calibrated expression (unchanged), 2 exaggerates it with soft saturation and without
folding the face over.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from ectfg_core.emotion.edits import WordEdit, apply_override, edits_to_json, parse_override
from ectfg_core.emotion.frames import plan_to_frames
from ectfg_core.errors import InputError
from ectfg_core.render.controls import CONTROL_INDEX, CONTROL_NAMES, CONTROL_RANGES, HEAD_CONTROLS
from ectfg_core.render.expressions import UNIT_MATRIX, expression_controls, expression_row, shown_weights, soften
from ectfg_core.render.timeline import clip_controls
from ectfg_core.types.emotion import EMOTIONS, EmotionPlan, EmotionTrack, WordEmotion, one_hot
from ectfg_core.types.speech import PhonemeTiming

FPS = 25.0
EXPRESSION_AUS = ("brow_lower", "lid_tighten", "lip_tighten", "nose_wrinkle", "chin_raise", "brow_raise", "brow_inner_raise",
                  "cheek_raise", "smile", "upper_lid_raise", "lip_corner_depress")
_LOW = np.array([CONTROL_RANGES[n][0] for n in CONTROL_NAMES])
_HIGH = np.array([CONTROL_RANGES[n][1] for n in CONTROL_NAMES])


def _track(emotion: str, frames: int, intensity: float = 1.0, strength=None) -> EmotionTrack:
    return EmotionTrack(fps=FPS, probs=np.tile(one_hot(emotion), (frames, 1)), intensity=np.full(frames, intensity), strength=strength)


def _phonemes() -> list[PhonemeTiming]:
    return [PhonemeTiming(s, 0.1 + 0.12 * i, 0.22 + 0.12 * i) for i, s in enumerate("həloʊ mɑm")]


def test_strength_one_is_exactly_the_calibrated_expression():
    for emotion in EMOTIONS:
        for intensity in (0.3, 1.0):
            w = intensity * one_hot(emotion)[None]
            calibrated = shown_weights(w) @ UNIT_MATRIX
            assert np.array_equal(expression_controls(w), calibrated), emotion
            assert np.array_equal(expression_controls(w, np.ones(1)), calibrated), emotion


def test_intensity_response_keeps_the_ends_and_the_mixture_and_lifts_the_middle():
    mixed = np.array([[0.3, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0] * 7], dtype=np.float32)
    shown = shown_weights(mixed)
    assert shown[0].sum() == pytest.approx(1 - 0.5**1.5, abs=1e-6) and shown[0, 0] / shown[0, 1] == pytest.approx(1.5)
    assert np.array_equal(shown[1:], mixed[1:])  # full intensity and no expression are unchanged
    assert expression_row("sad", 0.5)[CONTROL_INDEX["brow_inner_raise"]] > 0.6  # a mild sadness still shows


def test_soften_is_smooth_monotone_and_bounded():
    x = np.linspace(0.0, 5.0, 2001, dtype=np.float32)
    y = soften(x, 1.6)
    knee = 0.7 * 1.6
    assert np.array_equal(y[x <= knee], x[x <= knee])  # the identity below the knee
    assert np.all(np.diff(y) >= 0) and y.max() < 1.6 + 1e-6  # monotone, never past the limit
    slope = np.diff(y) / np.diff(x)
    assert np.abs(np.diff(slope)).max() < 0.01  # no kink anywhere, also not at the knee


def test_strength_zero_leaves_speech_blinks_and_head_only():
    n = 40
    phonemes = _phonemes()
    energy = np.full(n, 0.5, dtype=np.float32)
    at_rest = dict(smile_at_rest=0.6, parted_at_rest=0.4, frown_at_rest=0.7)  # a photo that smiles, parted, and frowns
    angry = clip_controls(phonemes, energy, _track("angry", n), n, FPS, seed=3, strength=0.0, **at_rest)
    speech_only = clip_controls(phonemes, energy, _track("angry", n, intensity=0.0), n, FPS, seed=3, **at_rest)
    assert np.array_equal(angry, speech_only)
    for name in EXPRESSION_AUS:
        assert not angry[:, CONTROL_INDEX[name]].any(), name
    assert angry[:, CONTROL_INDEX["jaw_open"]].max() > 0.1  # it still speaks


def test_strength_two_exaggerates_angry_within_every_range():
    one, two = expression_row("angry", 1.0, 1.0), expression_row("angry", 1.0, 2.0)
    brow = CONTROL_INDEX["brow_lower"]
    assert two[brow] > one[brow] + 0.05
    assert np.all(two >= one - 1e-6)
    n = 30
    controls = clip_controls(_phonemes(), None, _track("angry", n), n, FPS, strength=2.0)
    assert np.all(controls >= _LOW - 1e-6) and np.all(controls <= _HIGH + 1e-6)
    assert np.all(np.diff(controls[:, brow]) == 0)  # steady, not clamped at a jittering limit
    # The artist's strength scales the expression, not the blinks or the idle head sway beyond the emotion's offsets.
    base = clip_controls(_phonemes(), None, _track("angry", n), n, FPS)
    assert np.all(controls[:, CONTROL_INDEX["blink_left"]] >= base[:, CONTROL_INDEX["blink_left"]] - 1e-6)


def _signed_areas(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = vertices[triangles[:, 0]], vertices[triangles[:, 1]], vertices[triangles[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


@pytest.fixture(scope="module")
def animator():
    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.media.images import load_image
    from ectfg_core.render.renderer import PortraitAnimator

    portrait = frame_portrait(load_image(None), size=256)
    return PortraitAnimator(portrait.image, portrait.landmarks, seed=0)


def _folded_area(animator, row: np.ndarray) -> float:
    """Skin area drawn upside down (triangles whose orientation flipped), in face widths squared."""
    pose = animator._pose(np.asarray(row, dtype=np.float32))
    triangles = animator.mesh.surface
    rest = _signed_areas(animator.mesh.vertices, triangles)
    folded = 0.0
    for vertices in (pose.skin, pose.lids):
        area = _signed_areas(vertices, triangles)
        folded = max(folded, float(np.abs(area[np.sign(area) != np.sign(rest)]).sum()))
    return folded / animator.frame.width**2


def test_strength_two_renders_a_stronger_angry_face_that_does_not_fold(animator):
    one, two = expression_row("angry", 1.0, 1.0), expression_row("angry", 1.0, 2.0)
    still = animator.image.astype(np.int16)
    x0, y0, x1, y1 = animator.warp.box
    frames = {s: animator.render(row) for s, row in (("one", one), ("two", two))}
    change = {s: float(np.abs(f.astype(np.int16) - still)[y0:y1, x0:x1].mean()) for s, f in frames.items()}
    assert change["two"] > 1.1 * change["one"] > 0  # the brows, lids and lips move further (the eyes barely: lids stay on the eyeball)
    # No holes: the warp leaves no pixel unfilled (black) where the portrait had none.
    assert not ((frames["two"].max(axis=2) == 0) & (animator.image.max(axis=2) > 0)).any()
    # Triangles that keep their orientation at strength 1 keep it at 2 but for eyelid-crease slivers that collapse:
    # the skin drawn upside down grows by under 0.15 % of the face width squared. Doubling the controls without the
    # soft saturation makes the rig fold the brow over the lids (over 0.5 %); the fold guard then relaxes most of it.
    assert _folded_area(animator, two) < _folded_area(animator, one) + 0.0015
    raw_two = 2.0 * one
    guarded = _folded_area(animator, raw_two)
    guard, animator.fold_guard = animator.fold_guard, lambda skin: skin  # the rig alone
    try:
        unguarded = _folded_area(animator, raw_two)
    finally:
        animator.fold_guard = guard
    assert unguarded > _folded_area(animator, one) + 0.005
    assert guarded < unguarded / 2


def _plan() -> EmotionPlan:
    words = [("I", 0.1, 0.3), ("really", 0.5, 0.9), ("mean", 1.1, 1.4), ("it", 1.6, 1.8)]
    return EmotionPlan(words=[WordEmotion(w, s, e, "angry", 0.8) for w, s, e in words])


def _predicted(plan: EmotionPlan, frames: int = 52) -> EmotionTrack:
    probs, intensity = plan_to_frames(plan.words, frames, FPS)
    return EmotionTrack(fps=FPS, probs=probs, intensity=intensity)


def test_per_word_strength_round_trips_and_changes_only_that_word():
    plan = _plan()
    track = _predicted(plan)
    assert track.strength is None and '"strength"' not in track.to_json()  # old form unchanged by default
    text = edits_to_json([WordEdit(index=1, word="really", strength=1.8)])
    assert json.loads(text)["words"] == [{"index": 1, "word": "really", "strength": 1.8}]
    edited = apply_override(plan, track, parse_override(text))
    assert edited.edited == {1} and edited.plan.words[1].strength == 1.8 and edited.plan.words[0].strength is None
    frames = np.arange(track.num_frames) / FPS
    inside = (frames > 0.6) & (frames < 0.8)
    far = (frames < 0.2) | (frames > 1.3)  # the other words, away from the pauses the strength ramps across
    assert np.allclose(edited.track.strength[inside], 1.8, atol=0.02)
    assert np.allclose(edited.track.strength[far], 1.0, atol=0.01)
    assert np.array_equal(edited.track.intensity, track.intensity) and np.array_equal(edited.track.probs, track.probs)
    # The track and the plan keep the strength through their JSON forms.
    again = EmotionTrack.from_json(edited.track.to_json())
    assert np.allclose(again.strength, edited.track.strength, atol=1e-4)
    replanned = apply_override(plan, track, parse_override(edited.plan.to_json()))
    assert replanned.edited == {1} and np.allclose(replanned.track.strength, edited.track.strength, atol=1e-3)
    # The face: only that word's frames show more anger.
    n = track.num_frames
    before = clip_controls([], None, track, n, FPS)
    after = clip_controls([], None, edited.track, n, FPS)
    brow = CONTROL_INDEX["brow_lower"]
    assert np.all(after[inside, brow] > before[inside, brow] + 0.05)
    assert np.allclose(after[far], before[far], atol=0.02)


@pytest.mark.parametrize("value, needle", [(2.5, "strengths go from 0"), (-1, "strengths go from 0"), ("lots", "use a number")])
def test_bad_word_strength_is_named_for_the_user(value, needle):
    with pytest.raises(InputError, match=needle) as err:
        parse_override(json.dumps({"words": [{"index": 0, "strength": value}]}))
    assert "override_json word entry 1" in str(err.value)
    with pytest.raises(InputError, match="strength"):
        WordEmotion.from_dict({"word": "x", "start": 0, "end": 1, "emotion": "sad", "intensity": 0.5, "strength": 3})


def test_old_tracks_load_with_default_strength():
    old = {"fps": 25, "frames": [{"probs": [0, 0, 0, 1, 0, 0, 0], "intensity": 0.5}] * 3}
    track = EmotionTrack.from_dict(old)
    assert track.strength is None and np.array_equal(track.strengths(), np.ones(3, dtype=np.float32))


def test_render_node_passes_its_strength_to_the_renderer(monkeypatch, portrait):
    import ectfg_core.pipeline as pipeline
    from nodes.render_node import EmbeddedRenderer

    seen = []

    class Recorder(pipeline.PortraitAnimator):  # records the controls, renders nothing (keeps the test fast)
        def __init__(self, image, landmarks, seed=0):
            self.image, self.seed, self.smile_at_rest, self.parted_at_rest, self.corners_at_rest = image, seed, 0.0, 0.0, 0.0
            self.frown_at_rest = self.jaw_at_rest = self.open_corners = 0.0
            self.units = None  # the calibrated recipes

        def controls_for(self, *args, **kwargs):
            controls = super().controls_for(*args, **kwargs)
            seen.append(controls)
            return controls

        def render(self, row):
            return self.image

    monkeypatch.setattr(pipeline, "PortraitAnimator", Recorder)
    speech = pipeline.speak("No, never.", "furious")
    prediction, _ = pipeline.predict_track(speech.plan, speech.speech, FPS)
    node = EmbeddedRenderer()
    spec = node.INPUT_TYPES()["optional"]["expression_strength"][1]
    assert (spec["default"], spec["min"], spec["max"]) == (1.0, 0.0, 2.0) and spec["tooltip"]
    for strength in (0.0, 1.0, 2.0):
        frames = node.run(portrait, speech, prediction, 0, expression_strength=strength)[0]
        assert frames.shape[0] == prediction.track.num_frames
    brow = CONTROL_INDEX["brow_lower"]
    peaks = [float(c[:, brow].max()) for c in seen]
    assert peaks[0] == 0.0 and peaks[2] > peaks[1] > 0.3
    head = [CONTROL_INDEX[h] for h in HEAD_CONTROLS]
    assert not np.array_equal(seen[0][:, head], seen[2][:, head])  # the angry head offset follows the strength
    with pytest.raises(InputError, match="expression strength"):
        node.run(portrait, speech, prediction, 0, expression_strength=3.0)


@pytest.mark.parametrize("value, needle",
                         [("3", "out of range"), ("-0.5", "out of range"), ("lots", "not a number"), ("nan", "out of range")])
def test_cli_flag_is_validated_in_one_line(capsys, tmp_path, value, needle):
    from ectfg_core.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["generate", "--text", "Hi", "--out", str(tmp_path / "o.mp4"), "--expression-strength", value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "--expression-strength" in err and needle in err
    assert list(tmp_path.iterdir()) == []


def test_cli_flag_is_documented_and_reaches_generate(monkeypatch, tmp_path):
    import ectfg_core.pipeline as pipeline
    from ectfg_core.cli import build_parser, main

    assert "--expression-strength" in build_parser()._subparsers._group_actions[0].choices["generate"].format_help()
    seen = {}

    def fake_generate(out, text, emotion, image, options, progress=None):
        seen["options"] = options
        raise InputError("stop here")

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    assert main(["generate", "--text", "Hi", "--out", str(tmp_path / "o.mp4"), "--expression-strength", "1.5"]) == 2
    assert seen["options"].expression_strength == 1.5
