"""Engine (b): MediaPipe Tasks FaceLandmarker from a face_landmarker.task file (any mediapipe with `mediapipe.tasks`,
including 1.x on Python 3.13 / numpy 2, which no longer ship the legacy face mesh)."""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path

import numpy as np

from ectfg_core.errors import ModelError
from ectfg_core.face.engines.native_log import quiet_native_stderr
from ectfg_core.types.face import FaceLandmarks

MAX_FACES = 8


def tasks_available() -> str | None:
    """None when mediapipe's Tasks API imports, else why not."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        from mediapipe.tasks.python import vision  # noqa: F401
    except ImportError as err:
        return str(err)
    return None


class TasksFaceLandmarkerEngine:
    """mediapipe.tasks FaceLandmarker, RunningMode.IMAGE, with blendshapes."""

    name = "MediaPipe Tasks FaceLandmarker"

    def __init__(self, task_path: str | os.PathLike[str]):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self.path = Path(task_path)
        self.source = str(self.path)
        self._mp = mp
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.path)), running_mode=vision.RunningMode.IMAGE,
            num_faces=MAX_FACES, output_face_blendshapes=True,
        )
        try:
            with quiet_native_stderr():
                self._landmarker = vision.FaceLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as err:
            raise ModelError(f"{self.path} is not a usable face_landmarker.task ({err}); download it again from Google's "
                             "MediaPipe models page (float16 face_landmarker.task)") from None
        self._lock = threading.Lock()  # one graph, not thread safe

    def close(self) -> None:
        with self._lock:
            self._landmarker.close()

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        height, width = image.shape[:2]
        frame = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        with self._lock:
            result = self._landmarker.detect(frame)
        faces = []
        for i, face in enumerate(result.face_landmarks):
            # Same convention as the legacy face mesh: normalised x, y, z -> pixels, z on the scale of x.
            arr = np.array([(p.x * width, p.y * height, p.z * width) for p in face], dtype=np.float32)
            scores = result.face_blendshapes[i] if i < len(result.face_blendshapes or []) else None
            blendshapes = {c.category_name: float(c.score) for c in scores} if scores else None
            faces.append(FaceLandmarks(points=arr[:, :2].copy(), depth=arr[:, 2].copy(), image_size=(height, width),
                                       blendshapes=blendshapes))
        return faces


_engines: dict[tuple[str, float], TasksFaceLandmarkerEngine] = {}
_engines_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Close the graphs while mediapipe is still whole: mediapipe 1.x otherwise prints a traceback at interpreter exit."""
    with _engines_lock:
        for engine in _engines.values():
            engine.close()
        _engines.clear()


def tasks_engine(task_path: str | os.PathLike[str]) -> TasksFaceLandmarkerEngine:
    """One engine per model file (and version of it): building the graph takes a few hundred milliseconds."""
    path = Path(task_path).expanduser().absolute()
    key = (str(path), path.stat().st_mtime)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = TasksFaceLandmarkerEngine(path)
        return _engines[key]
