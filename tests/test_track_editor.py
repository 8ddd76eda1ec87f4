"""Emotion Track Editor: overrides parsed and applied to a predicted track, the timeline UI data, and what the
renderer makes of an edit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ectfg_core.emotion.edits import EDITS_FORMAT, apply_override, parse_override, reread_plan
from ectfg_core.errors import InputError
from ectfg_core.pipeline import predict_track, speak
from ectfg_core.types.emotion import EMOTIONS

TEXT = "Hello! I am so glad you came. But where were you yesterday?"
GLAD = 4  # index of "glad"


@pytest.fixture(scope="module")
def prediction():
    spoken = speak(TEXT, "starts happy, then slowly becomes irritated")
    pred, _ = predict_track(spoken.plan, spoken.speech, 25.0)
    return spoken, pred


@pytest.fixture(scope="module")
def editor():
    from nodes.track_node import EmotionTrackEditor

    return EmotionTrackEditor


def frames_of(word, track):
    return slice(int(word.start * track.fps), int(np.ceil(word.end * track.fps)))


def test_empty_override_passes_the_prediction_through(prediction, editor):
    _, pred = prediction
    out = editor().run(pred, "  ")
    track, track_json, plan_json = out["result"]
    assert track is pred  # nothing copied: downstream caches see the same object
    assert json.loads(track_json)["format"] == "ectfg.track/1"
    assert [w["word"] for w in json.loads(plan_json)["words"]][:3] == ["Hello", "I", "am"]


def test_timeline_ui_data_describes_words_and_frames(prediction, editor):
    _, pred = prediction
    (payload,) = editor().run(pred, "")["ui"]["ectfg_timeline"]
    assert payload["emotions"] == list(EMOTIONS)
    # The timeline writes its edits in the format and range the node announces (web/timeline_model.js editRulesOf).
    assert payload["edits_format"] == EDITS_FORMAT and payload["strength_range"] == [0.0, 2.0]
    # The content amount the plan was made with, for the timeline header.
    assert payload["content"] == pred.plan.content == 0.5 and payload["content_stance"] is None
    assert len(payload["intensity"]) == len(payload["frame_emotion"]) == pred.track.num_frames
    assert abs(payload["duration"] - pred.track.num_frames / 25.0) < 1e-9
    assert len(payload["words"]) == 12 and not any(w["edited"] for w in payload["words"])
    assert {w["emotion"] for w in payload["words"][:5]} == {"happy"}
    assert payload["words"][-1]["emotion"] == "angry"
    starts = [w["start"] for w in payload["words"]]
    assert starts == sorted(starts)
    assert all(0 <= v <= 1 for v in payload["intensity"]) and set(payload["frame_emotion"]) <= set(range(7))
    json.dumps(payload)  # it travels to the browser as JSON


def test_a_word_edit_moves_that_word_and_nothing_far_from_it(prediction, editor):
    _, pred = prediction
    glad = pred.plan.words[GLAD]
    untouched = (pred.track.intensity.copy(), pred.track.probs.copy(), [w.emotion for w in pred.plan.words])
    edit = json.dumps({"format": EDITS_FORMAT, "words": [{"index": GLAD, "word": "glad", "emotion": "angry", "intensity": 0.9}]})
    out = editor().run(pred, edit)
    track = out["result"][0].track
    reread = reread_plan(pred.plan, track).words[GLAD]
    assert reread.emotion == "angry" and glad.emotion == "happy"
    assert reread.intensity > glad.intensity + 0.2
    changed = np.nonzero(np.abs(track.intensity - pred.track.intensity) + np.abs(track.probs - pred.track.probs).sum(1) > 1e-4)[0]
    span = frames_of(glad, track)
    margin = 8  # the 0.2 s onset smoothing and the linear ramps into the neighbouring pauses
    assert changed.min() >= span.start - margin and changed.max() < span.stop + margin
    # Within the word the speech-driven fluctuation is kept: the edit shifts the curve, it does not flatten it.
    before, after = pred.track.intensity[span], track.intensity[span]
    assert np.std(after) > 0.5 * np.std(before)
    (payload,) = out["ui"]["ectfg_timeline"]
    assert payload["words"][GLAD]["edited"] is True and sum(w["edited"] for w in payload["words"]) == 1
    assert payload["words"][GLAD]["emotion"] == "angry" and payload["words"][GLAD]["intensity"] == 0.9
    # The predictor's output is not modified (ComfyUI caches it and may hand it to other nodes).
    assert np.array_equal(pred.track.intensity, untouched[0]) and np.array_equal(pred.track.probs, untouched[1])
    assert [w.emotion for w in pred.plan.words] == untouched[2]


def test_a_pasted_track_replaces_the_prediction(prediction, editor):
    _, pred = prediction
    data = pred.track.to_dict()
    for frame in data["frames"]:
        frame["probs"] = [0, 0, 1, 0, 0, 0, 0]
    out = editor().run(pred, json.dumps(data))
    assert set(out["result"][0].track.labels()) == {"sad"}
    assert out["ui"]["ectfg_timeline"][0]["replaced"]
    data["frames"] = data["frames"][:-3]
    with pytest.raises(InputError, match="frames at 25 fps but this speech needs"):
        editor().run(pred, json.dumps(data))


def test_a_pasted_plan_changes_only_the_words_it_changes(prediction, editor):
    _, pred = prediction
    plan = json.loads(pred.plan.to_json())
    plan["words"][0]["emotion"] = "surprised"
    (payload,) = editor().run(pred, json.dumps(plan))["ui"]["ectfg_timeline"]
    assert [w["index"] for w in payload["words"] if w["edited"]] == [0]
    plan["words"] = plan["words"][:5]
    with pytest.raises(InputError, match="has 5 words but the speech has 12"):
        editor().run(pred, json.dumps(plan))


@pytest.mark.parametrize("text, message", [
    ("{oops", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"words": [{"emotion": "sad"}]}', 'lacks "index"'),
    ('{"words": [{"index": 1, "intensity": 1.5}]}', "intensities go from 0 to 1"),
    ('{"words": [{"index": 1, "emotion": "bored"}]}', "unknown emotion class 'bored'"),
    ('{"words": [{"index": -1}]}', "negative index"),
    ('{"something": 1}', 'needs a "words" list'),
])
def test_malformed_overrides_are_refused_before_the_run(editor, text, message):
    result = editor.VALIDATE_INPUTS(override_json=text)
    assert isinstance(result, str) and message in result
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_override(text)


def test_valid_or_linked_overrides_pass_validation(editor):
    assert editor.VALIDATE_INPUTS(override_json="") is True
    assert editor.VALIDATE_INPUTS(override_json=None) is True  # fed by another node: known only at run time
    assert editor.VALIDATE_INPUTS(override_json='{"words": [{"index": 0, "emotion": "sad"}]}') is True


def test_stale_edits_name_the_words_that_changed(prediction):
    _, pred = prediction
    stale = parse_override('{"words": [{"index": 2, "word": "are", "emotion": "sad"}]}')
    with pytest.raises(InputError, match="word 2 was 'are', now 'am'.*clear override_json"):
        apply_override(pred.plan, pred.track, stale)
    with pytest.raises(InputError, match="edits word 40 but the speech has only 12 words"):
        apply_override(pred.plan, pred.track, parse_override('{"words": [{"index": 40, "emotion": "sad"}]}'))


def test_rendered_frames_change_only_around_the_edited_word(prediction, editor, portrait):
    from ectfg_core.face.framing import frame_portrait
    from nodes.render_node import EmbeddedRenderer

    spoken, pred = prediction
    face = frame_portrait(portrait.image, size=128)
    edit = json.dumps({"words": [{"index": GLAD, "word": "glad", "emotion": "sad", "intensity": 1.0}]})
    edited = editor().run(pred, edit)["result"][0]
    base = EmbeddedRenderer().run(face, spoken, pred, 0)[0]
    changed = EmbeddedRenderer().run(face, spoken, edited, 0)[0]
    assert base.shape == changed.shape and base.dtype == torch.float32
    diff = (base - changed).abs().flatten(1).mean(1).numpy()
    span = frames_of(pred.plan.words[GLAD], pred.track)
    assert diff[span].mean() > 0.004  # the face looks different while saying "glad"
    assert diff[: span.start - 10].max() < 1e-6 and diff[span.stop + 12:].max() < 1e-6  # and nowhere else
