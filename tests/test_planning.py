"""Description + word timings -> EmotionPlan: the words keep their times and get the described emotions."""

from __future__ import annotations

import pytest

from ectfg_core.emotion.description import parse_description
from ectfg_core.emotion.planning import build_plan, plan_description
from ectfg_core.errors import InputError
from ectfg_core.types.emotion import EmotionPlan
from ectfg_core.types.speech import WordTiming

WORDS = ["I", "opened", "the", "door", "and", "found", "the", "money", "was", "gone"]
TIMINGS = [(w, round(0.3 * i, 2), round(0.3 * i + 0.25, 2)) for i, w in enumerate(WORDS)]


def _plan(description: str) -> EmotionPlan:
    return build_plan(description, parse_description(description, WORDS), TIMINGS)


def test_plan_words_keep_timings_and_get_the_described_emotion():
    plan = _plan("happy, then suddenly scared at 'the money'")
    assert [w.word for w in plan.words] == WORDS
    assert [(w.start, w.end) for w in plan.words] == [(s, e) for _, s, e in TIMINGS]
    assert [w.emotion for w in plan.words] == ["happy"] * 6 + ["fearful"] * 4
    assert plan.description == "happy, then suddenly scared at 'the money'"
    assert plan.duration == pytest.approx(TIMINGS[-1][2])


def test_gradual_change_reaches_the_plan_as_mixtures_and_a_ramp():
    plan = _plan("calm, slowly becoming furious")
    assert plan.words[0].emotion == "neutral" and plan.words[-1].emotion == "angry"
    assert plan.words[0].mixture is None and plan.words[-1].mixture is None
    assert all(set(w.mixture) == {"neutral", "angry"} for w in plan.words[1:-1])
    intensities = [w.intensity for w in plan.words]
    assert intensities == sorted(intensities) and intensities[0] < intensities[-1]


def test_warnings_reach_the_plan():
    plan = _plan("happy, then becomes blorpy")
    assert len(plan.warnings) == 1 and "blorpy" in plan.warnings[0]


def test_a_phrase_left_without_a_word_is_named_in_plain_english():
    description = "starts calm, ends angry"
    plan = build_plan(description, parse_description(description, ["Hello"]), [("Hello", 0.0, 0.4)])
    assert any('"starts calm" does not get a word of its own: 1 word is too few' in w for w in plan.warnings), plan.warnings


def test_plan_json_round_trip():
    plan = _plan("starts calm, slowly becomes furious, ends sad, then bittersweet")
    again = EmotionPlan.from_json(plan.to_json())
    assert again.to_dict() == plan.to_dict()
    assert [w.emotion for w in again.words] == [w.emotion for w in plan.words]
    for before, after in zip(plan.words, again.words, strict=True):
        assert after.intensity == pytest.approx(before.intensity, abs=1e-4)
        assert (after.mixture is None) == (before.mixture is None)
        if before.mixture:
            assert after.mixture == pytest.approx(before.mixture, abs=1e-3)


def test_plan_file_round_trip(tmp_path):
    path = tmp_path / "plan.json"
    _plan("very happy, then suddenly terrified").save(path)
    loaded = EmotionPlan.load(path)
    assert [w.emotion for w in loaded.words] == ["happy"] * 5 + ["fearful"] * 5
    assert loaded.description == "very happy, then suddenly terrified"


def test_word_timing_objects_are_accepted():
    timings = [WordTiming(i, w, s, e) for i, (w, s, e) in enumerate(TIMINGS)]
    plan, described = plan_description("sad", timings)
    assert [w.emotion for w in plan.words] == ["sad"] * len(WORDS)
    assert described.hints == []


def test_wrong_number_of_timings_is_an_input_error():
    described = parse_description("happy", WORDS)
    with pytest.raises(InputError, match="timings for 9 words but the emotion plan has 10"):
        build_plan("happy", described, TIMINGS[:-1])


@pytest.mark.parametrize("bad", [("door", 1.0, 0.5), ("door", -1.0, 0.5), ("door", "soon", 1.0), ("door", 1.0)])
def test_bad_timings_are_input_errors(bad):
    timings = list(TIMINGS)
    timings[3] = bad
    with pytest.raises(InputError):
        build_plan("happy", parse_description("happy", WORDS), timings)
