"""The lookup table of description words: which phrase is an emotion, an intensity adverb, a time word or filler.

Every entry is a lowercase phrase of one or more words ("grossed out", "all of a sudden"). `lookup` finds the
longest entry starting at a given word, so multi-word entries win over their parts ("calming down" is calm, "down"
alone is sad; "trying not to cry" is a mask over sadness, not a negation). The vocabularies live in vocabulary.py
(emotions, blends, adverbs, voice qualities), masking.py (hidden feelings) and timewords.py (time, change, negation,
fillers); the parser only asks this module.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from ectfg_core.emotion.masking import MASKS
from ectfg_core.emotion.terms import (
    NEUTRAL_BASELINE,
    Comparative,
    Cue,
    EmotionWord,
    Filler,
    Mask,
    Modifier,
    Negation,
    Term,
    VoiceHint,
)
from ectfg_core.emotion.timewords import COMPARATIVE_WORDS, CUES, FILLERS, NEGATIONS
from ectfg_core.emotion.vocabulary import BLENDS, COMPARATIVES, EMOTION_WORDS, HINTS, MODIFIERS, VOICED_EMOTIONS
from ectfg_core.types.emotion import EMOTION_INDEX

__all__ = [
    "KNOWN_WORDS", "MODIFIERS", "NEUTRAL_BASELINE", "Comparative", "Cue", "EmotionWord", "Filler", "Mask", "Modifier",
    "Negation", "Term", "VoiceHint", "apply_modifier", "emphasize", "lookup", "single_emotion_words", "suggest",
]


def _build_table() -> dict[tuple[str, ...], Term]:
    table: dict[tuple[str, ...], Term] = {}

    def add(phrase: str, term: Term) -> None:
        key = tuple(phrase.split())
        if key in table and table[key] != term:
            raise ValueError(f"lexicon phrase {phrase!r} defined twice")  # caught by the tests, never by users
        table[key] = term

    for emotion, words in EMOTION_WORDS.items():
        for phrase, intensity in words.items():
            add(phrase, EmotionWord(emotion, intensity))
    for phrase, (emotion, intensity) in COMPARATIVES.items():
        add(phrase, EmotionWord(emotion, intensity, comparative=1))
    for phrase, (mixture, intensity) in BLENDS.items():
        primary = max(mixture, key=lambda name: mixture[name])
        add(phrase, EmotionWord(primary, intensity, mixture=mixture))
    for phrase, (emotion, intensity, hint) in VOICED_EMOTIONS.items():
        add(phrase, EmotionWord(emotion, intensity, hint=hint))
    for phrase, strength in MODIFIERS.items():
        add(phrase, Modifier(strength))
    for hint, phrases in HINTS.items():
        for phrase in phrases:
            add(phrase, VoiceHint(hint))
    for phrase, mask in MASKS.items():
        add(phrase, mask)
    for phrase, cue in CUES.items():
        add(phrase, cue)
    for phrase, negation in NEGATIONS.items():
        add(phrase, negation)
    for phrase, comparative in COMPARATIVE_WORDS.items():
        add(phrase, comparative)
    for phrase in FILLERS:
        table.setdefault(tuple(phrase.split()), Filler())
    for key, term in table.items():
        if isinstance(term, EmotionWord):
            assert term.emotion in EMOTION_INDEX and 0.0 < term.intensity <= 1.0, key
    return table


_TABLE = _build_table()
_LONGEST = max(len(key) for key in _TABLE)
KNOWN_WORDS = frozenset(word for key in _TABLE for word in key)
# Single emotion words, for "did you mean" suggestions.
_EMOTION_SPELLINGS = sorted(" ".join(k) for k, t in _TABLE.items() if isinstance(t, EmotionWord) and len(k) == 1)
_ELONGATED = re.compile(r"(\w)\1{2,}")


def lookup(words: Sequence[str], start: int) -> tuple[Term, int] | None:
    """The longest entry starting at words[start] (lowercase words) and how many words it spans; None if unknown."""
    for length in range(min(_LONGEST, len(words) - start), 0, -1):
        term = _TABLE.get(tuple(words[start : start + length]))
        if term is not None:
            return term, length
    return None


def unstretch(word: str) -> str | None:
    """ "sooo" -> "so", "happyyy" -> "happy", "reaaally" -> "really": a known word spelled long for emphasis."""
    if not _ELONGATED.search(word):
        return None
    for candidate in (_ELONGATED.sub(r"\1", word), _ELONGATED.sub(r"\1\1", word)):
        if (candidate,) in _TABLE:
            return candidate
    return None


def single_emotion_words() -> dict[str, EmotionWord]:
    """One-word emotion entries ("furious" -> angry 0.95), for reading the spoken text too."""
    return {k[0]: t for k, t in _TABLE.items() if isinstance(t, EmotionWord) and len(k) == 1}


def suggest(word: str) -> str | None:
    """The emotion word a misspelling most likely meant ("anrgy" -> "angry"), or None."""
    word = word.lower()
    for guess in difflib.get_close_matches(word, _EMOTION_SPELLINGS, n=3, cutoff=0.8):
        # A weaker match must be a pure transposition, or ordinary words look like typos ("camera" -> "calmer").
        if difflib.SequenceMatcher(None, word, guess).ratio() >= 0.85 or sorted(word) == sorted(guess):
            return guess
    return None


def apply_modifier(intensity: float, strength: float) -> float:
    """Amplifiers move the intensity towards 1 (so order is kept and 1 is rarely hit); downtoners scale it down."""
    if strength >= 0:
        return intensity + (1.0 - intensity) * strength
    return intensity * (1.0 + strength)


def emphasize(intensity: float, times: int = 1) -> float:
    """A little stronger for each "!", repeated word or shouted (all-caps) word."""
    for _ in range(max(times, 0)):
        intensity += (1.0 - intensity) * 0.25
    return intensity
