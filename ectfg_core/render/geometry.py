"""Face-relative coordinates and the landmark groups the rig is built from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ectfg_core.types.face import (
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE_LOWER,
    LEFT_EYE_UPPER,
    LOWER_LIP_INNER,
    RIGHT_BROW,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_UPPER,
    UPPER_LIP_INNER,
)

# Lip contours from corner to corner (subject's right corner first, i.e. image left).
UPPER_INNER = list(UPPER_LIP_INNER)  # 78 ... 308
LOWER_INNER = list(reversed(LOWER_LIP_INNER))  # 78 ... 308
UPPER_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LOWER_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]
INNER_CORNERS = (78, 308)
OUTER_CORNERS = (61, 291)
MOUTH_CORNERS = (61, 291, 78, 308)
# The inner contour as one closed polygon (upper from right to left corner, lower back).
INNER_LIP_POLYGON = UPPER_INNER + LOWER_INNER[-2:0:-1]


def iris_circle(iris: np.ndarray) -> tuple[np.ndarray, float]:
    """The centre and radius of an iris from its 5 landmarks (centre first, then 4 on its rim), in their units."""
    iris = np.asarray(iris)
    return iris[0], float(np.linalg.norm(iris[1:] - iris[0], axis=1).mean())


def by_x(contour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A contour's x and y, ordered by x: what np.interp takes to read the contour's height at any x."""
    order = np.argsort(contour[:, 0])
    return contour[order, 0], contour[order, 1]

# Eyes: upper and lower lid margins from corner to corner, index-aligned so that pairs face each other.
EYES: dict[str, tuple[list[int], list[int]]] = {
    "right": (list(RIGHT_EYE_UPPER), list(reversed(RIGHT_EYE_LOWER))),  # 33 ... 133
    "left": (list(LEFT_EYE_UPPER), list(reversed(LEFT_EYE_LOWER))),  # 362 ... 263
}
# Brow rows as (lower row, upper row), both from the outer to the inner end.
BROWS: dict[str, tuple[list[int], list[int]]] = {
    "right": (list(RIGHT_BROW[:5]), list(RIGHT_BROW[5:])),
    "left": (list(LEFT_BROW[:5]), list(LEFT_BROW[5:])),
}
IRIS: dict[str, list[int]] = {"right": list(range(468, 473)), "left": list(range(473, 478))}
NOSE_BRIDGE = [168, 6, 197, 195, 5, 4, 1, 19, 94, 2]
NOSE_WINGS = [48, 278, 64, 294, 98, 327, 129, 358, 102, 331, 49, 279, 115, 344, 131, 360, 217, 437, 198, 420]
OVAL = list(FACE_OVAL)


def eye_width(points: np.ndarray, side: str) -> float:
    """An eye's width, corner to corner, in the units of `points`."""
    upper = EYES[side][0]
    return float(np.linalg.norm(points[upper[0]] - points[upper[-1]]))


def eye_polygon(side: str) -> list[int]:
    """The eye opening as one closed polygon."""
    upper, lower = EYES[side]
    return upper + lower[-2:0:-1]


@dataclass(frozen=True)
class FaceFrame:
    """An upright frame on the face: origin at the oval's centre, x along the eye line, unit = face width."""

    origin: np.ndarray  # (2,) pixels
    ex: np.ndarray  # (2,) unit vector, image right for an upright face
    ey: np.ndarray  # (2,) unit vector, down the face
    width: float  # face width in pixels

    @classmethod
    def from_points(cls, points: np.ndarray) -> FaceFrame:
        pts = np.asarray(points, dtype=np.float64)
        axis = pts[263] - pts[33]  # outer eye corners: robust to the mouth and brows moving
        ex = axis / max(np.linalg.norm(axis), 1e-6)
        ey = np.array([-ex[1], ex[0]])
        oval = pts[OVAL]
        origin = oval.mean(axis=0)
        proj = (oval - origin) @ ex
        return cls(origin=origin, ex=ex, ey=ey, width=float(max(proj.max() - proj.min(), 8.0)))

    def to_local(self, points: np.ndarray) -> np.ndarray:
        """Pixels -> face units (u along ex, v along ey)."""
        rel = np.asarray(points, dtype=np.float64) - self.origin
        return np.stack([rel @ self.ex, rel @ self.ey], axis=-1) / self.width

    def to_pixels(self, local: np.ndarray) -> np.ndarray:
        """Face units -> pixels."""
        loc = np.asarray(local, dtype=np.float64)
        return self.origin + self.width * (loc[..., :1] * self.ex + loc[..., 1:2] * self.ey)

    def vector_to_pixels(self, local: np.ndarray) -> np.ndarray:
        """A displacement in face units -> pixels."""
        loc = np.asarray(local, dtype=np.float64)
        return self.width * (loc[..., :1] * self.ex + loc[..., 1:2] * self.ey)

    def vector_to_local(self, pixels: np.ndarray) -> np.ndarray:
        vec = np.asarray(pixels, dtype=np.float64)
        return np.stack([vec @ self.ex, vec @ self.ey], axis=-1) / self.width


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
