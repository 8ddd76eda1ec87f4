"""TensorFlow's 'same' padding for torch layers ported from Keras or TensorFlow.js."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def same_pad(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    """Pad (N, C, H, W) so a `kernel`-wide window at `stride` gives ceil(n / stride) outputs, as TensorFlow's 'same'
    does: the odd padding pixel goes on the bottom/right."""

    def pads(n: int) -> tuple[int, int]:
        total = max((-(-n // stride) - 1) * stride + kernel - n, 0)
        return total // 2, total - total // 2

    (top, bottom), (left, right) = pads(x.shape[-2]), pads(x.shape[-1])
    return F.pad(x, (left, right, top, bottom), value=value)
