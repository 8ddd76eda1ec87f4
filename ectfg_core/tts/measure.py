"""Acoustic measurements of synthesized speech: what a listener hears as pitch, loudness, pace and voice quality.

Used by the tests and the bench to check that emotions are audible, not just requested: per-word F0 / loudness /
duration curves, and clip-level voice quality (harmonicity for breathiness, F0 wobble for tremor, spectral tilt
for tense vs lax voice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ectfg_core.audio.features import frame_features
from ectfg_core.types.speech import Speech

_FPS = 100.0  # analysis frames per second


@dataclass
class WordCurves:
    """One value per word: median F0 (Hz, nan if unvoiced), RMS level (dBFS) and duration (s)."""

    f0: np.ndarray
    loudness: np.ndarray
    duration: np.ndarray


def word_curves(speech: Speech) -> WordCurves:
    feats = frame_features(speech.samples, speech.sample_rate, _FPS)
    x = speech.samples.astype(np.float64)
    f0, level, dur = [], [], []
    for w in sorted(speech.words, key=lambda w: w.index):
        a, b = int(w.start * _FPS), max(int(w.start * _FPS) + 1, int(np.ceil(w.end * _FPS)))
        voiced = feats.voiced[a:b]
        f0.append(float(np.median(feats.f0[a:b][voiced])) if voiced.any() else np.nan)
        seg = x[int(w.start * speech.sample_rate): max(int(w.end * speech.sample_rate), int(w.start * speech.sample_rate) + 1)]
        level.append(float(20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-10)) if len(seg) else -100.0)
        dur.append(w.end - w.start)
    return WordCurves(np.array(f0), np.array(level), np.array(dur))


@dataclass
class VoiceQuality:
    """Clip-level voice quality: harmonicity (dB, lower = breathier), F0 wobble (% of F0, higher = more tremor),
    spectral tilt (dB of 2-5 kHz over 0-1 kHz energy in voiced frames, higher = brighter / more tense)."""

    hnr_db: float
    f0_wobble: float
    tilt_db: float


def voice_quality(samples: np.ndarray, sample_rate: int) -> VoiceQuality:
    x = np.asarray(samples, dtype=np.float64)
    sr = int(sample_rate)
    feats = frame_features(x, sr, _FPS)
    win = int(0.04 * sr)
    hnr, low, high = [], [], []
    for k in np.flatnonzero(feats.voiced):
        c = int(k / _FPS * sr)
        frame = x[max(0, c - win // 2): c + win // 2]
        if len(frame) < win:
            continue
        frame = (frame - frame.mean()) * np.hanning(len(frame))
        # Normalised autocorrelation at the pitch period (Boersma 1993): r / (1 - r) is the harmonics-to-noise ratio.
        ac = np.fft.irfft(np.abs(np.fft.rfft(frame, 2 * win)) ** 2)[:win]
        window_ac = np.fft.irfft(np.abs(np.fft.rfft(np.hanning(len(frame)), 2 * win)) ** 2)[:win]
        r = ac / max(ac[0], 1e-12) / np.maximum(window_ac / window_ac[0], 1e-6)
        lag = int(round(sr / feats.f0[k]))
        if 2 <= lag < win - 2:
            peak = float(np.clip(r[lag - 2: lag + 3].max(), 1e-4, 1 - 1e-4))
            hnr.append(10 * np.log10(peak / (1 - peak)))
        spec = np.abs(np.fft.rfft(frame)) ** 2
        freqs = np.fft.rfftfreq(len(frame), 1.0 / sr)
        low.append(spec[(freqs > 50) & (freqs < 1000)].sum())
        high.append(spec[(freqs > 2000) & (freqs < 5000)].sum())
    # F0 wobble: deviation of the voiced F0 track from its own 50 ms running median, relative to F0.
    wobble = []
    f0 = feats.f0
    edges = np.flatnonzero(np.diff(np.r_[0, feats.voiced.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a >= 5:
            run = f0[a:b]
            smooth = np.array([np.median(run[max(0, i - 2): i + 3]) for i in range(len(run))])
            wobble.extend(np.abs(run - smooth) / smooth)
    return VoiceQuality(
        hnr_db=float(np.median(hnr)) if hnr else float("nan"),
        f0_wobble=100.0 * float(np.mean(wobble)) if wobble else float("nan"),
        tilt_db=float(10 * np.log10((np.sum(high) + 1e-12) / (np.sum(low) + 1e-12))) if low else float("nan"),
    )
