"""The skin never tears or folds over itself.

A turned head overlaps itself in the picture (the far cheek lies behind the nose); where the warp moves overlapping
parts differently, the nearer one must be the one that shows, or a strip of the far cheek is drawn across the nose.
A strong expression can push a row of skin past the next one; the skin must bunch up instead of turning over.
"""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.render.controls import controls_row
from ectfg_core.render.geometry import FaceFrame
from ectfg_core.render.mesh import NUM_MESH_LANDMARKS, build_mesh, face_triangles
from ectfg_core.render.renderer import PortraitAnimator
from ectfg_core.render.unfold import FoldGuard
from ectfg_core.types.face import FaceLandmarks


def _turned(landmarks: FaceLandmarks, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """The landmarks (x, y) and depth of the same face turned about the vertical axis (orthographic view)."""
    pts = landmarks.points[:NUM_MESH_LANDMARKS].astype(np.float64)
    z = landmarks.depth[:NUM_MESH_LANDMARKS].astype(np.float64)
    cx, cz = pts[:, 0].mean(), z.mean()
    a = np.radians(degrees)
    x = cx + (pts[:, 0] - cx) * np.cos(a) + (z - cz) * np.sin(a)
    depth = cz - (pts[:, 0] - cx) * np.sin(a) + (z - cz) * np.cos(a)
    return np.stack([x, pts[:, 1]], axis=1), depth


def _turned_animator(portrait, degrees: float) -> PortraitAnimator:
    """An animator of the portrait's photo with its landmarks turned `degrees` about the vertical axis (the irises
    kept): the geometry of a three-quarter face, without needing one in the repository."""
    import dataclasses

    points, depth = _turned(portrait.landmarks, degrees)
    n = len(points)
    landmarks = portrait.landmarks
    turned = dataclasses.replace(landmarks, points=np.concatenate([points, landmarks.points[n:]]).astype(np.float32),
                                 depth=np.concatenate([depth, landmarks.depth[n:]]).astype(np.float32))
    return PortraitAnimator(portrait.image, turned)


def _winners_and_nearest(points: np.ndarray, depth: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At every pixel two or more triangles cover: the triangle drawn last (which the warp shows) and the nearest one."""
    height, width = int(points[:, 1].max()) + 2, int(points[:, 0].max()) + 2
    last = np.full((height, width), -1)
    nearest = np.full((height, width), -1)
    nearest_z = np.full((height, width), np.inf)
    count = np.zeros((height, width), dtype=np.int64)
    for k, tri in enumerate(triangles):
        p, z = points[tri], depth[tri]
        x0, y0 = np.floor(p.min(axis=0)).astype(int)
        x1, y1 = np.ceil(p.max(axis=0)).astype(int)
        ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
        q = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
        e1, e2, d = p[1] - p[0], p[2] - p[0], q - p[0]
        det = e1[0] * e2[1] - e1[1] * e2[0]
        if abs(det) < 1e-9:
            continue
        l1 = (d[:, 0] * e2[1] - d[:, 1] * e2[0]) / det
        l2 = (e1[0] * d[:, 1] - e1[1] * d[:, 0]) / det
        inside = (l1 > 0.02) & (l2 > 0.02) & (l1 + l2 < 0.98)  # strictly inside: shared edges are not overlaps
        qx, qy = q[inside, 0].astype(int), q[inside, 1].astype(int)
        zq = (1 - l1 - l2)[inside] * z[0] + l1[inside] * z[1] + l2[inside] * z[2]
        count[qy, qx] += 1
        last[qy, qx] = k
        closer = zq < nearest_z[qy, qx]
        nearest_z[qy[closer], qx[closer]] = zq[closer]
        nearest[qy[closer], qx[closer]] = k
    overlap = count >= 2
    return last[overlap], nearest[overlap]


def test_turned_head_shows_its_nearer_surface_where_it_overlaps_itself(portrait):
    points, depth = _turned(portrait.landmarks, 40.0)
    frame = FaceFrame.from_points(points)
    mesh = build_mesh(points, frame, depth)
    face = np.isin(np.arange(len(mesh.surface)), np.arange(len(mesh.surface) - len(face_triangles()), len(mesh.surface)))
    drawn = mesh.surface[face]
    winners, nearest = _winners_and_nearest(points, depth, drawn)
    assert len(winners) > 200, "a face turned 40 degrees overlaps itself beside the nose"
    # Sorting whole triangles by mean depth can misjudge a pixel where two long triangles cross; nearly all must be right.
    assert np.mean(winners == nearest) > 0.9
    # Without the depth the drawing order is the file's, which is how the far cheek came to be drawn over the nose.
    unsorted = build_mesh(points, frame).surface[face]
    winners, nearest = _winners_and_nearest(points, depth, unsorted)
    assert np.mean(winners == nearest) < 0.8


def _rigged(animator: PortraitAnimator, **controls: float) -> np.ndarray:
    """The mesh as the rig alone moves it (no head motion, no fold guard)."""
    row = np.asarray(controls_row(**controls), dtype=np.float64)
    return animator.mesh.vertices + np.einsum("c,cv->v", row, animator._basis_flat).reshape(-1, 2)


@pytest.mark.parametrize("controls", [dict(brow_lower=2.0), dict(brow_raise=2.5, upper_lid_raise=2.0)])
def test_strong_brows_do_not_fold_the_skin(portrait, controls):
    animator = PortraitAnimator(portrait.image, portrait.landmarks)
    guard = animator.fold_guard
    raw = _rigged(animator, **controls)
    # (The forehead now slides evenly above raised brows, so the raise alone folds fewer triangles than it did.)
    assert len(guard.folded(raw)) >= 5, "at this strength the rig alone folds the skin over the lids or the forehead"
    relaxed = guard(raw)
    assert len(guard.folded(relaxed)) == 0
    # The lips and the lid margins stay exactly where the controls put them (lip sync and blinks are not touched).
    pinned = ~guard.free
    np.testing.assert_array_equal(relaxed[pinned], raw[pinned])
    # Only skin around the folds gives way.
    assert (np.linalg.norm(relaxed - raw, axis=1) > 1e-6).sum() < 0.15 * len(raw)


def test_everything_at_once_folds_far_less(portrait):
    animator = PortraitAnimator(portrait.image, portrait.landmarks)
    raw = _rigged(animator, brow_lower=2.6, nose_wrinkle=2.6, lid_tighten=2.0, upper_lip_raise=2.0)
    before = len(animator.fold_guard.folded(raw))
    assert len(animator.fold_guard.folded(animator.fold_guard(raw))) <= before / 8


def test_poses_without_folds_are_left_exactly_as_the_rig_made_them(portrait):
    animator = PortraitAnimator(portrait.image, portrait.landmarks)
    raw = _rigged(animator, smile=0.3, brow_raise=0.8)
    assert len(animator.fold_guard.folded(raw)) == 0
    assert animator.fold_guard(raw) is raw


def test_fold_guard_pins_what_it_is_told_to():
    square = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [5.0, 5.0]])
    triangles = np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]])
    guard = FoldGuard(square, triangles, pinned=np.array([0, 1, 2, 3]))
    moved = square.copy()
    moved[4] = [5.0, -3.0]  # the centre pushed out through the bottom edge: two triangles turn over
    assert len(guard.folded(moved)) >= 1
    relaxed = guard(moved)
    assert len(guard.folded(relaxed)) == 0
    np.testing.assert_array_equal(relaxed[:4], square[:4])


@pytest.mark.parametrize("name", ["astronaut", "biden", "hopper", "obama_smile"])
def test_raised_brows_keep_their_hair(name, framed):
    """A brow rises no higher than the forehead between it and the face's outline allows. Raised in full wherever it
    was, it pushed its upper row through the forehead's mesh above; unfolding that dragged the upper row back below
    the lower one, and the brow's hair showed as a thin dark line over a pale band (astronaut and Biden at brow_raise
    1: the brow's band came out inverted)."""
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.geometry import BROWS

    animator = PortraitAnimator(framed(name).image, framed(name).landmarks)
    ey = animator.frame.ey
    for row in (controls_row(brow_raise=1.0), expression_row("surprised", 1.0, strength=2.0)):
        driven = animator.driven_landmarks(row)
        for lower, upper in BROWS.values():
            thickness = (animator.points[lower] - animator.points[upper]) @ ey
            assert ((driven[lower] - driven[upper]) @ ey >= 0.8 * thickness).all()


@pytest.mark.parametrize("degrees", [-40.0, 40.0])
def test_the_far_corner_of_a_turned_mouth_does_not_fold(portrait, degrees):
    """On a face turned away the far corner's lips are narrow: disgust's raised upper lip over corners pulled down,
    or sad's corners, turned the lip skin there over (2 to 4 triangles), which showed as a hard-edged notch cut into
    the cheek beside the corner. The lips' own skin now gives way where it would fold (their inner edges stay)."""
    from ectfg_core.render.controls import clamp_controls
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.geometry import LOWER_OUTER, UPPER_OUTER
    from ectfg_core.render.unfold import _signed_area

    animator = _turned_animator(portrait, degrees)
    still = animator.mesh.vertices
    triangles = animator.mesh.surface
    area = _signed_area(still, triangles)
    lip = np.zeros(len(still), dtype=bool)
    lip[UPPER_OUTER + LOWER_OUTER] = True
    judged = (np.abs(area) > 0.1 * np.median(np.abs(area))) & lip[triangles].any(axis=1)
    for emotion in ("disgusted", "sad"):
        skin = animator.skin_before_head(clamp_controls(expression_row(emotion, 1.0)))
        folded = judged & (_signed_area(skin, triangles) / area < 0)
        assert not folded.any(), f"{emotion}: {int(folded.sum())} lip triangles turned over"


@pytest.mark.parametrize("degrees", [-40.0, 40.0])
def test_a_turned_mouth_pulled_down_hooks_no_lip_below_its_corner(portrait, degrees):
    """Sad pulls the mouth corners down and the lips along, less towards the middle. On a face turned to one side the
    near half of the mouth looks wider than half the mouth, and its points near the corner were taken as lying past
    it: they went down further than the corner itself (about twice), a hooked dark notch under the corner (a 3/4
    portrait in glasses, sad and disgusted). No point of the lips now goes more than 0.02 face widths (4 px at 512)
    further down than its own corner."""
    from ectfg_core.render.controls import clamp_controls
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.geometry import LOWER_INNER, LOWER_OUTER, UPPER_INNER, UPPER_OUTER

    animator = _turned_animator(portrait, degrees)
    skin = animator.skin_before_head(clamp_controls(expression_row("sad", 1.0)))
    drop = (skin - animator.mesh.vertices) @ animator.frame.ey
    for corner, half in ((61, slice(1, 5)), (291, slice(6, 10))):
        for contour in (UPPER_INNER, LOWER_INNER, UPPER_OUTER, LOWER_OUTER):
            past = float((drop[contour[half]] - drop[corner]).max())
            assert past < 0.02 * animator.frame.width, f"a lip point beside corner {corner} went {past:.1f} px below it"


@pytest.mark.parametrize("name", ["biden", "hopper"])
def test_corners_pulled_down_and_chin_raised_part_no_lips(name, framed):
    """AU15 (corners down) and AU17 (chin up, pushing the lips up together) part no lips. The lower lip went further
    down than the upper at the sides, and the chin raise lifted the upper lip but not the lower one: a closed mouth
    opened by a pixel or two, and on a turned face's narrow far half the stretched gap showed as a vertical streak of
    lip highlight."""
    from ectfg_core.render.geometry import LOWER_INNER, UPPER_INNER

    animator = PortraitAnimator(framed(name).image, framed(name).landmarks)
    ey = animator.frame.ey
    pairs = (UPPER_INNER[1:-1], LOWER_INNER[1:-1])
    still = (animator.points[pairs[1]] - animator.points[pairs[0]]) @ ey
    for row in (controls_row(lip_corner_depress=1.25), controls_row(chin_raise=1.0),
                controls_row(lip_corner_depress=1.25, chin_raise=0.8)):
        driven = animator.driven_landmarks(row)
        opened = (driven[pairs[1]] - driven[pairs[0]]) @ ey - still
        assert opened.max() < 0.5, f"the lips parted by {opened.max():.2f} px"


@pytest.mark.parametrize("degrees", [-40.0, 40.0])
def test_the_nose_hides_the_far_eye_of_a_turned_face(portrait, degrees):
    """On a three-quarter face the far eye's inner corner lies behind the bridge of the nose. The eye layer is drawn
    over the skin, and a lid raised for surprise bared a wedge of white in front of the nose (a 3/4 portrait in
    glasses, fear and surprise). Where the nose now lies over the eye, the frame is the warped skin, whatever the
    eye layer holds."""
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.occlusion import occluded
    from ectfg_core.render.raster import box_around

    animator = _turned_animator(portrait, degrees)
    far = [side for side, hiding in animator.eye_occluders.items() if hiding is not None]
    assert len(far) == 1, animator.eye_occluders  # the far eye, and only it
    row = expression_row("surprised", 1.0)
    frame = animator.render(row)
    eyes = animator.eyes
    animator.eyes = {}  # the same frame without the eye layer: the warped skin
    skin_only = animator.render(row)
    animator.eyes = eyes
    pose = animator._pose(animator._row(row))
    box = box_around(pose.skin[eyes[far[0]].polygon], 6.0, (0, 0, frame.shape[1], frame.shape[0]))
    x0, y0, x1, y1 = box
    under_nose = occluded(animator.eye_occluders[far[0]], pose.skin, box) > 0.99
    drawn = np.abs(frame[y0:y1, x0:x1].astype(int) - skin_only[y0:y1, x0:x1]).max(axis=2) > 2
    assert under_nose.sum() > 20 and (drawn & ~under_nose).sum() > 20  # the nose covers some of the eye, the eye shows
    assert not (drawn & under_nose).any(), f"{int((drawn & under_nose).sum())} px of eye drawn over the nose"


@pytest.mark.parametrize("name", ["astronaut", "biden", "hopper"])
def test_raised_brows_bunch_the_forehead_evenly_not_in_a_line_above_them(framed, name, monkeypatch):
    """Raised brows (surprise's AU1+2 with the lids held up, and fear's mix) shorten the whole forehead. Left to the
    screened fill, the motion died away within a few pixels above the brows: the skin just there was squeezed three
    times over and more (90th percentile along the brows 2.7-4.3 on these portraits, by engine), which drew the
    photo's upper brow edge as a hard line and thinned the brows into pencil arcs. Spread over the forehead the
    squeeze is about a third less (1.9-2.8)."""
    import ectfg_core.render.rig as rig
    from ectfg_core.render.geometry import BROWS

    portrait = framed(name)

    def squeezes(animator: PortraitAnimator) -> list[float]:
        fw, out = animator.frame.width, []
        for controls in (dict(brow_raise=1.0, upper_lid_raise=1.3), dict(brow_raise=0.8, brow_inner_raise=0.7, upper_lid_raise=1.3)):
            row = animator._row(controls_row(**controls))
            skin = animator.skin_before_head(row)
            coords, *_ = animator.warp.coordinates(animator.mesh.vertices, skin, animator._head_row(row))
            x0, y0, _, _ = animator.warp.box
            squeeze = np.gradient(coords.numpy()[..., 1], axis=0)  # photo rows per row shown
            brows = np.concatenate([skin[BROWS[side][1]] for side in BROWS])
            brows = brows[np.argsort(brows[:, 0])]
            worst = []
            for x in range(int(brows[0, 0]) + 2, int(brows[-1, 0]) - 2):
                top = float(np.interp(x, brows[:, 0], brows[:, 1]))
                worst.append(squeeze[int(top - 0.1 * fw) - y0 : int(top) - y0, x - x0].max())
            out.append(float(np.percentile(worst, 90)))
        return out

    even = squeezes(PortraitAnimator(portrait.image, portrait.landmarks))
    monkeypatch.setattr(rig.Rig, "_forehead_slide", lambda self, constraints: {})
    monkeypatch.setattr(rig, "_FOREHEAD_SQUEEZE", np.inf)
    fill_only = squeezes(PortraitAnimator(portrait.image, portrait.landmarks))
    for now, before in zip(even, fill_only, strict=True):
        assert now < 3.0 and now < 0.8 * before, (now, before)


@pytest.mark.parametrize("name", ["astronaut", "biden", "hopper", "obama_smile"])
def test_no_class_leaves_the_skin_folded(framed, name):
    """Every class at its calibrated strength comes out with no skin turned over: a fold shows as a mirrored sliver
    with a hard edge. Relaxing folds towards the neighbours' motion left 3-8 turned triangles over the lids in anger
    on each of these faces (brows low over the eyes, lowered further)."""
    from ectfg_core.render.controls import clamp_controls
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.types.emotion import EMOTIONS

    animator = PortraitAnimator(framed(name).image, framed(name).landmarks)
    left = {emotion: len(animator.fold_guard.folded(animator.skin_before_head(clamp_controls(expression_row(emotion, 1.0)))))
            for emotion in EMOTIONS}
    assert not any(left.values()), left
