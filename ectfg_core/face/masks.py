"""Lip, expression and pose region masks from face landmarks (the three masks of the hierarchical attention)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ectfg_core.types.face import FACE_OVAL, LIPS_OUTER, FaceLandmarks


@dataclass
class FaceMasks:
    """Soft masks in 0..1 at image resolution (H, W), float32.

    lip: the mouth and its immediate surroundings.
    expression: the face (brows, eyes, cheeks, nose, chin) without the lip region.
    pose: the head outside the face (hair, ears, jaw line, neck), i.e. what moves with head pose.
    The three do not overlap, so they can weight separate attention outputs and be summed back.

    They are built on the regions ComfyUI's own MediaPipe Face Mask node draws (filled FACEMESH rings): with
    softness=0 and lip_margin=0, lip is its "lips" region and lip + expression its "face_oval"; the eyes lie inside
    expression. The defaults add soft edges and the lip margin (see extract_masks).
    """

    lip: np.ndarray
    expression: np.ndarray
    pose: np.ndarray

    def stacked(self) -> np.ndarray:
        return np.stack([self.lip, self.expression, self.pose])


def _polygon_mask(size: tuple[int, int], polygon: np.ndarray) -> np.ndarray:
    height, width = size
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).polygon([tuple(map(float, p)) for p in polygon], fill=255)
    return np.asarray(canvas, dtype=np.float32) / 255.0


def _ellipse_mask(size: tuple[int, int], center: np.ndarray, radii: np.ndarray) -> np.ndarray:
    height, width = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dist = ((xs - center[0]) / radii[0]) ** 2 + ((ys - center[1]) / radii[1]) ** 2
    return (dist <= 1.0).astype(np.float32)


def _soften(mask: np.ndarray, radius: float) -> np.ndarray:
    if radius <= 0:
        return mask
    img = Image.fromarray(np.clip(mask * 255.0, 0, 255).astype(np.uint8))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255.0


def _scaled_about_center(points: np.ndarray, factor_x: float, factor_y: float) -> np.ndarray:
    center = points.mean(axis=0)
    return (points - center) * np.array([factor_x, factor_y], dtype=np.float32) + center


def extract_masks(landmarks: FaceLandmarks, softness: float = 0.04, lip_margin: float = 0.35) -> FaceMasks:
    """Masks for one face. `softness` is the edge blur as a fraction of face width; `lip_margin` grows the lips region
    about its centre by 1 + 1.4 * lip_margin in width and 1 + 2.2 * lip_margin in height (room to smile and open the jaw)."""
    size = landmarks.image_size
    face_w = max(landmarks.face_width, 1.0)
    blur = softness * face_w

    lips = landmarks.points[LIPS_OUTER]
    lip_poly = _scaled_about_center(lips, 1.0 + 1.4 * lip_margin, 1.0 + 2.2 * lip_margin)  # room to smile and open the jaw
    lip = _soften(_polygon_mask(size, lip_poly), blur)

    face = _soften(_polygon_mask(size, landmarks.points[FACE_OVAL]), blur)
    expression = np.clip(face - lip, 0.0, 1.0)

    # The head: the face oval grown sideways and upwards for hair, downwards for the neck.
    x0, y0, x1, y1 = landmarks.bbox
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2 - 0.08 * (y1 - y0)], dtype=np.float32)
    radii = np.array([0.85 * (x1 - x0), 0.95 * (y1 - y0)], dtype=np.float32)
    head = _soften(_ellipse_mask(size, center, radii), 2 * blur)
    pose = np.clip(head - face, 0.0, 1.0)
    return FaceMasks(lip=lip.astype(np.float32), expression=expression.astype(np.float32), pose=pose.astype(np.float32))
