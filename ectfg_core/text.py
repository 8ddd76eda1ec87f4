"""Splitting the text to speak into words, the unit every stage is indexed by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ectfg_core.errors import InputError

# Long enough for a few minutes of speech; longer text should be split into several jobs.
MAX_TEXT_CHARS = 5000

_WORD = re.compile(r"[\w][\w'’\-]*", re.UNICODE)


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
