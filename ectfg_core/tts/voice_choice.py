"""Which espeak-ng voice reads a text when none is named: the one for the script it is written in.

The English voice reads Cyrillic, Chinese or Arabic letter by letter ("Chinese letter, Chinese letter"): a
sentence of Russian became five seconds of spelling with the face waiting on it. "auto" keeps English for text in
Latin letters (the language behind them cannot be told reliably) and otherwise speaks with the voice of the script
most of the text's letters are written in.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

AUTO = "auto"
ENGLISH = "en-us"

# Unicode character-name prefix of a script -> (espeak-ng voice, the script's name, the language), for the note.
_SCRIPTS: dict[str, tuple[str, str, str]] = {
    "CYRILLIC": ("ru", "Cyrillic", "Russian"), "GREEK": ("el", "Greek", "Greek"), "ARMENIAN": ("hy", "Armenian", "Armenian"),
    "GEORGIAN": ("ka", "Georgian", "Georgian"), "HEBREW": ("he", "Hebrew", "Hebrew"), "ARABIC": ("ar", "Arabic", "Arabic"),
    "DEVANAGARI": ("hi", "Devanagari", "Hindi"), "BENGALI": ("bn", "Bengali", "Bengali"),
    "GURMUKHI": ("pa", "Gurmukhi", "Punjabi"), "GUJARATI": ("gu", "Gujarati", "Gujarati"), "TAMIL": ("ta", "Tamil", "Tamil"),
    "TELUGU": ("te", "Telugu", "Telugu"), "KANNADA": ("kn", "Kannada", "Kannada"), "MALAYALAM": ("ml", "Malayalam", "Malayalam"),
    "SINHALA": ("si", "Sinhala", "Sinhala"), "THAI": ("th", "Thai", "Thai"), "MYANMAR": ("my", "Myanmar", "Burmese"),
    "ETHIOPIC": ("am", "Ethiopic", "Amharic"), "HANGUL": ("ko", "Hangul", "Korean"), "HIRAGANA": ("ja", "kana", "Japanese"),
    "KATAKANA": ("ja", "kana", "Japanese"), "CJK": ("cmn", "Chinese characters", "Mandarin Chinese"),
}


def _script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    return next((prefix for prefix in _SCRIPTS if name.startswith(prefix)), None) if name else None


def _letters(text: str) -> Counter:
    """How many of the text's letters each non-Latin script holds (None: Latin and the rest)."""
    return Counter(_script(c) for c in text if unicodedata.category(c).startswith("L"))


def _chosen(counts: Counter) -> str | None:
    """The script most of the letters (_letters) are written in; None for Latin letters, or none at all."""
    if not counts:
        return None
    if counts["HIRAGANA"] + counts["KATAKANA"] > 0 and counts["CJK"] > 0:
        return "HIRAGANA"  # kanji among kana: Japanese, not Chinese
    script, _ = counts.most_common(1)[0]
    return script


def _named(voice: str | None) -> str | None:
    """The voice asked for by name; None for "auto" or nothing."""
    asked = (voice or "").strip()
    return asked if asked and asked.lower() != AUTO else None


def resolve_voice(text: str, voice: str | None) -> str:
    """The espeak-ng voice to speak `text` with: `voice` itself, or for "auto" (or nothing) the script's voice."""
    named = _named(voice)
    if named:
        return named
    script = _chosen(_letters(text))
    return _SCRIPTS[script][0] if script else ENGLISH


def voice_note(text: str, voice: str | None) -> str | None:
    """A line for the user when "auto" chose a voice other than English (and what it cannot read), else None."""
    counts = Counter() if _named(voice) else _letters(text)
    script = _chosen(counts)
    if script is None:
        return None
    code, written, language = _SCRIPTS[script]
    note = f"the text is written in {written}: it is spoken by espeak-ng's {language} voice ({code}); set the voice to choose another"
    if code == "ja" and counts["CJK"]:
        note += "; espeak-ng's Japanese voice reads kana only and spells kanji out, so write the words in kana"
    return note
