"""Model-free word timings for any recording of a text: espeak-ng speaks the same text (with its exact word and
phoneme timings), DTW maps its time axis onto the recording's, and the recording's pauses trim each word.

The classic synthesise-and-warp method (as in aeneas). Measured on espeak-ng recordings of other voices, rates and
emotions (tests/test_align_dtw.py and `ectfg_core.align.bench`): word boundaries land within a few tens of
milliseconds; for real human or neural voices expect roughly 50-150 ms. A CTC model (wav2vec2.py) is more accurate
and is used whenever one is installed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ectfg_core.align.dtw import dtw_path, features, frames_db, warp_times
from ectfg_core.errors import InputError
from ectfg_core.progress import Progress
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.espeak_engine import RATE_MAX, RATE_MIN
from ectfg_core.tts.voice_choice import AUTO
from ectfg_core.types.speech import Alignment, PhonemeTiming, Speech, WordTiming

_HOP_SHORT, _HOP_LONG = 0.01, 0.02  # seconds; the coarser hop keeps minutes-long clips affordable
_LONG_S = 90.0
_SILENT_DB = -60.0  # dBFS: a clip whose every frame is below this is silent
_BAND_S = 3.0  # search band around the diagonal, at least this many seconds ...
_BAND_FRACTION = 0.2  # ... or this fraction of the clip


def _speech_span(level_db: np.ndarray, hop: float) -> tuple[float, float]:
    """First and last non-silent times of a clip (its leading/trailing silence is not speech)."""
    loud = np.flatnonzero((level_db > _gate(level_db)) & (level_db > _SILENT_DB))
    if len(loud) == 0:
        raise InputError("the audio is silent; connect the spoken clip")
    return loud[0] * hop, (loud[-1] + 1) * hop


def _gate(level_db: np.ndarray) -> float:
    """Pause threshold: 30 dB under the clip's speech level (its 90th percentile), never below -50 dBFS, and above
    the noise floor (10th percentile) of a noisy recording; always at least 6 dB under the speech level."""
    top = float(np.percentile(level_db, 90))
    floor = float(np.percentile(level_db, 10))
    return min(top - 6.0, max(-50.0, top - 30.0, floor + 8.0))


def _render(text: str, voice: str, wpm: int) -> Speech:
    return synthesize(text, voice=voice, words_per_minute=int(np.clip(wpm, RATE_MIN, RATE_MAX)))


def align_with_espeak(
    samples: np.ndarray,
    sample_rate: int,
    text: str,
    words: Sequence[str],
    voice: str = AUTO,
    progress: Progress | None = None,
) -> Alignment:
    """Word timings (one per word of tokenize(text)) and espeak-ng's IPA phonemes mapped onto the recording."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if len(x) < sample_rate // 10:
        raise InputError("the audio is shorter than 0.1 s; connect the whole spoken clip")
    hop = _HOP_LONG if len(x) / sample_rate > _LONG_S else _HOP_SHORT
    level = frames_db(x, sample_rate, hop)
    begin, end = _speech_span(level, hop)

    # Speak at roughly the recording's pace, so the warp has little stretching to do.
    ref = _render(text, voice, 165)
    ref_level = frames_db(ref.samples, ref.sample_rate, hop)
    ref_begin, ref_end = _speech_span(ref_level, hop)
    ratio = (ref_end - ref_begin) / max(1e-3, end - begin)
    if abs(np.log(ratio)) > np.log(1.15):
        ref = _render(text, voice, int(round(165 * ratio)))
        ref_level = frames_db(ref.samples, ref.sample_rate, hop)
        ref_begin, ref_end = _speech_span(ref_level, hop)
    if len(ref.words) != len(words):
        raise InputError(f"the text has {len(words)} words but espeak-ng read {len(ref.words)}; pass the text that was spoken")
    if progress is not None:
        progress.check()

    # Warp only the speech parts (leading/trailing silence would only loosen the band).
    q0, q1 = int(begin / hop), int(np.ceil(end / hop))
    r0, r1 = int(ref_begin / hop), int(np.ceil(ref_end / hop))
    feats_q = features(x, sample_rate, hop)[q0:q1]
    feats_r = features(ref.samples, ref.sample_rate, hop)[r0:r1]
    band = int(max(_BAND_S, _BAND_FRACTION * (end - begin)) / hop)
    path = dtw_path(feats_r, feats_q, band)
    if progress is not None:
        progress.check()

    def mapped(times: np.ndarray) -> np.ndarray:
        return warp_times(path, times - r0 * hop, hop) + q0 * hop

    starts = mapped(np.array([w.start for w in ref.words]))
    ends = mapped(np.array([w.end for w in ref.words]))
    starts, ends = _trim_to_speech(starts, ends, level, hop)
    timed = [WordTiming(i, str(w), float(s), float(e)) for i, (w, s, e) in enumerate(zip(words, starts, ends, strict=True))]
    ph_starts = mapped(np.array([p.start for p in ref.phonemes])) if ref.phonemes else np.zeros(0)
    ph_ends = mapped(np.array([p.end for p in ref.phonemes])) if ref.phonemes else np.zeros(0)
    phonemes = _clip_phonemes(ref.phonemes, ph_starts, ph_ends, timed)
    similarity = float(np.exp(-np.mean(np.sqrt(np.sum((feats_r[path[:, 0]] - feats_q[path[:, 1]]) ** 2, axis=1))) / 4.0))
    return Alignment(timed, phonemes, "espeak-dtw", similarity)


def _trim_to_speech(starts: np.ndarray, ends: np.ndarray, level: np.ndarray, hop: float) -> tuple[np.ndarray, np.ndarray]:
    """Move word edges that the warp put inside a pause of the recording to the nearest speech inside the word."""
    loud = (level > _gate(level)) & (level > _SILENT_DB)
    starts, ends = starts.copy(), ends.copy()
    n = len(level)
    for k in range(len(starts)):
        a, b = int(np.clip(starts[k] / hop, 0, n)), int(np.clip(np.ceil(ends[k] / hop), 0, n))
        inside = np.flatnonzero(loud[a:b])
        if len(inside):
            starts[k] = max(starts[k], (a + inside[0]) * hop)
            ends[k] = min(ends[k], (a + inside[-1] + 1) * hop)
    # Keep words ordered and non-overlapping.
    for k in range(1, len(starts)):
        if starts[k] < ends[k - 1]:
            mid = 0.5 * (starts[k] + ends[k - 1])
            ends[k - 1], starts[k] = mid, mid
    ends = np.maximum(ends, starts)
    return starts, ends


def _clip_phonemes(phonemes: Sequence[PhonemeTiming], starts: np.ndarray, ends: np.ndarray,
                   words: Sequence[WordTiming]) -> list[PhonemeTiming]:
    """Mapped phonemes, kept inside their (trimmed) word so the renderer's mouth follows the recording."""
    out: list[PhonemeTiming] = []
    for p, s, e in zip(phonemes, starts, ends, strict=True):
        if 0 <= p.word_index < len(words):
            w = words[p.word_index]
            s, e = float(np.clip(s, w.start, w.end)), float(np.clip(e, w.start, w.end))
        if e > s:
            out.append(PhonemeTiming(p.symbol, float(s), float(e), p.word_index))
    return out
