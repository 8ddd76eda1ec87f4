"""Speech measurements printed by `ectfg speech-bench`: what the voice does per emotion, how fast, how well words align.

Nothing here asserts; the tests do. Figures depend on the machine (speed) but not on chance (espeak-ng and the
degradations are deterministic).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from ectfg_core.text import tokenize
from ectfg_core.types.emotion import EMOTIONS, one_hot

TEXT = ("The weather was lovely this morning, so we walked along the river and talked about the old days. "
        "Then the rain came, and we ran home laughing.")


def _voice_table(lines: list[str]) -> None:
    from ectfg_core.tts.espeak import synthesize
    from ectfg_core.tts.measure import voice_quality
    from ectfg_core.tts.voice_quality import quality_for

    n = len(tokenize(TEXT))
    lines.append("voice quality (en-us, full intensity; HNR lower = breathier, wobble = F0 tremor, tilt higher = tenser)")
    lines.append(f"  {'emotion':<10} {'HNR dB':>7} {'wobble %':>9} {'tilt dB':>8}")
    for emotion in EMOTIONS:
        speech = synthesize(TEXT, qualities=[quality_for(one_hot(emotion), 1.0)] * n)
        q = voice_quality(speech.samples, speech.sample_rate)
        lines.append(f"  {emotion:<10} {q.hnr_db:7.1f} {q.f0_wobble:9.2f} {q.tilt_db:8.1f}")


def _pause_table(lines: list[str]) -> None:
    from ectfg_core.tts.espeak import synthesize
    from ectfg_core.tts.pauses import add_punctuation_pauses
    from ectfg_core.types.speech import WordProsody

    text = "Well, I waited for you all day. Then you came"
    tokens = tokenize(text)
    comma, stop = 0, [t.text for t in tokens].index("day")
    lines.append("pauses (s) after ',' and '.'")
    plain = synthesize(text)
    lines.append(f"  {'espeak-ng alone':<16} {plain.words[1].start - plain.words[0].end:5.2f} "
                 f"{plain.words[stop + 1].start - plain.words[stop].end:5.2f}")
    for emotion in ("neutral", "happy", "sad", "angry", "fearful", "disgusted"):
        prosody = add_punctuation_pauses(text, tokens, [WordProsody() for _ in tokens], [(one_hot(emotion), 1.0)] * len(tokens))
        s = synthesize(text, prosody)
        lines.append(f"  {emotion:<16} {s.words[comma + 1].start - s.words[comma].end:5.2f} "
                     f"{s.words[stop + 1].start - s.words[stop].end:5.2f}")


def _speed(lines: list[str]) -> None:
    from ectfg_core.emotion.description import parse_description
    from ectfg_core.tts.embedded import speak_embedded

    text = " ".join([TEXT] * 4)
    described = parse_description("starts happy, slowly turns sad, then suddenly furious", [t.text for t in tokenize(text)])
    clock = time.perf_counter()
    speech = speak_embedded(text, described)
    spent = time.perf_counter() - clock
    lines.append(f"embedded TTS: {speech.duration:.1f} s of speech in {spent:.2f} s (real-time factor {spent / speech.duration:.3f})")


def _alignment(lines: list[str]) -> None:
    from scipy.signal import fftconvolve, resample_poly

    from ectfg_core.align.ctc import forced_align
    from ectfg_core.align.espeak_dtw import align_with_espeak
    from ectfg_core.tts.espeak import synthesize

    words = [t.text for t in tokenize(TEXT)]
    rng = np.random.default_rng(0)
    errors = []
    for voice, shift in (("en-us+f3", 1.15), ("en-us+m3", 0.87), ("en-us+klatt4", 1.1), ("en-us+f5", 0.95)):
        speech = synthesize(TEXT, voice=voice, words_per_minute=140)
        sr = speech.sample_rate
        y = resample_poly(speech.samples.astype(np.float64), 100, int(round(100 * shift)))
        room = rng.standard_normal(int(0.25 * sr)) * np.exp(-np.arange(int(0.25 * sr)) / (0.05 * sr))
        room[0] = 8.0
        y = fftconvolve(y, room)[: len(y)]
        y = y / np.abs(y).max() * 0.7
        y = (y + rng.normal(0, np.sqrt(np.mean(y**2)) * 0.1, len(y))).astype(np.float32)
        clock = time.perf_counter()
        found = align_with_espeak(y, sr, TEXT, words).words
        spent = time.perf_counter() - clock
        err = np.abs(np.r_[[f.start - w.start / shift for f, w in zip(found, speech.words)],
                           [f.end - w.end / shift for f, w in zip(found, speech.words)]])
        errors.append(err)
        lines.append(f"  {voice:<14} x{shift:<5} mean {err.mean() * 1000:5.0f} ms  p90 {np.percentile(err, 90) * 1000:5.0f} ms  "
                     f"max {err.max() * 1000:5.0f} ms  ({spent:.2f} s)")
    all_err = np.concatenate(errors)
    lines.insert(len(lines) - len(errors), "espeak-ng + DTW aligner on other voices (resampled, reverberant, 20 dB SNR):")
    lines.append(f"  all: mean {all_err.mean() * 1000:.0f} ms, median {np.median(all_err) * 1000:.0f} ms, "
                 f"p90 {np.percentile(all_err, 90) * 1000:.0f} ms")
    # Viterbi cost on a minute of 50 Hz CTC frames against 900 letters.
    frames, letters, vocab = 3000, 900, 32
    lp = np.log(rng.dirichlet(np.ones(vocab), size=frames))
    clock = time.perf_counter()
    forced_align(lp, list(rng.integers(1, vocab, size=letters)), blank=0)
    lines.append(f"CTC forced alignment: {frames} frames x {letters} letters in {time.perf_counter() - clock:.2f} s")


def _neural(lines: list[str], model_name: str, device: str | None) -> None:
    from ectfg_core.align.words import align_words
    from ectfg_core.emotion.description import parse_description
    from ectfg_core.tts.neural import load_model, speak_neural

    clock = time.perf_counter()
    model = load_model(model_name, device=device)
    lines.append(f"neural model {model_name}: loaded in {time.perf_counter() - clock:.1f} s")
    described = parse_description("calm, then suddenly terrified", [t.text for t in tokenize(TEXT)])
    clock = time.perf_counter()
    result = speak_neural(TEXT, described, model, partial(align_words, estimate=True))
    spent = time.perf_counter() - clock
    lines.append(f"  {len(result.segments)} segments, {result.speech.duration:.1f} s of speech in {spent:.1f} s "
                 f"(real-time factor {spent / max(1e-6, result.speech.duration):.2f}); words timed by {', '.join(set(result.alignment))}")
    for seg, desc in zip(result.segments, result.descriptions):
        lines.append(f"  [{seg.first}:{seg.end}] {desc}")


def run_speech_bench(model: str | None = None, device: str | None = None) -> str:
    lines: list[str] = []
    _speed(lines)
    _voice_table(lines)
    _pause_table(lines)
    _alignment(lines)
    if model:
        _neural(lines, model, device)
    return "\n".join(lines)
