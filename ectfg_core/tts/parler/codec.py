"""The DAC audio codec of a Parler checkpoint, run by transformers' DacModel.

Checkpoints store descript-audio-codec's module layout (`audio_encoder.model.decoder.model.3.block.2.block.1...`)
with weight-norm pairs (`weight_g`, `weight_v`); transformers' DacModel names the same layers differently
(`decoder.block.2.res_unit1.conv1`) and uses plain weights. We map the names both ways and fold the norm.
"""

from __future__ import annotations

import re

import torch
from transformers import DacConfig, DacModel

from ectfg_core.tts.parler.config import CodecConfig

_UNIT = ("snake1", "conv1", "snake2", "conv2")  # descript ResidualUnit.block.{0,1,2,3}


def build_codec(cfg: CodecConfig) -> DacModel:
    hf = DacConfig(
        encoder_hidden_size=cfg.encoder_dim,
        downsampling_ratios=list(cfg.encoder_rates),
        decoder_hidden_size=cfg.decoder_dim,
        n_codebooks=cfg.num_codebooks,
        codebook_size=cfg.codebook_size,
        codebook_dim=cfg.codebook_dim,
        sampling_rate=cfg.sampling_rate,
    )
    # transformers derives the decoder's rates by reversing the encoder's; descript's 44.1 kHz model does the same.
    if list(hf.upsampling_ratios) != list(cfg.decoder_rates):
        hf.upsampling_ratios = list(cfg.decoder_rates)
    return DacModel(hf)


def descript_to_hf(key: str, stages: int) -> str | None:
    """transformers' name for a descript DAC parameter (without the weight-norm suffix), or None if unknown."""
    m = re.fullmatch(r"quantizer\.quantizers\.(\d+)\.(in_proj|out_proj|codebook)\.(\w+)", key)
    if m:
        return key
    m = re.fullmatch(r"(encoder\.block|decoder\.model)\.(\d+)\.(.+)", key)
    if not m:
        return None
    side, idx, rest = ("encoder" if m.group(1).startswith("encoder") else "decoder"), int(m.group(2)), m.group(3)
    if idx == 0:
        return f"{side}.conv1.{rest}"
    if idx == stages + 1:
        return f"{side}.snake1.{rest}"
    if idx == stages + 2:
        return f"{side}.conv2.{rest}"
    block = f"{side}.block.{idx - 1}"
    m = re.fullmatch(r"block\.(\d+)\.(.+)", rest)
    if not m:
        return None
    sub, tail = int(m.group(1)), m.group(2)
    if side == "encoder":  # EncoderBlock: 3 residual units, snake, strided conv
        if sub < 3:
            return _unit(f"{block}.res_unit{sub + 1}", tail)
        return f"{block}.{'snake1' if sub == 3 else 'conv1'}.{tail}"
    if sub == 0:  # DecoderBlock: snake, transposed conv, 3 residual units
        return f"{block}.snake1.{tail}"
    if sub == 1:
        return f"{block}.conv_t1.{tail}"
    return _unit(f"{block}.res_unit{sub - 1}", tail)


def _unit(prefix: str, tail: str) -> str | None:
    m = re.fullmatch(r"block\.(\d)\.(.+)", tail)
    return f"{prefix}.{_UNIT[int(m.group(1))]}.{m.group(2)}" if m and int(m.group(1)) < 4 else None


def fold_weight_norm(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """torch.nn.utils.weight_norm with dim=0: w = g * v / ||v||, the norm over every dim but the first."""
    norm = v.float().flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))
    return (g.float() * v.float() / norm).to(v.dtype)


def codec_state_dict(raw: dict[str, torch.Tensor], stages: int) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Checkpoint tensors under `audio_encoder.model.` -> DacModel state dict; also the names it could not place."""
    out: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in raw.items():
        base, _, leaf = key.rpartition(".")
        if leaf in ("weight_g", "weight_v", "original0", "original1"):
            if base.endswith(".parametrizations.weight"):
                base = base[: -len(".parametrizations.weight")]
            role = "g" if leaf in ("weight_g", "original0") else "v"
            pairs.setdefault(base, {})[role] = tensor
            continue
        name = descript_to_hf(key, stages)
        if name is None:
            unknown.append(key)
        else:
            out[name] = tensor
    for base, pair in pairs.items():
        name = descript_to_hf(f"{base}.weight", stages)
        if name is None or set(pair) != {"g", "v"}:
            unknown.append(base)
            continue
        out[name] = fold_weight_norm(pair["g"], pair["v"])
    return out, unknown


def hf_to_descript(state: dict[str, torch.Tensor], stages: int) -> dict[str, torch.Tensor]:
    """The inverse, for writing checkpoints in the published layout (convolutions as weight_g / weight_v)."""
    modules: list[str] = []
    for side in ("encoder.block", "decoder.model"):
        modules += [f"{side}.0", f"{side}.{stages + 1}", f"{side}.{stages + 2}"]
        for i in range(1, stages + 1):
            modules += [f"{side}.{i}.block.{s}" for s in range(5)]
            modules += [f"{side}.{i}.block.{s}.block.{u}" for s in range(5) for u in range(4)]
    names = {}
    for module in modules:
        for leaf in ("weight", "bias", "alpha"):
            hf = descript_to_hf(f"{module}.{leaf}", stages)
            if hf is not None:
                names.setdefault(hf, f"{module}.{leaf}")
    out: dict[str, torch.Tensor] = {}
    for hf_name, tensor in state.items():
        key = hf_name if hf_name.startswith("quantizer.") else names.get(hf_name)
        if key is None:
            raise KeyError(f"no checkpoint name for codec parameter {hf_name}")
        if key.endswith(".weight") and tensor.dim() == 3:
            base = key[: -len(".weight")]
            norm = tensor.float().flatten(1).norm(dim=1).view(-1, 1, 1).to(tensor.dtype)
            out[f"{base}.weight_g"], out[f"{base}.weight_v"] = norm, tensor
        else:
            out[key] = tensor
    return out
