"""Spectral features and banded dynamic time warping, for aligning two renditions of the same text.

MFCCs (mean/variance normalised per clip, so two voices are comparable) plus a loudness feature that marks pauses;
DTW (Sakoe & Chiba 1978) with a band around the diagonal and a penalty on non-diagonal steps, computed row by row:
the horizontal steps within a row reduce to a running minimum, so each row is a few vector operations.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct
from transformers.audio_utils import mel_filter_bank

from ectfg_core.audio.features import resample
from ectfg_core.errors import InputError

FEATURE_RATE = 16000
_N_FFT = 512
_WIN = 400  # 25 ms at 16 kHz
_N_MELS = 40
_N_CEPS = 13
_SILENCE_DB = -45.0  # like the rest of the project: dBFS RMS below this is silence


# HTK-scale triangular filters, 60-7600 Hz, unnormalised: (mels, frequency bins).
_FILTERS = mel_filter_bank(num_frequency_bins=_N_FFT // 2 + 1, num_mel_filters=_N_MELS, min_frequency=60.0, max_frequency=7600.0,
                           sampling_rate=FEATURE_RATE, norm=None, mel_scale="htk").T


def frames_db(samples: np.ndarray, sample_rate: int, hop_s: float) -> np.ndarray:
    """RMS level (dBFS) of 25 ms frames every hop_s seconds (frame k centred on k * hop_s)."""
    x = resample(samples, sample_rate, FEATURE_RATE).astype(np.float64)
    frames = _frames(x, int(round(hop_s * FEATURE_RATE)))
    return 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10)


def _frames(x: np.ndarray, hop: int) -> np.ndarray:
    n = max(1, int(np.ceil(len(x) / hop)))
    padded = np.pad(x, (_WIN // 2, _WIN // 2 + n * hop))
    idx = np.arange(n)[:, None] * hop + np.arange(_WIN)[None, :]
    return padded[idx]


def features(samples: np.ndarray, sample_rate: int, hop_s: float) -> np.ndarray:
    """(frames, 13) per-clip-normalised MFCCs without c0, plus one column of normalised loudness."""
    x = resample(samples, sample_rate, FEATURE_RATE).astype(np.float64)
    if len(x) == 0:
        raise InputError("the audio is empty; pass the spoken clip")
    frames = _frames(x, int(round(hop_s * FEATURE_RATE)))
    level = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10)
    spec = np.abs(np.fft.rfft(frames * np.hanning(_WIN), _N_FFT)) ** 2
    logmel = np.log(spec @ _FILTERS.T + 1e-10)
    ceps = dct(logmel, type=2, axis=1, norm="ortho")[:, 1:_N_CEPS + 1]
    ceps = (ceps - ceps.mean(axis=0)) / (ceps.std(axis=0) + 1e-8)
    # Loudness relative to the clip's speech level, clipped at the silence gate: pauses line up with pauses.
    speech = level[level > _SILENCE_DB]
    top = float(np.percentile(speech, 90)) if len(speech) else 0.0
    loud = np.clip((level - top) / max(6.0, top - _SILENCE_DB), -1.0, 0.0)[:, None] * 3.0
    # Silent frames carry no spectral information; zero their cepstra so any silence matches any other.
    ceps[level <= _SILENCE_DB] = 0.0
    return np.concatenate([ceps, loud], axis=1)


def dtw_path(ref: np.ndarray, query: np.ndarray, band: int, step_penalty: float = 0.3) -> np.ndarray:
    """Monotonic warping path [(i, j)...] from (0, 0) to (n-1, m-1) minimising the summed Euclidean distance.

    The band (in query frames) is centred on the straight line from corner to corner; a non-diagonal step costs
    step_penalty extra, which discourages degenerate stretches.
    """
    n, m = len(ref), len(query)
    if n == 0 or m == 0:
        raise InputError("cannot align an empty clip")
    band = max(int(band), abs(n - m) // 4 + 2, 2)
    inf = np.inf
    prev = np.full(m, inf)
    rows_lo: list[int] = []
    rows_from: list[np.ndarray] = []  # 0 diagonal, 1 vertical, 2 horizontal, per cell in the band
    for i in range(n):
        centre = i * (m - 1) / max(1, n - 1)
        lo, hi = max(0, int(centre) - band), min(m, int(centre) + band + 1)
        cost = np.sqrt(np.sum((query[lo:hi] - ref[i]) ** 2, axis=1))
        if i == 0:
            diag = np.full(hi - lo, inf)
            vert = np.full(hi - lo, inf)
            if lo == 0:
                diag[0] = 0.0  # the path starts at (0, 0)
        else:
            diag = np.full(hi - lo, inf)
            left = prev[max(lo - 1, 0): hi - 1]
            diag[hi - lo - len(left):] = left
            vert = prev[lo:hi] + step_penalty
        from_prev = np.minimum(diag, vert)
        choice = np.where(diag <= vert, 0, 1).astype(np.int8)
        b = cost + from_prev
        # Horizontal steps: D[j] = min(b[j], D[j-1] + pen + cost[j]) -> running minimum of b - C, plus C.
        c = np.cumsum(cost + step_penalty)
        run = np.minimum.accumulate(b - c) + c
        horizontal = run < b - 1e-12
        row = np.where(horizontal, run, b)
        choice[horizontal] = 2
        prev = np.full(m, inf)
        prev[lo:hi] = row
        rows_lo.append(lo)
        rows_from.append(choice)
    if not np.isfinite(prev[m - 1]):
        raise InputError("the two clips could not be aligned within the search band; check the audio speaks the text")
    path: list[tuple[int, int]] = []
    i, j = n - 1, m - 1
    while True:
        path.append((i, j))
        if i == 0 and j == 0:
            break
        step = rows_from[i][j - rows_lo[i]]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return np.array(path[::-1], dtype=np.int64)


def warp_times(path: np.ndarray, times_ref: np.ndarray, hop_s: float) -> np.ndarray:
    """Map times in the reference clip onto the query clip through a DTW path (linear within a path step)."""
    ref_t = path[:, 0] * hop_s
    query_t = path[:, 1] * hop_s
    # Several query frames per reference frame (a pause the reference lacks): take their middle, keeping order.
    uniq, first = np.unique(ref_t, return_index=True)
    last = np.r_[first[1:], len(ref_t)] - 1
    mid = 0.5 * (query_t[first] + query_t[last])
    return np.interp(times_ref, uniq, mid)
