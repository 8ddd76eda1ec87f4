"""Per-video-frame loudness and pitch of a speech clip, plus resampling.

Pitch is a vectorised YIN tracker (de Cheveigné & Kawahara 2002) on a 10 ms hop; video frames then
take the median pitch of the analysis frames around their centre.
"""

from __future__ import annotations

import math

import numpy as np

from ectfg_core.types.audio import AudioFrames

F0_MIN = 60.0
F0_MAX = 500.0
SILENCE_DB = -45.0  # dBFS RMS; quieter frames count as silence
_YIN_THRESHOLD = 0.15  # CMNDF dip below this means periodic (voiced)
_YIN_WINDOW = 0.025  # integration window, seconds
_MIN_VOICED_RUN = 3  # analysis frames; shorter voiced blips are noise
_EPS = 1e-10


def to_mono(samples: np.ndarray, channel_axis: int | None = None) -> np.ndarray:
    """One channel: the average of all, integer PCM scaled to -1..1, floats kept in their own precision.

    channel_axis: 0 for (channels, samples), 1 for (samples, channels); None takes the shorter axis as the channels.
    """
    x = np.asarray(samples)
    if x.ndim == 2:
        axis = channel_axis if channel_axis is not None else (1 if x.shape[1] <= x.shape[0] else 0)
        x = x.mean(axis=axis)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float64) / float(np.iinfo(x.dtype).max)
    return x.reshape(-1)


def _mono_float(samples: np.ndarray) -> np.ndarray:
    return np.asarray(to_mono(samples), dtype=np.float64)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased) to dst_rate; float32 mono out."""
    x = _mono_float(samples)
    src_rate, dst_rate = int(src_rate), int(dst_rate)
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    if src_rate == dst_rate or len(x) == 0:
        return x.astype(np.float32)
    from scipy.signal import resample_poly  # scipy.signal takes ~0.5 s to import; only resampling needs it

    g = math.gcd(src_rate, dst_rate)
    return resample_poly(x, dst_rate // g, src_rate // g).astype(np.float32)


def _frame_view(x: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Rows x[s:s+length] for each start, zero padded outside the signal."""
    pad_left = max(0, -int(starts.min())) if len(starts) else 0
    pad_right = max(0, int(starts.max()) + length - len(x)) if len(starts) else 0
    xp = np.pad(x, (pad_left, pad_right))
    idx = (starts + pad_left)[:, None] + np.arange(length)[None, :]
    return xp[idx]


def _yin_track(x: np.ndarray, sr: int, hop_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, f0, voiced) at hop_s spacing, frame k centred on k * hop_s."""
    tau_min = max(2, int(sr / F0_MAX))
    tau_max = int(math.ceil(sr / F0_MIN))
    win = max(int(_YIN_WINDOW * sr), tau_max)
    length = win + tau_max + 1
    n_frames = int(len(x) / (hop_s * sr)) + 1
    times = np.arange(n_frames) * hop_s
    starts = np.round(times * sr).astype(np.int64) - length // 2
    frames = _frame_view(x, starts, length)
    frames = frames - frames[:, :win].mean(axis=1, keepdims=True)

    # d(tau) = E(0) + E(tau) - 2 r(tau) with r from one FFT cross-correlation per frame.
    nfft = 1 << int(math.ceil(math.log2(length + win)))
    spec_full = np.fft.rfft(frames, nfft)
    spec_head = np.fft.rfft(frames[:, :win], nfft)
    r = np.fft.irfft(spec_full * np.conj(spec_head), nfft)[:, : tau_max + 1]
    sq = np.concatenate([np.zeros((n_frames, 1)), np.cumsum(frames**2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    energy_tau = sq[:, taus + win] - sq[:, taus]
    d = np.maximum(energy_tau[:, :1] + energy_tau - 2.0 * r, 0.0)
    d[:, 0] = 0.0
    # Cumulative mean normalised difference: removes the bias towards tau = 0.
    cum = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cum, _EPS)

    seg = cmnd[:, tau_min : tau_max + 1]
    below = seg < _YIN_THRESHOLD
    has_dip = below.any(axis=1)
    first = np.argmax(below, axis=1)
    # Walk from the first dip to its local minimum.
    rising = np.concatenate([seg[:, 1:] >= seg[:, :-1], np.ones((n_frames, 1), dtype=bool)], axis=1)
    rising &= np.arange(seg.shape[1])[None, :] >= first[:, None]
    best = np.argmax(rising, axis=1)
    # Parabolic interpolation around the minimum for sub-sample period.
    rows = np.arange(n_frames)
    i0 = np.clip(best, 1, seg.shape[1] - 2)
    a, b, c = seg[rows, i0 - 1], seg[rows, i0], seg[rows, i0 + 1]
    denom = a - 2 * b + c
    shift = np.where(np.abs(denom) > _EPS, 0.5 * (a - c) / np.where(np.abs(denom) > _EPS, denom, 1.0), 0.0)
    shift = np.where(best == i0, np.clip(shift, -1, 1), 0.0)
    period = tau_min + best + shift

    rms = np.sqrt(energy_tau[:, 0] / win)
    loud = 20 * np.log10(rms + _EPS) > SILENCE_DB
    voiced = has_dip & loud
    voiced = _drop_short_runs(voiced, _MIN_VOICED_RUN)
    f0 = np.where(voiced, sr / np.maximum(period, 1.0), 0.0)
    return times, f0, voiced


def _drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = mask.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < min_len:
            out[start:end] = False
    return out


def _window_rms_db(x: np.ndarray, sr: int, centres: np.ndarray, half: float) -> np.ndarray:
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    lo = np.clip(np.round((centres - half) * sr).astype(np.int64), 0, len(x))
    hi = np.clip(np.round((centres + half) * sr).astype(np.int64), 0, len(x))
    width = max(1, int(round(2 * half * sr)))  # zeros beyond the ends count as silence
    rms = np.sqrt(np.maximum(csum[hi] - csum[lo], 0.0) / width)
    return 20 * np.log10(rms + _EPS)


def _normalise_db(db: np.ndarray) -> np.ndarray:
    """Map dBFS to 0..1: 0 at the silence gate, 1 at the clip's 95th percentile of non-silent frames."""
    active = db[db > SILENCE_DB]
    if len(active) == 0:
        return np.zeros_like(db, dtype=np.float32)
    top = max(float(np.percentile(active, 95)), SILENCE_DB + 6.0)  # 6 dB minimum span: no blow-up of faint clips
    out = np.clip((db - SILENCE_DB) / (top - SILENCE_DB), 0.0, 1.0)
    return out.astype(np.float32)


def frame_features(samples: np.ndarray, sample_rate: int, fps: float, num_frames: int | None = None) -> AudioFrames:
    """Loudness and pitch per video frame (frame i centred on i / fps, window about 2 / fps)."""
    if fps <= 0 or sample_rate <= 0:
        raise ValueError(f"fps and sample_rate must be positive, got {fps}, {sample_rate}")
    x = _mono_float(samples)
    duration = len(x) / float(sample_rate)
    if num_frames is None:
        num_frames = int(math.ceil(duration * fps - 1e-9))
    num_frames = max(0, int(num_frames))
    centres = np.arange(num_frames) / float(fps)
    if num_frames == 0:
        empty = np.zeros(0, dtype=np.float32)
        return AudioFrames(float(fps), empty, empty.copy(), np.zeros(0, dtype=bool))

    energy = _normalise_db(_window_rms_db(x, sample_rate, centres, 1.0 / fps))

    # Pitch: analysis hop fine enough that every video frame gets at least one analysis frame.
    hop = min(0.01, 0.5 / fps)
    times, f0_track, voiced_track = _yin_track(x, sample_rate, hop)
    # Video frame takes the analysis frames within +-0.5/fps of its centre (pitch is sharper than loudness).
    lo = np.searchsorted(times, centres - 0.5 / fps - 1e-9)
    hi = np.searchsorted(times, centres + 0.5 / fps + 1e-9)
    f0 = np.zeros(num_frames, dtype=np.float32)
    voiced = np.zeros(num_frames, dtype=bool)
    for i in range(num_frames):
        a, b = int(lo[i]), int(hi[i])
        if a >= len(times):
            continue
        b = max(b, a + 1)
        v = voiced_track[a:b]
        if v.mean() >= 0.5:
            voiced[i] = True
            f0[i] = float(np.median(f0_track[a:b][v]))
    voiced &= energy > 0  # the silence gate wins over the pitch tracker
    f0[~voiced] = 0.0
    return AudioFrames(float(fps), energy, f0, voiced)


def median_pitch(samples: np.ndarray, sample_rate: int) -> float | None:
    """Median F0 (Hz) of the voiced parts, or None when almost nothing is voiced."""
    x = _mono_float(samples)
    if len(x) == 0:
        return None
    _, f0, voiced = _yin_track(x, int(sample_rate), 0.01)
    if voiced.sum() < 5:
        return None
    return float(np.median(f0[voiced]))
