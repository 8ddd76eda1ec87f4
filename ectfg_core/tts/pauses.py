"""Pauses at punctuation, as long as a reader makes them and stretched or shortened by the emotion.

espeak-ng pauses at punctuation by itself, but briefly (measured at 165 wpm: comma 0.17 s, colon/semicolon 0.25 s,
sentence end 0.33-0.37 s). Read speech pauses longer (sentence boundaries around half a second, commas a quarter;
Goldman-Eisler 1968; Zellner 1994), and emotion changes it: sad and disgusted speakers linger, angry and frightened
ones rush on (Scherer 1986). An SSML break after the word REPLACES the engine's own pause there (measured: a 50 ms
break after a full stop leaves 62 ms of silence), so pause_after is the whole pause, and it can shorten one too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ectfg_core.text import Token
from ectfg_core.types.emotion import EMOTIONS
from ectfg_core.types.speech import WordProsody

# (pattern on the text between two words, pause in s at 165 wpm for a neutral voice), strongest first.
_KINDS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\n\s*\n"), 0.80),  # paragraph
    (re.compile(r"…|\.\.\.|—|–|\s-\s"), 0.50),  # trailing off, dash: a hesitation
    (re.compile(r"[.!?]"), 0.55),  # sentence end
    (re.compile(r"[;:]"), 0.35),
    (re.compile(r","), 0.25),
)
# How much longer (>1) or shorter (<1) each class makes the pauses, at full intensity.
PAUSE_SCALE: dict[str, float] = {
    "neutral": 1.0, "happy": 0.9, "sad": 1.6, "angry": 0.7, "fearful": 0.75, "surprised": 0.9, "disgusted": 1.3,
}
_SCALE = np.log(np.array([PAUSE_SCALE[e] for e in EMOTIONS]))
_NEUTRAL_WPM = 165.0


def punctuation_pause(gap: str) -> float:
    """A neutral reader's pause (s) for the text between two words; 0 when it is a plain space."""
    for pattern, target in _KINDS:
        if pattern.search(gap):
            return target
    return 0.0


def emotion_scale(distribution: np.ndarray, intensity: float) -> float:
    """Pause length factor of one word's emotion (mixed in log space, scaled by intensity)."""
    dist = np.asarray(distribution, dtype=np.float64).reshape(-1)
    dist = dist / dist.sum() if dist.sum() > 0 else np.eye(len(EMOTIONS))[0]
    return float(np.exp(float(np.clip(intensity, 0.0, 1.0)) * float(dist @ _SCALE)))


def add_punctuation_pauses(
    text: str,
    tokens: Sequence[Token],
    prosody: Sequence[WordProsody],
    targets: Sequence[tuple[np.ndarray, float]],
    words_per_minute: float = _NEUTRAL_WPM,
) -> list[WordProsody]:
    """Prosody whose pause_after is the reader's pause where punctuation follows a word, scaled by the word's
    emotion and the speaking rate; a longer pause already there (a sudden emotional turn) is kept."""
    out = list(prosody)
    pace = _NEUTRAL_WPM / max(1.0, float(words_per_minute))
    for i in range(len(tokens) - 1):
        target = punctuation_pause(text[tokens[i].end: tokens[i + 1].start])
        if target <= 0:
            continue
        dist, intensity = targets[i]
        pause = pace * target * emotion_scale(dist, intensity) / max(0.5, float(out[i].rate)) ** 0.5
        out[i] = replace(out[i], pause_after=round(max(pause, float(out[i].pause_after)), 3))
    return out
