"""Time structure, transitions and intensity of descriptions: where changes happen, how fast, how strong.

Mirror (documented in the plan docs and pinned here): "calm, then suddenly terrified" and "terrified, slowly
calming down" over the same text have the same two emotions in reversed order (the label sequence of one, read
backwards, is the other's) and swapped end intensities; the first changes in one step at the middle, the second
ramps over the whole text. Same-shape pairs ("calm, slowly becoming terrified" / "terrified, slowly calming down",
"calm, then suddenly terrified" / "terrified, then suddenly calm") mirror exactly, intensity for intensity.
"""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.emotion import spans
from ectfg_core.emotion.description import parse_description
from ectfg_core.text import tokenize

TEXT = "I opened the door and found the money was gone this morning"
WORDS = [t.text for t in tokenize(TEXT)]
LONG = [t.text for t in tokenize("we walked along the river and talked about the plans for the summer " * 2)]


def _parse(description: str, words=WORDS):
    return parse_description(description, words, content=None)


def _labels(description: str, words=WORDS) -> list[str]:
    return [t.emotion for t in _parse(description, words).targets]


def _levels(description: str, words=WORDS) -> np.ndarray:
    return np.array([t.intensity for t in _parse(description, words).targets])


# --- mirror ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("words", [WORDS[:5], WORDS, LONG], ids=["5 words", "12 words", "28 words"])
def test_sudden_rise_mirrors_slow_fall(words):
    rise, fall = "calm, then suddenly terrified", "terrified, slowly calming down"
    assert _labels(rise, words) == _labels(fall, words)[::-1]
    up, down = _levels(rise, words), _levels(fall, words)
    assert up[0] == pytest.approx(down[-1]) and up[-1] == pytest.approx(down[0])
    assert np.count_nonzero(np.diff(up)) == 1 and np.all(np.diff(up) >= 0)  # one step
    assert np.all(np.diff(down) < 0)  # a ramp over every word


@pytest.mark.parametrize(
    "a, b",
    [
        ("calm, slowly becoming terrified", "terrified, slowly calming down"),
        ("calm, then suddenly terrified", "terrified, then suddenly calm"),
        ("happy for the first half, then sad", "sad for the first half, then happy"),
    ],
)
def test_same_shape_pairs_mirror_exactly(a, b):
    assert _labels(a) == _labels(b)[::-1]
    np.testing.assert_allclose(_levels(a), _levels(b)[::-1], atol=1e-6)


# --- transitions -----------------------------------------------------------------------------------------------------


def _changing_words(description: str, words=LONG) -> int:
    """Words whose mixture is a blend of two classes: the width of the transition."""
    return sum(1 for t in _parse(description, words).targets if t.mixture)


def test_sudden_words_change_in_one_step_gradual_words_over_the_whole_stretch():
    assert _changing_words("calm, then suddenly angry") == 0
    assert _changing_words("calm, then snaps into anger") == 0
    assert _changing_words("calm, then angry") == 2  # the default cross-fade
    assert _changing_words("calm, then slowly angry") >= len(LONG) - 2
    assert _changing_words("calm, anger builds up gradually") >= len(LONG) - 2
    assert _changing_words("calm, then gradually angry") == _changing_words("calm, then slowly angry")


def test_gradual_change_by_the_middle_is_complete_at_the_middle():
    levels = _levels("calm, slowly becoming furious by the middle", LONG)
    middle = (len(LONG) - 1) // 2
    assert np.all(np.diff(levels[: middle + 1]) > 0)
    assert np.allclose(levels[middle + 1 :], levels[-1])


def test_slow_change_after_a_bounded_phrase_starts_where_it_ends():
    described = _parse("furious at the start, calmer by the end")
    levels = [t.intensity for t in described.targets]
    assert levels[:4] == [pytest.approx(0.95)] * 4  # the start (first third) holds
    assert np.all(np.diff(levels[4:]) < 0) and described.targets[-1].emotion == "neutral"


def test_quoted_word_is_reached_in_full_and_after_means_the_next_word():
    at = _parse("calm, then angry at 'the money'")
    assert at.targets[6].emotion == "angry" and at.targets[6].intensity == pytest.approx(0.7)
    assert at.targets[5].emotion == "neutral"
    after = _labels("calm, then sad after 'the money'")
    assert after.index("sad") == 8  # "the money" is words 6-7
    calms = _labels("angry, calms down after 'found'")
    assert calms[:6] == ["angry"] * 6 and calms[-1] == "neutral"


def test_bounded_quote_returns_to_what_was_before():
    targets = _parse("sad, but angry on 'the money'").targets
    assert [t.emotion for t in targets] == ["sad"] * 6 + ["angry"] * 2 + ["sad"] * 4
    assert targets[6].intensity == pytest.approx(0.7) and targets[8].intensity == pytest.approx(0.6)


def test_brief_emotion_lasts_a_few_words():
    labels = _labels("calm, briefly furious, then calm again", LONG)
    assert 1 <= labels.count("angry") <= 3


def test_the_second_quote_after_from_or_between_closes_the_range():
    assert _labels("angry from 'the door' to 'found'") == ["neutral"] * 2 + ["angry"] * 4 + ["neutral"] * 6
    only_first = _parse("angry at 'the door' and 'the money'")
    assert any("more than one place" in w for w in only_first.warnings)


# --- places as proportions and counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, n, expected",
    [
        ("for the first half", 12, (0.0, 6.0)),
        ("in the second half", 12, (6.0, 12.0)),
        ("in the last third", 12, (8.0, 12.0)),
        ("for the first two thirds", 12, (0.0, 8.0)),
        ("in the middle third", 9, (3.0, 6.0)),
        ("during the last quarter", 12, (9.0, 12.0)),
        ("for the first few words", 12, (0.0, 3.0)),
        ("on the last two words", 12, (10.0, 12.0)),
        ("the final word", 7, (6.0, 7.0)),
        ("for the first 3 words", 12, (0.0, 3.0)),
        ("for the first 25%", 12, (0.0, 3.0)),
        ("towards the end", 12, (8.0, 12.0)),
        ("at the beginning", 12, (0.0, 4.0)),
        ("two thirds of the way through", 12, (8.0, None)),
        ("from the 3rd word", 12, (2.0, None)),
        ("after the first third", 12, (4.0, None)),
        ("until the second half", 12, (6.0, None)),
        ("for the first half", 1, (0.0, 1.0)),
        ("for the last 5 words", 3, (0.0, 3.0)),
    ],
)
def test_places_resolve_to_words(phrase, n, expected):
    ((_, _, span),) = spans.find(phrase)
    assert span.resolve(n) == expected


@pytest.mark.parametrize("phrase", ["until the end", "all the way to the end", "by the end", "by the middle"])
def test_phrases_that_are_not_places(phrase):
    assert spans.find(phrase) == []


def test_places_are_never_read_inside_quotes():
    described = _parse("sad at 'for the first half'", ["for", "the", "first", "half", "of", "it"])
    assert [t.emotion for t in described.targets] == ["sad"] * 6


# --- intensity -------------------------------------------------------------------------------------------------------


def _level(description: str) -> float:
    levels = _levels(description)
    assert np.allclose(levels, levels[0])
    return float(levels[0])


def test_adverbs_order_intensity():
    chain = ["barely angry", "slightly angry", "a bit angry", "angry", "quite angry", "very angry", "extremely angry"]
    levels = [_level(d) for d in chain]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)


@pytest.mark.parametrize(
    "chain",
    [
        ["irritated", "angry", "furious"],
        ["annoyed", "mad", "livid"],
        ["content", "happy", "elated", "ecstatic"],
        ["wistful", "sad", "heartbroken", "devastated"],
        ["uneasy", "nervous", "scared", "terrified"],
        ["curious", "surprised", "astonished", "flabbergasted"],
        ["put off", "grossed out", "disgusted", "revolted"],
    ],
)
def test_synonyms_order_intensity(chain):
    levels = [_level(d) for d in chain]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)


def test_emphasis_raises_intensity_within_range():
    assert _level("happy") < _level("happy!") < _level("happy!!!") <= 1.0
    assert _level("happy") < _level("sooo happy") and _level("so happy") < _level("sooo happy")
    assert _level("happy") < _level("happy happy")
    assert _level("angry") < _level("ANGRY")
    assert _level("a hint of sadness") < _level("sadness") < _level("deep sadness")
    assert _level("rage") < _level("barely contained rage") <= 1.0


def test_comparatives_step_from_the_same_emotion():
    levels = [k.intensity for k in _parse("annoyed, then angrier, then even angrier").keyframes]
    assert levels[0] < levels[1] < levels[2]
    rising = _levels("gets angrier and angrier")
    assert np.all(np.diff(rising) > 0)


def test_peak_is_the_strongest_point_and_fade_returns_to_calm():
    described = _parse("anger builds up, peaks at 'the money', then fades")
    levels = [t.intensity for t in described.targets]
    assert int(np.argmax(levels)) == 6 and levels[6] >= 0.9
    assert described.targets[-1].emotion == "neutral" and levels[-1] < 0.3
