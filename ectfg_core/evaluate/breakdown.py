"""The requested emotional arc, class by class: for every class the track asks for, the AU geometry and the
classifier's labels over exactly the frames that ask for it.

A whole-clip median mixes the happy, angry and sad parts of an arc and explains none of them; split by the track's
top class per frame, each part is judged against its own prototype and its own classifier labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ectfg_core.evaluate.au_geometry import AU_NAMES, PROTOTYPES, THRESHOLDS, PrototypeResult, median_au, prototype_check
from ectfg_core.evaluate.blendshapes import BlendshapeReading, read_blendshapes
from ectfg_core.evaluate.metrics import matched_indices
from ectfg_core.fer.labels import FrameLabels
from ectfg_core.types.emotion import EMOTIONS, EmotionTrack

# Fewer face frames than this give a median and a label share that a blink or one mislabelled frame can swing
# (e.g. the one or two frames a track passes through a class between two others); such classes get no row.
MIN_CLASS_FRAMES = 5
OTHER_LABELS = 2  # how many of the classifier's labels are shown besides the requested one


@dataclass(frozen=True)
class ClassBreakdown:
    """One requested class of the arc, over the face frames where the track's top class is this class."""

    emotion: str
    frames: int  # face frames the figures below are taken over
    spans: list[tuple[float, float]]  # seconds (start, end) of the runs where the track asks for this class
    au_geometry: dict[str, float]  # median AU values against the still, face widths
    prototype: PrototypeResult
    agreement: float  # share of the frames the classifier labels as this class
    labels: list[tuple[str, float]]  # the classifier's labels on these frames with their shares, most frequent first
    blendshapes: BlendshapeReading | None = None  # the expression head's reading (None: the engine gives no blendshapes)

    def others(self, count: int = OTHER_LABELS) -> list[tuple[str, float]]:
        """What the classifier says instead: its most frequent labels other than the requested class."""
        return [(name, share) for name, share in self.labels if name != self.emotion][:count]

    def to_dict(self) -> dict[str, Any]:
        return {
            "emotion": self.emotion, "frames": self.frames, "spans_s": [[round(a, 2), round(b, 2)] for a, b in self.spans],
            "au_geometry": {n: _num(v) for n, v in self.au_geometry.items()},
            "prototype": {"present": self.prototype.present, "missing": missing_groups(self.prototype),
                          "shown": shown_aus(self.au_geometry), "detail": self.prototype.detail},
            "classifier": {"agreement": _num(self.agreement), "labels": {n: _num(s) for n, s in self.labels}},
            "blendshapes": None if self.blendshapes is None else {"shown": self.blendshapes.shown, "rises": self.blendshapes.rises},
        }


def _num(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 4)


def track_classes(labels: FrameLabels, track: EmotionTrack) -> np.ndarray:
    """(T,) the track's top class index for every video frame (paired by time), -1 past the track's end."""
    out = np.full(labels.num_frames, -1, dtype=np.int64)
    ia, ib = matched_indices(labels.num_frames, labels.fps, track.num_frames, track.fps)
    out[ia] = track.probs.argmax(axis=1)[ib]
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of True as (first, last + 1) frame indices."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def label_shares(label_index: np.ndarray) -> list[tuple[str, float]]:
    """Share of each classifier label among frames (indices into EMOTIONS, all >= 0), most frequent first."""
    if len(label_index) == 0:
        return []
    counts = np.bincount(label_index, minlength=len(EMOTIONS))
    order = sorted((i for i in range(len(EMOTIONS)) if counts[i]), key=lambda i: (-counts[i], i))
    return [(EMOTIONS[i], float(counts[i] / len(label_index))) for i in order]


def class_breakdown(labels: FrameLabels, landmarks: dict[int, np.ndarray], track: EmotionTrack, still: np.ndarray,
                    min_frames: int = MIN_CLASS_FRAMES, blendshapes: dict[int, dict[str, float]] | None = None,
                    still_blendshapes: dict[str, float] | None = None) -> list[ClassBreakdown]:
    """One row per class that is the track's top class on at least `min_frames` face frames, in order of first appearance.

    blendshapes (per frame) and still_blendshapes, when the face engine gives them, add the expression head's reading.
    """
    wanted = track_classes(labels, track)
    with_face = labels.face & np.isin(np.arange(labels.num_frames), list(landmarks))
    given = labels.label_index
    rows: list[tuple[int, ClassBreakdown]] = []
    for cls in np.unique(wanted[wanted >= 0]).tolist():
        asked = wanted == cls
        frames = np.flatnonzero(asked & with_face)
        if len(frames) < min_frames:
            continue
        emotion = EMOTIONS[cls]
        values, _ = median_au([landmarks[i] for i in frames.tolist()], still)
        scored = [blendshapes[i] for i in frames.tolist() if blendshapes and i in blendshapes]
        reading = read_blendshapes(emotion, scored, still_blendshapes) if scored and still_blendshapes is not None else None
        rows.append((int(frames[0]), ClassBreakdown(
            emotion=emotion, frames=len(frames),
            spans=[(a / labels.fps, b / labels.fps) for a, b in runs(asked)],
            au_geometry=values, prototype=prototype_check(emotion, values),
            agreement=float((given[frames] == cls).mean()), labels=label_shares(given[frames]), blendshapes=reading,
        )))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def missing_groups(result: PrototypeResult) -> list[str]:
    """The required AU groups the face does not show ("AU5/AU7": either would do); for neutral, the AUs it shows."""
    if result.emotion == "neutral":
        return [n for n, d in result.detail.items() if d["present"]]
    return ["/".join(g) for g in PROTOTYPES[result.emotion]["required"] if not any(result.detail[n]["present"] for n in g)]


def shown_aus(values: dict[str, float]) -> list[str]:
    """AUs whose median reaches its presence threshold."""
    return [n for n in AU_NAMES if np.isfinite(values.get(n, np.nan)) and values[n] >= THRESHOLDS[n]]


def prototype_text(result: PrototypeResult) -> str:
    """E.g. "present (AU4+ AU5/AU7+ AU23+)"; a group is marked + when any of its AUs is shown."""
    if result.emotion == "neutral":  # neutral's prototype is the absence of every AU but lips part / jaw drop
        shows = missing_groups(result)
        return "present (no AU shown)" if result.present else f"absent (shows {' '.join(f'{n}+' for n in shows)})"
    groups = PROTOTYPES[result.emotion]["required"]
    marks = " ".join("/".join(g) + ("+" if any(result.detail[n]["present"] for n in g) else "-") for g in groups)
    return f"{'present' if result.present else 'absent'} ({marks})"


def _spans_text(spans: list[tuple[float, float]], limit: int = 3) -> str:
    shown = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in spans[:limit])
    return shown + (f", +{len(spans) - limit} more" if len(spans) > limit else "")


def breakdown_lines(rows: list[ClassBreakdown]) -> list[str]:
    """Two lines per class: frames, time spans, prototype and classifier labels; then the AUs the median shows."""
    width = max((len(r.emotion) for r in rows), default=0)
    lines = []
    for r in rows:
        said = ", ".join(f"{n} {100 * s:.0f}%" for n, s in r.others())
        lines.append(f"  {r.emotion:<{width}} {r.frames:4d} frames ({_spans_text(r.spans)})  AU prototype {prototype_text(r.prototype)}  "
                     f"classifier: {r.emotion} {100 * r.agreement:.0f}%" + (f", {said}" if said else ""))
        shown = " ".join(f"{n} {r.au_geometry[n]:+.3f}" for n in shown_aus(r.au_geometry))
        lines.append(f"  {'':<{width}}   AUs shown (median, face widths): {shown or 'none'}")
        if r.blendshapes is not None:
            rises = " ".join(f"{n} {v:+.2f}" for n, v in r.blendshapes.rises.items())
            lines.append(f"  {'':<{width}}   blendshapes: {'shown' if r.blendshapes.shown else 'not shown'} (rise over the still: {rises})")
    return lines
