"""The words of the text modulate any description (TIE-TFG Fig. 3b: a fixed emotion whose intensity and expression
still follow what is said), by a content amount from 0 (exactly the description) to 1, with the described class on
top unless the description invites the text in."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ectfg_core.emotion import content, invitation
from ectfg_core.emotion.description import parse_description
from ectfg_core.emotion.planning import build_plan
from ectfg_core.errors import InputError
from ectfg_core.text import tokenize
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT
from ectfg_core.types.emotion import EMOTION_INDEX, EmotionPlan
from tests.test_content_colouring import CASES as DESCRIBED_CASES


def _words(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


# Laughter, then grief. Index: laughed 1, 3; wonderful 6; phone 10; died 15; miss 17.
STORY = _words("We laughed and laughed, what a wonderful day. Then the phone rang, and she had died. I miss her so much.")
DELIGHT, LOSS, PLAIN = (1, 3, 6), (15, 17), (9, 10, 11)
FIRST, SECOND = range(0, 8), range(8, len(STORY))


def _share(target, emotion: str) -> float:
    return float(target.distribution()[EMOTION_INDEX[emotion]])


def _on_top(target) -> bool:
    """The labelled class has the highest probability, strictly."""
    dist = target.distribution()
    top = dist[EMOTION_INDEX[target.emotion]]
    return all(p < top for k, p in enumerate(dist) if k != EMOTION_INDEX[target.emotion])


def test_content_zero_is_exactly_the_description():
    described = parse_description("calm", STORY, content_amount=0)
    assert {t.emotion for t in described.targets} == {"neutral"}
    assert len({t.intensity for t in described.targets}) == 1  # the same intensity on every word
    assert all(t.mixture is None for t in described.targets)
    assert described.content == 0 and described.stance is None


@pytest.mark.parametrize("amount", [0.25, DEFAULT_CONTENT_AMOUNT, 1.0])
def test_words_of_delight_lift_and_words_of_loss_darken_a_calm_reading(amount):
    described = parse_description("calm", STORY, content_amount=amount)
    targets = described.targets
    assert [t.emotion for t in targets] == ["neutral"] * len(STORY)
    assert all(_on_top(t) for t in targets)
    plain = targets[PLAIN[0]].intensity
    assert all(targets[i].intensity == plain and targets[i].mixture is None for i in PLAIN)
    for i in DELIGHT:
        assert targets[i].intensity > plain and _share(targets[i], "happy") > 0 and _share(targets[i], "sad") == 0
    for i in LOSS:
        assert targets[i].intensity > plain and _share(targets[i], "sad") > 0 and _share(targets[i], "happy") == 0
    assert described.warnings == []


def test_more_content_moves_further_and_stays_bounded():
    died = STORY.index("died")
    levels = [parse_description("calm", STORY, content_amount=a).targets[died] for a in (0.0, 0.25, 0.5, 0.75, 1.0)]
    intensities = [t.intensity for t in levels]
    shares = [_share(t, "sad") for t in levels]
    assert intensities == sorted(intensities) and len(set(intensities)) == 5
    assert shares == sorted(shares) and shares[0] == 0
    top = levels[-1]  # at the most, still calm: neutral above sad by the margin
    assert top.emotion == "neutral" and _share(top, "neutral") >= _share(top, "sad") + content.TOP_MARGIN - 1e-6


# The described-word cases of test_content_colouring, plus a calm reading over laughter then grief.
CASES = [*DESCRIBED_CASES, ("calm", "We laughed and laughed, what a wonderful day. Then the phone rang, and she had died.")]


@pytest.mark.parametrize("description, text", CASES)
@pytest.mark.parametrize("amount", [0.5, 1.0])
def test_without_an_invitation_the_described_class_stays_on_top(description, text, amount):
    words = _words(text)
    plain = parse_description(description, words, content_amount=0)
    coloured = parse_description(description, words, content_amount=amount)
    assert [t.emotion for t in coloured.targets] == [t.emotion for t in plain.targets]
    for a, b, origin in zip(coloured.targets, plain.targets, coloured.origins):
        if origin == "description":
            assert _on_top(a) or a.mixture == b.mixture  # ramps keep their own cross-fade
            assert abs(a.intensity - b.intensity) <= 2 * max(content.BOOST, content.LIFT, content.DAMP) + 1e-9


def test_a_smile_falters_on_words_of_loss():
    words = _words("My dog died yesterday and I miss him")
    targets = parse_description("happy", words).targets
    assert all(t.emotion == "happy" for t in targets)
    assert targets[2].intensity < targets[0].intensity  # "died"
    assert _share(targets[2], "sad") == 0  # the opposite pleasantness is never mixed in


@pytest.mark.parametrize("description", [
    "calm, and let the words colour it", "calm; let the text lead", "calm, following the words",
    "calm, as the words say", "let the words color it",
])
def test_an_invitation_lets_laughter_then_grief_turn_happy_then_sad(description):
    described = parse_description(description, STORY)
    labels = [t.emotion for t in described.targets]
    assert described.stance == "invite" and not any("ignored" in w for w in described.warnings)
    assert "happy" in [labels[i] for i in FIRST] and "sad" not in [labels[i] for i in FIRST]
    assert "sad" in [labels[i] for i in SECOND] and "happy" not in [labels[i] for i in SECOND]
    assert all(labels[i] == "neutral" for i in PLAIN)  # what says nothing stays as described
    assert {described.origins[i] for i in DELIGHT + LOSS} == {"text"}
    # an invitation moves each word at least as far as the same description without it
    calm = parse_description(invitation.find(description).text, STORY).targets
    assert all(a.intensity >= b.intensity for a, b in zip(described.targets, calm))
    # at 0 even an invitation is the description alone, and the plan says why the words do not show
    still = parse_description(description, STORY, content_amount=0)
    assert {t.emotion for t in still.targets} == {"neutral"}
    assert any("content is 0" in w for w in still.warnings)


def test_an_explicit_quote_is_never_taken_over():
    words = _words("Congratulations on the money, what wonderful news, I am so proud of you")
    for description in ("furious at 'the money'", "calm, furious at 'the money', and let the words colour it"):
        for amount in (0.5, 1.0):
            targets = parse_description(description, words, content_amount=amount).targets
            for i in (2, 3):  # "the money"
                assert targets[i].emotion == "angry" and _on_top(targets[i]) and targets[i].intensity >= 0.9


def test_a_refusal_keeps_the_described_words_exactly():
    described = parse_description("calm, whatever the words say", STORY, content_amount=1.0)
    assert described.stance == "refuse" and described.warnings == []
    assert {t.emotion for t in described.targets} == {"neutral"} and all(t.mixture is None for t in described.targets)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "lots"])
def test_content_outside_zero_to_one_is_refused(bad):
    with pytest.raises(InputError) as err:
        parse_description("calm", STORY, content_amount=bad)
    assert err.value.field == "content" and "0 (exactly the description) to 1" in str(err.value)
    assert "--" not in str(err.value)


def test_plans_record_the_content_and_are_deterministic():
    timings = [(w, 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(STORY)]
    described = parse_description("calm, and let the words colour it", STORY, content_amount=0.7)
    plan = build_plan("calm, and let the words colour it", described, timings)
    again = build_plan("calm, and let the words colour it",
                       parse_description("calm, and let the words colour it", STORY, content_amount=0.7), timings)
    assert plan.to_json() == again.to_json()
    payload = json.loads(plan.to_json())
    assert payload["content"] == 0.7 and payload["content_stance"] == "invite"
    loaded = EmotionPlan.from_json(plan.to_json())
    assert loaded.content == 0.7 and loaded.content_stance == "invite"
    assert "content" not in EmotionPlan(words=plan.words).to_dict()  # older plans keep their form
    with pytest.raises(InputError, match="content"):
        EmotionPlan.from_dict({**payload, "content": 3})


def test_the_predictor_keeps_the_content_it_was_planned_with():
    from ectfg_core.efp.embedded import predict_embedded
    from ectfg_core.types.audio import AudioFrames

    timings = [(w, 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(STORY)]
    plan = build_plan("calm", parse_description("calm", STORY, content_amount=0.8), timings)
    frames = int(np.ceil(plan.duration * 25)) + 1
    audio = AudioFrames(fps=25.0, energy=np.full(frames, 0.5, np.float32), f0=np.zeros(frames, np.float32),
                        voiced=np.zeros(frames, bool))
    predicted = predict_embedded(plan, audio, frames).plan
    assert predicted.content == 0.8


def test_ectfg_plan_takes_and_shows_the_content(capsys):
    from ectfg_core.cli import main

    text = "We laughed and laughed. Then she had died."
    assert main(["plan", "--text", text, "--emotion", "calm", "--content", "0", "--json"]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert exact["content"] == 0 and {w["intensity"] for w in exact["words"]} == {0.3}
    assert main(["plan", "--text", text, "--emotion", "calm, and let the words colour it"]) == 0
    shown = capsys.readouterr().out
    assert "content 0.5" in shown and "lets the words lead" in shown
    rows = {line.split()[0]: line.split()[3] for line in shown.splitlines()[1:] if len(line.split()) >= 5}
    assert rows["laughed"] == "happy" and rows["died"] == "sad"
