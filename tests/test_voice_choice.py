"""With no voice named, text in another script is spoken by that script's espeak-ng voice, not spelled in English."""

from __future__ import annotations

import pytest

from ectfg_core.pipeline import speak
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.voice_choice import resolve_voice, voice_note

RUSSIAN = "Привет, я очень зол на тебя."


@pytest.mark.parametrize("text, voice", [
    ("Hello there, my friend.", "en-us"),
    ("Bonjour, je suis très fâché.", "en-us"),  # Latin letters: the language behind them is not guessed
    (RUSSIAN, "ru"),
    ("你好，我很生气。", "cmn"),
    ("こんにちは、元気ですか。", "ja"),  # kanji among kana: Japanese
    ("Γεια σου, φίλε μου.", "el"),
    ("مرحبا، أنا غاضب جدا.", "ar"),
    ("안녕하세요, 친구.", "ko"),
    ("OK, Привет, я очень зол на тебя!", "ru"),  # most of the letters decide
])
def test_auto_picks_the_voice_of_the_texts_script(text, voice):
    assert resolve_voice(text, "auto") == voice
    assert resolve_voice(text, None) == voice


def test_a_named_voice_is_kept():
    assert resolve_voice(RUSSIAN, "en-gb") == "en-gb"
    assert voice_note(RUSSIAN, "en-gb") is None and voice_note("Hello there.", "auto") is None


def test_a_russian_sentence_is_spoken_in_russian_not_spelled_in_english():
    """The English voice read Cyrillic letter by letter: 5.2 s for a sentence Russian speaks in 2.1."""
    auto, russian, english = (synthesize(RUSSIAN, voice=v) for v in ("auto", "ru", "en-us"))
    assert auto.duration == russian.duration
    assert english.duration > 1.8 * russian.duration, (english.duration, russian.duration)
    assert [w.word for w in auto.words] == ["Привет", "я", "очень", "зол", "на", "тебя"]


def test_the_plan_says_which_voice_auto_chose():
    spoken = speak(RUSSIAN, "angry")
    assert any("Cyrillic" in w and "(ru)" in w and "set the voice" in w for w in spoken.plan.warnings)
    assert not any("--" in w for w in spoken.plan.warnings)  # worded for a node as well as the CLI
    assert not any("voice" in w for w in speak("Hello there, my friend.", "angry").plan.warnings)
