"""Conflicts and negations: detected, reported in the plan's warnings, resolved by the stated rules
(conflicts.py and negation.py docstrings)."""

from __future__ import annotations

import json

import pytest

from ectfg_core.emotion import conflicts
from ectfg_core.emotion.description import parse_description
from ectfg_core.emotion.planning import plan_description
from ectfg_core.text import tokenize

TEXT = "I opened the door and found the money was gone this morning"
WORDS = [t.text for t in tokenize(TEXT)]


def _words(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


# --- rule 1: incompatible emotions at the same time ------------------------------------------------------------------


@pytest.mark.parametrize(
    "description, kept, dropped",
    [
        ("happy and furious at the same time", "angry", "happy"),
        ("furious and happy", "angry", "happy"),
        ("cheerful but disgusted", "disgusted", "happy"),  # 0.55 vs 0.7
        ("ecstatic and devastated", "happy", "sad"),  # both extreme (0.95): a tie goes to the one named first
    ],
)
def test_incompatible_emotions_keep_the_stronger_and_warn(description, kept, dropped):
    described = parse_description(description, WORDS, content=None)
    assert {t.emotion for t in described.targets} == {kept}
    assert all(not t.mixture or dropped not in t.mixture for t in described.targets)
    (warning,) = described.warnings
    assert "cannot be shown on one face at the same time" in warning and "then" in warning


@pytest.mark.parametrize(
    "description, classes",
    [
        ("bittersweet", {"happy", "sad"}),
        ("happy but nervous", {"happy", "fearful"}),
        ("hurt and angry", {"sad", "angry"}),
        ("angry and disgusted", {"angry", "disgusted"}),
        ("scared and surprised", {"fearful", "surprised"}),
        ("happy but a little annoyed", {"happy", "angry"}),  # the second is too weak to conflict
        ("sad with anger underneath", {"sad", "angry"}),  # an undertone is a tint, never a conflict
    ],
)
def test_compatible_emotions_blend_without_warning(description, classes):
    described = parse_description(description, WORDS, content=None)
    assert described.warnings == []
    for target in described.targets:
        assert set(target.mixture) == classes
        assert target.distribution().sum() == pytest.approx(1.0)


def test_blend_weights_follow_intensity_and_label_the_stronger():
    (target, *_) = parse_description("slightly nervous but very happy", WORDS, content=None).targets
    assert target.emotion == "happy" and target.mixture["happy"] > target.mixture["fearful"]


def test_incompatibility_rule_table():
    assert conflicts.incompatible("happy", 0.6, "angry", 0.7)
    assert not conflicts.incompatible("happy", 0.6, "angry", 0.3)  # a tinge
    assert not conflicts.incompatible("happy", 0.6, "sad", 0.6)  # bittersweet
    assert conflicts.incompatible("happy", 0.9, "sad", 0.9)  # both extreme
    assert not conflicts.incompatible("neutral", 0.3, "angry", 0.95)  # calm but furious: contained anger
    assert not conflicts.incompatible("surprised", 0.9, "happy", 0.9)


# --- rule 2: the description contradicts the text --------------------------------------------------------------------


def test_joyful_over_a_death_follows_the_description_and_warns():
    described = parse_description("joyful", _words("My dog died yesterday"))
    assert [t.emotion for t in described.targets] == ["happy"] * 4
    assert all(not t.mixture or "sad" not in t.mixture for t in described.targets)  # no incoherent mixture
    (warning,) = described.warnings
    assert '"died"' in warning and "happy" in warning and "sad" in warning and "follows the description" in warning


@pytest.mark.parametrize(
    "description, text, word",
    [
        ("furious", "Thank you so much for the lovely flowers", "lovely"),
        ("devastated", "Congratulations, you won the prize!", "Congratulations"),
        ("cheerful", "There is a dead rat in the kitchen and it stinks", "dead"),
    ],
)
def test_contradictions_name_the_words(description, text, word):
    warnings = parse_description(description, _words(text)).warnings
    assert len(warnings) == 1 and f'"{word}"' in warnings[0]


@pytest.mark.parametrize(
    "description, text",
    [
        ("sad", "My dog died yesterday"),  # agrees
        ("sarcastic", "Oh great another meeting"),  # too light to contradict: irony is the point
        ("calm", "My dog died yesterday"),  # neutral contradicts nothing
        ("bittersweet", "My dog died yesterday but we had fourteen wonderful years"),  # both sides named
        ("sad, then happy at 'won'", "I lost the first game but then we won"),  # each part agrees
        ("furious", "You forgot my birthday again"),  # one ordinary pleasant word is no contradiction
    ],
)
def test_agreeing_or_light_descriptions_do_not_warn(description, text):
    assert parse_description(description, _words(text)).warnings == []


# --- rule 3: places over the same words ------------------------------------------------------------------------------


def test_narrower_place_wins_and_the_wider_resumes():
    labels = [t.emotion for t in parse_description("sad for the first half, angry on 'the door'", WORDS).targets]
    assert labels == ["sad", "sad", "angry", "angry", "sad", "sad"] + ["neutral"] * 6


def test_two_phrases_on_the_same_words_warn_and_the_later_wins():
    described = parse_description("happy for the first half, sad for the first half", WORDS, content=None)
    assert [t.emotion for t in described.targets[:6]] == ["sad"] * 6
    assert any("placed on the same words" in w for w in described.warnings)


def test_two_everywhere_phrases_blend_or_conflict():
    blended = parse_description("sad throughout, nervous throughout", WORDS, content=None)
    assert set(blended.targets[0].mixture) == {"sad", "fearful"} and blended.warnings == []
    clash = parse_description("happy throughout; furious throughout", WORDS, content=None)
    assert {t.emotion for t in clash.targets} == {"angry"} and clash.warnings


# --- negation rule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "description, emotion, intensity",
    [
        ("not angry", "neutral", 0.3),
        ("not sad", "neutral", 0.3),
        ("not scared", "neutral", 0.3),
        ("not disgusted", "neutral", 0.3),
        ("not surprised", "neutral", 0.3),
        ("not happy", "sad", 0.3),
        ("not calm", "fearful", 0.35),
        ("no longer scared", "neutral", 0.3),
        ("stops being happy", "neutral", 0.3),
        ("she isn't angry anymore", "neutral", 0.3),
        ("not very angry", "angry", 0.7 * 0.45),
        ("not too worried", "fearful", 0.4 * 0.45),
        ("neither happy nor sad", "neutral", 0.3),
    ],
)
def test_negation_rule(description, emotion, intensity):
    described = parse_description(description, WORDS, content=None)
    assert {t.emotion for t in described.targets} == {emotion}
    assert described.targets[0].intensity == pytest.approx(intensity)
    assert described.warnings == []


def test_negation_beside_an_affirmed_emotion_only_confirms_it():
    for description in ("happy, not angry", "not angry, just happy", "happy rather than sad", "happy, not sad"):
        assert {t.emotion for t in parse_description(description, WORDS, content=None).targets} == {"happy"}


def test_a_negation_step_in_an_arc_is_its_own_step():
    labels = [t.emotion for t in parse_description("angry, then no longer angry", WORDS, content=None).targets]
    assert labels == ["angry"] * 6 + ["neutral"] * 6


# --- warnings reach the plan -----------------------------------------------------------------------------------------


def test_warnings_reach_the_plan_and_its_json():
    timings = [(w, 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(_words("My dog died yesterday"))]
    plan, _ = plan_description("joyful", timings)
    assert len(plan.warnings) == 1 and "died" in plan.warnings[0]
    assert json.loads(plan.to_json())["warnings"] == plan.warnings
