"""FACS-style action-unit geometry: how far a rendered face has moved from its still portrait, AU by AU.

Both faces are MediaPipe landmark sets re-detected on the images (what a viewer's detector sees, not the renderer's own
driven landmarks). The frame's landmarks are first mapped onto the still by a similarity transform fitted on points
that no expression moves much (eye corners, nasal root, nose tip, forehead, temples), so head motion does not count.
Every value is then a displacement in units of the still's face width (the width of the face oval), in the still's
own face axes (x from the subject's right eye to the left, y down the face), signed so that positive = the AU is
present. Values near zero mean "as in the still"; negative values mean the opposite movement (e.g. AU12 < 0: a
smiling photo's smile relaxed).

EMFACS-style prototypes say which AUs make each emotion class read; `prototype_check` tests them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ectfg_core.types.face import FACE_OVAL

# ---- landmark groups (canonical MediaPipe face mesh; "R" = the subject's right side, on the image's left) -----
ALIGN = [33, 133, 362, 263, 168, 6, 197, 1, 10, 109, 338, 67, 297, 127, 356, 234, 454, 162, 389]
EYE_CORNERS = {"R": (33, 133), "L": (263, 362)}  # (outer, inner)
INNER_BROW = {"R": [107, 55, 66, 65], "L": [336, 285, 296, 295]}
OUTER_BROW = {"R": [70, 46, 63, 53], "L": [300, 276, 293, 283]}
UPPER_LID = {"R": [158, 159, 160], "L": [385, 386, 387]}
LOWER_LID = {"R": [144, 145, 153], "L": [373, 374, 380]}
CHEEK = {"R": [50, 101, 118, 117, 36], "L": [280, 330, 347, 346, 266]}
NOSE_WING = {"R": [98, 64, 129, 49], "L": [327, 294, 358, 279]}
UPPER_LIP_TOP = [0, 37, 267]
LIP_CORNER = {"R": 61, "L": 291}
UPPER_INNER, LOWER_INNER = [82, 13, 312], [87, 14, 317]  # paired top/bottom points of the inner lip contour
UPPER_RED_TOP, LOWER_RED_BOTTOM = 0, 17
CHIN_BOSS = [18, 200, 199, 175]
CHIN, NOSE_TIP = 152, 1

AU_NAMES = ("AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26")
AU_LABELS = {
    "AU1": "inner brow raiser", "AU2": "outer brow raiser", "AU4": "brow lowerer", "AU5": "upper lid raiser",
    "AU6": "cheek raiser", "AU7": "lid tightener", "AU9": "nose wrinkler", "AU10": "upper lip raiser",
    "AU12": "lip corner puller", "AU15": "lip corner depressor", "AU17": "chin raiser", "AU20": "lip stretcher",
    "AU23": "lip tightener", "AU25": "lips part", "AU26": "jaw drop",
}

# Presence thresholds in face widths. In a 512 px frame `ectfg generate` makes, the face is ~0.42 of the frame, about
# 215 px wide, so 0.01 face width is ~2 px. Each threshold is about the smallest movement of that feature a viewer
# notices at 512 px (brows travel far, a clear raise is ~3 px; lids and the nose wing only a few pixels, the eye
# opening itself is ~0.06 face width; a parted lip gap ~4 px of dark mouth; a jaw drop ~6 px at the chin) and stays
# above the detector's noise floor: re-detecting the same non-smiling still after a small shift, rescale and JPEG
# round trip (12 cases) gave 95th percentiles of 0.003-0.009 for the eye and brow AUs, 0.012-0.013 for AU12, AU17
# and AU26, and at most 0.0075 for the others.
THRESHOLDS = {
    "AU1": 0.015, "AU2": 0.015, "AU4": 0.012, "AU5": 0.008, "AU6": 0.010, "AU7": 0.008, "AU9": 0.010, "AU10": 0.010,
    "AU12": 0.015, "AU15": 0.010, "AU17": 0.015, "AU20": 0.012, "AU23": 0.010, "AU25": 0.018, "AU26": 0.030,
}

# EMFACS-style prototypes: every group must hold (a group is satisfied by any one AU in it); optional AUs are shown.
PROTOTYPES: dict[str, dict[str, list]] = {
    "happy": {"required": [["AU6"], ["AU12"]], "optional": ["AU25"]},
    "sad": {"required": [["AU1"], ["AU4"], ["AU15"]], "optional": ["AU17"]},
    "angry": {"required": [["AU4"], ["AU5", "AU7"], ["AU23"]], "optional": ["AU17"]},
    "surprised": {"required": [["AU1"], ["AU2"], ["AU5"], ["AU26"]], "optional": ["AU25"]},
    "fearful": {"required": [["AU1"], ["AU2"], ["AU4"], ["AU5"], ["AU20"]], "optional": ["AU26"]},
    "disgusted": {"required": [["AU9", "AU10"]], "optional": ["AU15", "AU17"]},
    "neutral": {"required": [], "optional": []},
}
# How far above the lip line's centre the corners of a neutral closed mouth sit, in face widths (the renderer's own
# resting-smile measure in render/timeline.py treats up to this much as no smile).
NEUTRAL_CORNER_LIFT = 0.005
# Talking parts the lips and drops the jaw in every class, so a neutral face is judged on the other AUs only.
NEUTRAL_IGNORES = ("AU25", "AU26")


@dataclass(frozen=True)
class FaceAxes:
    """The still's face frame: origin between the eyes, unit vectors along and down the face, face width in pixels."""

    origin: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    width: float

    @classmethod
    def of(cls, points: np.ndarray) -> FaceAxes:
        right_eye = points[list(EYE_CORNERS["R"])].mean(axis=0)
        left_eye = points[list(EYE_CORNERS["L"])].mean(axis=0)
        ex = (left_eye - right_eye) / max(float(np.linalg.norm(left_eye - right_eye)), 1e-6)
        if ex[0] < 0:  # keep x pointing along the image's x for a mirrored detection
            ex = -ex
        ey = np.array([-ex[1], ex[0]])  # +90 degrees: down the face in image coordinates
        oval = points[FACE_OVAL]
        width = float(np.ptp(oval @ ex))
        return cls(origin=(right_eye + left_eye) / 2, ex=ex, ey=ey, width=max(width, 1e-6))

    def local(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) points as (across, down) in face widths."""
        d = np.asarray(points, dtype=np.float64) - self.origin
        return np.stack([d @ self.ex, d @ self.ey], axis=-1) / self.width


def align_to(points: np.ndarray, target: np.ndarray, index: Sequence[int] = ALIGN) -> np.ndarray:
    """`points` moved by the least-squares similarity (rotation, scale, shift) that best lays points[index] on target[index]."""
    src = np.asarray(points, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    a, b = src[list(index)], dst[list(index)]
    ma, mb = a.mean(axis=0), b.mean(axis=0)
    a0, b0 = a - ma, b - mb
    # Closed-form Procrustes: the rotation from the SVD of the cross-covariance, the scale from the singular values.
    u, s, vt = np.linalg.svd(b0.T @ a0)
    flip = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ flip @ vt
    scale = float((s * np.diag(flip)).sum() / max((a0**2).sum(), 1e-12))
    return (src - ma) @ (scale * rot).T + mb


def _y(pts: np.ndarray, idx) -> float:
    return float(np.mean(pts[idx, 1]))


def _side_values(p: np.ndarray, side: str) -> dict[str, float]:
    """Per-side heights (face widths, larger = higher on the face) and widths for one frame in local coordinates."""
    outer, inner = EYE_CORNERS[side]
    eye_line = _y(p, [outer, inner])
    sign = -1.0 if side == "R" else 1.0  # +x is outward on the left side, -x on the right
    corner = LIP_CORNER[side]
    return {
        "inner_brow": _y(p, [inner]) - _y(p, INNER_BROW[side]),
        "outer_brow": _y(p, [outer]) - _y(p, OUTER_BROW[side]),
        "upper_lid": eye_line - _y(p, UPPER_LID[side]),
        "lower_lid": eye_line - _y(p, LOWER_LID[side]),
        "aperture": _y(p, LOWER_LID[side]) - _y(p, UPPER_LID[side]),
        "cheek": -_y(p, CHEEK[side]),
        "nose_wing": eye_line - _y(p, NOSE_WING[side]),
        "corner_up": -float(p[corner, 1]),
        "corner_out": sign * float(p[corner, 0]),
        "corner_below_lip": float(p[corner, 1]) - float(p[[13, 14], 1].mean()),  # the lip line's centre
    }


def _shape(p: np.ndarray) -> dict[str, float]:
    sides = [_side_values(p, s) for s in ("R", "L")]
    out = {k: (sides[0][k] + sides[1][k]) / 2 for k in sides[0]}
    out["brow_gap"] = float(np.mean(np.abs(p[INNER_BROW["L"], 0] - p[INNER_BROW["R"], 0])))
    out["mouth_width"] = float(np.linalg.norm(p[LIP_CORNER["L"]] - p[LIP_CORNER["R"]]))
    out["upper_lip"] = -_y(p, UPPER_LIP_TOP)
    out["lip_red"] = (float(p[13, 1]) - float(p[UPPER_RED_TOP, 1])) + (float(p[LOWER_RED_BOTTOM, 1]) - float(p[14, 1]))
    out["lip_gap"] = float(np.mean(p[LOWER_INNER, 1] - p[UPPER_INNER, 1]))
    out["chin_boss"] = -_y(p, CHIN_BOSS)
    out["jaw"] = float(np.linalg.norm(p[CHIN] - p[NOSE_TIP]))
    return out


def au_components(frame_points: np.ndarray, still_points: np.ndarray) -> dict[str, float]:
    """The measured movements (face widths) behind the AUs: the frame's shape minus the still's."""
    axes = FaceAxes.of(np.asarray(still_points, dtype=np.float64))
    aligned = align_to(frame_points, still_points)
    now, rest = _shape(axes.local(aligned)), _shape(axes.local(still_points))
    delta = {k: now[k] - rest[k] for k in now}
    delta["lip_gap_abs"] = max(now["lip_gap"], 0.0)
    # A smiling photo is not a neutral baseline for the lip corners: measured from it, a released smile would read
    # as AU15 and a kept smile as no AU12. The corners are measured from where a neutral mouth keeps them instead.
    delta["photo_smile"] = max(-rest["corner_below_lip"] - NEUTRAL_CORNER_LIFT, 0.0)
    return delta


def au_values(frame_points: np.ndarray, still_points: np.ndarray) -> dict[str, float]:
    """Signed AU magnitudes in face widths (positive = present), frame against still; see THRESHOLDS."""
    return au_from_components(au_components(frame_points, still_points))


def au_from_components(d: dict[str, float]) -> dict[str, float]:
    """AU magnitudes from the movements of au_components."""
    brow_down = -d["inner_brow"]
    squeeze = -d["brow_gap"] / 2  # per brow
    corner_up, corner_out = d["corner_up"] + d["photo_smile"], d["corner_out"]
    return {
        "AU1": d["inner_brow"],
        "AU2": d["outer_brow"],
        # Corrugator and depressors pull the inner brows together and down. With AU1 (sad, fear) the raise wins the
        # vertical, so the pull together carries AU4 there. Lowering counts at half weight on its own: re-detected
        # MediaPipe brows follow a lowering well but a pull together poorly (a rendered frown whose inner brow ends
        # moved 2-3 px inwards each by optical flow re-detected 0.5 px further apart), so requiring both would
        # never see AU4.
        "AU4": squeeze + 0.5 * max(brow_down, 0.0),
        "AU5": d["upper_lid"],
        "AU6": d["cheek"],
        "AU7": 0.5 * (-d["aperture"] + d["lower_lid"]),
        "AU9": d["nose_wing"],
        "AU10": d["upper_lip"],
        "AU12": min(2 * corner_up, 0.5 * (corner_up + corner_out)),  # up and out; out without up is AU20
        "AU15": d["corner_below_lip"] - d["photo_smile"],
        "AU17": d["chin_boss"],
        "AU20": corner_out - max(corner_up, 0.0),  # wider without the corners going up
        "AU23": 0.5 * (-d["lip_red"] - d["mouth_width"] / 2),
        "AU25": d["lip_gap_abs"],  # a state, scored on the frame itself: lips apart
        "AU26": d["jaw"],
    }


def _present(name: str, values: dict[str, float]) -> bool:
    value = values.get(name, float("nan"))
    return bool(np.isfinite(value) and value >= THRESHOLDS[name])


@dataclass(frozen=True)
class PrototypeResult:
    emotion: str
    present: bool
    detail: dict[str, dict]  # AU -> {"value", "threshold", "present", "role": required/optional/absent}

    def __iter__(self):
        """Unpacks as (present, detail)."""
        return iter((self.present, self.detail))

    def summary(self) -> str:
        parts = []
        for name, info in self.detail.items():
            mark = "+" if info["present"] else "-"
            parts.append(f"{name}{mark}{info['value']:+.3f}")
        return ("yes" if self.present else "no") + " (" + " ".join(parts) + ")"


def prototype_check(emotion: str, values: dict[str, float]) -> PrototypeResult:
    """Does the face show the EMFACS prototype of `emotion`? `values` from au_values (e.g. medians over frames).

    Neutral passes when no AU (except lips part / jaw drop, which speech causes) reaches its threshold.
    """
    if emotion not in PROTOTYPES:
        raise ValueError(f"unknown emotion {emotion!r}; one of {', '.join(PROTOTYPES)}")
    proto = PROTOTYPES[emotion]
    detail: dict[str, dict] = {}

    def entry(name: str, role: str) -> bool:
        present = _present(name, values)
        detail[name] = {"value": round(float(values.get(name, float("nan"))), 4), "threshold": THRESHOLDS[name],
                        "present": present, "role": role}
        return present

    if emotion == "neutral":
        shown = [entry(n, "absent") for n in AU_NAMES if n not in NEUTRAL_IGNORES]
        return PrototypeResult(emotion, not any(shown), detail)
    ok = True
    for group in proto["required"]:
        hits = [entry(n, "required") for n in group]
        ok = ok and any(hits)
    for name in proto["optional"]:
        entry(name, "optional")
    return PrototypeResult(emotion, ok, detail)


def median_au(frames_points: Sequence[np.ndarray], still_points: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Median AU values and median movement components over frames (NaN when there are no frames)."""
    if not frames_points:
        nan = {n: float("nan") for n in AU_NAMES}
        return nan, {}
    comps = [au_components(f, still_points) for f in frames_points]
    per = [au_from_components(c) for c in comps]
    values = {n: float(np.median([v[n] for v in per])) for n in AU_NAMES}
    components = {k: float(np.median([c[k] for c in comps])) for k in comps[0]}
    return values, components


def inner_lip_gap(points: np.ndarray) -> float:
    """Inner-lip gap (mean of three top/bottom pairs) over the face width of these landmarks; <= 0 when closed."""
    axes = FaceAxes.of(np.asarray(points, dtype=np.float64))
    p = axes.local(points)
    return float(np.mean(p[LOWER_INNER, 1] - p[UPPER_INNER, 1]))
