"""Our lip / expression / pose masks use the same landmark regions as ComfyUI's own MediaPipe Face Mask node
(face_oval, lips, left_eye, right_eye: filled polygons of MediaPipe's FACEMESH_* rings), so they plug into graphs
that mix both. The rings below are MediaPipe's published face-mesh contours, written out as ordered polygons."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ectfg_core.face.masks import extract_masks

# MediaPipe face mesh contours (478-point layout), each an ordered closed ring.
FACE_OVAL_RING = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
                  176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
LIPS_OUTER_RING = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
LIPS_INNER_RING = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191]
LEFT_EYE_RING = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
RIGHT_EYE_RING = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
REGIONS = {"face_oval": [FACE_OVAL_RING], "lips": [LIPS_OUTER_RING, LIPS_INNER_RING],
           "left_eye": [LEFT_EYE_RING], "right_eye": [RIGHT_EYE_RING]}


def region_mask(points: np.ndarray, size: tuple[int, int], name: str) -> np.ndarray:
    """The region as ComfyUI's Face Mask draws it: every ring of the region filled, binary."""
    height, width = size
    canvas = Image.new("L", (width, height), 0)
    for ring in REGIONS[name]:
        ImageDraw.Draw(canvas).polygon([tuple(map(float, points[i])) for i in ring], fill=255)
    return np.asarray(canvas) > 127


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def covered(region: np.ndarray, by: np.ndarray) -> float:
    """Share of `region` inside `by`."""
    return float((region & by).sum() / max(region.sum(), 1))


def test_rings_are_mediapipe_contours():
    """Each ring follows edges of MediaPipe's own connection sets, where a MediaPipe with them is installed."""
    connections = pytest.importorskip("mediapipe.python.solutions.face_mesh_connections",
                                      reason="the legacy MediaPipe face mesh is not installed")
    sets = {"face_oval": connections.FACEMESH_FACE_OVAL, "lips": connections.FACEMESH_LIPS,
            "left_eye": connections.FACEMESH_LEFT_EYE, "right_eye": connections.FACEMESH_RIGHT_EYE}
    for name, rings in REGIONS.items():
        edges = {frozenset(edge) for edge in sets[name]}
        ring_edges = {frozenset((ring[i], ring[(i + 1) % len(ring)])) for ring in rings for i in range(len(ring))}
        assert ring_edges == edges, name


def test_without_margin_or_softness_the_lip_mask_is_the_lips_region(portrait):
    points, size = portrait.landmarks.points, portrait.landmarks.image_size
    masks = extract_masks(portrait.landmarks, softness=0.0, lip_margin=0.0)
    assert iou(masks.lip > 0.5, region_mask(points, size, "lips")) > 0.97


def test_the_expression_and_lip_masks_together_are_the_face_oval(portrait):
    points, size = portrait.landmarks.points, portrait.landmarks.image_size
    masks = extract_masks(portrait.landmarks, softness=0.0, lip_margin=0.0)
    assert iou((masks.lip + masks.expression) > 0.5, region_mask(points, size, "face_oval")) > 0.97


def test_default_masks_contain_the_core_regions_they_correspond_to(portrait):
    points, size = portrait.landmarks.points, portrait.landmarks.image_size
    masks = extract_masks(portrait.landmarks)
    lips, oval = region_mask(points, size, "lips"), region_mask(points, size, "face_oval")
    assert covered(lips, masks.lip > 0.5) > 0.99  # their lips plus our margin (room to smile and open the jaw)
    # The margin grows the lips by the documented factors only: 1 + 1.4 * 0.35 wide, 1 + 2.2 * 0.35 tall.
    assert (masks.lip > 0.5).sum() < 1.49 * 1.77 * lips.sum() * 1.1
    for eye in ("left_eye", "right_eye"):
        assert covered(region_mask(points, size, eye), masks.expression > 0.5) > 0.99
    assert covered(oval, (masks.lip + masks.expression) > 0.5) > 0.97
    assert covered(oval, masks.pose > 0.5) < 0.01  # pose is the head outside the face oval
