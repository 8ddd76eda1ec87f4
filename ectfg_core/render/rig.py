"""The face rig: for every control, how far each mesh vertex moves (pixels per unit of control).

Each control is written as a few constrained vertices (lip contours, lid margins, brows, ...) in face units;
every other vertex follows by a smooth, screened harmonic fill over the skin mesh. The mesh has holes at the
eyes and the mouth, so the fill never leaks across them: the lower lip can drop while the upper lip stays.
"""

from __future__ import annotations

import math

import numpy as np

from ectfg_core.render.controls import CONTROL_NAMES, HEAD_CONTROLS
from ectfg_core.render.geometry import (
    BROWS,
    EYES,
    INNER_CORNERS,
    LOWER_INNER,
    LOWER_OUTER,
    NOSE_BRIDGE,
    NOSE_WINGS,
    OUTER_CORNERS,
    OVAL,
    UPPER_INNER,
    UPPER_OUTER,
    FaceFrame,
    by_x,
    eye_width,
    iris_circle,
    smoothstep,
)
from ectfg_core.render.mesh import NUM_MESH_LANDMARKS, Mesh

# How far a full jaw_open drops the lower lip (face widths).
JAW_DROP = 0.12
BLINK_MEET = 0.8  # how far down the eye's opening the lids of a blink meet
# An ordinary eye's opening (eye widths), and the most times its own gap a narrower eye's upper lid rises by for it.
_OPEN_EYE, _MOST_WIDEN = 0.30, 2.0

Constraints = dict[int, np.ndarray]
_FOREHEAD_SQUEEZE = 1.6  # at most this many pixels of forehead per pixel shown between raised brows and the oval
_BROW_RISE_SHARE = 0.6  # of the skin between a brow point and the face's outline that a raise may take
# How thick (face widths, MediaPipe's contours at the middle) the red of the upper and the lower lip gets when a
# photo's parted lips close: the thickest closed mouth among the closed-mouth portraits measured (0.028-0.043 upper,
# 0.040-0.069 lower), unless the photo's own lips are thicker.
CLOSED_LIP_RED = {"upper": 0.043, "lower": 0.069}
_CHIN_RAISE_UPPER_LIP = 0.005  # how far a full AU17 pushes the upper lip up (face widths), in the middle
_CORNER_DROP = 0.45  # of the lower lip's drop that a dropped jaw takes the mouth corners down
# How the upper lip's ends follow the corners down (upper_lip_ends_lower): by |u| ** this of the corners' drop, u
# running -1..1 along the lip, so that the lips meet at pointed corners halfway down the opening.
_ENDS_FOLLOW = 3.0


def cotangent_stiffness(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(V, V) cotangent stiffness matrix (positive semi-definite) and (V,) vertex areas."""
    n = len(vertices)
    stiff = np.zeros((n, n))
    area = np.zeros(n)
    for corner in range(3):
        i, j, k = triangles[:, corner], triangles[:, (corner + 1) % 3], triangles[:, (corner + 2) % 3]
        u, w = vertices[j] - vertices[i], vertices[k] - vertices[i]
        cross = np.abs(u[:, 0] * w[:, 1] - u[:, 1] * w[:, 0])
        cot = (u * w).sum(axis=1) / np.maximum(cross, 1e-9)
        weight = 0.5 * np.clip(cot, 0.01, 20.0)  # clipped: obtuse or sliver triangles would make it indefinite
        np.add.at(stiff, (j, k), -weight)
        np.add.at(stiff, (k, j), -weight)
        np.add.at(area, i, cross / 6.0)
    stiff[np.diag_indices(n)] = -stiff.sum(axis=1)
    return stiff, area


class Rig:
    """Per-vertex displacement basis of one portrait; rows follow CONTROL_NAMES."""

    def __init__(self, mesh: Mesh, frame: FaceFrame, depth: np.ndarray, irises: np.ndarray | None = None):
        """irises: the 10 iris landmarks (pixels, IRIS order: right centre + 4, left centre + 4), or None."""
        self.mesh = mesh
        self.frame = frame
        self.local = frame.to_local(mesh.vertices)
        self.depth = np.asarray(depth, dtype=np.float64)
        self.irises = None if irises is None else frame.to_local(np.asarray(irises, dtype=np.float64))
        self._stiff, self._area = cotangent_stiffness(mesh.vertices, mesh.surface)
        self._measure()
        basis = np.zeros((len(CONTROL_NAMES), len(mesh.vertices), 2))
        lids = np.zeros_like(basis)
        for k, name in enumerate(CONTROL_NAMES):
            self._pending_lids: Constraints = {}
            if name in HEAD_CONTROLS:
                basis[k] = self._head(name)
            else:
                constraints, decay = getattr(self, f"_{name}")()
                basis[k] = self._fill(constraints, decay)
            for idx, vec in self._pending_lids.items():
                lids[k, idx] = self.frame.vector_to_pixels(vec)
        self.basis = basis.astype(np.float32)  # (K, V, 2) skin motion, pixels per unit
        # Lid margins closing over the eyeball: drawn by the eye layer, not by warping the skin.
        self.lid_basis = lids.astype(np.float32)

    # ---- measurements of the source face -------------------------------------------------------------
    def _measure(self) -> None:
        loc = self.local
        self.mouth_center = 0.5 * (loc[13] + loc[14])
        self.mouth_half = 0.5 * abs(loc[291, 0] - loc[61, 0])
        self.corner_v = 0.5 * (loc[61, 1] + loc[291, 1])
        # Inner lip gap per aligned pair (face units, lower minus upper).
        self.lip_gap = {UPPER_INNER[i]: loc[LOWER_INNER[i]] - loc[UPPER_INNER[i]] for i in range(1, len(UPPER_INNER) - 1)}
        self.eye_gap = {
            side: {upper[i]: loc[lower[i]] - loc[upper[i]] for i in range(1, len(upper) - 1)}
            for side, (upper, lower) in EYES.items()
        }
        # A squinting photo's eyes (a laugh, a smile's squint, hooded lids) open by more of their own small gap, to
        # widen as far as eyes of ordinary opening do. Judged by the more open eye, one factor for both: the far eye of
        # a turned face looks narrow without squinting, and opened alone it stared.
        widest = max(self._eye_opening(side) / max(eye_width(loc, side), 1e-6) for side in EYES)
        self.squint_widen = float(np.clip(_OPEN_EYE / max(widest, 1e-6), 1.0, _MOST_WIDEN))
        # Skin vertices next to each lid margin (the first ring of the mesh around the eye), per side.
        neighbours: dict[int, set[int]] = {}
        for tri in self.mesh.surface:
            for a in tri:
                neighbours.setdefault(int(a), set()).update(int(b) for b in tri if b != a)
        self.lid_rings: dict[tuple[str, str], dict[int, int]] = {}
        for side, (upper, lower) in EYES.items():
            contour = set(upper + lower)
            for name, margin in (("upper", upper), ("lower", lower)):
                ring = {}
                for m in margin[1:-1]:
                    for n in neighbours.get(m, ()):
                        if n not in contour and n < 468:
                            ring.setdefault(n, m)  # nearest margin point: the first one met
                self.lid_rings[(side, name)] = ring
        # How far each brow position (outer -> inner) may rise: a share of the skin between its upper row and the
        # face's outline nearest to it (face units). Near the temples, or under a fringe or a low hairline (where
        # MediaPipe's outline runs), a full raise pushed the brow through the forehead's mesh rows; the skin folded,
        # and unfolding it dragged the upper row below the lower one: the hair showed as a thin dark line.
        oval = self.local[OVAL]
        self.brow_room = {side: np.linalg.norm(oval[None] - self.local[upper][:, None], axis=2).min(axis=1)
                          for side, (_, upper) in BROWS.items()}

    def u_rel(self, idx: int) -> float:
        """-1 at the image-left mouth corner, +1 at the other, 0 at the centre."""
        # Never past a corner: on a face turned to one side the lips' middle is not half way between the corners, and
        # the near half's points, taken as lying beyond their corner, went down further than the corner itself when
        # it was pulled down (a hooked notch under the corner).
        return float(np.clip((self.local[idx, 0] - self.mouth_center[0]) / max(self.mouth_half, 1e-6), -1.0, 1.0))

    # ---- the harmonic fill ---------------------------------------------------------------------------
    def _default_anchors(self) -> Constraints:
        """What stays put unless a control says otherwise: lids, lips, nose, the outer ring."""
        zero = np.zeros(2)
        anchors: Constraints = {}
        for upper, lower in EYES.values():
            for i in upper + lower:
                anchors[i] = zero
        for i in UPPER_INNER + LOWER_INNER + UPPER_OUTER + LOWER_OUTER + NOSE_BRIDGE:
            anchors[i] = zero
        for i in self.mesh.ring2:
            anchors[int(i)] = zero
        return anchors

    def _fill(self, constraints: Constraints, decay: float) -> np.ndarray:
        """(V, 2) pixel displacements: constraints (face units) held, the rest a screened harmonic fill."""
        fixed = self._default_anchors()
        fixed.update(constraints)
        n = len(self.mesh.vertices)
        fixed_ids = np.array(sorted(fixed), dtype=np.int64)
        free = np.setdiff1d(np.arange(n), fixed_ids)
        values = np.zeros((n, 2))
        values[fixed_ids] = self.frame.vector_to_pixels(np.array([fixed[i] for i in fixed_ids]))
        length = decay * self.frame.width
        system = self._stiff[np.ix_(free, free)] + np.diag(self._area[free] / (length * length))
        rhs = -self._stiff[np.ix_(free, fixed_ids)] @ values[fixed_ids]
        values[free] = np.linalg.solve(system, rhs)
        return values

    # ---- mouth ---------------------------------------------------------------------------------------
    def _lips(self, upper_inner, upper_outer, lower_inner, lower_outer) -> Constraints:
        """Constraints for the four lip contours from profiles f(u_rel, idx) -> (du, dv), corners excluded."""
        out: Constraints = {}
        pairs = ((UPPER_INNER, upper_inner), (UPPER_OUTER, upper_outer), (LOWER_INNER, lower_inner), (LOWER_OUTER, lower_outer))
        for contour, profile in pairs:
            for idx in contour[1:-1]:
                out[idx] = np.asarray(profile(self.u_rel(idx), idx), dtype=np.float64)
        return out

    def _corners(self, outer: tuple[float, float], inner: tuple[float, float] | None = None) -> Constraints:
        """Mouth corners; du is given for the image-right corner and mirrored."""
        inner = outer if inner is None else inner
        out: Constraints = {}
        for (right, left), (du, dv) in ((OUTER_CORNERS, outer), (INNER_CORNERS, inner)):
            out[right] = np.array([-du, dv])
            out[left] = np.array([du, dv])
        return out

    def _closing(self, idx: int, fraction: float) -> np.ndarray:
        """Move a lip contour point `fraction` of the source inner gap towards the other lip."""
        for contour, sign in ((UPPER_INNER, 1.0), (UPPER_OUTER, 1.0), (LOWER_INNER, -1.0), (LOWER_OUTER, -1.0)):
            if idx in contour:
                pos = contour.index(idx)
                gap = self.local[LOWER_INNER[pos]] - self.local[UPPER_INNER[pos]]
                gap[1] = max(gap[1], 0.0)
                return sign * fraction * gap
        raise ValueError(f"landmark {idx} is not on a lip contour")

    def _jaw_open(self):
        drop = JAW_DROP

        def lower(scale: float):
            # The lower lip stays joined to the corners, so its drop tapers towards them: the opening is a lens, not a box.
            return lambda u, i: (-0.02 * u, drop * scale * (_CORNER_DROP + (1.0 - _CORNER_DROP) * (1.0 - min(u * u, 1.0)) ** 0.7))

        c = self._lips(lambda u, i: (0, 0), lambda u, i: (0, 0), lower(1.0), lower(1.04))
        c.update(self._corners((-0.012, _CORNER_DROP * drop)))
        for idx in OVAL:
            u, v = self.local[idx] - self.mouth_center
            lateral = math.sqrt(max(0.0, 1.0 - (u / 0.5) ** 2))  # the jaw angles sit near the hinge
            below = float(smoothstep(self.corner_v - 0.05, self.corner_v + 0.12, self.local[idx, 1]))
            c[idx] = np.array([0.0, drop * 1.08 * lateral * below])
        return c, 0.25

    def _upper_lip_ends_lower(self):
        """The upper lip's ends brought down to the corners a full jaw_open lowers. Left where they were, the opening got
        near-vertical sides up to the upper lip's height, a box whose top corners read as a grin's."""
        def ends(u: float, i: int) -> tuple[float, float]:
            return (0.0, _CORNER_DROP * JAW_DROP * abs(u) ** _ENDS_FOLLOW)

        c = self._lips(ends, ends, lambda u, i: (0.0, 0.0), lambda u, i: (0.0, 0.0))
        c.update(self._corners((0.0, 0.0)))
        return c, 0.06

    def _lip_stretch(self):
        c = self._lips(
            lambda u, i: (0.05 * u, 0.0), lambda u, i: (0.05 * u, 0.007 * (1 - u * u)),
            lambda u, i: (0.05 * u, 0.0), lambda u, i: (0.05 * u, -0.007 * (1 - u * u)),
        )
        c.update(self._corners((0.05, 0.004)))
        return c, 0.12

    def _lip_pucker(self):
        c = self._lips(
            lambda u, i: (-0.07 * u, -0.004 * (1 - u * u)), lambda u, i: (-0.07 * u, -0.012 * (1 - u * u)),
            lambda u, i: (-0.07 * u, 0.004 * (1 - u * u)), lambda u, i: (-0.07 * u, 0.014 * (1 - u * u)),
        )
        c.update(self._corners((-0.075, 0.004)))
        return c, 0.1

    def _outer_share(self, lip: str, inner: float, least: float) -> float:
        """How far, as a share of the photo's lip gap, a lip's outer edge moves while its inner edge closes `inner` of
        it: as far (the lip keeps its thickness) where the photo's lip is already as thick as closed lips get
        (CLOSED_LIP_RED), less where a grin stretched it thin, so that it thickens up to that, but never less than
        `least`. Full lips over a gummy grin closed by their inner edges alone looked swollen."""
        top, bottom = (0, 13) if lip == "upper" else (14, 17)
        red = float(self.local[bottom, 1] - self.local[top, 1])
        gap = max(float(self.local[14, 1] - self.local[13, 1]), 1e-6)
        return float(np.clip(inner - max(CLOSED_LIP_RED[lip] - red, 0.0) / gap, least, inner))

    def _lip_press(self):
        def outer(lip: str, thin: float):
            share = self._outer_share(lip, 0.5, least=0.25)
            return lambda u, i: self._closing(i, share) + np.array([0.0, thin * (1 - u * u)])

        c = self._lips(lambda u, i: self._closing(i, 0.5), outer("upper", 0.006), lambda u, i: self._closing(i, 0.5),
                       outer("lower", -0.006))
        c.update(self._corners((0.0, 0.0)))
        return c, 0.06

    def _upper_lip_cover(self):
        # Only the upper lip comes down, by most of the photo's own lip gap: the teeth a grin bared are covered while
        # the jaw still opens the mouth below it.
        share = self._outer_share("upper", 0.8, least=0.6)
        c = self._lips(lambda u, i: self._closing(i, 0.8), lambda u, i: self._closing(i, share), lambda u, i: (0.0, 0.0),
                       lambda u, i: (0.0, 0.0))
        c.update(self._corners((0.0, 0.0)))
        return c, 0.06

    def _lower_lip_depress(self):
        # AU16 draws the lower lip down and a little out, off the lower teeth, most in its middle; the corners stay
        # (they are AU15's). The skin of the chin below gives way with it.
        def down(amount: float):
            return lambda u, i: (0.0, amount * (1 - min(u * u, 1.0)) ** 0.7)

        c = self._lips(lambda u, i: (0.0, 0.0), lambda u, i: (0.0, 0.0), down(0.03), down(0.024))
        c.update(self._corners((0.0, 0.003)))
        return c, 0.08

    def _lip_tuck(self):
        c = self._lips(
            lambda u, i: (0.0, -0.012 * (1 - u**4)), lambda u, i: (0.0, -0.01 * (1 - u**4)),
            lambda u, i: self._closing(i, 0.6) * (1 - u**4), lambda u, i: (0.0, -0.022 * (1 - u * u)),
        )
        c.update(self._corners((0.0, 0.0)))
        return c, 0.06

    def _upper_lip_raise(self):
        def lift(u, i, amount=0.036):
            return (0.0, -amount * (1 - u**4) * (0.8 + 0.25 * abs(u)))

        c = self._lips(lift, lift, lambda u, i: (0.0, -0.004 * (1 - u * u)), lambda u, i: (0.0, 0.0))
        c.update(self._corners((0.0, -0.008)))
        for idx in NOSE_WINGS:
            c[idx] = np.array([0.0, -0.012])
        return c, 0.08

    def _smile(self):
        def up(power, lift):
            return lambda u, i: (0.056 * math.copysign(abs(u) ** 1.3, u), -0.064 * abs(u) ** power + lift * (1 - u * u))

        # Posed AU12 takes the corners ~9 mm up and ~7 mm out.
        c = self._lips(up(2.0, -0.006), up(2.0, -0.004), up(2.2, 0.004), up(2.2, 0.006))
        c.update(self._corners((0.056, -0.064), (0.05, -0.058)))
        for idx in NOSE_WINGS[:6]:
            c[idx] = np.array([0.004 * np.sign(self.local[idx, 0] - self.mouth_center[0]), -0.004])
        c.update(self._cheeks(lift=-0.028, outward=0.012))
        return c, 0.15

    def _lip_corner_depress(self):
        def down(power, center):
            return lambda u, i: (-0.008 * u, 0.045 * abs(u) ** power + center * (1 - u * u))

        # The inner contours go down alike: AU15 parts no lips (the lower one going further opened a gap at the sides,
        # and on a turned face's narrow far half the stretched gap showed as a streak of lip highlight).
        c = self._lips(down(2.2, 0.0), down(2.2, 0.0), down(2.2, -0.004), down(1.8, -0.002))
        c.update(self._corners((-0.008, 0.045), (-0.008, 0.04)))
        return c, 0.12

    def _chin_raise(self):
        c = self._lips(
            lambda u, i: (0.0, -_CHIN_RAISE_UPPER_LIP * (1 - u * u)), lambda u, i: (0.0, -_CHIN_RAISE_UPPER_LIP * (1 - u * u)),
            lambda u, i: self._pout(i, u),
            lambda u, i: (0.0, -0.014 * math.sqrt(max(0.0, 1 - u * u))),
        )
        c.update(self._corners((0.0, 0.0)))
        for idx in OVAL:
            du, dv = self.local[idx] - self.mouth_center
            if dv > 0.1:
                c[idx] = np.array([0.0, -0.012 * math.exp(-((du / 0.15) ** 2))])
        for idx in self._region(center=(0.0, 0.24), radii=(0.12, 0.06), relative_to="mouth"):
            c.setdefault(idx, np.array([0.0, -0.024]))
        return c, 0.08

    def _pout(self, idx: int, u: float) -> np.ndarray:
        """The lower inner lip pushed up as far as the upper one goes, plus up to half the photo's gap between them
        (never past the upper lip): AU17 pushes the lips up together, it parts none."""
        gap = self._closing(idx, -1.0)[1]  # how far the upper lip is above (face units, >= 0)
        return np.array([0.0, -(_CHIN_RAISE_UPPER_LIP + min(0.012, 0.5 * max(gap, 0.0))) * (1 - u * u)])

    def _lip_tighten(self):
        # AU23 narrows the mouth and thins the red of the lips; closing parted lips is lip_press's job (adding a
        # closure here too would push them through each other when both act).
        c = self._lips(
            lambda u, i: (-0.03 * u, 0.0), lambda u, i: (-0.03 * u, 0.012 * (1 - u * u)),
            lambda u, i: (-0.03 * u, 0.0), lambda u, i: (-0.03 * u, -0.014 * (1 - u * u)),
        )
        c.update(self._corners((-0.03, 0.0)))
        return c, 0.08

    def _nose_wrinkle(self):
        c: Constraints = {}
        # Posed AU9 lifts the alae ~4 mm and bunches the skin of the nasal bridge; procerus drags the inner brows down.
        for idx in NOSE_WINGS:
            c[idx] = np.array([0.0, -0.03])
        for idx in (168, 6, 197):
            c[idx] = np.array([0.0, -0.01])
        for side, (lower_row, upper_row) in BROWS.items():
            inward = 1.0 if side == "right" else -1.0
            for row in (lower_row, upper_row):
                c[row[-1]] = np.array([0.01 * inward, 0.022])
                c[row[-2]] = np.array([0.006 * inward, 0.012])
                for idx in row[:2]:
                    c[idx] = np.zeros(2)
        c.update(self._close_lids(lower=0.15))
        c.update(self._lips(lambda u, i: (0.0, -0.018 * (1 - u**4)), lambda u, i: (0.0, -0.02 * (1 - u**4)),
                            lambda u, i: (0.0, 0.0), lambda u, i: (0.0, 0.0)))
        return c, 0.08

    def _cheek_raise(self):
        c = self._cheeks(lift=-0.03, outward=0.004)
        c.update(self._close_lids(lower=0.3, follow=(0.0, 0.6)))
        c.update(self._corners((0.004, -0.008)))
        return c, 0.1

    def _tongue_tip(self):
        return {}, 0.1  # inside the mouth only (the mouth layer draws it)

    def _smile_release(self):
        """The reverse of a smiling photo's AU6 + AU12 geometry (a control for portraits that smile at rest).

        Cheek apples drop and move in, the lower lids come down off the eye (the smile squint eases), the bulge
        beside the nasolabial fold slides down and out. The mouth corners stay (moving them in drags the photo's
        corner creases into dark tails); lip_pucker narrows the grin instead.
        """
        c = self._cheeks(lift=0.045, outward=-0.008)
        for side in EYES:
            upper, lower = EYES[side]
            eye = self.local[upper + lower].mean(axis=0)
            sign = 1.0 if eye[0] > self.mouth_center[0] else -1.0
            # Beside the fold: lateral to the nose wing, above and outside the mouth corner.
            target = (sign * (self.mouth_half + 0.03), -0.11)
            for idx in self._region(center=target, radii=(0.04, 0.04), relative_to="mouth"):
                c.setdefault(idx, np.array([sign * 0.006, 0.02]))
        for side in EYES:
            c.update(self._lids(lower=-self._lower_lid_release(side), sides=(side,)))
            for n, m in self.lid_rings[(side, "lower")].items():
                c[n] = 0.8 * c[m]  # the skin under the lid comes down with its margin
        return c, 0.1

    def _lower_lid_release(self, side: str) -> float:
        """How far (a share of the eye's opening) a smile's lower lid comes down: 0.3, but no lower than the iris's
        lower edge, where a relaxed lid rests; below it white shows under the iris, a startled look."""
        if self.irises is None:
            return 0.3
        lower = EYES[side][1]
        centre, radius = self._iris(side)
        margin = float(np.interp(centre[0], *by_x(self.local[lower])))
        opening = self._eye_opening(side)
        hidden = centre[1] + radius - margin  # how much of the iris the lower lid covers (face units)
        return float(np.clip(hidden / max(opening, 1e-6), 0.0, 0.3))

    def _eye_opening(self, side: str) -> float:
        """An eye's opening in the photo: the widest gap between its lids (face units)."""
        return max(float(gap[1]) for gap in self.eye_gap[side].values())

    def _iris(self, side: str) -> tuple[np.ndarray, float]:
        """An eye's iris centre (face units) and radius."""
        return iris_circle(self.irises[:5] if side == "right" else self.irises[5:])

    def raise_to_iris_top(self, row: np.ndarray, control: str) -> float:
        """How much of `control` brings the upper lids' margins, moved by the rest of `row`, up to the irises' top
        edges: the larger need of the two eyes, 0 where a lid already clears its iris (inf without irises)."""
        if self.irises is None:
            return math.inf
        k = CONTROL_NAMES.index(control)
        rest = np.asarray(row, dtype=np.float64).copy()
        rest[k] = 0.0
        margins = self.basis + self.lid_basis  # (K, V, 2) pixels per unit
        moved = self.frame.vector_to_local(np.einsum("k,kvd->vd", rest, margins))
        lifted = self.frame.vector_to_local(margins[k])
        need = 0.0
        for side, (upper, _) in EYES.items():
            centre, radius = self._iris(side)
            lid = float(np.interp(centre[0], *by_x(self.local[upper] + moved[upper])))
            order = np.argsort(self.local[upper, 0])
            lift = -float(np.interp(centre[0], self.local[upper, 0][order], lifted[upper, 1][order]))  # per unit
            if lift > 1e-9:
                need = max(need, (lid - (centre[1] - radius)) / lift)
        return need

    def _cheeks(self, lift: float, outward: float) -> Constraints:
        """The cheek apples, between the lower lids and the mouth corners."""
        c: Constraints = {}
        for side in EYES:
            upper, lower = EYES[side]
            eye = self.local[upper + lower].mean(axis=0)
            sign = 1.0 if eye[0] > self.mouth_center[0] else -1.0
            target = (eye[0] + sign * 0.02, eye[1] + 0.17)
            for idx in self._region(center=target, radii=(0.09, 0.055)):
                c[idx] = np.array([sign * outward, lift])
        return c

    # ---- brows and lids --------------------------------------------------------------------------------
    def _brows(self, profile) -> Constraints:
        """Constraints for both brow rows from profile(t, inward_sign) -> (du, dv); t = 0 inner end, 1 outer."""
        c: Constraints = {}
        for side, rows in BROWS.items():
            inward = 1.0 if side == "right" else -1.0  # +u points from the subject's right brow towards the centre
            for row in rows:
                for pos, idx in enumerate(row):
                    t = 1.0 - pos / (len(row) - 1)  # rows run outer -> inner
                    du, dv = profile(t, inward)
                    # A raise no higher than the forehead above this point allows (see brow_room).
                    c[idx] = np.array([du, max(dv, -_BROW_RISE_SHARE * self.brow_room[side][pos])])
        return c

    def _forehead(self, lift: float, spread: float = 0.25, brows: Constraints | None = None) -> Constraints:
        """Top of the oval moves a little with the brows (the skin slides), most above the brows' middle.

        With `brows` (their constraints), each point of it also rises as far as keeps the forehead between it and
        any raised brow point from being squeezed more than _FOREHEAD_SQUEEZE times: under a low hairline or a
        fringe the oval runs a few pixels above the brows, and a full raise squeezed the brows themselves into thin
        hard arcs. The hair above takes the rest, where a squeeze does not show as a line.
        """
        raised = [] if brows is None else [(self.local[idx], -vec[1]) for idx, vec in brows.items() if vec[1] < 0]
        keep = 1.0 - 1.0 / _FOREHEAD_SQUEEZE  # the share of the skin between brow and oval a raise may close up
        c: Constraints = {}
        for idx in OVAL:
            u, v = self.local[idx]
            if v < -0.25:
                rise = -lift * math.exp(-((u / spread) ** 2))
                for at, brow_rise in raised:
                    rise = max(rise, brow_rise - keep * float(np.linalg.norm(self.local[idx] - at)))
                c[idx] = np.array([0.0, -rise])
        return c

    def _forehead_slide(self, c: Constraints) -> Constraints:
        """The forehead between the raised brows and the oval's top, each point moved by its share of the way: from
        all of the brow's motion just above the brow to the oval's at the top.

        Raised brows bunch the whole forehead up evenly (the frontalis shortens along its length). Left to the
        screened fill, the motion died away within a few pixels above the brows and squeezed the skin there two to
        four times over, which drew the photo's upper brow edge as a hard line.
        """
        rows = [idx for _, upper in BROWS.values() for idx in upper]
        brow_u, brow_v = self.local[rows, 0], self.local[rows, 1]
        order = np.argsort(brow_u)
        brow_u, brow_v = brow_u[order], brow_v[order]
        brow_d = np.array([c[rows[k]] for k in order])
        top = [idx for idx in OVAL if self.local[idx, 1] < float(brow_v.min())]
        top = sorted(top, key=lambda idx: self.local[idx, 0])
        top_u, top_v = self.local[top, 0], self.local[top, 1]
        top_d = np.array([c.get(idx, np.zeros(2)) for idx in top])
        if len(top) < 2:
            return {}
        taken = set(c) | set(OVAL) | {idx for pair in BROWS.values() for row in pair for idx in row}
        out: Constraints = {}
        for idx in range(min(NUM_MESH_LANDMARKS, len(self.local))):
            u, v = self.local[idx]
            if idx in taken or not brow_u[0] <= u <= brow_u[-1]:
                continue
            below, above = float(np.interp(u, brow_u, brow_v)), float(np.interp(u, top_u, top_v))
            if not above < v < below:
                continue
            share = (below - v) / max(below - above, 1e-6)  # 0 at the brow, 1 at the oval
            at_brow = np.array([np.interp(u, brow_u, brow_d[:, k]) for k in range(2)])
            at_top = np.array([np.interp(u, top_u, top_d[:, k]) for k in range(2)])
            out[idx] = (1.0 - share) * at_brow + share * at_top
        return out

    def _lids(self, upper: float = 0.0, lower: float = 0.0, sides: tuple[str, ...] = ("right", "left")) -> Constraints:
        """Lid margins moved with the skin by a fraction of the eye's own opening (negative opens the eye; an upper lid
        raised over a squint by a fraction of an ordinary eye's opening, see squint_widen)."""
        c: Constraints = {}
        widen = self.squint_widen if upper < 0 else 1.0
        for side in sides:
            up, low = EYES[side]
            for i in range(1, len(up) - 1):
                gap = self.eye_gap[side][up[i]]
                c[up[i]] = upper * widen * gap
                c[low[i]] = -lower * gap
        return c

    def _close_lids(self, upper: float = 0.0, lower: float = 0.0, sides: tuple[str, ...] = ("right", "left"),
                    follow: tuple[float, float] = (0.12, 0.3), margins: bool = True) -> Constraints:
        """Lids closing over the eyeball by a fraction of the opening (the eye layer draws them).

        The skin next to each margin follows by `follow` (upper, lower) of the margin's travel; the returned
        constraints hold that skin motion, the margins themselves stay for the skin warp. margins=False leaves the
        margins' own travel to the caller (a blink's, see eyes.close_eyes).
        """
        c: Constraints = {}
        for side in sides:
            closure = self._lids(upper, lower, (side,))
            if margins:
                self._pending_lids.update(closure)
            for name, share in (("upper", follow[0]), ("lower", follow[1])):
                for n, m in self.lid_rings[(side, name)].items():
                    c[n] = share * closure[m]
        return c

    def _brow_raise(self):
        # Posed AU1+2 lifts the brows ~9-11 mm, the outer ends a little more; the forehead skin slides with them.
        c = self._brows(lambda t, s: (0.0, -0.064 - 0.012 * t))
        c.update(self._forehead(-0.026, brows=c))
        c.update(self._forehead_slide(c))
        c.update(self._lids(upper=-0.08))
        return c, 0.15

    def _brow_inner_raise(self):
        # Only the medial frontalis pulls: the inner ends rise ~7 mm, the outer ends stay (the oblique brow of sadness).
        c = self._brows(lambda t, s: (s * 0.014 * (1 - t), -0.058 * (1 - t) ** 1.0 + 0.004 * t))
        c.update(self._forehead(-0.016, spread=0.12, brows=c))
        c.update(self._forehead_slide(c))
        return c, 0.12

    def _frown_release(self):
        # The reverse of a little AU4 (a portrait that frowns at rest): the inner brow ends rise and part a little,
        # the forehead above slides with them. The furrows between them are eased by the shading (shading.py).
        brows = self._brows(lambda t, s: (-s * 0.01 * (1 - t), -0.012 * (1 - t)))
        brows.update(self._forehead_slide(brows))
        return brows, 0.1

    def _brow_lower(self):
        # Posed AU4 (Ekman & Friesen): the inner brow ends drop ~6 mm and move ~4 mm towards each other, the outer
        # ends follow by about half, and the brow's weight pushes the upper lid down over the eye.
        c = self._brows(lambda t, s: (s * 0.04 * (1 - t) ** 1.2, 0.054 * (1 - 0.65 * t)))
        for idx in (168, 6):
            c[idx] = np.array([0.0, 0.016])
        c.update(self._close_lids(upper=0.08, follow=(0.55, 0.0)))
        return c, 0.1

    def _upper_lid_raise(self):
        # AU5 bares the sclera above the iris: the upper lid rises by ~40 % of the eye's opening.
        c = self._lids(upper=-0.4)
        brows = self._brows(lambda t, s: (0.0, -0.01))
        c.update(brows)
        c.update(self._forehead_slide(brows))
        return c, 0.06

    def _lid_tighten(self):
        # Posed AU7 narrows the eye by roughly half its opening, mostly from below (the upper lid barely moves).
        c = self._close_lids(upper=0.16, lower=0.5, follow=(0.3, 0.6))
        c.update(self._brows(lambda t, s: (0.0, 0.004)))
        return c, 0.05

    def _blink(self, side: str):
        # The skin beside the lids follows a blink as any closing; the margins themselves meet wherever the other
        # controls left them (eyes.close_eyes): closed by a share of the photo's opening, a blink over eyes opened
        # wider (surprise, fear, a grin's squint let go) stopped half way.
        c = self._close_lids(upper=BLINK_MEET, lower=1.0 - BLINK_MEET, sides=(side,), margins=False)
        c.update(self._brows(lambda t, s: (0.0, 0.0)))
        return c, 0.05

    def _blink_left(self):
        return self._blink("left")

    def _blink_right(self):
        return self._blink("right")

    # ---- head ------------------------------------------------------------------------------------------
    def _head(self, name: str) -> np.ndarray:
        """Yaw and pitch move features by depth (parallax, silhouette still); roll and shifts are rigid (head.py)."""
        n = len(self.mesh.vertices)
        if name not in ("head_yaw", "head_pitch"):
            return np.zeros((n, 2))
        z = self.depth[:468]
        z_axis = float(np.mean(self.depth[[234, 454, 127, 356]]))  # the silhouette sits near the rotation axis
        shift = -math.radians(1.0) * (z - z_axis) / self.frame.width  # face units per degree
        axis = np.array([1.0, 0.0]) if name == "head_yaw" else np.array([0.0, 1.0])
        constraints = {i: shift[i] * axis for i in range(468)}
        return self._fill(constraints, 0.3)

    # ---- helpers ---------------------------------------------------------------------------------------
    def _region(self, center: tuple[float, float], radii: tuple[float, float], relative_to: str = "face") -> list[int]:
        """Landmarks inside an ellipse (face units; relative to the face frame or the mouth centre)."""
        origin = self.mouth_center if relative_to == "mouth" else np.zeros(2)
        rel = (self.local[:468] - origin - np.asarray(center)) / np.asarray(radii)
        return [int(i) for i in np.flatnonzero((rel**2).sum(axis=1) <= 1.0)]
