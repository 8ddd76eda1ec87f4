"""Joining separately synthesized segments into one utterance without clicks or loudness jumps.

Each segment is trimmed of the silence the model adds at its ends, brought to a common speech level (then nudged by
its emotion's loudness), and joined: with a pause, both edges fade (raised cosine) into true silence; without one,
the two overlap in an equal-power crossfade. Neither leaves a step in the waveform.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FADE_S = 0.015  # long enough to remove a step discontinuity, short enough to keep consonants
KEEP_S = 0.03  # silence kept at each end when trimming (breath and release)
TARGET_DB = -20.0  # speech level (RMS of the active part, dBFS) every segment is brought to
_GATE_DB = 35.0  # "silence" is this far below the segment's loudest 20 ms


def _levels(x: np.ndarray, sr: int, hop_s: float = 0.01) -> np.ndarray:
    hop = max(1, int(hop_s * sr))
    n = max(1, len(x) // hop)
    frames = x[: n * hop].reshape(n, hop) if len(x) >= hop else x.reshape(1, -1)
    return 20 * np.log10(np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) + 1e-10)


def trim(x: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    """The segment without leading/trailing silence (KEEP_S kept), and how many samples were cut at the start."""
    if len(x) == 0:
        return x, 0
    lv = _levels(x, sr)
    loud = np.flatnonzero(lv > lv.max() - _GATE_DB)
    hop = max(1, int(0.01 * sr))
    a = max(0, loud[0] * hop - int(KEEP_S * sr))
    b = min(len(x), (loud[-1] + 1) * hop + int(KEEP_S * sr))
    return x[a:b], a


def speech_level_db(x: np.ndarray, sr: int) -> float:
    lv = _levels(x, sr)
    active = lv[lv > lv.max() - _GATE_DB]
    return float(10 * np.log10(np.mean(10 ** (active / 10)))) if len(active) else -100.0


def fade(x: np.ndarray, sr: int, start: bool, end: bool) -> np.ndarray:
    n = min(len(x) // 2, int(FADE_S * sr))
    if n < 2:
        return x
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))
    y = x.astype(np.float32).copy()
    if start:
        y[:n] *= ramp
    if end:
        y[-n:] *= ramp[::-1]
    return y


def join(parts: Sequence[np.ndarray], sr: int, pauses: Sequence[float], gains_db: Sequence[float] | None = None
         ) -> tuple[np.ndarray, list[int]]:
    """Concatenate (already trimmed) segments; pauses[i] is the silence before part i (pauses[0] is ignored).

    Returns the audio and each part's first sample in it. Loudness: every part is scaled to TARGET_DB, plus its
    gains_db; the result is kept under full scale as a whole, so relative levels survive.
    """
    if len(parts) != len(pauses):
        raise ValueError(f"{len(parts)} parts but {len(pauses)} pauses")
    gains = [0.0] * len(parts) if gains_db is None else list(gains_db)
    scaled = []
    for x, g in zip(parts, gains, strict=True):
        x = np.asarray(x, dtype=np.float32)
        level = speech_level_db(x, sr) if len(x) else TARGET_DB
        scaled.append(x * np.float32(10 ** ((TARGET_DB + g - level) / 20)) if level > -90 else x)
    overlap = int(FADE_S * sr)
    # A join without a pause is a crossfade (both parts stay at full level into it); otherwise both edges fade.
    cross = [i > 0 and pauses[i] <= 0 and len(scaled[i - 1]) >= overlap and len(scaled[i]) >= overlap
             for i in range(len(scaled))] + [False]
    out = np.zeros(0, dtype=np.float32)
    starts: list[int] = []
    for i, x in enumerate(scaled):
        x = fade(x, sr, start=not cross[i], end=not cross[i + 1])
        if cross[i]:
            t = np.linspace(0.0, np.pi / 2, overlap)
            mixed = out[-overlap:] * np.cos(t) + x[:overlap] * np.sin(t)
            starts.append(len(out) - overlap)
            out = np.concatenate([out[:-overlap], mixed.astype(np.float32), x[overlap:]])
            continue
        silence = int(round(max(0.0, pauses[i]) * sr)) if i else 0
        out = np.concatenate([out, np.zeros(silence, dtype=np.float32)])
        starts.append(len(out))
        out = np.concatenate([out, x])
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    if peak > 0.98:
        out *= np.float32(0.98 / peak)
    return out, starts
