"""`ectfg evaluate`: the four figures for a generated video, against an original video and/or the requested track.

All expression labels come from the evaluation classifier ("face-api" unless --classifier says otherwise), which
is not the one that made the EFP's training pseudo-labels (paper sec. 4: an independently trained model avoids
evaluation bias).
Beside the classifier, the AU geometry (au_geometry.py) of the generated frames against the still portrait says
whether the face makes the FACS prototype of the target class, independently of any trained network.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.evaluate.analysis import VideoAnalysis, analyse_video
from ectfg_core.evaluate.au_geometry import AU_NAMES, PrototypeResult, median_au, prototype_check
from ectfg_core.evaluate.breakdown import MIN_CLASS_FRAMES, ClassBreakdown, breakdown_lines, class_breakdown
from ectfg_core.evaluate.metrics import Agreement, LipSync, dominant_of_track, ef_score, lip_sync, track_agreement
from ectfg_core.fer.classifier import EVALUATION_CLASSIFIER, load_classifier
from ectfg_core.progress import Progress
from ectfg_core.types.emotion import EmotionTrack
from ectfg_core.types.face import FaceLandmarks


@dataclass
class EvaluationReport:
    generated: str
    classifier: str
    frames: int
    face_frames: int
    ef_score: Agreement | None  # None without a reference video
    emo_acc: float | None  # 1 or 0 for one clip; None without a target
    generated_emotion: str | None
    target_emotion: str | None
    target_source: str | None  # "reference" or "track"
    track_agreement: Agreement | None  # None without a track
    track_source: str | None
    lip_sync: LipSync | None  # None without audio or faces
    reference_lip_sync: LipSync | None = None
    au_still: str | None = None  # what the AU geometry was measured against: "portrait <path>" or "first frame"
    au_frames: int = 0  # generated frames the AU medians are taken over
    au_geometry: dict[str, float] | None = None  # median AU values, face widths (None: no face frames)
    au_prototype: PrototypeResult | None = None  # the target class's prototype on those medians (None: no target)
    by_track_class: list[ClassBreakdown] | None = None  # the requested arc class by class (None: no track or no face)

    def to_dict(self) -> dict[str, Any]:
        def agreement(a: Agreement | None) -> dict | None:
            return None if a is None else {"score": _num(a.score), "frames": a.frames}

        def sync(s: LipSync | None) -> dict | None:
            return None if s is None else {"r": _num(s.r), "best_r": _num(s.best_r), "best_lag_frames": s.best_lag, "frames": s.frames}

        return {
            "format": "ectfg.evaluation/1", "generated": self.generated, "classifier": self.classifier, "frames": self.frames,
            "face_frames": self.face_frames, "ef_score": agreement(self.ef_score), "emo_acc": self.emo_acc,
            "generated_emotion": self.generated_emotion, "target_emotion": self.target_emotion, "target_source": self.target_source,
            "track_agreement": agreement(self.track_agreement), "track_source": self.track_source,
            "lip_sync": sync(self.lip_sync), "reference_lip_sync": sync(self.reference_lip_sync),
            "au_geometry": None if self.au_geometry is None else {
                "still": self.au_still, "frames": self.au_frames, "values": {k: _num(v) for k, v in self.au_geometry.items()},
                "prototype": None if self.au_prototype is None else {
                    "emotion": self.au_prototype.emotion, "present": self.au_prototype.present, "detail": self.au_prototype.detail},
            },
            "by_track_class": None if self.by_track_class is None else {
                "still": self.au_still, "min_frames": MIN_CLASS_FRAMES, "classes": [row.to_dict() for row in self.by_track_class]},
        }


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def load_track(path: str | Path) -> EmotionTrack:
    """A track JSON, a `generate` sidecar (its "track"), or `label-video` pseudo-labels."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"cannot read the track {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{path} is not valid JSON ({err.msg} at line {err.lineno}); pass a track or a generate sidecar") from None
    if isinstance(data, dict) and isinstance(data.get("track"), dict):
        data = data["track"]
    return EmotionTrack.from_dict(data)


def sidecar_track(generated: Path) -> Path | None:
    """`ectfg generate` writes G.json beside G.mp4; its requested track is used when no --track is given."""
    sidecar = generated.with_suffix(".json")
    if not sidecar.is_file():
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return sidecar if isinstance(data, dict) and isinstance(data.get("track"), dict) else None


def portrait_landmarks(path: str | Path) -> FaceLandmarks:
    """Landmarks (and blendshapes, if the engine gives them) of the still portrait a clip was made from (any crop or
    scale: the AU geometry aligns to it)."""
    from ectfg_core.face.detect import detect_landmarks
    from ectfg_core.media.images import load_image

    if not Path(path).is_file():
        raise InputError(f"portrait not found: {path}; pass the image the clip was made from", field="portrait")
    return detect_landmarks(load_image(path))



def au_baseline(gen: VideoAnalysis, still: np.ndarray | None, still_name: str | None) -> tuple[np.ndarray | None, str | None]:
    """The still the AU geometry is measured against: the portrait, else the clip's first face frame (None: no face)."""
    if still is not None:
        return still, still_name
    if not gen.landmarks:
        return None, None
    # Nothing better: the clip's own first face frame, which may already show some expression.
    return gen.landmarks[min(gen.landmarks)], "first frame"


def au_measure(gen: VideoAnalysis, still: np.ndarray | None, still_name: str | None,
               emotion: str | None) -> tuple[str | None, int, dict[str, float] | None, PrototypeResult | None]:
    """Median AU geometry of the generated frames against the still (else the first face frame) and the target's prototype."""
    frames = [gen.landmarks[i] for i in sorted(gen.landmarks)]
    if not frames:
        return None, 0, None, None
    still, still_name = au_baseline(gen, still, still_name)
    values, _ = median_au(frames, still)
    return still_name, len(frames), values, prototype_check(emotion, values) if emotion is not None else None


def evaluate(
    generated: str | Path,
    reference: str | Path | None = None,
    track: str | Path | None = None,
    classifier: str = EVALUATION_CLASSIFIER,
    progress: Progress | None = None,
    use_sidecar: bool = True,
    portrait: str | Path | None = None,
) -> EvaluationReport:
    generated = Path(generated)
    model = load_classifier(classifier)
    track_path = Path(track) if track is not None else (sidecar_track(generated) if use_sidecar else None)
    requested = load_track(track_path) if track_path is not None else None  # fail on a bad track before the slow part
    still_face = portrait_landmarks(portrait) if portrait is not None else None
    still = still_face.points if still_face is not None else None
    gen = analyse_video(generated, model, progress)
    ref: VideoAnalysis | None = analyse_video(reference, model, progress) if reference is not None else None

    generated_emotion = gen.labels.dominant()
    target_emotion, target_source = None, None
    if ref is not None:
        target_emotion, target_source = ref.labels.dominant(), "reference"
    elif requested is not None:
        target_emotion, target_source = dominant_of_track(requested), "track"
    emo_acc = None
    if target_emotion is not None and generated_emotion is not None:
        emo_acc = float(generated_emotion == target_emotion)

    asked = dominant_of_track(requested) if requested is not None else target_emotion  # the requested class first
    still_name = f"portrait {portrait}" if portrait is not None else None
    au_still, au_frames, au_geometry, au_prototype = au_measure(gen, still, still_name, asked)
    baseline, _ = au_baseline(gen, still, still_name)
    by_class = None
    if requested is not None and baseline is not None:  # the same still as the whole-clip median
        # The expression head's baseline: the portrait's scores, else the first face frame's (as for the geometry).
        still_shapes = still_face.blendshapes if still_face is not None else gen.blendshapes.get(min(gen.landmarks))
        by_class = class_breakdown(gen.labels, gen.landmarks, requested, baseline, blendshapes=gen.blendshapes,
                                   still_blendshapes=still_shapes)

    def sync(analysis: VideoAnalysis | None) -> LipSync | None:
        if analysis is None or analysis.energy is None or not analysis.labels.face.any():
            return None
        return lip_sync(analysis.mouth_open, analysis.energy)

    return EvaluationReport(
        generated=str(generated), classifier=model.name, frames=gen.labels.num_frames, face_frames=int(gen.labels.face.sum()),
        ef_score=ef_score(gen.labels, ref.labels) if ref is not None else None,
        emo_acc=emo_acc, generated_emotion=generated_emotion, target_emotion=target_emotion, target_source=target_source,
        track_agreement=track_agreement(gen.labels, requested) if requested is not None else None,
        track_source=str(track_path) if track_path is not None else None,
        lip_sync=sync(gen), reference_lip_sync=sync(ref),
        au_still=au_still, au_frames=au_frames, au_geometry=au_geometry, au_prototype=au_prototype, by_track_class=by_class,
    )


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%" if math.isfinite(value) else "n/a"


def format_report(report: EvaluationReport) -> str:
    lines = [f"generated: {report.generated} ({report.frames} frames, face found in {report.face_frames}); "
             f"classifier: {report.classifier}"]
    if report.ef_score is None:
        lines.append("EF-score: n/a (needs --reference, the original video the clip re-enacts)")
    else:
        lines.append(f"EF-score: {_pct(report.ef_score.score)} of {report.ef_score.frames} frames agree with the reference")
    if report.emo_acc is None:
        lines.append("Emo-Acc: n/a (needs --reference or --track)")
    else:
        lines.append(f"Emo-Acc: {_pct(report.emo_acc)} (generated: {report.generated_emotion}, "
                     f"target: {report.target_emotion} from the {report.target_source})")
    if report.track_agreement is None:
        lines.append("track agreement: n/a (needs --track, or the G.json sidecar of `ectfg generate`)")
    else:
        lines.append(f"track agreement: {_pct(report.track_agreement.score)} of {report.track_agreement.frames} frames "
                     f"match {report.track_source}")
    if report.lip_sync is None:
        lines.append("lip-sync proxy: n/a (needs audio and a visible face)")
    else:
        s = report.lip_sync
        text = (f"lip-sync proxy: r = {s.r:+.2f} (mouth opening vs speech energy; best r = {s.best_r:+.2f} "
                f"at {s.best_lag:+d} frames)")
        if report.reference_lip_sync is not None:
            text += f"; reference r = {report.reference_lip_sync.r:+.2f}"
        lines.append(text)
    lines += _au_lines(report)
    lines += _by_class_lines(report)
    return "\n".join(lines)


def _au_lines(report: EvaluationReport) -> list[str]:
    if report.au_geometry is None:
        return ["AU geometry: n/a (no face found)"]
    still = report.au_still
    if still == "first frame":
        still = "the first frame (no --portrait given; pass the still portrait for a true baseline)"
    values = " ".join(f"{n} {report.au_geometry[n]:+.3f}" for n in AU_NAMES)
    lines = [f"AU geometry (median of {report.au_frames} frames against {still}, face widths): {values}"]
    if report.au_prototype is None:
        lines.append("AU prototype: n/a (needs --reference or --track for the target class)")
    else:
        p = report.au_prototype
        shown = " ".join(f"{n}{'+' if d['present'] else '-'}" for n, d in p.detail.items() if d["role"] != "optional")
        lines.append(f"AU prototype of {p.emotion}: {'present' if p.present else 'absent'} ({shown or 'none'}; "
                     f"classifier agreement above)")
    return lines


def _by_class_lines(report: EvaluationReport) -> list[str]:
    if report.by_track_class is None:
        return []
    head = (f"by requested class (the track's top class per frame, classes on >= {MIN_CLASS_FRAMES} face frames; "
            f"AU geometry against the same still):")
    if not report.by_track_class:
        return [head, "  none: no class of the track covers enough face frames"]
    return [head, *breakdown_lines(report.by_track_class)]
