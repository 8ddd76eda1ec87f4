"""The denoiser: diffusers' UNetMotionModel (SD1.5 UNet + AnimateDiff motion modules) with Hallo's audio modules.

Built from diffusers' own blocks: `UNetMotionModel.from_unet2d` turns the SD1.5 `UNet2DConditionModel` config and the
`MotionAdapter` config into the video UNet. What diffusers lacks is added around it, not by rewriting its forward:
  * an audio module after every spatial transformer (forward hook on that transformer), stored as
    `<block>.audio_modules.<i>` exactly where Hallo stores it, so parameter names stay Hallo's;
  * ReferenceNet reading processors on the spatial self-attentions;
  * the face-locator features added to conv_in's output (forward hook);
  * the motion frames prepended to the temporal modules of chosen blocks (pre/post hooks).
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention_processor import AttnProcessor2_0
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.models.unets.unet_motion_model import AnimateDiffTransformer3D, MotionAdapter, UNetMotionModel
from torch import nn

from ectfg_core.diffusion.audio_attention import AudioModule
from ectfg_core.diffusion.conditioning import ConditioningSlot, FrameConditioning
from ectfg_core.diffusion.reference import ReferenceReadProcessor, self_attention_layers


def motion_unet_config(unet2d_config: dict[str, Any], motion_adapter_config: dict[str, Any]) -> dict[str, Any]:
    """UNetMotionModel config for an SD UNet config plus a MotionAdapter config, by diffusers' own from_unet2d rules."""
    with torch.device("meta"):
        unet2d = UNet2DConditionModel.from_config(unet2d_config)
        adapter = MotionAdapter.from_config(motion_adapter_config)
        model = UNetMotionModel.from_unet2d(unet2d, adapter, load_weights=False)
    return {k: v for k, v in dict(model.config).items() if not k.startswith("_")}


def _heads(value: int | list[int] | tuple[int, ...], index: int) -> int:
    return int(value) if isinstance(value, int) else int(value[index])


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm with statistics per frame, as AnimateDiff's (and Hallo's) temporal modules compute them.

    diffusers' AnimateDiffTransformer3D normalises a (videos, C, frames, h, w) tensor over all frames at once; the
    motion-module weights were trained with one normalisation per frame, and with motion frames prepended the two
    differ noticeably. Same parameters (weight, bias), so checkpoints load unchanged.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5:
            return super().forward(x)
        videos, channels, frames, height, width = x.shape
        flat = x.transpose(1, 2).reshape(videos * frames, channels, height, width)
        out = super().forward(flat)
        return out.reshape(videos, frames, channels, height, width).transpose(1, 2)


def _per_frame_norms(unet: nn.Module) -> None:
    for module in unet.modules():
        if isinstance(module, AnimateDiffTransformer3D) and type(module.norm) is nn.GroupNorm:
            old = module.norm
            new = FrameGroupNorm(old.num_groups, old.num_channels, eps=old.eps, affine=old.affine,
                                 device=old.weight.device, dtype=old.weight.dtype)
            new.weight, new.bias = old.weight, old.bias
            module.norm = new


class AudioDrivenUNet(ModelMixin, ConfigMixin):
    """Video denoiser conditioned on audio/emotion tokens, region masks, the face region, reference and motion frames."""

    _supports_gradient_checkpointing = True

    @register_to_config
    def __init__(self, unet_config: dict[str, Any], audio_attention_dim: int = 768, motion_frame_blocks: tuple[str, ...] = ("mid",)):
        super().__init__()
        self.unet = UNetMotionModel.from_config(unet_config)
        _per_frame_norms(self.unet)
        self.slot = ConditioningSlot()
        self.gradient_checkpointing = False  # enable_gradient_checkpointing() also checkpoints the audio modules
        self._attach_audio_modules(audio_attention_dim)
        self._install_reference_readers()
        self.unet.conv_in.register_forward_hook(self._add_face_features)
        self._attach_motion_frame_hooks(tuple(motion_frame_blocks))

    # --- construction -------------------------------------------------------------------------------------------
    def _attach_audio_modules(self, audio_dim: int) -> None:
        config = self.unet.config
        channels = list(config.block_out_channels)
        heads = config.num_attention_heads
        levels = len(channels)
        groups = config.norm_num_groups
        for i, block in enumerate(self.unet.down_blocks):
            if hasattr(block, "attentions"):
                block_in = channels[max(i - 1, 0)]
                # Hallo sizes the first module of a block by the block's input width, the others by its output width.
                inner = [block_in if j == 0 else channels[i] for j in range(len(block.attentions))]
                self._attach(block, channels[i], inner, _heads(heads, i), audio_dim, groups, level=i)
        mid = self.unet.mid_block
        self._attach(mid, channels[-1], [channels[-1]] * len(mid.attentions), _heads(heads, levels - 1), audio_dim, groups, levels - 1)
        reversed_channels = channels[::-1]
        for i, block in enumerate(self.unet.up_blocks):
            if hasattr(block, "attentions"):
                block_in = reversed_channels[min(i + 1, levels - 1)]
                self._attach(block, reversed_channels[i], [block_in] * len(block.attentions), _heads(heads, levels - 1 - i),
                             audio_dim, groups, level=levels - 1 - i)

    def _attach(self, block: nn.Module, channels: int, inner: list[int], heads: int, audio_dim: int, groups: int, level: int) -> None:
        block.audio_modules = nn.ModuleList(AudioModule(channels, width, heads, audio_dim, groups) for width in inner)
        for attention, audio in zip(block.attentions, block.audio_modules):
            attention.register_forward_hook(self._audio_hook(audio, level))

    def _audio_hook(self, audio: AudioModule, level: int):
        def hook(_module, _args, output):
            cond = self.slot.current
            if cond is None or cond.audio_tokens is None:
                return output
            hidden = output[0] if isinstance(output, tuple) else output.sample
            if self.gradient_checkpointing and torch.is_grad_enabled():
                hidden = self._gradient_checkpointing_func(audio, hidden, cond, level)
            else:
                hidden = audio(hidden, cond, level)
            return (hidden,) if isinstance(output, tuple) else type(output)(sample=hidden)

        return hook

    def _install_reference_readers(self) -> None:
        readers = set(self_attention_layers(self.unet))
        processors = {}
        for name in self.unet.attn_processors:
            layer = name[: -len(".processor")]
            processors[name] = ReferenceReadProcessor(self.slot, layer) if layer in readers else AttnProcessor2_0()
        self.unet.set_attn_processor(processors)

    def _add_face_features(self, _module, _args, output: torch.Tensor) -> torch.Tensor:
        cond = self.slot.current
        if cond is None or cond.face_features is None:
            return output
        return output + cond.face_features.to(output.dtype)

    def motion_frame_layers(self) -> dict[str, str]:
        """Temporal module name -> the reference self-attention layer whose tokens serve as its motion frames."""
        pairs: dict[str, str] = {}
        blocks = set(self.config.motion_frame_blocks)
        groups = [("down", f"down_blocks.{i}", b) for i, b in enumerate(self.unet.down_blocks)]
        groups += [("mid", "mid_block", self.unet.mid_block)]
        groups += [("up", f"up_blocks.{i}", b) for i, b in enumerate(self.unet.up_blocks)]
        for kind, prefix, block in groups:
            if kind not in blocks or not hasattr(block, "attentions") or not hasattr(block, "motion_modules"):
                continue
            for j in range(min(len(block.attentions), len(block.motion_modules))):
                pairs[f"{prefix}.motion_modules.{j}"] = f"{prefix}.attentions.{j}.transformer_blocks.0.attn1"
        return pairs

    def _attach_motion_frame_hooks(self, blocks: tuple[str, ...]) -> None:
        unknown = set(blocks) - {"down", "mid", "up"}
        if unknown:
            raise ValueError(f"motion_frame_blocks may name down, mid and up only, not {sorted(unknown)}")
        modules = dict(self.unet.named_modules())
        for name in self.motion_frame_layers():
            module = modules[name]
            module.register_forward_pre_hook(self._prepend_motion_frames(name), with_kwargs=True)
            module.register_forward_hook(self._drop_motion_frames(name), with_kwargs=True)

    def _prepend_motion_frames(self, name: str):
        def hook(_module, args, kwargs):
            cond = self.slot.current
            if cond is None or name not in cond.motion_frames:
                return None
            hidden = args[0] if args else kwargs["hidden_states"]
            rows, channels, height, width = hidden.shape
            tokens = cond.motion_frames[name].to(hidden.dtype)  # (videos, m, h*w, C): ReferenceNet tokens
            frames, extra = cond.num_frames, tokens.shape[1]
            videos = rows // frames
            motion = tokens.reshape(tokens.shape[0], extra, height, width, channels).permute(0, 1, 4, 2, 3)
            motion = motion.expand(videos, *motion.shape[1:])
            joined = torch.cat([motion, hidden.view(videos, frames, channels, height, width)], dim=1).flatten(0, 1)
            # diffusers' mid block passes num_frames as the 5th positional argument, the other blocks by keyword.
            args = list(args)
            if args:
                args[0] = joined
            else:
                kwargs["hidden_states"] = joined
            if len(args) > 4:
                args[4] = frames + extra
            else:
                kwargs["num_frames"] = frames + extra
            return tuple(args), kwargs

        return hook

    def _drop_motion_frames(self, name: str):
        def hook(_module, _args, _kwargs, output: torch.Tensor) -> torch.Tensor:
            cond = self.slot.current
            if cond is None or name not in cond.motion_frames:
                return output
            extra, frames = cond.motion_frames[name].shape[1], cond.num_frames
            videos = output.shape[0] // (frames + extra)
            return output.view(videos, frames + extra, *output.shape[1:])[:, extra:].flatten(0, 1)

        return hook

    # --- use ----------------------------------------------------------------------------------------------------
    @property
    def in_channels(self) -> int:
        return int(self.unet.config.in_channels)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor | float | int, encoder_hidden_states: torch.Tensor,
                conditioning: FrameConditioning | None = None) -> torch.Tensor:
        """sample (videos, channels, frames, h, w) -> prediction of the same shape.

        encoder_hidden_states: (videos * frames, tokens, dim), one row per frame (diffusers' motion UNet expects rows).
        """
        with self.slot.use(conditioning):
            return self.unet(sample, timestep, encoder_hidden_states=encoder_hidden_states, return_dict=False)[0]

    def audio_module_parameters(self) -> dict[str, nn.Parameter]:
        return {name: p for name, p in self.named_parameters() if ".audio_modules." in name}
