"""Explicit key mapping between Hallo's checkpoint (net.pth), AnimateDiff's motion module and our modules.

Hallo's net.pth is the state dict of its `Net`: five prefixes,
    reference_unet.*   its UNet2DConditionModel without conv_norm_out / conv_out  -> reference_unet.*
    denoising_unet.*   its UNet3DConditionModel (SD1.5 + motion + audio modules)   -> denoiser.unet.*
    face_locator.*     conv_in, blocks.0-5, conv_out                              -> face_locator.*
    imageproj.*        proj (512 -> 4 x 768), norm                                -> image_proj.image_embeds / norm
    audioproj.*        proj1, proj2, proj3, norm                                   -> audio_proj.*
Every spatial and audio name is the same on both sides (diffusers' UNetMotionModel keeps SD's block names and the
audio modules are attached where Hallo has them). Only AnimateDiff's temporal modules are named differently:
    <block>.motion_modules.N.temporal_transformer.{norm,proj_in,proj_out}            -> <block>.motion_modules.N.{...}
    ...transformer_blocks.K.attention_blocks.{0,1}.*                                -> ...transformer_blocks.K.attn{1,2}.*
    ...transformer_blocks.K.norms.{0,1}.* / ff_norm.*                               -> ...norm{1,2}.* / norm3.*
    ...transformer_blocks.K.attention_blocks.0.pos_encoder.pe                       -> ...transformer_blocks.K.pos_embed.pe
    ...transformer_blocks.K.attention_blocks.1.pos_encoder.pe                       (the same table again; checked, not stored)
"""

from __future__ import annotations

import re

HALLO_PREFIXES = {
    "reference_unet": "reference_unet",
    "denoising_unet": "denoiser.unet",
    "face_locator": "face_locator",
    "imageproj": "image_proj",
    "audioproj": "audio_proj",
}
OUR_PREFIXES = {ours: hallo for hallo, ours in HALLO_PREFIXES.items()}

_MOTION = re.compile(r"^(?P<head>.*\.motion_modules\.\d+)\.temporal_transformer\.(?P<rest>.+)$")
# Inside one motion module's transformer block: (AnimateDiff/Hallo name, diffusers name). Both directions derive from
# this one table so they cannot drift apart.
_MOTION_PARTS = (
    ("attention_blocks.0.pos_encoder.pe", "pos_embed.pe"),
    ("attention_blocks.0.", "attn1."),
    ("attention_blocks.1.", "attn2."),
    ("norms.0.", "norm1."),
    ("norms.1.", "norm2."),
    ("ff_norm.", "norm3."),
)


def _block_renames(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Regex renames of `transformer_blocks.N.<old>` to `transformer_blocks.N.<new>`; whole-name entries end in '$'."""
    renames = []
    for old, new in pairs:
        tail = "$" if not old.endswith(".") else ""
        renames.append((re.compile(rf"^transformer_blocks\.(\d+)\.{re.escape(old)}{tail}"), rf"transformer_blocks.\1.{new}"))
    return tuple(renames)


_MOTION_RENAMES = _block_renames(_MOTION_PARTS)
_SECOND_TABLE = re.compile(r"^(?P<head>.*\.motion_modules\.\d+)\.temporal_transformer\.transformer_blocks\.(?P<k>\d+)"
                           r"\.attention_blocks\.1\.pos_encoder\.pe$")
_OUR_MOTION = re.compile(r"^(?P<head>.*\.motion_modules\.\d+)\.(?P<rest>.+)$")
_OUR_RENAMES = _block_renames(tuple((new, old) for old, new in _MOTION_PARTS))


class Duplicate(str):
    """A checkpoint key that repeats the value of another (our key); it must equal it and is not stored."""


def _rename(rest: str, rules) -> str:
    for pattern, replacement in rules:
        new, count = pattern.subn(replacement, rest)
        if count:
            return new
    return rest


def hallo_to_ours(key: str) -> str | Duplicate | None:
    """Our key for a key of Hallo's net.pth; a Duplicate for the second positional table; None if unknown."""
    prefix, _, rest = key.partition(".")
    if prefix not in HALLO_PREFIXES or not rest:
        return None
    if prefix == "imageproj":
        rest = {"proj.weight": "image_embeds.weight", "proj.bias": "image_embeds.bias"}.get(rest, rest)
    second = _SECOND_TABLE.match(key)
    if second:
        head = second["head"].partition(".")[2]
        return Duplicate(f"{HALLO_PREFIXES[prefix]}.{head}.transformer_blocks.{second['k']}.pos_embed.pe")
    motion = _MOTION.match(rest)
    if motion:
        rest = f"{motion['head']}.{_rename(motion['rest'], _MOTION_RENAMES)}"
    return f"{HALLO_PREFIXES[prefix]}.{rest}"


def ours_to_hallo(key: str) -> list[str]:
    """Hallo's key(s) for one of ours (two for a positional table, which Hallo stores once per attention)."""
    for ours, prefix in OUR_PREFIXES.items():
        if key.startswith(ours + "."):
            hallo, rest = prefix, key[len(ours) + 1:]
            break
    else:
        return []
    if hallo == "imageproj":
        rest = {"image_embeds.weight": "proj.weight", "image_embeds.bias": "proj.bias"}.get(rest, rest)
    motion = _OUR_MOTION.match(rest)
    if motion:
        renamed = _rename(motion["rest"], _OUR_RENAMES)
        first = f"{hallo}.{motion['head']}.temporal_transformer.{renamed}"
        if renamed.endswith("attention_blocks.0.pos_encoder.pe"):
            return [first, first.replace("attention_blocks.0.pos_encoder", "attention_blocks.1.pos_encoder")]
        return [first]
    return [f"{hallo}.{rest}"]


def animatediff_to_ours(key: str) -> str | Duplicate | None:
    """Our key for a key of an AnimateDiff motion module file (mm_sd_v15_v2.ckpt); None if it is not a motion key."""
    if ".motion_modules." not in key:
        return None
    return hallo_to_ours(f"denoising_unet.{key}")


def sd_unet_to_ours(key: str) -> list[str]:
    """Our keys filled by a key of an SD1.5 UNet in diffusers layout: the ReferenceNet and the denoiser's spatial part.

    The ReferenceNet has no output head, so conv_norm_out / conv_out go to the denoiser only.
    """
    targets = [f"denoiser.unet.{key}"]
    if not key.startswith(("conv_norm_out.", "conv_out.")):
        targets.append(f"reference_unet.{key}")
    return targets
