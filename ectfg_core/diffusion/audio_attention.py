"""Mask-weighted hierarchical audio/emotion attention (paper eq. 7-9, Hallo's hierarchical audio-visual cross-attention).

Every spatial attention layer of the denoiser is followed by an audio module: self-attention over the frame's pixels,
then three cross-attentions to the frame's fused audio/emotion tokens, one per region (pose, expression, lip). Each
output is multiplied by its region mask (eq. 8), passed through a 1x1 convolution, weighted and summed (eq. 9).
Parameter names follow Hallo's AudioTemporalBasicTransformerBlock / Transformer3DModel so its weights load unchanged.
The attentions are diffusers `Attention` layers with the SDPA processor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from torch import nn

from ectfg_core.diffusion.conditioning import FrameConditioning

REGIONS = ("full", "face", "lip")  # Hallo's names for the pose (outside the face), expression and lip regions


class AudioAttentionBlock(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int, audio_dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(query_dim=dim, heads=heads, dim_head=head_dim, bias=False)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2_0 = Attention(query_dim=dim, cross_attention_dim=audio_dim, heads=heads, dim_head=head_dim, bias=False)
        self.attn2_1 = Attention(query_dim=dim, cross_attention_dim=audio_dim, heads=heads, dim_head=head_dim, bias=False)
        self.attn2_2 = Attention(query_dim=dim, cross_attention_dim=audio_dim, heads=heads, dim_head=head_dim, bias=False)
        # 1x1 convolutions that start at zero: an untrained block adds nothing (Hallo's zero_module).
        self.zero_conv_full = nn.Conv2d(dim, dim, kernel_size=1)
        self.zero_conv_face = nn.Conv2d(dim, dim, kernel_size=1)
        self.zero_conv_lip = nn.Conv2d(dim, dim, kernel_size=1)
        for conv in (self.zero_conv_full, self.zero_conv_face, self.zero_conv_lip):
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, activation_fn="geglu")

    def region_attention(self, attn: Attention, hidden: torch.Tensor, audio: torch.Tensor, null_rows: int) -> torch.Tensor:
        """Cross-attention to the audio tokens. Rows whose tokens are all zero get keys and values of exactly zero
        (the projections have no bias), so their output is the output bias alone: computed without the attention."""
        if null_rows <= 0:
            return attn(hidden, encoder_hidden_states=audio)
        out = attn.to_out[0].bias.to(hidden.dtype).expand(hidden.shape[0], hidden.shape[1], -1).clone()
        if null_rows < hidden.shape[0]:
            out[null_rows:] = attn(hidden[null_rows:], encoder_hidden_states=audio[null_rows:])
        return out

    def forward(self, hidden: torch.Tensor, cond: FrameConditioning, level: int) -> torch.Tensor:
        """hidden (rows, h*w, dim) -> same shape."""
        hidden = self.attn1(self.norm1(hidden)) + hidden
        norm = self.norm2(hidden)
        audio = cond.audio_tokens.to(hidden.dtype)
        masks = cond.masks[level].to(hidden.dtype)  # (3, rows or 1, h*w)
        convs = (self.zero_conv_full, self.zero_conv_face, self.zero_conv_lip)
        for region, (attn, conv) in enumerate(zip((self.attn2_0, self.attn2_1, self.attn2_2), convs)):
            out = self.region_attention(attn, norm, audio, cond.null_audio_rows) * masks[region][..., None]  # eq. 8
            # A 1x1 convolution over (rows, channels, h, w) is a linear map on the channel axis of (rows, h*w, channels).
            out = F.linear(out, conv.weight[:, :, 0, 0], conv.bias)
            weight = cond.region_weights[region]
            hidden = hidden + (out if weight == 1.0 else out * weight)  # eq. 9
        return self.ff(self.norm3(hidden)) + hidden


class AudioModule(nn.Module):
    """GroupNorm -> 1x1 in -> AudioAttentionBlock -> 1x1 out, with a residual; runs on (rows, channels, h, w).

    `inner` can differ from `channels`: Hallo sizes some of these modules by the block's input width.
    """

    def __init__(self, channels: int, inner: int, heads: int, audio_dim: int, norm_groups: int):
        super().__init__()
        head_dim = inner // heads
        self.norm = nn.GroupNorm(num_groups=norm_groups, num_channels=channels, eps=1e-6, affine=True)
        self.proj_in = nn.Conv2d(channels, heads * head_dim, kernel_size=1)
        self.transformer_blocks = nn.ModuleList([AudioAttentionBlock(heads * head_dim, heads, head_dim, audio_dim)])
        self.proj_out = nn.Conv2d(heads * head_dim, channels, kernel_size=1)

    def forward(self, hidden: torch.Tensor, cond: FrameConditioning, level: int) -> torch.Tensor:
        rows, _, height, width = hidden.shape
        residual = hidden
        x = self.proj_in(self.norm(hidden))
        inner = x.shape[1]
        x = x.permute(0, 2, 3, 1).reshape(rows, height * width, inner)
        for block in self.transformer_blocks:
            x = block(x, cond, level)
        x = x.reshape(rows, height, width, inner).permute(0, 3, 1, 2).contiguous()
        return self.proj_out(x) + residual
