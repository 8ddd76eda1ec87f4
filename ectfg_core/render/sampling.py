"""Bilinear sampling of images and fields at pixel coordinates (torch grid_sample underneath)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


def pixel_grid(x0: float, y0: float, cols: int, rows: int, step: float = 1.0) -> torch.Tensor:
    """(rows, cols, 2) float32 pixel coordinates x, y of a regular grid."""
    xs = x0 + step * torch.arange(cols, dtype=torch.float32)
    ys = y0 + step * torch.arange(rows, dtype=torch.float32)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1)


def sample(source: torch.Tensor, xy: torch.Tensor, origin: tuple[float, float] = (0.0, 0.0), step: float = 1.0,
           padding: str = "border") -> torch.Tensor:
    """Values of source (C, H, W), whose pixel (0, 0) sits at `origin` with spacing `step`, at points xy (..., 2).

    Returns (C, ...). Outside the source: the border value ('border') or zero ('zeros').
    """
    _, height, width = source.shape
    shape = xy.shape[:-1]
    # Pixel coordinates to grid_sample's -1..1 in one fused multiply-add over both axes (no per-axis temporaries).
    offset, scale = _normalization(width, height, float(step), (float(origin[0]), float(origin[1])), xy.dtype)
    grid = torch.addcmul(offset, xy, scale).reshape(1, -1, 1, 2)
    out = F.grid_sample(source[None], grid, mode="bilinear", padding_mode=padding, align_corners=True)
    return out.reshape(source.shape[0], *shape)


@functools.lru_cache(maxsize=256)
def _normalization(width: int, height: int, step: float, origin: tuple[float, float],
                   dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """(offset, scale) from pixel coordinates to grid_sample's -1..1. A frame samples the same few sources at the
    same few origins, and making these two-element tensors cost as much as a small sample: made once, never
    written to."""
    scale = torch.tensor([2.0 / (step * max(width - 1, 1)), 2.0 / (step * max(height - 1, 1))], dtype=dtype)
    offset = -1.0 - torch.tensor(origin, dtype=dtype) * scale
    return offset, scale
