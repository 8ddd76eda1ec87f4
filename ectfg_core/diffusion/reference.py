"""ReferenceNet feature sharing through diffusers attention processors.

The ReferenceNet is a diffusers UNet2DConditionModel run on the reference portrait (and on the motion frames). A
writing processor on each of its self-attention layers records the layer's input tokens. The denoiser's matching
self-attention layers (same layer name) get a reading processor: for the conditional rows, keys and values are the
frame's own tokens followed by the reference tokens, so every frame can copy identity and texture from the portrait.
The unconditional rows of classifier-free guidance attend to themselves only, as in Hallo.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from diffusers.models.modeling_utils import ModelMixin  # noqa: F401  (diffusers looks a pipeline component's loader up by this name in its module)
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from ectfg_core.diffusion.conditioning import ConditioningSlot


def self_attention_layers(unet: torch.nn.Module) -> dict[str, Attention]:
    """The first attention (self-attention) of every spatial transformer block, by name, in execution order."""
    layers = {}
    for name, module in unet.named_modules():
        if name.endswith(".attn1") and ".attentions." in name and isinstance(module, Attention) and "audio_modules" not in name:
            layers[name] = module
    return layers


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    rows, tokens, inner = x.shape
    return x.view(rows, tokens, heads, inner // heads).transpose(1, 2)


class _Complete(Exception):
    """Raised inside the ReferenceNet once every wanted layer is recorded, to skip the rest of the network."""


class ReferenceWriteProcessor:
    """Records the layer's input tokens, then attends as usual."""

    def __init__(self, recorder: ReferenceRecorder, name: str):
        self.recorder, self.name = recorder, name
        self.inner = AttnProcessor2_0()

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states=None, attention_mask=None,
                 temb=None, **kwargs) -> torch.Tensor:
        self.recorder.record(self.name, hidden_states)
        return self.inner(attn, hidden_states, encoder_hidden_states, attention_mask, temb)


class ReferenceReadProcessor:
    """Self-attention whose keys/values are extended with the reference tokens for the reference rows."""

    def __init__(self, slot: ConditioningSlot, name: str):
        self.slot, self.name = slot, name

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states=None, attention_mask=None,
                 temb=None, **kwargs) -> torch.Tensor:
        cond = self.slot.current
        reference = cond.reference if cond is not None else None
        if reference is None or self.name not in reference.tokens or cond.reference_rows is None:
            return _plain(attn, hidden_states)
        rows = cond.reference_rows
        query = _heads(attn.to_q(hidden_states), attn.heads)
        key = _heads(attn.to_k(hidden_states), attn.heads)
        value = _heads(attn.to_v(hidden_states), attn.heads)
        out = torch.empty_like(query)
        start, stop = rows.start or 0, rows.stop if rows.stop is not None else hidden_states.shape[0]
        if start > 0:
            out[:start] = F.scaled_dot_product_attention(query[:start], key[:start], value[:start])
        if stop < hidden_states.shape[0]:
            out[stop:] = F.scaled_dot_product_attention(query[stop:], key[stop:], value[stop:])
        ref_key, ref_value = reference.key_value(self.name, attn)  # (videos, tokens, inner)
        frames = (stop - start) // ref_key.shape[0]
        ref_key = _heads(ref_key, attn.heads).repeat_interleave(frames, dim=0)
        ref_value = _heads(ref_value, attn.heads).repeat_interleave(frames, dim=0)
        out[start:stop] = F.scaled_dot_product_attention(
            query[start:stop], torch.cat([key[start:stop], ref_key], dim=2), torch.cat([value[start:stop], ref_value], dim=2)
        )
        return _project_out(attn, out)


def _project_out(attn: Attention, heads_out: torch.Tensor) -> torch.Tensor:
    out = heads_out.transpose(1, 2).flatten(2)
    return attn.to_out[1](attn.to_out[0](out)) / attn.rescale_output_factor


def _plain(attn: Attention, hidden_states: torch.Tensor) -> torch.Tensor:
    query, key, value = (_heads(p(hidden_states), attn.heads) for p in (attn.to_q, attn.to_k, attn.to_v))
    return _project_out(attn, F.scaled_dot_product_attention(query, key, value))


class ReferenceRecorder:
    """Installs writing processors on a ReferenceNet and runs it to collect reference tokens."""

    def __init__(self, unet: UNet2DConditionModel):
        self.unet = unet
        self.layers = list(self_attention_layers(unet))
        self._tokens: dict[str, torch.Tensor] | None = None
        self._wanted: set[str] = set()
        unet.set_attn_processor({
            name: (ReferenceWriteProcessor(self, name[: -len(".processor")]) if name[: -len(".processor")] in self.layers
                   else AttnProcessor2_0())
            for name in unet.attn_processors
        })

    def record(self, name: str, hidden_states: torch.Tensor) -> None:
        if self._tokens is None or name not in self._wanted:
            return
        self._tokens[name] = hidden_states.detach()
        if len(self._tokens) == len(self._wanted):
            raise _Complete

    def features(self, latents: torch.Tensor, encoder_hidden_states: torch.Tensor,
                 layers: list[str] | None = None) -> dict[str, torch.Tensor]:
        """Run the ReferenceNet at timestep 0 on (images, 4, h, w) latents; return the wanted layers' input tokens.

        The network stops after the last wanted layer, so asking for the mid block only skips the decoder half.
        """
        wanted = set(self.layers if layers is None else layers)
        unknown = wanted - set(self.layers)
        if unknown:
            raise KeyError(f"ReferenceNet has no self-attention layers {sorted(unknown)}")
        self._tokens, self._wanted = {}, wanted
        try:
            timestep = torch.zeros(latents.shape[0], device=latents.device, dtype=torch.long)
            self.unet(latents.to(self.unet.dtype), timestep, encoder_hidden_states=encoder_hidden_states.to(self.unet.dtype),
                      return_dict=False)
        except _Complete:
            pass
        finally:
            tokens, self._tokens, self._wanted = self._tokens, None, set()
        missing = wanted - set(tokens)
        if missing:
            raise RuntimeError(f"ReferenceNet did not run layers {sorted(missing)}")
        return tokens


class ReferenceUNet(UNet2DConditionModel):
    """SD1.5-shaped UNet2DConditionModel without its output head, like Hallo's reference UNet.

    Only its self-attention inputs are used; Hallo's checkpoint has no conv_norm_out / conv_out for it, so they are
    removed here too and the weight mapping stays one to one. As a class of its own it saves and loads without them.
    """

    @functools.wraps(UNet2DConditionModel.__init__)  # its signature: from_config and from_pretrained read it
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conv_norm_out = None
        self.conv_act = None
        self.conv_out = torch.nn.Identity()


def build_reference_unet(config: dict) -> ReferenceUNet:
    return ReferenceUNet.from_config(config)
