"""Emotion descriptions -> which emotion each spoken word gets, how strongly, and what the user is warned about."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ectfg_core.emotion import lexicon
from ectfg_core.emotion.description import keyframes_to_targets, parse_description
from ectfg_core.errors import InputError
from ectfg_core.text import tokenize
from ectfg_core.types.emotion import EMOTIONS

# 12 words: I(0) opened(1) the(2) door(3) and(4) found(5) the(6) money(7) was(8) gone(9) this(10) morning(11)
TEXT = "I opened the door and found the money was gone this morning"
WORDS = [t.text for t in tokenize(TEXT)]
CODE = {"n": "neutral", "h": "happy", "s": "sad", "a": "angry", "f": "fearful", "u": "surprised", "d": "disgusted"}


def _labels(description: str, text: str = TEXT) -> str:
    described = parse_description(description, [t.text for t in tokenize(text)])
    inverse = {name: letter for letter, name in CODE.items()}
    return "".join(inverse[t.emotion] for t in described.targets)


def _intensities(description: str, words=WORDS) -> np.ndarray:
    return np.array([t.intensity for t in parse_description(description, words).targets])


def _level(description: str) -> float:
    """The intensity of a one-emotion description (the same on every word)."""
    values = _intensities(description)
    assert np.allclose(values, values[0])
    return float(values[0])


# Each expected string has one letter per word of TEXT (see CODE).
@pytest.mark.parametrize(
    "description, expected",
    [
        ("happy", "hhhhhhhhhhhh"),
        ("very happy", "hhhhhhhhhhhh"),
        ("slightly sad", "ssssssssssss"),
        ("extremely angry!", "aaaaaaaaaaaa"),
        ("heartbroken", "ssssssssssss"),
        ("revolted", "dddddddddddd"),
        ("", "nnnnnnnnnnnn"),
        ("calm, then suddenly terrified", "nnnnnnffffff"),
        ("calm then suddenly angry", "nnnnnnaaaaaa"),
        ("calm, then angry", "nnnnnnaaaaaa"),
        ("happy -> sad", "hhhhhhssssss"),
        ("happy, sad, angry", "hhhhssssaaaa"),
        ("content, then gloomy", "hhhhhhssssss"),
        ("astonished, then grossed out", "uuuuuudddddd"),
        ("starts happy and ends sad", "hhhhhhssssss"),
        # A word exactly halfway through a slow change takes the stronger emotion (mirrors stay exact).
        ("starts calm, slowly becomes furious, ends sad", "nnaaaaaassss"),
        ("starts calm, grows irritated, ends in a sad whisper", "nnaaaaaassss"),
        ("calm, slowly becoming terrified", "nnnnnnffffff"),
        ("terrified, slowly calming down", "ffffffnnnnnn"),
        ("at first calm, halfway shocked, by the end disgusted", "nnnnnnuuuddd"),
        ("disgusted, then suddenly elated halfway", "ddddddhhhhhh"),
        ("calm; scared → terrified", "nnnnffffffff"),
        ("nervous, then bursts into laughter", "ffffffhhhhhh"),
        ("shouting angrily, then trembling with fear", "aaaaaaffffff"),
        ("happy, then suddenly scared at 'the door'", "hhffffffffff"),
        ("happy, then suddenly scared when she says 'money was gone'", "hhhhhhhfffff"),
        ("calm until 'found', then angry", "nnnnnaaaaaaa"),
        ("angry after 'the door'", "nnnnaaaaaaaa"),
        ("scared at 'the door'", "nnffffffffff"),
        ("angry until 'the money'", "aaaaaannnnnn"),
        ("sad by the middle", "nnnsssssssss"),  # "by": reached at the middle, gradually from the start
        ("ends sad", "nnnnnnssssss"),
        ("slowly gets angry", "nnnnnnaaaaaa"),
        ("not angry, just calm", "nnnnnnnnnnnn"),
        ("angry, then no longer angry", "aaaaaannnnnn"),
        ("happy and sad", "hhhhhhhhhhhh"),
        ("sad, ends in a whisper", "ssssssssssss"),
    ],
)
def test_emotion_per_word(description, expected):
    assert _labels(description) == expected


@pytest.mark.parametrize(
    "description, text, expected",
    [
        ("starts calm, suddenly furious at 'did that'", "I can't believe you did that.", "nnnnaa"),
        ("happy, then scared at ‘can’t believe’", "I can't believe you did that.", "hfffff"),
        ('sad until "YOU", then happy', "I can't believe you did that.", "ssshhh"),
        ("calm, then suddenly terrified", "Run", "f"),  # one word split in two halves: the stronger emotion
        ("terrified, then suddenly calm", "Hello there, how are you", "fffnn"),
    ],
)
def test_emotion_per_word_other_texts(description, text, expected):
    assert _labels(description, text) == expected


def test_anchor_match_ignores_case_and_punctuation():
    described = parse_description("sad, then suddenly happy at 'the door'", ["Open", "THE", "Door!", "now"])
    assert [t.emotion for t in described.targets] == ["sad", "happy", "happy", "happy"]
    assert described.keyframes[-1].position == 1
    assert described.warnings == []


# --- intensity -----------------------------------------------------------------------------------------------------


def test_intensity_adverbs_order_the_same_emotion():
    levels = [_level(d) for d in ("barely sad", "slightly sad", "a bit sad", "sad", "quite sad", "very sad",
                                  "extremely sad")]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)


def test_synonyms_carry_their_own_strength():
    assert _level("irritated") < _level("angry") < _level("furious")
    assert _level("content") < _level("cheerful") < _level("joyful") < _level("elated")
    assert _level("down") < _level("gloomy") < _level("heartbroken")
    assert _level("anxious") < _level("scared") < _level("terrified")
    assert _level("astonished") < _level("shocked")
    assert _level("calm") < _level("slightly sad")  # calm is a low-intensity neutral


def test_emphasis_raises_intensity_a_little_and_stays_in_range():
    assert _level("extremely angry") < _level("extremely angry!") < _level("extremely angry!!!") <= 1.0
    assert _level("very angry") < _level("very very angry")
    assert _level("happy") < _level("HAPPY")
    assert _level("extremely angry!!!") - _level("extremely angry") < 0.1
    assert _level("incredibly extremely furious!!!!!!!!") <= 1.0


def test_comparatives_are_relative_to_the_previous_phrase():
    levels = [k.intensity for k in parse_description("irritated, then angrier, then even more angry", WORDS).keyframes]
    assert levels[0] < levels[1] < levels[2]
    furious, calmer = parse_description("furious, then less angry", WORDS).keyframes
    assert calmer.emotion == "angry" and calmer.intensity < furious.intensity


def test_mirror_pairs_have_mirrored_intensity_curves():
    up = _intensities("calm, slowly becoming terrified")
    down = _intensities("terrified, slowly calming down")
    np.testing.assert_allclose(up, down[::-1], atol=1e-6)
    assert np.all(np.diff(up) > 0)
    step_up = _intensities("calm, then suddenly terrified")
    step_down = _intensities("terrified, then suddenly calm")
    np.testing.assert_allclose(step_up, step_down[::-1], atol=1e-6)


def test_sudden_rise_and_slow_fall_are_opposite_in_direction_and_shape():
    rise = _intensities("calm, then suddenly terrified")
    fall = _intensities("terrified, slowly calming down")
    assert rise[0] == pytest.approx(fall[-1]) and rise[-1] == pytest.approx(fall[0])
    assert np.all(np.diff(rise) >= 0) and np.all(np.diff(fall) <= 0)
    assert np.count_nonzero(np.diff(rise)) == 1  # one step
    assert np.count_nonzero(np.diff(fall)) == len(WORDS) - 1  # changes on every word


def test_gradual_change_cross_fades_the_mixture():
    targets = parse_description("calm, slowly becoming terrified", WORDS).targets
    assert targets[0].mixture is None and targets[-1].mixture is None
    fear = [t.distribution()[EMOTIONS.index("fearful")] for t in targets]
    assert np.all(np.diff(fear) > 0)
    for t in targets[1:-1]:
        assert set(t.mixture) == {"neutral", "fearful"}
        assert sum(t.mixture.values()) == pytest.approx(1.0)


def test_sudden_change_has_no_blend_and_default_change_blends_two_words():
    assert all(t.mixture is None for t in parse_description("calm, then suddenly angry", WORDS).targets)
    blended = [i for i, t in enumerate(parse_description("calm, then angry", WORDS).targets) if t.mixture]
    assert blended == [5, 6]


def test_blend_phrase_gives_a_mixture_everywhere():
    for target in parse_description("bittersweet", WORDS).targets:
        assert target.mixture == pytest.approx({"happy": 0.5, "sad": 0.5})
        assert target.distribution().sum() == pytest.approx(1.0)


# --- keyframes and hints -------------------------------------------------------------------------------------------


def test_keyframes_record_position_transition_and_source():
    described = parse_description("starts calm, slowly becomes furious, then suddenly sad at 'the money'", WORDS)
    assert [k.emotion for k in described.keyframes] == ["neutral", "angry", "sad"]
    assert [k.transition for k in described.keyframes[1:]] == ["gradual", "sudden"]
    assert described.keyframes[0].position == 0 and described.keyframes[-1].position == 6
    assert described.keyframes[1].source == "slowly becomes furious"
    assert described.keyframes[2].source == "then suddenly sad at 'the money'"


def test_targets_can_be_recomputed_from_keyframes():
    described = parse_description("starts calm, slowly becomes furious, ends sad", WORDS)
    again = keyframes_to_targets(described.keyframes, len(WORDS))
    assert [(t.emotion, t.intensity, t.mixture) for t in again] == [
        (t.emotion, t.intensity, t.mixture) for t in described.targets
    ]


def test_voice_hints_are_collected_in_order():
    assert parse_description("starts calm, grows irritated, ends in a sad whisper", WORDS).hints == ["whisper"]
    assert parse_description("shouting angrily, then trembling with fear", WORDS).hints == ["shout", "tremble"]
    assert parse_description("happy", WORDS).hints == []


def test_lexicon_prefers_the_longest_phrase():
    assert lexicon.lookup(["calming", "down"], 0)[0] == lexicon.EmotionWord("neutral", 0.3)
    assert lexicon.lookup(["down"], 0)[0].emotion == "sad"
    assert lexicon.lookup(["grossed", "out"], 0)[1] == 2


# --- warnings ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    ["happy", "starts calm, slowly becomes furious, ends sad", "happy, then suddenly scared at 'the door'", ""],
)
def test_clean_descriptions_have_no_warnings(description):
    assert parse_description(description, WORDS).warnings == []


def test_phrase_without_a_known_emotion_is_named_in_a_warning():
    described = parse_description("happy, then becomes blorpy", WORDS)
    assert _labels("happy, then becomes blorpy") == "h" * 12
    assert len(described.warnings) == 1 and '"blorpy"' in described.warnings[0]


def test_misspelled_emotion_gets_a_suggestion():
    (warning,) = parse_description("happy, then very anrgy", WORDS).warnings
    assert '"anrgy"' in warning and 'did you mean "angry"' in warning
    (warning,) = parse_description("happy and anrgy", WORDS).warnings
    assert 'did you mean "angry"' in warning


def test_unknown_words_inside_an_emotion_phrase_are_ignored_quietly():
    described = parse_description("happy while looking at the camera", WORDS)
    assert described.warnings == [] and _labels("happy while looking at the camera") == "h" * 12


def test_negation_next_to_an_affirmed_emotion_only_confirms_it():
    described = parse_description("happy, not angry", WORDS)
    assert {t.emotion for t in described.targets} == {"happy"} and described.warnings == []
    only = parse_description("not angry", WORDS)
    assert {t.emotion for t in only.targets} == {"neutral"} and only.warnings == []


def test_missing_anchor_warns_and_falls_back_to_order():
    described = parse_description("scared at 'the window', then happy", WORDS)
    assert _labels("scared at 'the window', then happy") == "ffffffhhhhhh"
    assert any('"the window"' in w and "not in the text" in w for w in described.warnings)


def test_too_many_changes_for_the_text_warn():
    described = parse_description("happy, then sad, then angry, then scared, then surprised", ["Hi", "there"])
    assert len(described.targets) == 2
    assert any("too few" in w for w in described.warnings)


def test_anchors_out_of_order_are_sorted_by_the_text_with_a_warning():
    described = parse_description("scared at 'the door', happy at 'I opened'", WORDS)
    assert _labels("scared at 'the door', happy at 'I opened'") == "hhffffffffff"
    assert any("order of the text" in w for w in described.warnings)


def test_second_quote_in_a_phrase_is_reported():
    described = parse_description("angry at 'the door' and 'the money'", WORDS)
    assert any("more than one place" in w for w in described.warnings)


# --- errors and odd input ------------------------------------------------------------------------------------------


def test_description_without_emotion_is_a_one_line_input_error():
    with pytest.raises(InputError) as err:
        parse_description("xyz", WORDS)
    message = str(err.value)
    assert "\n" not in message
    assert '"xyz"' in message and "names no emotion" in message
    assert "happy" in message and "calm" in message
    # Worded for any caller: the CLI adds its flag and help, a node its input name (tests/test_messages.py).
    assert "--" not in message and "ectfg" not in message and err.value.field == "emotion"


@pytest.mark.parametrize("description", ["blorp zzz qwerty", "then, slowly", "'the door'"])
def test_other_descriptions_without_emotion_raise(description):
    with pytest.raises(InputError, match="names no emotion"):
        parse_description(description, WORDS)


def test_no_emotion_error_suggests_a_spelling():
    with pytest.raises(InputError, match="did you mean 'angry'"):
        parse_description("anrgy", WORDS)


@pytest.mark.parametrize("description, expected", [
    ("😡", "aaaaaaaaaaaa"),
    ("starts 🙂, suddenly 😱 at 'money', ends 😭", "hhhhhhhfffss"),
    ("🤢 until 'found', then 😮", "ddddduuuuuuu"),
    ("calm 👍🏽 then 😠️", "nnnnnnaaaaaa"),  # a skin tone and the emoji presentation selector change nothing
])
def test_emoji_read_as_the_feeling_they_show(description, expected):
    """Artists type emoji into prompts. An emoji description read as no words at all: silently calm."""
    assert _labels(description) == expected


def test_emoji_keep_their_words_strength_and_voice():
    assert _level("😡") > _level("😠") > _level("😒")  # furious > angry > annoyed
    assert parse_description("😭", WORDS).hints == ["sob"] and parse_description("😂", WORDS).hints == ["laugh"]


def test_an_emoji_that_shows_no_feeling_is_reported_like_an_unknown_word():
    with pytest.raises(InputError, match="names no emotion"):
        parse_description("🎉🔥", WORDS)


def test_overlong_description_is_rejected():
    with pytest.raises(InputError, match="keep it under"):
        parse_description("happy " * 400, WORDS)


@pytest.mark.parametrize("description", ["", "   ", "...", None])
def test_empty_description_is_low_neutral(description):
    described = parse_description(description, WORDS)
    assert {t.emotion for t in described.targets} == {"neutral"}
    assert all(t.intensity <= 0.3 for t in described.targets)
    assert described.warnings == []


def test_voice_only_description_is_neutral_with_a_hint():
    described = parse_description("whispering", WORDS)
    assert {t.emotion for t in described.targets} == {"neutral"} and described.hints == ["whisper"]


def test_no_words_gives_no_targets():
    described = parse_description("happy, then sad", [])
    assert described.targets == [] and described.keyframes


def test_random_descriptions_never_break():
    rng = random.Random(7)
    vocabulary = ["happy", "very", "slowly", "then", "suddenly", ",", "not", "'door'", "ends", "furious", "calm",
                  "halfway", "!", "until", "whisper", "a bit", "blorp", "and", "by the end", "more", "after",
                  "for the first half", "in the last third", "the last two words", "on", "between", "'money'",
                  "throughout", "underneath", "briefly", "fades", "peaks", "builds up", "snaps", "no longer",
                  "bittersweet", "at the same time", "from", "to", "towards the end", "angrier and angrier", "sooo"]
    for _ in range(600):
        description = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 12)))
        words = WORDS[: rng.randint(0, len(WORDS))]
        try:
            described = parse_description(description, words)
        except InputError:
            continue
        assert len(described.targets) == len(words)
        for target in described.targets:
            assert target.emotion in EMOTIONS and 0.0 <= target.intensity <= 1.0
            assert target.distribution().sum() == pytest.approx(1.0, abs=1e-5)
        positions = [k.position for k in described.keyframes]
        assert positions == sorted(positions)
