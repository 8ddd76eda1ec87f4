"""Parler-TTS's audio-token decoder: a pre-LayerNorm transformer over the summed embeddings of the codebooks, with
causal self-attention, cross-attention to the description, one output head per codebook, and a key/value cache.

Parameter names match the published checkpoints (`decoder.model.decoder.*`, `decoder.lm_heads.*`) so their
state dicts load as they are. Behaviour follows the reference implementation, including two quirks: positions
count the prepended transcript tokens, and with rotary embeddings the cross-attention queries are rotated too.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers.activations import ACT2FN

from ectfg_core.tts.parler.config import DecoderConfig


def sinusoidal_table(num_positions: int, dim: int) -> torch.Tensor:
    """(positions, dim): cos in the first half, sin in the second (the tensor2tensor layout MusicGen uses)."""
    half = dim // 2
    rate = math.log(10000) / (half - 1)
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -rate)
    angles = torch.arange(num_positions, dtype=torch.float32)[:, None] * freqs[None, :]
    table = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    if dim % 2:
        table = torch.cat([table, torch.zeros(num_positions, 1)], dim=1)
    return table


class SinusoidalPositions(nn.Module):
    """Fixed table, stored as a (frozen) parameter named `weights` like the checkpoints store it."""

    def __init__(self, num_positions: int, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.weights = nn.Parameter(sinusoidal_table(num_positions, dim), requires_grad=False)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        if int(positions.max()) >= self.weights.shape[0]:
            grown = sinusoidal_table(int(positions.max()) + 1, self.dim).to(self.weights)
            self.weights = nn.Parameter(grown, requires_grad=False)
        return self.weights[positions]


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


def rotary(head_dim: int, theta: float, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (1, 1, t, head_dim) for the given positions (float32 math, then cast)."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim))
    angles = positions.float()[:, None] * inv[None, :]
    emb = torch.cat([angles, angles], dim=-1)
    return emb.cos().to(dtype)[None, None], emb.sin().to(dtype)[None, None]


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, rope: bool) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.rope = heads, kv_heads, dim // heads, rope
        if self.head_dim * heads != dim or heads % kv_heads:
            raise ValueError(f"hidden size {dim} must split into {heads} heads, in groups of {kv_heads} key/value heads")
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.out_proj = nn.Linear(dim, dim, bias=False)

    def _split(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        x: torch.Tensor,
        cache: dict[str, torch.Tensor],
        rot: tuple[torch.Tensor, torch.Tensor] | None,
        memory: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Self-attention (memory None; keys appended to cache) or cross-attention (keys of memory, cached once)."""
        q = self._split(self.q_proj(x) * self.head_dim**-0.5, self.heads)
        if self.rope and rot is not None:
            q = q * rot[0] + _rotate_half(q) * rot[1]
        if memory is None:
            k = self._split(self.k_proj(x), self.kv_heads)
            v = self._split(self.v_proj(x), self.kv_heads)
            if self.rope and rot is not None:
                k = k * rot[0] + _rotate_half(k) * rot[1]
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        else:
            if "k" not in cache:
                cache["k"] = self._split(self.k_proj(memory), self.kv_heads)
                cache["v"] = self._split(self.v_proj(memory), self.kv_heads)
            k, v = cache["k"], cache["v"]
        if self.kv_heads != self.heads:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        t, s = q.shape[2], k.shape[2]
        mask = None
        if memory is None and t > 1:
            # Causal over the new positions; every cached position is visible.
            mask = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(diagonal=s - t)
        elif memory is not None and memory_mask is not None:
            mask = memory_mask[:, None, None, :].bool()
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
        b = x.shape[0]
        return self.out_proj(out.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        dim = cfg.hidden_size
        self.self_attn = Attention(dim, cfg.num_attention_heads, cfg.kv_heads, cfg.rope_embeddings)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.encoder_attn = Attention(dim, cfg.num_attention_heads, cfg.cross_kv_heads, cfg.rope_embeddings)
        self.encoder_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, cfg.ffn_dim, bias=False)
        self.fc2 = nn.Linear(cfg.ffn_dim, dim, bias=False)
        self.final_layer_norm = nn.LayerNorm(dim)
        self.act = ACT2FN[cfg.activation_function]

    def forward(self, h: torch.Tensor, cache: dict[str, dict[str, torch.Tensor]], rot, memory, memory_mask) -> torch.Tensor:
        h = h + self.self_attn(self.self_attn_layer_norm(h), cache.setdefault("self", {}), rot)
        h = h + self.encoder_attn(self.encoder_attn_layer_norm(h), cache.setdefault("cross", {}), rot, memory, memory_mask)
        return h + self.fc2(self.act(self.fc1(self.final_layer_norm(h))))


class _Stack(nn.Module):
    """`decoder.model.decoder`: embeddings, positions, layers, final norm."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.ModuleList(nn.Embedding(cfg.vocab_size + 1, cfg.hidden_size) for _ in range(cfg.num_codebooks))
        if not cfg.rope_embeddings:
            self.embed_positions = SinusoidalPositions(cfg.max_position_embeddings, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.layer_norm = nn.LayerNorm(cfg.hidden_size)


class _Model(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.decoder = _Stack(cfg)


class ParlerDecoder(nn.Module):
    """`decoder.*` of a checkpoint: the stack (`model.decoder`) and the per-codebook heads (`lm_heads`)."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = _Model(cfg)
        if cfg.use_fused_lm_heads:
            self.lm_heads = nn.Linear(cfg.hidden_size, cfg.vocab_size * cfg.num_codebooks, bias=False)
        else:
            self.lm_heads = nn.ModuleList(nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False) for _ in range(cfg.num_codebooks))

    def embed_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """(batch, codebooks, t) token ids -> (batch, t, hidden): the sum of the codebooks' embeddings."""
        stack = self.model.decoder
        return sum(stack.embed_tokens[k](codes[:, k]) for k in range(self.cfg.num_codebooks))

    def forward(
        self,
        embeds: torch.Tensor,
        past: int,
        cache: list[dict[str, dict[str, torch.Tensor]]],
        memory: torch.Tensor,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """embeds (batch, t, hidden) at positions past..past+t-1 -> logits (batch, codebooks, t, vocab)."""
        stack = self.model.decoder
        positions = torch.arange(past, past + embeds.shape[1], device=embeds.device)
        rot = None
        if self.cfg.rope_embeddings:
            rot = rotary(self.cfg.hidden_size // self.cfg.num_attention_heads, self.cfg.rope_theta, positions, embeds.dtype)
            h = embeds
        else:
            h = embeds + stack.embed_positions(positions).to(embeds.dtype)[None]
        while len(cache) < len(stack.layers):
            cache.append({})
        for layer, layer_cache in zip(stack.layers, cache):
            h = layer(h, layer_cache, rot, memory, memory_mask)
        h = stack.layer_norm(h)
        if self.cfg.use_fused_lm_heads:
            b, t, _ = h.shape
            return self.lm_heads(h).view(b, t, self.cfg.num_codebooks, self.cfg.vocab_size).transpose(1, 2)
        return torch.stack([head(h) for head in self.lm_heads], dim=1)
