"""One entry point for timing the words of a recording: the best aligner available, stated in the result."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.model_folders import list_model_dirs
from ectfg_core.progress import Progress
from ectfg_core.text import check_text, tokenize
from ectfg_core.tts.word_durations import settle_words
from ectfg_core.types.speech import Alignment

AUTO = "auto"  # a wav2vec2 folder if one is installed, else espeak-ng + DTW
ESPEAK = "espeak-dtw"
_log = logging.getLogger("ectfg")


def available_aligners() -> list[str]:
    """Choices for a UI: auto, the model-free aligner, and every installed wav2vec2 folder."""
    return [AUTO, ESPEAK] + list_model_dirs("wav2vec2", marker="config.json")


def align_words(
    samples: np.ndarray,
    sample_rate: int,
    text: str,
    aligner: str | Path = AUTO,
    progress: Progress | None = None,
    estimate: bool = False,
) -> Alignment:
    """Time every word of tokenize(text) in the recording; `aligner` is AUTO, ESPEAK or a wav2vec2 folder/name.

    Where the aligner cannot time this recording (too short, garbled, another text) it raises InputError, unless
    `estimate`: then espeak-ng's reading of the text is stretched onto the recording's speech (method
    "espeak-proportional", logged), for speech that must be timed anyway.
    """
    text = check_text(text)
    words = [t.text for t in tokenize(text)]
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if int(sample_rate) <= 0:
        raise InputError(f"sample rate must be positive, got {sample_rate}")
    if not np.all(np.isfinite(x)):
        raise InputError("the audio holds NaN or infinite samples; regenerate it")
    choice = str(aligner).strip() or AUTO
    if choice == AUTO:
        installed = list_model_dirs("wav2vec2", marker="config.json")
        choice = installed[0] if installed else ESPEAK
    try:
        if choice == ESPEAK:
            from ectfg_core.align.espeak_dtw import align_with_espeak

            alignment = align_with_espeak(x, int(sample_rate), text, words, progress=progress)
        else:
            from ectfg_core.align.wav2vec2 import load_aligner

            alignment = load_aligner(choice).align(x, int(sample_rate), words, progress=progress)
    except InputError as exc:
        if not estimate:
            raise
        from ectfg_core.align.estimate import estimated_alignment

        _log.warning("alignment of %r failed (%s); timing its words by espeak-ng's reading of the text", text[:60], exc)
        alignment = estimated_alignment(x, int(sample_rate), text)
    # No word may be left without time of its own (a one-frame CTC span, a word DTW squeezed shut).
    alignment.words = settle_words(sorted(alignment.words, key=lambda w: w.index), len(x) / int(sample_rate))
    return alignment
