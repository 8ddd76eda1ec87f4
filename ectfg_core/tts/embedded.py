"""Embedded EmotionalTTS: the plan spoken by espeak-ng with per-word prosody, per-clause voice quality and
punctuation pauses sized by the emotion. Offline, CPU, no model files."""

from __future__ import annotations

from collections.abc import Callable

from ectfg_core.errors import InputError
from ectfg_core.text import check_text, tokenize
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.pauses import add_punctuation_pauses
from ectfg_core.tts.prosody import prosody_for_words
from ectfg_core.tts.voice_hints import apply_voice_hints, word_hints
from ectfg_core.tts.voice_quality import quality_for
from ectfg_core.types.description import DescribedEmotion
from ectfg_core.types.speech import Speech


def speak_embedded(
    text: str,
    described: DescribedEmotion,
    voice: str = "en-us",
    words_per_minute: int = 165,
    base_pitch: int | None = None,
    voice_quality: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Speech:
    text = check_text(text)
    tokens = tokenize(text)
    if len(described.targets) != len(tokens):
        raise InputError(f"the plan has {len(described.targets)} words but the text has {len(tokens)}; parse the same text")
    targets = [(t.distribution(), float(t.intensity)) for t in described.targets]
    prosody = apply_voice_hints(prosody_for_words(targets), described)
    prosody = add_punctuation_pauses(text, tokens, prosody, targets, words_per_minute)
    qualities = None
    if voice_quality:
        hints = word_hints(described, len(tokens))
        qualities = [quality_for(d, i, h) for (d, i), h in zip(targets, hints, strict=True)]
    return synthesize(text, prosody, voice=voice, words_per_minute=words_per_minute, base_pitch=base_pitch,
                      progress=progress, qualities=qualities)
