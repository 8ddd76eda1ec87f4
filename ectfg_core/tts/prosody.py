"""Emotion -> per-word prosody for the TTS engine.

Per-class profiles follow the direction of the acoustic cues reported in the speech-emotion literature
(Murray & Arnott 1993; Banse & Scherer 1996; Juslin & Laukka 2003): joy raises mean F0, widens the range
and speeds up; sadness lowers, narrows, slows and softens; hot anger is loud, fast and wide; fear is high,
fast and tense (narrower); surprise has the largest F0 excursions; disgust is low and slow. Magnitudes are
exaggerated relative to human means because a formant synthesiser's flat voice needs it to be heard, and
clamped so the speech stays intelligible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.types.emotion import EMOTIONS, NUM_EMOTIONS
from ectfg_core.types.speech import WordProsody


@dataclass(frozen=True)
class Profile:
    """Multipliers at full intensity (1.0 = the voice's neutral)."""

    pitch: float
    pitch_range: float
    rate: float
    volume: float


PROFILES: dict[str, Profile] = {
    "neutral": Profile(1.00, 1.00, 1.00, 1.00),
    "happy": Profile(1.25, 1.70, 1.08, 1.18),
    "sad": Profile(0.86, 0.45, 0.78, 0.68),
    "angry": Profile(1.08, 1.45, 1.16, 1.55),
    "fearful": Profile(1.28, 0.80, 1.20, 0.92),
    "surprised": Profile(1.35, 1.85, 1.02, 1.15),
    "disgusted": Profile(0.88, 1.10, 0.82, 0.90),
}

# Clamps that keep espeak-ng intelligible and unclipped.
LIMITS: dict[str, tuple[float, float]] = {
    "pitch": (0.75, 1.45),
    "pitch_range": (0.30, 1.95),
    "rate": (0.70, 1.35),
    "volume": (0.50, 1.60),
}
_FIELDS = ("pitch", "pitch_range", "rate", "volume")

# Log-domain table (classes x fields): mixing in log space makes opposite cues cancel symmetrically.
_LOG_TABLE = np.log(np.array([[getattr(PROFILES[name], f) for f in _FIELDS] for name in EMOTIONS], dtype=np.float64))

_SIMILARITY_SCALE = 0.3  # target distance at which neighbours stop being averaged
_NEIGHBOUR_WEIGHTS = (1.0, 0.5, 0.2)  # distance 0, 1, 2 words
_CHANGE_THRESHOLD = 0.35  # target distance that counts as a sudden change of emotion


def _weights(targets: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """(N, classes) distribution times intensity: how strongly each class is expressed on each word."""
    rows = []
    for i, (dist, intensity) in enumerate(targets):
        vec = np.asarray(dist, dtype=np.float64).reshape(-1)
        if vec.shape[0] != NUM_EMOTIONS or not np.all(np.isfinite(vec)) or np.any(vec < 0):
            raise InputError(f"emotion target {i} must be {NUM_EMOTIONS} non-negative weights over {', '.join(EMOTIONS)}")
        total = vec.sum()
        vec = vec / total if total > 0 else np.eye(NUM_EMOTIONS)[0]
        level = float(intensity)
        if not np.isfinite(level):
            raise InputError(f"emotion target {i} has a non-finite intensity")
        rows.append(vec * min(1.0, max(0.0, level)))
    return np.array(rows, dtype=np.float64).reshape(len(rows), NUM_EMOTIONS)


def _distances(weights: np.ndarray) -> np.ndarray:
    """Half-L1 distance between the expressed (non-neutral) emotions of every pair of words (0 same .. 1 opposite).

    Neutral carries no prosody, so 'neutral at full intensity' and 'nothing' count as the same.
    """
    expressed = weights[:, 1:]
    return 0.5 * np.abs(expressed[:, None, :] - expressed[None, :, :]).sum(axis=2)


def _edge_preserving_smooth(values: np.ndarray, dist: np.ndarray, amount: float) -> np.ndarray:
    """Bilateral filter along the words: similar neighbours are averaged (glides), dissimilar ones are not (jumps)."""
    if amount <= 0 or len(values) < 2:
        return values
    n = len(values)
    out = np.empty_like(values)
    for i in range(n):
        acc = np.zeros(values.shape[1])
        norm = 0.0
        for off, base in enumerate(_NEIGHBOUR_WEIGHTS):
            for j in {i - off, i + off}:
                if 0 <= j < n:
                    w = (1.0 if off == 0 else base * amount) * float(np.exp(-((dist[i, j] / _SIMILARITY_SCALE) ** 2)))
                    acc += w * values[j]
                    norm += w
        out[i] = acc / norm
    return out


def prosody_for_words(
    targets: Sequence[tuple[np.ndarray, float]],
    strength: float = 1.0,
    smoothing: float = 1.0,
    change_pause: float = 0.18,
) -> list[WordProsody]:
    """One WordProsody per (distribution over EMOTIONS, intensity 0..1) target.

    strength scales every emotional deviation (0 = neutral voice); smoothing 0..1 sets how much similar
    neighbouring words are blended; change_pause is the silence (s) added where the dominant emotion
    changes abruptly (scaled by how large the change is).
    """
    if not targets:
        return []
    weights = _weights(targets)
    log_params = (weights @ _LOG_TABLE) * max(0.0, float(strength))
    dist = _distances(weights)
    log_params = _edge_preserving_smooth(log_params, dist, min(1.0, max(0.0, float(smoothing))))
    params = np.exp(log_params)

    dominant = np.argmax(weights + 1e-9 * np.eye(NUM_EMOTIONS)[0], axis=1)  # ties and silence count as neutral
    out: list[WordProsody] = []
    for i in range(len(weights)):
        values = {f: float(np.clip(params[i, k], *LIMITS[f])) for k, f in enumerate(_FIELDS)}
        pause = 0.0
        if i + 1 < len(weights) and dominant[i] != dominant[i + 1] and dist[i, i + 1] >= _CHANGE_THRESHOLD:
            # A sudden switch: a short breath marks it; gradual cross-fades get none.
            pause = max(0.0, float(change_pause)) * min(1.0, 0.5 + dist[i, i + 1])
        out.append(WordProsody(pause_after=round(pause, 3), **values))
    return out
