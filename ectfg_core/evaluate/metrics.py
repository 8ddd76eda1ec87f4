"""The evaluation figures: EF-score (paper eq. 10), Emo-Acc, agreement with a requested track, lip-sync proxy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ectfg_core.fer.labels import FrameLabels
from ectfg_core.types.emotion import EMOTIONS, EmotionTrack


@dataclass
class Agreement:
    """Share of compared frames whose labels match."""

    score: float  # 0..1, NaN when nothing could be compared
    frames: int  # frames compared


def matched_indices(n_a: int, fps_a: float, n_b: int, fps_b: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame i of A (centre (i + 0.5) / fps_a) pairs with the frame of B showing the same moment; pairs past B's end
    are dropped. Equal frame rates pair frame for frame."""
    a = np.arange(n_a)
    b = np.floor((a + 0.5) / fps_a * fps_b).astype(np.int64)
    keep = b < n_b
    return a[keep], b[keep]


def label_agreement(labels_a: np.ndarray, labels_b: np.ndarray) -> Agreement:
    """Labels are class indices with -1 for 'no face'; frames where either has none are not compared."""
    valid = (labels_a >= 0) & (labels_b >= 0)
    if not valid.any():
        return Agreement(float("nan"), 0)
    return Agreement(float((labels_a[valid] == labels_b[valid]).mean()), int(valid.sum()))


def ef_score(generated: FrameLabels, reference: FrameLabels) -> Agreement:
    """Eq. 10: frames of the generated and the original video (same moment) whose classifier labels agree."""
    ia, ib = matched_indices(generated.num_frames, generated.fps, reference.num_frames, reference.fps)
    return label_agreement(generated.label_index[ia], reference.label_index[ib])


def track_agreement(generated: FrameLabels, track: EmotionTrack) -> Agreement:
    """Frames where the classifier's label on the generated video is the track's most probable class."""
    ia, ib = matched_indices(generated.num_frames, generated.fps, track.num_frames, track.fps)
    return label_agreement(generated.label_index[ia], track.probs.argmax(axis=1)[ib])


def dominant_of_track(track: EmotionTrack) -> str:
    """Clip-level emotion of a track: the class with the highest mean probability over its frames."""
    return EMOTIONS[int(track.probs.mean(axis=0).argmax())]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.std(x) < 1e-9 or np.std(y) < 1e-9:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


@dataclass
class LipSync:
    r: float  # correlation of mouth opening and speech loudness at zero lag
    best_r: float  # the best correlation within +-max_lag frames
    best_lag: int  # frames; positive = the mouth moves after the sound
    frames: int


def lip_sync(mouth_open: np.ndarray, energy: np.ndarray, max_lag: int = 5) -> LipSync:
    """Mouth opening (from landmarks) against speech energy, frame by frame; frames without a face are skipped."""
    n = min(len(mouth_open), len(energy))
    mouth, loud = np.asarray(mouth_open[:n], dtype=np.float64), np.asarray(energy[:n], dtype=np.float64)
    best_r, best_lag, r0 = float("nan"), 0, float("nan")
    for lag in range(-max_lag, max_lag + 1):
        m = mouth[lag:] if lag >= 0 else mouth[:lag]
        e = loud[: n - lag] if lag >= 0 else loud[-lag:]
        ok = np.isfinite(m)
        r = pearson(m[ok], e[ok])
        if lag == 0:
            r0 = r
        if np.isfinite(r) and not (np.isfinite(best_r) and best_r >= r):
            best_r, best_lag = r, lag
    return LipSync(r=r0, best_r=best_r, best_lag=best_lag, frames=int(np.isfinite(mouth).sum()))
