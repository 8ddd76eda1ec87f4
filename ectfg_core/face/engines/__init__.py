"""Face-landmark engines behind one interface, and the choice between them.

In order of preference: (a) ComfyUI's native MediaPipe face landmarker, when its loaded model is given; (b) MediaPipe
Tasks FaceLandmarker, when a face_landmarker.task file is given or found in the models folder (models/detection/);
(c) the legacy MediaPipe face mesh of mediapipe<=0.10.21, which needs no download. All give the same 478-point layout
in image pixels, so masks and the renderer do not care which one ran.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from ectfg_core.errors import ModelError
from ectfg_core.model_folders import ENV_VAR, find, model_roots
from ectfg_core.types.face import FaceLandmarks

MODEL_FILE = "face_landmarker.task"
MODEL_KIND = "detection"  # ComfyUI's models/detection/, where its own MediaPipe nodes look too
MODEL_SOURCE = ("Google's MediaPipe models page (https://ai.google.dev/edge/mediapipe/solutions/vision/face_landmarker#models; "
                "the float16 face_landmarker.task is "
                "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/float16/1/face_landmarker.task)")

_log = logging.getLogger("ectfg")


class FaceEngine(Protocol):
    """Finds every face in an RGB uint8 image (H, W, 3); an empty list when there is none."""

    name: str  # what runs, e.g. "MediaPipe Tasks FaceLandmarker"
    source: str  # the model file it uses, or where its models come from

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]: ...


def describe(engine: FaceEngine) -> str:
    """The one line that says which engine and model file find the face landmarks."""
    return f"face landmarks: {engine.name} ({engine.source})"


def model_folders() -> list[Path]:
    """Where face_landmarker.task is looked for: models/detection (ComfyUI's, or $ECTFG_MODELS_DIR's outside ComfyUI)."""
    return model_roots(MODEL_KIND)


def find_model_file() -> Path | None:
    """The first face_landmarker.task in the model folders, or None."""
    found = find(MODEL_KIND, MODEL_FILE)
    return found if found is not None and found.is_file() else None


def missing_model_message(reasons: list[str]) -> str:
    """The one message for "no engine can run": the file, the folders searched, where it comes from, the no-download way."""
    folders = model_folders()
    searched = ", ".join(str(f) for f in folders) if folders else f"no folder (${ENV_VAR} is not set and this is not ComfyUI)"
    why = f" ({'; '.join(reasons)})" if reasons else ""
    where = (f"{MODEL_FILE} was not found in {searched}. Download it from {MODEL_SOURCE} and put it in models/{MODEL_KIND}/ "
             f"(ComfyUI's models folder, or ${ENV_VAR}/{MODEL_KIND}/ outside ComfyUI; the CLI also takes --face-model PATH)")
    import importlib.util

    if importlib.util.find_spec("mediapipe") is None:
        # Naming the installed numpy keeps pip from pulling an OpenCV (and with it a numpy) that moves this environment.
        other = (f'The model file needs MediaPipe: `pip install mediapipe "numpy=={np.__version__}"` adds it without moving numpy. '
                 "(mediapipe 0.10.21, Python<=3.12, needs no download but pins numpy<2 and protobuf<5.)")
    else:
        other = "Only the legacy face mesh of mediapipe 0.10.21 (Python<=3.12, numpy<2, protobuf<5) needs no download."
    return f"no face landmark engine is available{why}. {where}. {other}"


def choose_engine(comfy_model: object | None = None, task_path: str | os.PathLike[str] | None = None) -> FaceEngine:
    """The best engine available now (see the module docstring); logs one line saying which. ModelError when none."""
    from ectfg_core.face.engines.legacy import LegacyFaceMeshEngine, legacy_available
    from ectfg_core.face.engines.tasks import tasks_available, tasks_engine

    engine: FaceEngine | None = None
    if comfy_model is not None:
        from ectfg_core.face.engines.comfy_native import ComfyFaceLandmarkerEngine

        engine = ComfyFaceLandmarkerEngine(comfy_model)
    elif task_path is not None:
        path = Path(task_path).expanduser()
        if not path.is_file():
            raise ModelError(f"face landmarker model {path} not found; download {MODEL_FILE} from {MODEL_SOURCE}")
        problem = tasks_available()
        if problem:
            raise ModelError(f"{path} needs mediapipe's Tasks API, which does not import ({problem}); `pip install mediapipe`")
        engine = tasks_engine(path)
    reasons: list[str] = []
    if engine is None:
        found = find_model_file()
        problem = tasks_available()
        if found is not None and problem is None:
            engine = tasks_engine(found)
        elif found is not None:
            reasons.append(f"{found} was found but mediapipe's Tasks API does not import: {problem}")
    if engine is None:
        problem = legacy_available()
        if problem is None:
            engine = LegacyFaceMeshEngine()
        else:
            reasons.append(problem)
    if engine is None:
        raise ModelError(missing_model_message(reasons))
    _announce(engine)
    return engine


_announced: set[str] = set()


def _announce(engine: FaceEngine) -> None:
    """Log the engine line once per engine and model file (a node may choose again on every run)."""
    line = describe(engine)
    if line not in _announced:
        _announced.add(line)
        _log.info(line)


_lock = threading.RLock()
_current: FaceEngine | None = None


def current_engine() -> FaceEngine:
    """The process-wide engine that detect_landmarks(image) uses: chosen once, on first use, unless one was set."""
    global _current
    with _lock:
        if _current is None:
            _current = choose_engine()
        return _current


def set_engine(engine: FaceEngine | None) -> None:
    """Make `engine` the process-wide one (None: choose again on next use), e.g. the ComfyUI model a node was given,
    so that the renderer's later detections use the same engine."""
    global _current
    with _lock:
        _current = engine


@contextmanager
def use_engine(engine: FaceEngine) -> Iterator[FaceEngine]:
    """The process-wide engine is `engine` inside the block, the previous one after."""
    global _current
    with _lock:
        previous, _current = _current, engine
    try:
        yield engine
    finally:
        with _lock:
            _current = previous
