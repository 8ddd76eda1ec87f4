"""Words of the text -> label sequences of a character CTC vocabulary (letters, apostrophe, word delimiter).

Character CTC models (wav2vec2-base-960h and kin) only know letters: numbers are spelled out in English (text.py), accents are
stripped, anything else the vocabulary lacks is dropped. A word left with no letters ("&", "%") gets the wildcard
label, which matches whatever the model hears there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ectfg_core.text import spoken_form


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Transcript:
    """Labels for the whole utterance and where each word's letters sit in them."""

    labels: list[int]  # delimiter labels between words included
    word_labels: list[list[int]]  # the letters of each word, in order (positions into `labels`)
    letters: list[list[str]]  # the characters each word's labels stand for


def build_transcript(words: Sequence[str], vocab: Mapping[str, int], delimiter: str | None, wildcard: int) -> Transcript:
    """Label sequence for the words; `wildcard` is the id to use for a word the vocabulary cannot spell."""
    upper = sum(1 for k in vocab if len(k) == 1 and k.isalpha() and k.isupper())
    lower = sum(1 for k in vocab if len(k) == 1 and k.isalpha() and k.islower())
    case = str.upper if upper >= lower else str.lower
    labels: list[int] = []
    word_labels: list[list[int]] = []
    letters: list[list[str]] = []
    delim = vocab.get(delimiter) if delimiter else None
    for n, word in enumerate(words):
        if n and delim is not None:
            labels.append(delim)
        positions: list[int] = []
        shown: list[str] = []
        for c in case(_strip_accents(spoken_form(word))):
            if c == " ":
                # A spoken number is several words to the model ("forty two").
                if delim is not None and positions and labels[-1] != delim:
                    labels.append(delim)
            elif c in vocab and c != delimiter:
                positions.append(len(labels))
                labels.append(vocab[c])
                shown.append(c.lower())
        if not positions:
            positions = [len(labels)]
            labels.append(wildcard)
            shown = ["*"]
        word_labels.append(positions)
        letters.append(shown)
    return Transcript(labels=labels, word_labels=word_labels, letters=letters)
