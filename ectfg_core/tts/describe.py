"""A segment's emotion, intensity and voice hints -> the voice description a Parler-style model is conditioned on.

Parler-TTS learnt descriptions in a fixed vocabulary (Lyth & King 2024, "Natural language guidance of high-fidelity
text-to-speech"; the Data-Speech annotations): speaker name or gender, pitch ("low-pitched" .. "high-pitched"), pace
("slowly" .. "fast"), expressivity ("monotone" .. "expressive and animated"), recording quality; its Expresso
fine-tunes add emotions ("happy", "sad", "whisper", ...). We say the emotion in words AND translate it into that
acoustic vocabulary through the same per-emotion profiles the embedded voice uses, so base models follow it too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ectfg_core.tts.prosody import PROFILES
from ectfg_core.types.emotion import EMOTIONS

# (slight, clear, strong) wording per class.
EMOTION_WORDS: dict[str, tuple[str, str, str]] = {
    "neutral": ("calm", "calm and neutral", "perfectly calm"),
    "happy": ("slightly cheerful", "happy and warm", "very joyful and excited"),
    "sad": ("a little sad", "sad and subdued", "deeply sorrowful and tearful"),
    "angry": ("slightly irritated", "angry and sharp", "furious, almost shouting"),
    "fearful": ("slightly nervous", "anxious and tense", "terrified and panicked, with a trembling voice"),
    "surprised": ("mildly surprised", "surprised", "astonished and amazed"),
    "disgusted": ("slightly displeased", "disgusted", "revolted and full of contempt"),
}
HINT_WORDS: dict[str, str] = {
    "whisper": "whispering", "soft": "speaking softly", "shout": "shouting", "loud": "speaking loudly",
    "tremble": "with a trembling voice", "sigh": "sighing", "sob": "sobbing", "laugh": "laughing",
}
SPEAKERS = ("Jon", "Lea", "Gary", "Jenna", "Mike", "Laura")  # Parler-TTS v1's most consistent named voices


def _level(value: float, steps: Sequence[tuple[float, str]]) -> str:
    for bound, word in steps:
        if value < bound:
            return word
    return steps[-1][1]


def describe(
    distribution: np.ndarray,
    intensity: float,
    hints: Sequence[str] = (),
    speaker: str | None = "Jon",
    pitch_offset: float = 1.0,
) -> str:
    """One description, e.g. "Jon's voice is terrified and panicked, ... He speaks fast with a high-pitched ..."

    pitch_offset scales the pitch wording (a voice reference below or above the speaker's usual pitch).
    """
    dist = np.asarray(distribution, dtype=np.float64).reshape(-1)
    dist = dist / dist.sum() if dist.sum() > 0 else np.eye(len(EMOTIONS))[0]
    level = float(np.clip(intensity, 0.0, 1.0))
    band = 0 if level < 0.4 else 1 if level < 0.75 else 2
    order = np.argsort(-dist)
    main = EMOTIONS[int(order[0])]
    feeling = EMOTION_WORDS[main][band] if level > 0.1 else EMOTION_WORDS["neutral"][1]
    second = EMOTIONS[int(order[1])]
    if level > 0.1 and dist[order[1]] >= 0.3 and second != "neutral":
        feeling += f" yet {EMOTION_WORDS[second][0 if band == 0 else 1]}"
    # The same multipliers the embedded voice uses, mixed in log space and scaled by intensity.
    logs = {f: sum(w * np.log(getattr(PROFILES[e], f)) for e, w in zip(EMOTIONS, dist)) * level
            for f in ("pitch", "pitch_range", "rate", "volume")}
    pitch = np.exp(logs["pitch"]) * pitch_offset
    pitch_word = _level(pitch, [(0.88, "a low-pitched"), (0.96, "a slightly low-pitched"), (1.05, "a moderate-pitch"),
                                (1.18, "a slightly high-pitched"), (9.0, "a high-pitched")])
    pace = _level(np.exp(logs["rate"]), [(0.85, "slowly"), (0.95, "slightly slowly"), (1.06, "at a moderate speed"),
                                         (1.15, "slightly fast"), (9.0, "fast")])
    expressive = _level(np.exp(logs["pitch_range"]), [(0.6, "very monotone"), (0.85, "monotone"),
                                                      (1.2, "slightly expressive"), (1.5, "expressive and animated"),
                                                      (9.0, "very expressive and animated")])
    loudness = _level(np.exp(logs["volume"]), [(0.8, " and quietly"), (1.25, ""), (9.0, " and loudly")])
    who = f"{speaker}'s voice" if speaker else "The speaker's voice"
    manner = ", ".join(HINT_WORDS[h] for h in hints if h in HINT_WORDS)
    manner = f" {manner[0].upper()}{manner[1:]}." if manner else ""
    return (
        f"{who} is {feeling}.{manner} The speaker delivers {pitch_word}, {expressive} speech {pace}{loudness}. "
        "The recording is very clear and close-sounding, with no background noise."
    )
