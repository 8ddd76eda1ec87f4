"""The spoken words colour the plan where the description is silent (mildly), never override what it says, and
come from the built-in lexicon or a lexicon file/folder the user points at."""

from __future__ import annotations

import json

import pytest

from ectfg_core.emotion import content, content_lexicon
from ectfg_core.emotion.content_lexicon import ContentLexicon, builtin, load
from ectfg_core.emotion.description import parse_description
from ectfg_core.errors import InputError
from ectfg_core.text import tokenize


def _words(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


DOG = _words("My dog died yesterday and I miss him")  # died(2) miss(6)


# --- silent descriptions ---------------------------------------------------------------------------------------------


def test_silent_description_takes_the_colour_of_loaded_words_mildly():
    described = parse_description("", DOG)
    died = described.targets[2]
    assert died.emotion == "sad" and 0.3 < died.intensity <= content.TEXT_INTENSITY
    assert described.origins[2] == "text" and described.origins[0] == "default"
    # Neighbours get a tint but keep the relaxed neutral label.
    for i in (1, 3):
        assert described.targets[i].emotion == "neutral" and described.targets[i].mixture["sad"] > 0
    assert described.targets[0].mixture is None  # "My" is two words away
    assert max(t.intensity for t in described.targets) <= content.TEXT_INTENSITY


def test_plain_text_stays_plain():
    for text in ("I opened the door and found the money was gone this morning", "Hello there, how are you today?",
                 "Please put the box on the table next to the window"):
        described = parse_description("", _words(text))
        assert {t.emotion for t in described.targets} == {"neutral"}
        assert all(t.mixture is None for t in described.targets) and set(described.origins) == {"default"}


def test_text_colours_only_the_silent_part_of_a_description():
    words = _words("I passed the exam and then my dog died")  # the anchor 'then' is word 5
    described = parse_description("calm until 'then', then silent", words)  # "silent" is no emotion
    assert described.targets[-1].emotion == "sad" and described.origins[-1] == "text"
    assert described.origins[:5] == ["description"] * 5


def test_negated_words_of_the_text_colour_nothing():
    described = parse_description("", _words("I am not happy about this"))
    assert {t.emotion for t in described.targets} == {"neutral"} and described.targets[3].mixture is None


def test_multiword_and_inflected_entries_are_found():
    lexicon = builtin()
    assert lexicon.word("cries") == lexicon.word("cry") and lexicon.word("crying") and lexicon.word("cried")
    assert lexicon.word("hated")["angry"] > 0.5 and lexicon.word("sobbed")
    hits = lexicon.scan(_words("I can't believe it, she passed away"))
    assert hits[1][1] == "can't believe" and "surprised" in hits[1][0]
    assert hits[5][1] == "passed away" and "sad" in hits[5][0]


# --- described words --------------------------------------------------------------------------------------------------

CASES = [
    ("happy", "My dog died yesterday and I miss him"),
    ("calm, then suddenly terrified", "Thank you so much for the lovely flowers and the wonderful party"),
    ("furious for the first half, then sad", "Congratulations on the promotion, we are all so proud of you"),
    ("disgusted", "I love you so much, darling"),
    ("starts happy, slowly becomes angry", "There is a dead rat in the kitchen and it stinks"),
    ("sad throughout, angry on 'lied'", "You lied to me and I hate you for it"),
]


@pytest.mark.parametrize("description, text", CASES)
def test_content_never_changes_a_described_label(description, text):
    words = _words(text)
    with_text = parse_description(description, words)
    without = parse_description(description, words, content=None)
    assert [t.emotion for t in with_text.targets] == [t.emotion for t in without.targets]
    for a, b in zip(with_text.targets, without.targets):
        # At the default amount the words move a described word's intensity by at most one of the named steps.
        assert abs(a.intensity - b.intensity) <= max(content.BOOST, content.LIFT, content.DAMP) + 1e-9


def test_agreeing_words_raise_intensity_a_little():
    words = _words("I hate you and I hate this place")
    described = parse_description("angry", words)
    levels = [t.intensity for t in described.targets]
    assert levels[1] > levels[0] and levels[1] <= 0.7 + content.BOOST
    assert described.warnings == []


def test_compatible_words_tint_described_words():
    described = parse_description("sad", _words("You lied to me"))
    lied = described.targets[1]
    assert lied.emotion == "sad" and 0 < lied.mixture["angry"] <= content.TINT


def test_switching_content_off():
    described = parse_description("", DOG, content=None)
    assert {t.emotion for t in described.targets} == {"neutral"} and set(described.origins) == {"default"}


# --- lexicon sources -------------------------------------------------------------------------------------------------


def test_builtin_lexicon_is_broad_and_in_range():
    lexicon = builtin()
    assert len(lexicon) > 700
    for scores in lexicon.phrases.values():
        assert scores and all(0 < s <= 1 for s in scores.values())
        assert "neutral" not in scores


def test_nrc_wordlevel_file_loads_with_weak_shared_associations(tmp_path):
    path = tmp_path / "NRC-Emotion-Lexicon-Wordlevel-v0.92.txt"
    rows = ["grief\tsadness\t1", "grief\tnegative\t1", "grief\tanger\t0", "money\tanger\t1", "money\tjoy\t1",
            "money\tsurprise\t1", "money\ttrust\t1", "wedding\tjoy\t1"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lexicon = load(path)
    assert lexicon.word("grief") == {"sad": content_lexicon.ASSOCIATION_STRENGTH}
    assert lexicon.word("money") == pytest.approx({e: 0.2 for e in ("angry", "happy", "surprised")})
    # Broad associations stay under the colouring threshold; specific ones colour.
    described = parse_description("", _words("the money for the wedding"), content=lexicon)
    assert described.origins == ["default", "default", "default", "text", "text"]


def test_intensity_tsv_json_and_folder_sources(tmp_path):
    (tmp_path / "scores.tsv").write_text("word\temotion\tscore\nfurious\tanger\t0.95\nglad\thappy\t0.6\n",
                                         encoding="utf-8")
    (tmp_path / "more.json").write_text(json.dumps({"storm": ["fear", "negative"], "gift": {"joy": 0.7}}),
                                        encoding="utf-8")
    lexicon = load(tmp_path)
    assert lexicon.word("furious") == {"angry": 0.95} and lexicon.word("glad") == {"happy": 0.6}
    assert lexicon.word("storm") == {"fearful": content_lexicon.ASSOCIATION_STRENGTH}
    assert lexicon.word("gift") == {"happy": 0.7}


def test_environment_setting_chooses_the_source(tmp_path, monkeypatch):
    path = tmp_path / "mine.tsv"
    path.write_text("zebra\tfear\t0.9\n", encoding="utf-8")
    monkeypatch.setenv(content_lexicon.ENV, str(path))
    assert parse_description("", ["a", "zebra"]).targets[1].emotion == "fearful"
    monkeypatch.setenv(content_lexicon.ENV, "off")
    assert parse_description("", DOG).origins == ["default"] * len(DOG)
    monkeypatch.delenv(content_lexicon.ENV)
    assert parse_description("", DOG).targets[2].emotion == "sad"


@pytest.mark.parametrize("make", ["missing", "empty", "bad json"])
def test_bad_lexicon_sources_are_one_line_input_errors(tmp_path, make):
    target = tmp_path / "lexicon"
    if make == "empty":
        target.mkdir()
    elif make == "bad json":
        target = tmp_path / "broken.json"
        target.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load(target)
    message = str(err.value)
    assert "\n" not in message and str(target) in message and "word<TAB>emotion<TAB>score" in message


def test_nrclex_source_names_the_package_when_missing(monkeypatch):
    pytest.importorskip("importlib.resources")
    try:
        import nrclex  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="pip install NRCLex"):
            content_lexicon.nrclex()
    else:  # installed: it loads and maps NRC's names onto our classes
        assert content_lexicon.nrclex().word("funeral") == {"sad": content_lexicon.ASSOCIATION_STRENGTH}


def test_a_custom_lexicon_object_can_be_passed():
    lexicon = ContentLexicon({"blorp": {"disgusted": 0.9}}, "test")
    described = parse_description("", ["that", "blorp"], content=lexicon)
    assert described.targets[1].emotion == "disgusted"
