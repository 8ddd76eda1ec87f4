"""Engine (c): the legacy MediaPipe face mesh (`mediapipe.python.solutions`, mediapipe<=0.10.21; its models ship in the wheel)."""

from __future__ import annotations

import os
import threading

import numpy as np

from ectfg_core.face.engines.native_log import quiet_native_stderr
from ectfg_core.types.face import FaceLandmarks

_lock = threading.Lock()
_mesh = None  # one FaceMesh per process: its graph is costly to build and not thread safe
_warmed_up = False


def legacy_available() -> str | None:
    """None when the legacy face mesh imports, else why not (for the missing-engine message)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        import mediapipe
    except ImportError:
        return "mediapipe is not installed"
    try:
        from mediapipe.python.solutions import face_mesh  # noqa: F401
    except ImportError as err:  # mediapipe 0.10.30 and later: `solutions` is gone
        return f"mediapipe {getattr(mediapipe, '__version__', '?')} has no legacy face mesh ({err})"
    return None


class LegacyFaceMeshEngine:
    """mediapipe.solutions.face_mesh.FaceMesh in static-image mode with iris refinement (478 points)."""

    name = "MediaPipe legacy face mesh"
    source = "models bundled in the mediapipe wheel"

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        global _mesh, _warmed_up
        height, width = image.shape[:2]
        with _lock:
            if _mesh is None:
                from mediapipe.python.solutions import face_mesh

                _mesh = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=8, refine_landmarks=True, min_detection_confidence=0.5)
            if _warmed_up:
                result = _mesh.process(np.ascontiguousarray(image))
            else:
                with quiet_native_stderr():
                    result = _mesh.process(np.ascontiguousarray(image))
                _warmed_up = True
        faces = []
        for face in result.multi_face_landmarks or []:
            # Normalised x, y, z -> pixels; MediaPipe's z is on the same scale as x.
            arr = np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float32)
            faces.append(FaceLandmarks(points=arr[:, :2].copy(), depth=arr[:, 2].copy(), image_size=(height, width)))
        return faces
