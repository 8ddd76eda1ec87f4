"""Face locator: the face-region mask -> a feature map added to the denoiser's first convolution output.

Parameter names match Hallo's FaceLocator (conv_in, blocks.N, conv_out). The face region is the same for every frame,
so it runs once per video on one frame instead of once per frame.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn


class FaceLocator(ModelMixin, ConfigMixin):
    @register_to_config
    def __init__(self, embedding_channels: int = 320, conditioning_channels: int = 3,
                 block_out_channels: tuple[int, ...] = (16, 32, 64, 128)):
        super().__init__()
        channels = list(block_out_channels)
        self.conv_in = nn.Conv2d(conditioning_channels, channels[0], kernel_size=3, padding=1)
        blocks: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            blocks.append(nn.Conv2d(c_in, c_in, kernel_size=3, padding=1))
            blocks.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=2))
        self.blocks = nn.ModuleList(blocks)
        self.conv_out = nn.Conv2d(channels[-1], embedding_channels, kernel_size=3, padding=1)
        # Zero output: an untrained locator leaves the denoiser unchanged (Hallo's zero_module).
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, region: torch.Tensor) -> torch.Tensor:
        """(batch, channels, H, W) face-region image in 0..1 -> (batch, embedding_channels, H / 2^n, W / 2^n)."""
        x = F.silu(self.conv_in(region.to(self.conv_in.weight.dtype)))
        for block in self.blocks:
            x = F.silu(block(x))
        return self.conv_out(x)
