import json

import numpy as np
import pytest

from ectfg_core.errors import InputError
from ectfg_core.types.emotion import EMOTIONS, EmotionPlan, EmotionTrack, WordEmotion


def _plan() -> EmotionPlan:
    return EmotionPlan(
        words=[
            WordEmotion("Hello", 0.0, 0.4, "happy", 0.8),
            WordEmotion("there", 0.5, 0.9, "sad", 0.35, mixture={"sad": 0.7, "happy": 0.3}),
        ],
        warnings=["example warning"],
        description="happy, then bittersweet",
    )


def test_seven_classes_in_fixed_order():
    assert EMOTIONS == ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted")


def test_plan_json_round_trip_keeps_every_field():
    plan = _plan()
    again = EmotionPlan.from_json(plan.to_json())
    assert again.to_dict() == plan.to_dict()
    assert again.words[1].mixture == pytest.approx({"sad": 0.7, "happy": 0.3})
    assert again.duration == pytest.approx(0.9)


def test_plan_file_round_trip(tmp_path):
    path = tmp_path / "plan.json"
    _plan().save(path)
    assert EmotionPlan.load(path).words[0].emotion == "happy"


def test_mixture_distribution_sums_to_one():
    dist = _plan().words[1].distribution()
    assert dist.sum() == pytest.approx(1.0)
    assert dist[EMOTIONS.index("sad")] == pytest.approx(0.7)


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"word": "a", "start": 0, "end": 1, "emotion": "grumpy", "intensity": 0.5}, "unknown emotion class"),
        ({"word": "a", "start": 1, "end": 0.5, "emotion": "sad", "intensity": 0.5}, "invalid timing"),
        ({"word": "a", "start": 0, "end": 1, "emotion": "sad", "intensity": 1.5}, "intensities go from 0 to 1"),
        ({"word": "a", "start": 0, "end": 1, "emotion": "sad"}, "lacks the field"),
    ],
)
def test_bad_plan_entries_are_named(entry, message):
    with pytest.raises(InputError, match=message):
        EmotionPlan.from_dict({"words": [entry]})


def test_plan_rejects_invalid_json():
    with pytest.raises(InputError, match="not valid JSON"):
        EmotionPlan.from_json("{words: ")


def test_track_round_trip_and_normalisation():
    probs = np.zeros((5, 7), dtype=np.float32)
    probs[:, 1] = 2.0  # unnormalised input gets normalised
    probs[2, 3] = 2.0
    track = EmotionTrack(fps=25, probs=probs, intensity=np.linspace(0, 1, 5))
    assert np.allclose(track.probs.sum(axis=1), 1.0)
    again = EmotionTrack.from_json(track.to_json())
    assert again.num_frames == 5 and again.fps == 25
    assert np.allclose(again.probs, track.probs, atol=1e-4)
    assert again.labels() == ["happy", "happy", "happy", "happy", "happy"]  # tie resolved to the first class
    assert track.duration == pytest.approx(0.2)
    weights = track.expression_weights()
    assert weights[0].sum() == pytest.approx(0.0) and weights[-1].sum() == pytest.approx(1.0)


def test_track_shape_errors_are_clear():
    with pytest.raises(InputError, match=r"shape \(frames, 7\)"):
        EmotionTrack(fps=25, probs=np.ones((4, 6)), intensity=np.ones(4))
    with pytest.raises(InputError, match="one value per frame"):
        EmotionTrack(fps=25, probs=np.ones((4, 7)), intensity=np.ones(3))
    with pytest.raises(InputError, match="fps must be positive"):
        EmotionTrack(fps=0, probs=np.ones((4, 7)), intensity=np.ones(4))
    with pytest.raises(InputError, match="classes"):
        EmotionTrack.from_dict({"fps": 25, "emotions": ["a"], "frames": []})
    bad = json.dumps({"fps": 25, "frames": [{"probs": [1, 0]}]})
    with pytest.raises(InputError, match="every track frame"):
        EmotionTrack.from_json(bad)
