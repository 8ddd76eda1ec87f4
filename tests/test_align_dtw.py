"""The model-free aligner (espeak-ng rendition + DTW) on recordings of another voice whose word times are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve, resample_poly

from ectfg_core.align.dtw import dtw_path, warp_times
from ectfg_core.align.espeak_dtw import align_with_espeak
from ectfg_core.errors import InputError
from ectfg_core.text import tokenize
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.prosody import prosody_for_words
from ectfg_core.types.emotion import one_hot
from ectfg_core.types.speech import WordTiming

TEXT = "I can't believe you did that. After all these years, you just walked away without a single word!"
WORDS = [t.text for t in tokenize(TEXT)]


def other_speaker(speech, shift: float, pauses: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, list[WordTiming]]:
    """A harder recording than espeak's own: pauses the text has no punctuation for, every formant and the pitch
    moved and the tempo changed by resampling (another vocal tract), a room, background noise. Returns the truth."""
    rng = np.random.default_rng(seed)
    sr, x = speech.sample_rate, speech.samples.astype(np.float64)
    cuts = [int(round(speech.words[k].end * sr)) for k in pauses]
    pieces, prev = [], 0
    for c in cuts:
        pieces += [x[prev:c], np.zeros(int(0.35 * sr))]
        prev = c
    y = np.concatenate(pieces + [x[prev:]])
    truth = []
    for w in speech.words:
        extra = 0.35 * sum(w.index > k for k in pauses)
        truth.append(WordTiming(w.index, w.word, (w.start + extra) / shift, (w.end + extra) / shift))
    y = resample_poly(y, 100, int(round(100 * shift)))
    room = rng.standard_normal(int(0.25 * sr)) * np.exp(-np.arange(int(0.25 * sr)) / (0.05 * sr))
    room[0] = 8.0
    y = fftconvolve(y, room)[: len(y)]
    y = y / np.abs(y).max() * 0.7
    y = y + rng.normal(0.0, np.sqrt(np.mean(y**2)) * 0.1, len(y))
    return y.astype(np.float32), truth


def boundary_errors(found: list[WordTiming], truth: list[WordTiming]) -> np.ndarray:
    return np.abs(np.r_[[a.start - b.start for a, b in zip(found, truth)], [a.end - b.end for a, b in zip(found, truth)]])


@pytest.mark.parametrize(
    ("voice", "emotion", "shift"),
    [("en-us+f3", "neutral", 1.15), ("en-us+m3", "sad", 0.87), ("en-us+klatt4", "angry", 1.1)],
)
def test_word_boundaries_within_tens_of_milliseconds(voice: str, emotion: str, shift: float) -> None:
    prosody = prosody_for_words([(one_hot(emotion), 1.0)] * len(WORDS))
    speech = synthesize(TEXT, prosody, voice=voice, words_per_minute=140)
    audio, truth = other_speaker(speech, shift, pauses=(3, 9))
    result = align_with_espeak(audio, speech.sample_rate, TEXT, WORDS)
    assert [w.word for w in result.words] == WORDS and result.method == "espeak-dtw"
    err = boundary_errors(result.words, truth)
    assert err.mean() < 0.08, err.round(3)
    assert np.percentile(err, 90) < 0.2, err.round(3)
    for a, b in zip(result.words, result.words[1:]):
        assert a.start <= a.end <= b.start + 1e-9
    # espeak-ng's IPA phonemes come along, inside their words.
    assert result.phonemes and all(
        result.words[p.word_index].start - 1e-9 <= p.start <= p.end <= result.words[p.word_index].end + 1e-9
        for p in result.phonemes if p.word_index >= 0
    )


def test_dtw_follows_a_known_warp() -> None:
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((60, 4))
    # The query holds frame 20 of the reference five times (a held sound) and skips frames 40..44.
    order = list(range(20)) + [20] * 5 + list(range(21, 40)) + list(range(45, 60))
    path = dtw_path(ref, ref[order] + 0.01 * rng.standard_normal((len(order), 4)), band=15, step_penalty=0.1)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (59, len(order) - 1)
    assert np.all(np.diff(path, axis=0) >= 0)
    mapped = warp_times(path, np.array([10.0, 30.0, 50.0]), 1.0)
    assert np.allclose(mapped, [10.0, 34.0, 49.0], atol=1.0)


def test_silence_and_a_text_that_was_not_spoken_are_refused() -> None:
    with pytest.raises(InputError, match="silent"):
        align_with_espeak(np.zeros(22050, np.float32), 22050, TEXT, WORDS)
    with pytest.raises(InputError, match="shorter than 0.1 s"):
        align_with_espeak(np.zeros(100, np.float32), 22050, TEXT, WORDS)
