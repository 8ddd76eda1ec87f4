"""Embedded EmotionalTTS: the plan spoken by espeak-ng with per-word prosody, per-clause voice quality and
punctuation pauses sized by the emotion. Offline, CPU, no model files."""

from __future__ import annotations

from collections.abc import Callable

from ectfg_core.errors import InputError
from ectfg_core.progress import Progress
from ectfg_core.text import check_text, tokenize
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.pauses import add_punctuation_pauses
from ectfg_core.tts.prosody import prosody_for_words
from ectfg_core.tts.voice_choice import AUTO
from ectfg_core.tts.voice_hints import apply_voice_hints, word_hints
from ectfg_core.tts.voice_quality import quality_for
from ectfg_core.types.description import DescribedEmotion
from ectfg_core.types.speech import Speech

_STEPS = 100  # the "speech" stage in steps of 1 % of the text spoken


def speak_embedded(
    text: str,
    described: DescribedEmotion,
    voice: str = AUTO,
    words_per_minute: int = 165,
    base_pitch: int | None = None,
    voice_quality: bool = True,
    progress: Progress | None = None,
) -> Speech:
    """The plan spoken by espeak-ng with per-word prosody and per-clause voice quality; `progress` gets a "speech" stage."""
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
    report = None
    if progress is not None:
        progress.stage("speech", _STEPS)
        report = _fraction_reporter(progress, _STEPS)
    speech = synthesize(text, prosody, voice=voice, words_per_minute=words_per_minute, base_pitch=base_pitch,
                        progress=report, qualities=qualities)
    if progress is not None:
        progress.finish()
    return speech


def _fraction_reporter(progress: Progress, total: int) -> Callable[[float], None]:
    """Turn a 0..1 callback into Progress.advance steps (and interruption checks)."""
    done = [0]

    def report(fraction: float) -> None:
        target = int(min(1.0, max(0.0, fraction)) * total)
        if target > done[0]:
            progress.advance(target - done[0])
            done[0] = target
        else:
            progress.check()

    return report
