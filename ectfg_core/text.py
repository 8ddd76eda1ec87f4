"""Splitting the text to speak into words, the unit every stage is indexed by, and what a reader says for each."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ectfg_core.errors import InputError

# Long enough for a few minutes of speech; longer text should be split into several jobs.
MAX_TEXT_CHARS = 5000

_WORD = re.compile(r"[\w][\w'’\-]*", re.UNICODE)
# Emoji and other pictographs, with the joiner and presentation selector that build them: shown, never read aloud
# (espeak-ng says "pouting face" for 😡).
PICTOGRAPHS = "\u2600-\u27bf\U0001f300-\U0001faff"
_PICTOGRAPH_RUN = re.compile(f"[{PICTOGRAPHS}\ufe0f\u200d]+")

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_DIGITS = re.compile(r"[0-9]+")
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"), (100, "hundred"))


def number_words(n: int) -> str:
    """English words for 0 <= n < 10**12, e.g. 42 -> 'forty two'."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{number_words(head)} {name}" + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError("unreachable")


def spoken_form(word: str) -> str:
    """What a reader says for a token: digit runs become number words (digit by digit beyond 12 digits)."""

    def say(match: re.Match[str]) -> str:
        digits = match.group(0)
        spoken = number_words(int(digits)) if len(digits) <= 12 else " ".join(_ONES[int(d)] for d in digits)
        return f" {spoken} "

    return " ".join(_DIGITS.sub(say, word).split())


def unspoken(text: str) -> str:
    """The text between words without its emoji and pictographs, for a speech engine to read."""
    return _PICTOGRAPH_RUN.sub("", text)


@dataclass(frozen=True)
class Token:
    """A word of the input text with its character span."""

    text: str
    start: int  # character offset in the text
    end: int


def check_text(text: str) -> str:
    """Validate the text to speak and return it stripped."""
    if text is None or not str(text).strip():
        raise InputError("the text to speak is empty; give it some words to say, e.g. \"Hello there\"")
    text = str(text).strip()
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"the text is {len(text)} characters; the limit is {MAX_TEXT_CHARS} (about 5 minutes of speech): "
            "split it into several shorter runs"
        )
    if not tokenize(text):
        raise InputError("the text has no speakable words (only punctuation or symbols); pass some words")
    return text


def tokenize(text: str) -> list[Token]:
    """Words with their spans; punctuation is kept in the text but is not a word."""
    return [Token(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
