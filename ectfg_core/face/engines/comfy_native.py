"""Engine (a): ComfyUI's own MediaPipe face landmarker (comfy_extras/nodes_mediapipe.py, a PyTorch port of Google's
face_landmarker_v2_with_blendshapes), driven through the model object its loader node puts on the socket.

Call contract relied on (ComfyUI's loader "Load Face Detection Model (MediaPipe)", socket type FACE_DETECTION_MODEL;
earlier "Load MediaPipe Face Landmarker", socket FACE_LANDMARKER; the same object in both):
    model.detect_batch(images, num_faces=int, score_thresh=float, variant="short" | "full") -> list[list[dict]]
images is a list of (H, W, 3) uint8 RGB arrays; the result holds one list of faces per image, each face a dict with
"landmarks_xy" (478, 2) image pixels, "landmarks_3d" (478, 3) in the mesh model's 192-pixel crop units,
"blendshapes" {ARKit name: 0..1}, "bbox_xyxy", "score", "presence". num_faces=0 means no cap.
Its FACE_LANDMARKS output is {"frames": [[face dict, ...] per image], "image_size": (H, W), ...}.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.types.face import NUM_LANDMARKS, FaceLandmarks

MAX_FACES = 8
SCORE_THRESHOLD = 0.5
# Close-up detector first (portraits); the long-range one only when it finds nothing, as ComfyUI's face transfer does.
VARIANTS = ("short", "full")


def is_comfy_face_model(obj: object) -> bool:
    """Whether obj follows the contract above (duck-typed: ComfyUI's class is not importable outside ComfyUI)."""
    return callable(getattr(obj, "detect_batch", None))


class ComfyFaceLandmarkerEngine:
    """Adapter from ComfyUI's FACE_DETECTION_MODEL object to our FaceLandmarks."""

    name = "ComfyUI native MediaPipe face landmarker"

    def __init__(self, model: object, source: str = "the model on the face_detection_model input"):
        if not is_comfy_face_model(model):
            raise InputError(f"face_detection_model: expected ComfyUI's face detection model (with detect_batch), "
                             f"got {type(model).__name__}; connect a 'Load Face Detection Model (MediaPipe)' node")
        self.model = model
        self.source = source
        self._lock = threading.Lock()  # ComfyUI moves the model between devices per call

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        height, width = image.shape[:2]
        frame = np.ascontiguousarray(image)
        with self._lock:
            for variant in VARIANTS:
                found = self.model.detect_batch([frame], num_faces=MAX_FACES, score_thresh=SCORE_THRESHOLD, variant=variant)
                faces = list(found[0]) if found else []
                if faces:
                    break
        return [face_from_comfy(face, (height, width)) for face in faces]


def face_from_comfy(face: Mapping, image_size: tuple[int, int]) -> FaceLandmarks:
    """One ComfyUI face dict -> FaceLandmarks in pixels, depth on the scale of x like the other engines."""
    xy = np.asarray(face["landmarks_xy"], dtype=np.float64)
    crop = np.asarray(face["landmarks_3d"], dtype=np.float64)
    if xy.shape != (NUM_LANDMARKS, 2) or crop.shape != (NUM_LANDMARKS, 3):
        raise InputError(f"face landmarks: expected {NUM_LANDMARKS} points, got {xy.shape[0]} (a different face model?)")
    # The crop -> image map is a rotation with a scale per crop axis; the depth takes the crop's x scale, as MediaPipe's
    # own projection does, so it is in image pixels. Fit the map instead of assuming the crop size.
    design = np.column_stack([crop[:, :2], np.ones(NUM_LANDMARKS)])
    affine, *_ = np.linalg.lstsq(design, xy, rcond=None)
    x_scale = float(np.hypot(affine[0, 0], affine[0, 1]))
    blendshapes = face.get("blendshapes")
    return FaceLandmarks(
        points=xy.astype(np.float32), depth=(crop[:, 2] * x_scale).astype(np.float32), image_size=image_size,
        blendshapes={str(k): float(v) for k, v in blendshapes.items()} if blendshapes else None,
    )


def faces_from_comfy_landmarks(payload: Mapping, index: int = 0) -> list[FaceLandmarks]:
    """The faces of image `index` in ComfyUI's FACE_LANDMARKS output (already detected by its own node)."""
    frames = payload["frames"]
    if not 0 <= index < len(frames):
        raise InputError(f"face_landmarks: image {index} requested, the landmarks hold {len(frames)} image(s)")
    height, width = payload["image_size"]
    return [face_from_comfy(face, (int(height), int(width))) for face in frames[index]]
