"""PortraitAnimator: the embedded CPU renderer (landmark rig + image warp + eye and mouth layers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy import ndimage

from ectfg_core.audio.torch_threads import fixed_threads
from ectfg_core.errors import InputError
from ectfg_core.render.controls import CONTROL_INDEX, CONTROL_NAMES, HEAD_CONTROLS, NUM_CONTROLS, clamp_controls
from ectfg_core.render.expressions import portrait_units
from ectfg_core.render.eyes import EyeLayer, close_eyes, edge_on_eyes
from ectfg_core.render.geometry import (
    EYES,
    INNER_LIP_POLYGON,
    LOWER_INNER,
    LOWER_OUTER,
    UPPER_INNER,
    UPPER_OUTER,
    FaceFrame,
    eye_polygon,
)
from ectfg_core.render.glasses import GlassesLayer, detect_glasses
from ectfg_core.render.head import HeadMotion
from ectfg_core.render.mesh import NUM_MESH_LANDMARKS, build_mesh
from ectfg_core.render.mouth import MouthLayer, MouthPose, close_lips
from ectfg_core.render.occlusion import eye_occluders
from ectfg_core.render.raster import points_inside
from ectfg_core.render.rig import Rig
from ectfg_core.render.sampling import sample
from ectfg_core.render.segmentation import motion_regions
from ectfg_core.render.shading import ShadingLayers
from ectfg_core.render.sharpness import drawn_blur, photo_blur
from ectfg_core.render.shut_teeth import reopen_lips
from ectfg_core.render.stray_teeth import StrayTeeth
from ectfg_core.render.timeline import clip_controls, resting_corner_lift, resting_jaw_drop, resting_lip_gap, resting_smile
from ectfg_core.render.unfold import FoldGuard
from ectfg_core.render.warp import SQUEEZE_BLUR_SIGMA, SkinWarp
from ectfg_core.types.emotion import EmotionTrack
from ectfg_core.types.face import NUM_LANDMARKS, FaceLandmarks
from ectfg_core.types.speech import PhonemeTiming

_RIGID = [CONTROL_INDEX[n] for n in ("head_roll", "head_x", "head_y")]
MOUTH_DETAIL = UPPER_OUTER + LOWER_OUTER
_JAW = CONTROL_INDEX["jaw_open"]
_PRESS = CONTROL_INDEX["lip_press"]
_TONGUE = CONTROL_INDEX["tongue_tip"]
_BLINKS = {"left": CONTROL_INDEX["blink_left"], "right": CONTROL_INDEX["blink_right"]}
_PARALLAX = np.array([1.0 if n in ("head_yaw", "head_pitch") else 0.0 for n in CONTROL_NAMES])
_EYE_CORNERS = [33, 133, 263, 362]
_DEPRESS = CONTROL_INDEX["lip_corner_depress"]
_PROBE = 0.5  # lip_corner_depress added to read how far the corners move per unit
_MAX_OPEN_CORNERS = 1.5  # PortraitAnimator.open_corners at most (a frown past it)


def _combine(weights: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """(V, 2) displacement: control weights times a (controls, V * 2) basis. einsum, not a BLAS product: BLAS splits
    this size over its own thread pool, whose workers then spin through the rest of every frame (twice the CPU)."""
    return np.einsum("c,cv->v", np.asarray(weights, dtype=np.float64), basis).reshape(-1, 2)


@dataclass
class _Pose:
    skin: np.ndarray  # (V, 2) mesh vertices moved by the skin controls and the head
    lids: np.ndarray  # the same with the lid margins closed over the eyes
    head_row: dict[str, float]
    axes: tuple[np.ndarray, np.ndarray]  # the face's x and y axes after head roll
    mouth: MouthPose


class PortraitAnimator:
    """Animates one portrait: controls (see CONTROL_NAMES) in, frames (H, W, 3) uint8 out."""

    def __init__(self, image: np.ndarray, landmarks: FaceLandmarks, seed: int = 0):
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"the portrait must be an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
        if landmarks.points.shape != (NUM_LANDMARKS, 2):
            raise InputError(f"expected {NUM_LANDMARKS} landmarks, got {landmarks.points.shape[0]}")
        if tuple(landmarks.image_size) != image.shape[:2]:
            raise InputError(f"the landmarks were found on a {landmarks.image_size} image but the portrait is {image.shape[:2]}")
        self.image = np.array(image, dtype=np.uint8, order="C", copy=True)  # ours: the caller may change or freeze theirs
        # A grin whose teeth the mesh shut the lips over is parted again (shut_teeth.py).
        landmarks = replace(landmarks, points=reopen_lips(self.image, landmarks.points, landmarks.face_width))
        self.seed = int(seed)
        self.smile_at_rest = resting_smile(landmarks.points, landmarks.face_width)
        self.parted_at_rest = resting_lip_gap(landmarks.points, landmarks.face_width)
        self.jaw_at_rest = resting_jaw_drop(landmarks.points, landmarks.face_width)
        self.corners_at_rest = resting_corner_lift(landmarks.points, landmarks.face_width)
        self.points = landmarks.points.astype(np.float64)
        self.frame = FaceFrame.from_points(self.points)
        self.mesh = build_mesh(self.points, self.frame, landmarks.depth)
        self.rig = Rig(self.mesh, self.frame, landmarks.depth, self.points[NUM_MESH_LANDMARKS:])
        self.units = portrait_units(self.rig, self.smile_at_rest)
        # The lips and the lid margins are placed exactly by the controls (pressed lips and closed lids meet on
        # purpose): the skin around them gives way instead. Only where the lips' own skin turns over does it give way
        # too, their inner edges excepted: on a face turned away the far corner's lip is narrow, and a corner pulled
        # down under a raised upper lip folded it into a hard-edged notch.
        lips = np.flatnonzero(points_inside(self.points[UPPER_OUTER + LOWER_OUTER[::-1]], self.mesh.vertices))
        lip_skin = np.setdiff1d(np.concatenate([lips, UPPER_OUTER, LOWER_OUTER]), UPPER_INNER + LOWER_INNER)
        margins = [i for pair in EYES.values() for row in pair for i in row]
        pinned = np.concatenate([lips, UPPER_INNER, LOWER_INNER, UPPER_OUTER, LOWER_OUTER, margins, self.mesh.ring2])
        self.fold_guard = FoldGuard(self.mesh.vertices, self.mesh.surface, pinned, yielding=lip_skin)
        chin_v = float(self.frame.to_local(self.points[152])[1])
        self.head = HeadMotion(self.frame, chin_v, image.shape[:2])
        self.regions = motion_regions(self.image, self.points, self.frame, chin_v, self.head.mask)
        self.warp = SkinWarp(self.mesh, self.head, self.frame.width, image.shape[:2],
                             [MOUTH_DETAIL] + [eye_polygon(side) for side in EYES], self.regions)
        self._source = torch.from_numpy(self.image).permute(2, 0, 1).float()  # (3, H, W)
        glasses = detect_glasses(self.image, self.points)  # eyeglasses move with the head only (glasses.py)
        self.glasses = GlassesLayer(glasses, self.image) if glasses.present else None
        self._skin_source = self._source if self.glasses is None else self.glasses.skin_source  # skin under the frame
        blur = (0.0, SQUEEZE_BLUR_SIGMA, SQUEEZE_BLUR_SIGMA)
        self._skin_blurred = torch.from_numpy(ndimage.gaussian_filter(self._skin_source.numpy(), blur))  # see SkinWarp
        self._basis_flat = self.rig.basis.reshape(NUM_CONTROLS, -1).astype(np.float64)
        self._lid_flat = self.rig.lid_basis.reshape(NUM_CONTROLS, -1).astype(np.float64)
        edge_on = edge_on_eyes(self.points)
        self.eyes = {side: EyeLayer(side, self.points, self.frame.width, self._source, edge_on=side in edge_on) for side in EYES}
        # A three-quarter face's far eye lies partly behind the nose: the eye layer is left out there (occlusion.py).
        self.eye_occluders = {side: eye_occluders(self.mesh, landmarks.depth, eye.polygon, self.frame.width)
                              for side, eye in self.eyes.items()}
        # What the mouth layer draws is made as soft as the photo (a soft photo's lips met at a pencil line).
        self.softness = drawn_blur(photo_blur(self.image, self.points))
        self.mouth = MouthLayer(self.points, self.frame.width, self._source, self.frame.ex, self.frame.ey, blur=self.softness)
        self.stray_teeth = StrayTeeth.of(self._source, self.points, self.frame.width,
                                         self.mouth.photo_teeth_color, self.mouth.lip_color, self.mouth.lip_red,
                                         blur=self.softness)
        # AU creases on the skin (an eyeglass frame's bridge is no furrow of the photo's own)
        self.shading = ShadingLayers(self.image, self.points, self.frame, self.mesh.vertices,
                                     rigid=glasses.mask if glasses.present else None)
        self.frown_at_rest = self.shading.frown_at_rest  # furrows between the brows, to ease where the brows do not knit
        self.open_corners = 0.0  # no correction while it is measured (controls_for reads it)
        if self.smile_at_rest > 0:
            self.open_corners = self._open_corners()

    def _open_corners(self) -> float:
        """How much further (lip_corner_depress units) a smiling photo's corners must come down on an open vowel for a
        calm face: to the middle of the opening, where an unsmiling mouth's corners are when it talks.

        A grin's lips are parted by the smile itself; speech opens them again from there, and the released corners
        then still sat above the opening (0.015-0.023 face widths on four grins; -0.012 to +0.005 on four unsmiling
        faces), a smiling mouth on every vowel.
        """
        fps, vowel = 25.0, PhonemeTiming("a", 0.2, 0.6)
        row = self.controls_for([vowel], None, None, 20, fps)[10]  # the middle of the vowel, neutral
        row[[CONTROL_INDEX[name] for name in HEAD_CONTROLS]] = 0.0
        row[list(_BLINKS.values())] = 0.0
        lowered = row.copy()
        lowered[_DEPRESS] += _PROBE

        def corners_above_middle(controls: np.ndarray) -> float:
            pts = self.driven_landmarks(controls)
            middle, corners = pts[[13, 14]].mean(axis=0), pts[[61, 291]].mean(axis=0)
            return float((middle - corners) @ self.frame.ey) / self.frame.width

        above = corners_above_middle(row)
        per_unit = (above - corners_above_middle(lowered)) / _PROBE
        if above <= 0 or per_unit <= 1e-4:
            return 0.0
        return float(np.clip(above / per_unit, 0.0, _MAX_OPEN_CORNERS))

    # ---- per frame -----------------------------------------------------------------------------------
    def _row(self, controls_row: np.ndarray | Sequence[float]) -> np.ndarray:
        row = np.asarray(controls_row, dtype=np.float32).reshape(-1)
        if row.shape != (NUM_CONTROLS,):
            raise InputError(f"a control row has {NUM_CONTROLS} values ({', '.join(CONTROL_NAMES)}), got {row.shape[0]}")
        if not np.isfinite(row).all():
            raise InputError("control row holds NaN or infinite values")
        return clamp_controls(row)

    def _head_row(self, row: np.ndarray) -> dict[str, float]:
        return {name: float(row[CONTROL_INDEX[name]]) for name in HEAD_CONTROLS}

    def skin_before_head(self, row: np.ndarray) -> np.ndarray:
        """(V, 2) every mesh vertex where the face's controls put it (lips closed as pressed, folds relaxed), before
        head motion."""
        weights = row.copy()
        weights[_RIGID] = 0.0
        skin = self.mesh.vertices + _combine(weights, self._basis_flat)
        return self.fold_guard(close_lips(skin, row[_PRESS], self.frame.ey))

    def _pose(self, row: np.ndarray) -> _Pose:
        """Every vertex where the skin puts it, and where the lid margins close to, after head motion."""
        weights = row.copy()
        weights[_RIGID] = 0.0
        head_row = self._head_row(row)
        skin = self.skin_before_head(row)
        lids = close_eyes(skin + _combine(weights, self._lid_flat), {side: row[k] for side, k in _BLINKS.items()},
                          self.frame.ey)
        angle = np.radians(head_row["head_roll"])
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        axes = (rot @ self.frame.ex, rot @ self.frame.ey)
        # Teeth: the upper ones move with the head only, the lower ones with the head and the jaw.
        teeth = self.mesh.vertices[[13, 14]] + _combine(weights * _PARALLAX, self._basis_flat)[[13, 14]]
        teeth[1] += weights[_JAW] * self.rig.basis[_JAW, 14]
        # One head motion for all three point sets: it acts point by point, so together is the same as apart.
        count = len(skin)
        posed = self.head.forward(np.concatenate([skin, lids, teeth]), head_row)
        posed_skin, posed_lids = posed[:count], posed[count : 2 * count]
        teeth = posed[2 * count :] - self.mesh.vertices[[13, 14]]
        mouth = MouthPose(posed_skin[INNER_LIP_POLYGON], teeth[0], teeth[1], float(row[_JAW]), axes, float(row[_TONGUE]))
        return _Pose(posed_skin, posed_lids, head_row, axes, mouth)

    def driven_landmarks(self, controls_row: np.ndarray | Sequence[float]) -> np.ndarray:
        """(478, 2) float32: where each landmark is in the rendered frame for this control row."""
        pose = self._pose(self._row(controls_row))
        out = np.empty((NUM_LANDMARKS, 2))
        out[:NUM_MESH_LANDMARKS] = pose.lids[:NUM_MESH_LANDMARKS]
        for eye in self.eyes.values():
            out[eye.iris] = eye.driven_iris(pose.skin[eye.polygon], self.points)
        return out.astype(np.float32)

    def render(self, controls_row: np.ndarray | Sequence[float]) -> np.ndarray:
        """One frame (H, W, 3) uint8 for one control row."""
        # A frame's tensors are small: on a busy machine (or beside the video encoder) the intra-op thread pool's
        # spinning workers cost many times what they save.
        with fixed_threads(1):
            return self._render(controls_row)

    def _render(self, controls_row: np.ndarray | Sequence[float]) -> np.ndarray:
        row = self._row(controls_row)
        if not row.any():
            return self.image.copy()
        pose = self._pose(row)
        coords, uncovered, occluded, squeezed = self.warp.coordinates(self.mesh.vertices, pose.skin, pose.head_row)
        x0, y0, x1, y1 = self.warp.box
        region = sample(self._skin_source, coords)
        self.warp.soften_squeezed(region, self._skin_blurred, coords, squeezed)  # the jaw's edge over the neck
        self.warp.shade_occluded(region, occluded)  # the neck under a dropped chin
        self.warp.fill_uncovered(region, uncovered)  # background where the head moved away from it
        self.shading.apply(region, (x0, y0), pose.skin, row, coords)
        # After the shading: a grin's eased corner pockets would lift the lip colour laid over its cavity to a pale spot.
        if self.stray_teeth is not None:
            self.stray_teeth.cover(region, (x0, y0), coords, pose.mouth.inner)
        for side, eye in self.eyes.items():
            hiding = self.eye_occluders[side]
            eye.composite(region, (x0, y0), self._skin_source, pose.skin[eye.polygon], pose.lids[eye.polygon], pose.axes,
                          None if hiding is None else (hiding, pose.skin))
        self.mouth.composite(region, (x0, y0), pose.mouth)
        if self.glasses is not None:
            self._composite_glasses(region, (x0, y0), row, pose.head_row)
        out = self.image.copy()
        # Exact integers: the cast keeps them. Cast before the (3, h, w) -> (h, w, 3) shuffle: a quarter of the bytes move.
        torch.from_numpy(out)[y0:y1, x0:x1].copy_(region.round_().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0))
        return out

    def _composite_glasses(self, region: torch.Tensor, origin: tuple[int, int], row: np.ndarray, head_row: dict[str, float]) -> None:
        """The frame moves rigidly: the head's roll and shift, after the eye corners' mean yaw/pitch parallax."""
        parallax = _combine(row * _PARALLAX, self._basis_flat)[_EYE_CORNERS].mean(axis=0)
        rot, shift = self.head.transform(head_row)
        self.glasses.composite(region, origin, self.head.pivot, rot, shift + rot @ parallax)

    # ---- whole clips ---------------------------------------------------------------------------------
    def controls_for(self, phonemes: Sequence[PhonemeTiming], energy, track: EmotionTrack | None, num_frames: int,
                     fps: float, strength: float | np.ndarray = 1.0) -> np.ndarray:
        """(num_frames, NUM_CONTROLS) controls for a clip, columns named by CONTROL_NAMES.

        phonemes: timed IPA symbols (or letters); energy: per-frame loudness 0..1, an AudioFrames, or None;
        track: the per-frame emotion track (None: neutral); strength: expression strength (0..2, times the track's own).
        Deterministic for this animator's seed.
        """
        return clip_controls(phonemes, energy, track, num_frames, fps, seed=self.seed,
                             smile_at_rest=self.smile_at_rest, parted_at_rest=self.parted_at_rest, strength=strength,
                             corners_at_rest=self.corners_at_rest, frown_at_rest=self.frown_at_rest,
                             units=self.units, jaw_at_rest=self.jaw_at_rest, open_corners=self.open_corners)
