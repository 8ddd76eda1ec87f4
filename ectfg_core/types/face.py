"""The 478-point MediaPipe face mesh of a portrait and its topology, whichever engine found it (ectfg_core/face)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_LANDMARKS = 478  # 468 mesh points + 10 iris points (refine_landmarks=True)

# Index groups of the canonical MediaPipe face mesh topology.
LIPS_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146]
LIPS_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95]
UPPER_LIP_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LOWER_LIP_INNER = [308, 324, 318, 402, 317, 14, 87, 178, 88, 95, 78]
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
             176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]  # subject's left
RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
LEFT_EYE_UPPER = [362, 398, 384, 385, 386, 387, 388, 466, 263]
LEFT_EYE_LOWER = [263, 249, 390, 373, 374, 380, 381, 382, 362]
RIGHT_EYE_UPPER = [33, 246, 161, 160, 159, 158, 157, 173, 133]
RIGHT_EYE_LOWER = [133, 155, 154, 153, 145, 144, 163, 7, 33]
LEFT_BROW = [276, 283, 282, 295, 285, 300, 293, 334, 296, 336]
RIGHT_BROW = [46, 53, 52, 65, 55, 70, 63, 105, 66, 107]
NOSE = [1, 2, 4, 5, 6, 19, 45, 275, 48, 278, 64, 294, 98, 327, 168, 197, 195]
CHIN = 152
FOREHEAD = 10
NOSE_TIP = 1
MOUTH_LEFT, MOUTH_RIGHT = 291, 61  # subject's left / right mouth corner
UPPER_LIP_TOP, LOWER_LIP_BOTTOM = 0, 17
UPPER_LIP_INNER_MID, LOWER_LIP_INNER_MID = 13, 14


@dataclass
class FaceLandmarks:
    """478 landmarks in pixel coordinates of the image they were found on."""

    points: np.ndarray  # (478, 2) float32, x then y, pixels
    depth: np.ndarray  # (478,) float32, MediaPipe's relative z scaled like x (pixels), smaller = closer
    image_size: tuple[int, int]  # (height, width)
    # ARKit-style expression scores 0..1 ("mouthSmileLeft", "eyeBlinkRight", ... plus "_neutral") from engines that give
    # them (MediaPipe Tasks, ComfyUI's native landmarker); None from the legacy face mesh.
    blendshapes: dict[str, float] | None = None

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Face box (x0, y0, x1, y1) from the face oval."""
        oval = self.points[FACE_OVAL]
        return float(oval[:, 0].min()), float(oval[:, 1].min()), float(oval[:, 0].max()), float(oval[:, 1].max())

    @property
    def face_width(self) -> float:
        x0, _, x1, _ = self.bbox
        return x1 - x0

    def transformed(self, scale: float, offset_x: float, offset_y: float, image_size: tuple[int, int]) -> FaceLandmarks:
        """The same landmarks after cropping at (offset) and scaling the image."""
        pts = (self.points - np.array([offset_x, offset_y], dtype=np.float32)) * scale
        return FaceLandmarks(points=pts.astype(np.float32), depth=(self.depth * scale).astype(np.float32), image_size=image_size,
                             blendshapes=None if self.blendshapes is None else dict(self.blendshapes))
