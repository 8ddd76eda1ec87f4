"""face-api.js's FaceExpressionNet (Mühler; MIT) in torch, loaded from its TensorFlow.js files: a weights manifest
(JSON) and the binary shard it names. No TensorFlow is needed.

The network sees 112x112 RGB faces: four densely connected blocks of depthwise-separable 3x3 convolutions (each block
halves the size), a 7x7 average pool and one linear layer over seven classes. It was trained on faces from the wild
rather than FER-2013's 48x48 grey crops, and reads real posed faces far better than the FER-2013 networks (README).
TensorFlow semantics are kept: channels-last kernels are transposed, and 'same' padding puts the odd pixel of a
stride-2 convolution on the bottom/right.
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

# Output order of the network (face-api.js's FACE_EXPRESSION_LABELS), in this project's names.
FACE_API_CLASSES = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
INPUT_SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)  # subtracted from 0..255 pixels before scaling to 1/255, as in training
BLOCK_CHANNELS = (32, 64, 128, 256)
MANIFEST_SUFFIX = "-weights_manifest.json"
_INSTALL = "the files come with the plugin (ectfg_core/assets/face_api); reinstall it or pass the original files"


class SeparableConv(nn.Module):
    """Depthwise 3x3 (no bias) then pointwise 1x1 with bias, TensorFlow 'same' padding."""

    def __init__(self, channels_in: int, channels_out: int, stride: int):
        super().__init__()
        self.stride = stride
        self.depthwise = nn.Conv2d(channels_in, channels_in, 3, stride=stride, groups=channels_in, bias=False)
        self.pointwise = nn.Conv2d(channels_in, channels_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(same_pad(x, 3, self.stride)))


class PlainConv(nn.Module):
    """The first block's full 3x3 convolution (stride 2, 'same')."""

    def __init__(self, channels_in: int, channels_out: int):
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(same_pad(x, 3, 2))


class DenseBlock(nn.Module):
    """Four convolutions, each fed the ReLU of the sum of all earlier outputs of the block; the first halves the size."""

    def __init__(self, channels_in: int, channels_out: int, first: bool):
        super().__init__()
        self.conv0 = PlainConv(channels_in, channels_out) if first else SeparableConv(channels_in, channels_out, 2)
        self.conv1 = SeparableConv(channels_out, channels_out, 1)
        self.conv2 = SeparableConv(channels_out, channels_out, 1)
        self.conv3 = SeparableConv(channels_out, channels_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = F.relu(self.conv0(x))
        for conv in (self.conv1, self.conv2, self.conv3):
            total = total + conv(F.relu(total))
        return F.relu(total)


class FaceExpressionNet(nn.Module):
    """(N, 3, 112, 112) RGB in 0..1 -> (N, 7) logits in FACE_API_CLASSES order."""

    def __init__(self):
        super().__init__()
        channels = (3, *BLOCK_CHANNELS)
        self.blocks = nn.ModuleList(DenseBlock(channels[i], channels[i + 1], first=i == 0) for i in range(len(BLOCK_CHANNELS)))
        self.fc = nn.Linear(BLOCK_CHANNELS[-1], len(FACE_API_CLASSES))
        self.register_buffer("mean", torch.tensor(MEAN_RGB).view(1, 3, 1, 1) / 255.0, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x - self.mean
        for block in self.blocks:
            x = block(x)
        return self.fc(F.avg_pool2d(x, 7, 2).flatten(1))


def _tfjs_name(key: str) -> tuple[str, str]:
    """A state-dict key -> (the TF.js weight name, how its kernel is laid out)."""
    parts = key.split(".")
    if parts[0] == "fc":
        return f"fc/{'weights' if parts[1] == 'weight' else 'bias'}", "dense" if parts[1] == "weight" else "bias"
    block, conv, layer = f"dense{parts[1]}", parts[2], parts[3]
    if layer == "conv":  # PlainConv
        return (f"{block}/{conv}/filters", "conv") if parts[4] == "weight" else (f"{block}/{conv}/bias", "bias")
    if layer == "depthwise":
        return f"{block}/{conv}/depthwise_filter", "depthwise"
    return (f"{block}/{conv}/pointwise_filter", "conv") if parts[4] == "weight" else (f"{block}/{conv}/bias", "bias")


def _to_torch(array: np.ndarray, layout: str) -> torch.Tensor:
    """A TF.js kernel in torch's layout: conv (h, w, in, out) -> (out, in, h, w); depthwise (h, w, c, 1) ->
    (c, 1, h, w); dense (in, out) -> (out, in)."""
    axes = {"conv": (3, 2, 0, 1), "depthwise": (2, 3, 0, 1), "dense": (1, 0)}.get(layout)
    return torch.from_numpy(np.ascontiguousarray(array.transpose(axes) if axes else array))


def read_tfjs_weights(manifest_path: Path) -> dict[str, np.ndarray]:
    """Every tensor a TF.js weights manifest describes, dequantized to float32, by name."""
    try:
        groups = json.loads(manifest_path.read_text(encoding="utf-8"))
        tensors: dict[str, np.ndarray] = {}
        for group in groups:
            data = b"".join((manifest_path.parent / name).read_bytes() for name in group["paths"])
            layout = [(spec, int(np.prod(spec["shape"], dtype=np.int64)),
                       np.dtype(spec["quantization"]["dtype"] if spec.get("quantization") else spec["dtype"]).newbyteorder("<"))
                      for spec in group["weights"]]
            described = sum(count * stored.itemsize for _, count, stored in layout)
            if described != len(data):
                raise ValueError(f"its shards hold {len(data)} bytes but the manifest describes {described}: a file cut "
                                 "short, or shards and manifest from different versions")
            offset = 0
            for spec, count, stored in layout:
                raw = np.frombuffer(data, dtype=stored, count=count, offset=offset)
                offset += count * stored.itemsize
                quant = spec.get("quantization")
                if quant and "scale" in quant:  # affine uint8/uint16 quantization
                    raw = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
                tensors[spec["name"]] = raw.astype(np.float32).reshape(spec["shape"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"cannot read the face-api weights {manifest_path} ({err}); {_INSTALL}") from None
    return tensors


def load_face_expression_net(path: str | Path) -> FaceExpressionNet:
    """Load face-api.js's face_expression_model (the .bin shard, its manifest beside it), checking every tensor."""
    path = Path(path)
    manifest = path if path.name.endswith(MANIFEST_SUFFIX) else path.with_name(path.stem + MANIFEST_SUFFIX)
    if not manifest.is_file():
        raise ModelError(f"the face-api weights manifest {manifest} is missing; {_INSTALL}")
    tensors = read_tfjs_weights(manifest)
    model = FaceExpressionNet()
    state = {}
    for key, expected in model.state_dict().items():
        name, layout = _tfjs_name(key)
        if name not in tensors:
            raise ModelError(f"{manifest} lacks the tensor {name}; it is not face-api's face_expression_model")
        value = _to_torch(tensors.pop(name), layout)
        if tuple(value.shape) != tuple(expected.shape):
            raise ModelError(f"{manifest}: {name} has the wrong shape for face_expression_model ({tuple(value.shape)} "
                             f"in torch's layout, expected {tuple(expected.shape)})")
        state[key] = value
    if tensors:
        raise ModelError(f"{manifest} holds unexpected tensors ({', '.join(sorted(tensors)[:3])}); "
                         "it is not face-api's face_expression_model")
    model.load_state_dict(state, strict=True)
    return model.eval()
