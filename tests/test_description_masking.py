"""Masked or suppressed emotion (the rule in ectfg_core/emotion/masking.py), pinned word by word.

The felt emotion keeps its label but shows at half strength; a named mask ("forcing a smile") blends in the face put
on with the felt emotion still primary; "barely containing" lets it show nearly in full.
"""

from __future__ import annotations

import pytest

from ectfg_core.emotion import masking
from ectfg_core.emotion.description import parse_description
from ectfg_core.errors import InputError
from ectfg_core.text import tokenize

# 12 words: I(0) opened(1) the(2) door(3) and(4) found(5) the(6) money(7) was(8) gone(9) this(10) morning(11)
TEXT = "I opened the door and found the money was gone this morning"
WORDS = [t.text for t in tokenize(TEXT)]
CODE = {"neutral": "n", "happy": "h", "sad": "s", "angry": "a", "fearful": "f", "surprised": "u", "disgusted": "d"}


def _parse(description: str):
    return parse_description(description, WORDS)


def labels(description: str) -> str:
    return "".join(CODE[t.emotion] for t in _parse(description).targets)


def level(description: str) -> float:
    return max(t.intensity for t in _parse(description).targets)


# (masked description, expected emotion per word, the unmasked phrasing it must show weaker than)
MASKED = [
    ("she is heartbroken but trying to hide it", "s" * 12, "she is heartbroken"),
    ("heartbroken, but trying to hide it", "s" * 12, "heartbroken"),
    ("suppressed rage", "a" * 12, "rage"),
    ("masking her fear", "f" * 12, "fear"),
    ("holding back her anger", "a" * 12, "anger"),
    ("holding back tears", "s" * 12, "tears"),
    ("angry through gritted teeth", "a" * 12, "angry"),
    ("heartbroken, holding back tears", "s" * 12, "heartbroken"),
    ("sad but forcing a smile", "s" * 12, "sad"),  # the felt emotion stays primary
    ("scared but pretending to be fine", "f" * 12, "scared"),
    ("devastated but putting on a brave face", "s" * 12, "devastated"),
    ("sad but keeping it together", "s" * 12, "sad"),
    ("furious but pretending to be happy", "a" * 12, "furious"),
    ("calm, then heartbroken but trying to hide it", "nnnnnnssssss", "calm, then heartbroken"),
    ("scared but pretending to be fine, then breaks down at 'gone'", "fffffffffsss",
     "scared, then breaks down at 'gone'"),
]


@pytest.mark.parametrize("description, expected, unmasked", MASKED)
def test_masked_emotion_keeps_its_label_per_word(description, expected, unmasked):
    assert labels(description) == expected
    assert labels(unmasked) == expected


@pytest.mark.parametrize("description, expected, unmasked", MASKED)
def test_masked_emotion_shows_weaker_than_the_unmasked_phrasing(description, expected, unmasked):
    masked = _parse(description).targets
    plain = _parse(unmasked).targets
    # Compare the first word that carries the felt emotion: earlier words are the same arc in both.
    first = next(i for i, c in enumerate(expected) if c != "n")
    assert masked[first].intensity < plain[first].intensity


def test_the_default_reduction_is_half_the_felt_intensity():
    assert level("she is heartbroken but trying to hide it") == pytest.approx(0.5 * level("she is heartbroken"))
    assert level("suppressed rage") == pytest.approx(masking.MASKED * level("rage"))


@pytest.mark.parametrize(
    "description, shown",
    [
        ("sad but forcing a smile", "happy"),
        ("scared but pretending to be fine", "neutral"),
        ("devastated but putting on a brave face", "neutral"),
        ("furious but pretending to be happy", "happy"),
    ],
)
def test_a_named_mask_is_blended_in_with_the_felt_emotion_primary(description, shown):
    target = _parse(description).targets[0]
    assert target.mixture is not None
    assert target.mixture[shown] == pytest.approx(masking.DISPLAY_SHARE)
    assert target.mixture[target.emotion] > target.mixture[shown]


def test_an_unnamed_mask_is_no_blend():
    assert _parse("she is heartbroken but trying to hide it").targets[0].mixture is None


@pytest.mark.parametrize(
    "description, expected",
    [("forcing a smile", "happy"), ("pretending to be fine", "neutral"), ("putting on a brave face", "neutral"),
     ("keeping it together", "neutral")],
)
def test_a_mask_alone_shows_only_the_face_put_on_weakly(description, expected):
    targets = _parse(description).targets
    assert {t.emotion for t in targets} == {expected}
    assert max(t.intensity for t in targets) <= masking.DISPLAY_ALONE
    assert level(description) < level("happy")


def test_barely_containing_keeps_the_feeling_high():
    assert labels("barely containing her anger") == "a" * 12
    assert level("barely containing her anger") >= level("anger")
    assert level("barely containing her anger") > level("holding back her anger")
    assert level("barely holding back tears") > level("holding back tears")
    assert level("barely hiding her fear") >= level("fear")


def test_a_negated_mask_is_no_mask():
    assert labels("not hiding her anger") == "a" * 12
    assert level("not hiding her anger") == pytest.approx(level("anger"))


def test_the_mask_applies_only_to_its_own_phrase():
    targets = _parse("furious through gritted teeth, then explodes at 'the money'").targets
    assert {t.emotion for t in targets} == {"angry"}
    assert targets[0].intensity < 0.6 < targets[-1].intensity  # held in, then let out


def test_a_mask_that_names_nothing_asks_what_is_hidden():
    with pytest.raises(InputError, match="hidden but not which"):
        _parse("trying to hide it")


def test_the_suite_is_large_enough():
    assert len(MASKED) >= 10
