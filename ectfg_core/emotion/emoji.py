"""Emoji in a description read as the emotion word they stand for ("starts 🙂, ends 😡"): artists type them in
prompts. Each face emoji maps to a word of the vocabulary, so it gets that word's class, intensity and voice hint
(😭 sobs, 😂 laughs). Skin-tone modifiers and the emoji presentation selector are ignored.
"""

from __future__ import annotations

EMOJI_WORDS: dict[str, str] = {
    # happy
    "😀": "joyful", "😃": "joyful", "😄": "joyful", "😁": "joyful", "😆": "joyful", "😊": "happy", "☺": "happy",
    "🙂": "pleased", "😂": "laughing", "🤣": "laughing", "🥰": "loving", "😍": "loving", "🤩": "delighted",
    "😌": "relieved", "🥲": "bittersweet",
    # calm
    "😐": "neutral", "😑": "neutral", "😶": "neutral",
    # sad
    "🙁": "sad", "☹": "sad", "😞": "disappointed", "😔": "glum", "😢": "crying", "😭": "sobbing", "😿": "crying",
    "😩": "weary", "😫": "exhausted", "💔": "heartbroken",
    # angry
    "😠": "angry", "😡": "furious", "🤬": "enraged", "😤": "frustrated", "😒": "annoyed", "🙄": "annoyed",
    "👿": "furious",
    # fearful
    "😨": "scared", "😰": "anxious", "😱": "terrified", "😟": "worried", "😧": "worried", "😬": "nervous",
    "🥺": "pleading",
    # surprised
    "😮": "surprised", "😯": "surprised", "😲": "astonished", "😳": "shocked", "🤯": "shocked", "😦": "surprised",
    "🙀": "shocked",
    # disgusted
    "🤢": "nauseated", "🤮": "disgusted",
}

_IGNORED = {"\ufe0f", "\u200d"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}  # presentation selector, joiner, skin tones


def word_for(emoji: str) -> str | None:
    """The vocabulary word an emoji stands for, None if it names no feeling."""
    return EMOJI_WORDS.get("".join(c for c in emoji if c not in _IGNORED))
