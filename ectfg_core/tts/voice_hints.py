"""Voice-quality words of a description ("whisper", "shouting") applied to the prosody of the words they cover."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ectfg_core.emotion.lexicon import EmotionWord, VoiceHint, lookup
from ectfg_core.tts.prosody import LIMITS
from ectfg_core.types.description import DescribedEmotion
from ectfg_core.types.speech import WordProsody

# Multipliers on top of the emotion's prosody; a formant synthesiser cannot breathe, so a whisper is quiet and flat.
HINT_PROSODY: dict[str, dict[str, float]] = {
    "whisper": {"volume": 0.55, "pitch_range": 0.55, "rate": 0.92},
    "soft": {"volume": 0.72, "pitch_range": 0.85},
    "shout": {"volume": 1.4, "pitch": 1.08, "pitch_range": 1.2, "rate": 1.05},
    "loud": {"volume": 1.3},
    "tremble": {"pitch_range": 1.25, "rate": 0.95},
    "sigh": {"volume": 0.8, "rate": 0.88, "pitch": 0.95},
    "sob": {"volume": 0.85, "rate": 0.88},
    "laugh": {"pitch": 1.05, "pitch_range": 1.15},
}


def hints_in(phrase: str) -> list[str]:
    """Voice hints named in a phrase, in order."""
    words = re.findall(r"[a-z']+", phrase.lower())
    found: list[str] = []
    i = 0
    while i < len(words):
        hit = lookup(words, i)
        if hit is None:
            i += 1
            continue
        term, length = hit
        hint = term.hint if isinstance(term, (VoiceHint, EmotionWord)) else None
        if hint and hint not in found:
            found.append(hint)
        i += length
    return found


def hint_spans(described: DescribedEmotion, num_words: int) -> list[tuple[str, int, int]]:
    """(hint, first word, end word exclusive): each keyframe's hints cover its words up to the next keyframe."""
    spans: list[tuple[str, int, int]] = []
    keyframes = sorted(described.keyframes, key=lambda k: k.position)
    covered: set[str] = set()
    for i, key in enumerate(keyframes):
        start = int(np.clip(round(key.position), 0, num_words))
        end = int(np.clip(round(keyframes[i + 1].position), start, num_words)) if i + 1 < len(keyframes) else num_words
        for hint in hints_in(key.source):
            spans.append((hint, start, end))
            covered.add(hint)
    # Hints in phrases that named no emotion ("whispering") colour the whole text.
    spans += [(hint, 0, num_words) for hint in described.hints if hint not in covered]
    return spans


def apply_voice_hints(prosody: Sequence[WordProsody], described: DescribedEmotion) -> list[WordProsody]:
    out = list(prosody)
    for hint, start, end in hint_spans(described, len(out)):
        for i in range(start, end):
            changes = {
                name: float(np.clip(getattr(out[i], name) * factor, *LIMITS[name]))
                for name, factor in HINT_PROSODY.get(hint, {}).items()
            }
            out[i] = replace(out[i], **changes)
    return out


def word_hints(described: DescribedEmotion, num_words: int) -> list[list[str]]:
    """The voice hints that apply to each word, in the order they were named."""
    out: list[list[str]] = [[] for _ in range(num_words)]
    for hint, start, end in hint_spans(described, num_words):
        for i in range(start, end):
            if hint not in out[i]:
                out[i].append(hint)
    return out
