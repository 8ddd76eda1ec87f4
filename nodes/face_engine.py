"""Which face-landmark engine the Face Mask Extractor uses, and the optional socket for ComfyUI's own face model.

When ComfyUI's native MediaPipe model is connected, its engine is used and made the process-wide one, so the
renderer's later detections (on the same portrait) agree with the masks; otherwise the core library chooses.
"""

from __future__ import annotations

import logging
import re

from ectfg_core.errors import InputError, ModelError

# ComfyUI's native "Load Face Detection Model (MediaPipe)" output: FACE_DETECTION_MODEL in current ComfyUI,
# FACE_LANDMARKER in the first release of those nodes. Both carry the same model object.
COMFY_FACE_MODEL = "FACE_DETECTION_MODEL,FACE_LANDMARKER"
COMFY_FACE_MODEL_INPUT = "face_detection_model"
COMFY_FACE_MODEL_TOOLTIP = (
    "Optional: ComfyUI's own MediaPipe face model (FACE_DETECTION_MODEL from Load Face Detection Model (MediaPipe), "
    "a file in models/detection/; FACE_LANDMARKER in older ComfyUI). When connected, landmarks come from it; "
    "otherwise the plugin picks its own engine (a face_landmarker.task in models/detection, or the legacy "
    "MediaPipe face mesh). The console says which was used."
)

_log = logging.getLogger("ectfg")


def _for_this_node(message: str) -> str:
    """The core library's wording also serves the CLI; a node names its inputs, never command-line flags."""
    return re.sub(r"[;,]?\s*the CLI[^;).]*", "", message)


def use_face_engine(face_detection_model=None):
    """Choose the engine for this run (the connected ComfyUI model, else automatic), make it the process-wide one,
    log which it is, and return it."""
    from ectfg_core.face import engines

    try:
        engine = engines.choose_engine(comfy_model=face_detection_model)
    except (InputError, ModelError) as err:
        message = _for_this_node(str(err))
        if face_detection_model is None:
            message = (f"{message.rstrip('.')}. Or connect core 'Load Face Detection Model (MediaPipe)' to this node's "
                       f"{COMFY_FACE_MODEL_INPUT} input")
        elif COMFY_FACE_MODEL_INPUT not in message:
            message = f"{COMFY_FACE_MODEL_INPUT}: {message}"
        raise type(err)(message) from None
    engines.set_engine(engine)
    line = f"[ectfg] Face Mask Extractor: {engines.describe(engine)}"
    _log.debug(line)
    print(line)  # every run, on ComfyUI's console (the core library logs the choice only once per engine)
    return engine
