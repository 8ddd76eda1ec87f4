"""Where the backbone's weight files live: the user's ComfyUI `models/` folders, or any folder laid out the same way.

The layout is what Hallo's users already have (its `pretrained_models/` folder works as it is) plus ComfyUI's usual
folder names, or a folder `ectfg convert-hallo` wrote (diffusers' pipeline layout, marked by its model_index.json). The
root is an explicit folder, else the models folder (ComfyUI's inside ComfyUI, $ECTFG_MODELS_DIR outside:
ectfg_core.model_folders).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ectfg_core.errors import ModelError
from ectfg_core.model_folders import comfy, models_dir

HALLO_HUB = "huggingface.co/fudan-generative-ai/hallo (folder pretrained_models/)"

# component -> (description, candidate paths relative to a root, what must exist there)
CANDIDATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "unet_config": ("Stable Diffusion 1.5 UNet config (diffusers layout)",
                    ("diffusers/stable-diffusion-v1-5/unet/config.json", "stable-diffusion-v1-5/unet/config.json")),
    "vae": ("sd-vae-ft-mse (diffusers folder, or a single .safetensors file)",
            ("vae/sd-vae-ft-mse", "sd-vae-ft-mse", "vae/vae-ft-mse-840000-ema-pruned.safetensors",
             "vae/diffusion_pytorch_model.safetensors")),
    "wav2vec": ("wav2vec2-base-960h (transformers folder)",
                ("audio_encoders/wav2vec2-base-960h", "wav2vec2/wav2vec2-base-960h", "wav2vec/wav2vec2-base-960h")),
    "hallo": ("Hallo's checkpoint net.pth (or its parts reference_unet / denoising_unet / face_locator / imageproj / audioproj)",
              ("hallo/net.pth", "hallo/net.safetensors", "hallo")),
    "motion_module": ("AnimateDiff motion module mm_sd_v15_v2",
                      ("animatediff_models/mm_sd_v15_v2.ckpt", "motion_module/mm_sd_v15_v2.ckpt",
                       "animatediff_models/mm_sd_v15_v2.safetensors")),
    "unet_weights": ("Stable Diffusion 1.5 UNet weights",
                     ("diffusers/stable-diffusion-v1-5/unet/diffusion_pytorch_model.safetensors",
                      "stable-diffusion-v1-5/unet/diffusion_pytorch_model.safetensors",
                      "diffusers/stable-diffusion-v1-5/unet/diffusion_pytorch_model.bin",
                      "stable-diffusion-v1-5/unet/diffusion_pytorch_model.bin")),
    "emotion": ("ectfg emotion fusion weights", ("ectfg/emotion_fusion.safetensors",)),
}
REQUIRED = ("unet_config", "vae", "wav2vec", "hallo")
# motion_module and unet_weights are read only for keys Hallo's checkpoint lacks (its net.pth holds them itself).


PIPELINE_INDEX = "model_index.json"  # what marks a folder `ectfg convert-hallo` wrote (diffusers' pipeline layout)


@dataclass
class ModelFiles:
    """Either Hallo's files (unet_config, vae, wav2vec, hallo, ...) or one converted pipeline folder; emotion on top."""

    root: Path
    unet_config: Path | None = None
    vae: Path | None = None
    wav2vec: Path | None = None
    hallo: Path | None = None
    motion_module: Path | None = None
    unet_weights: Path | None = None
    emotion: Path | None = None
    pipeline: Path | None = None


def models_root(root: str | Path | None = None) -> Path:
    if root:
        return Path(root).expanduser()
    base = models_dir()
    if base is not None:
        return base
    raise ModelError(
        "no models folder: set ECTFG_MODELS_DIR to ComfyUI's models/ folder or Hallo's pretrained_models/, or pass that folder"
    )


def _search_dirs(root: Path, relative: str) -> list[Path]:
    """The root itself, plus the folders ComfyUI maps the first path part to (extra_model_paths.yaml)."""
    dirs = [root / relative]
    fp = comfy()
    head, _, tail = relative.partition("/")
    if fp is not None and tail and head in fp.folder_names_and_paths:
        dirs += [Path(base) / tail for base in fp.get_folder_paths(head)]
    return list(dict.fromkeys(dirs))


SPLIT_PARTS = ("reference_unet", "denoising_unet", "face_locator", "imageproj", "audioproj")
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".bin", ".ckpt")


def split_part(folder: Path, part: str) -> Path | None:
    """One part of a Hallo checkpoint split per module (<part>.safetensors / .pth / .bin)."""
    for suffix in WEIGHT_SUFFIXES:
        if (folder / f"{part}{suffix}").is_file():
            return folder / f"{part}{suffix}"
    return None


def _usable(path: Path, component: str) -> bool:
    if path.is_file():
        return True
    if not path.is_dir():
        return False
    if component == "hallo":
        return all(split_part(path, part) is not None for part in SPLIT_PARTS)
    return (path / "config.json").is_file()


def find_component(root: Path, component: str) -> Path | None:
    for relative in CANDIDATES[component][1]:
        for path in _search_dirs(root, relative):
            if _usable(path, component):
                return path
    return None


def locate(root: str | Path | None = None, emotion: str | Path | None = None) -> ModelFiles:
    """Every file the backbone needs, or one ModelError naming each missing one, where it may go and where to get it."""
    base = models_root(root)
    emotion_path = Path(emotion).expanduser() if emotion is not None else None
    if emotion_path is not None and not emotion_path.is_file():
        raise ModelError(f"emotion weights {emotion_path} not found; train them with `ectfg train-sampler` or leave the option out")
    if (base / PIPELINE_INDEX).is_file():
        return ModelFiles(root=base, pipeline=base, emotion=emotion_path)
    found = {name: find_component(base, name) for name in CANDIDATES}
    missing = [name for name in REQUIRED if found[name] is None]
    if missing:
        parts = [f"{CANDIDATES[name][0]} at {' or '.join(str(base / c) for c in CANDIDATES[name][1])}" for name in missing]
        raise ModelError(
            f"diffusion weights missing under {base}: " + "; ".join(parts)
            + f". Get them from {HALLO_HUB} and put them there (Hallo's pretrained_models/ folder works as the root), "
            + "or give a folder `ectfg convert-hallo` wrote"
        )
    if emotion_path is None:
        emotion_path = found["emotion"]
    return ModelFiles(root=base, unet_config=found["unet_config"], vae=found["vae"], wav2vec=found["wav2vec"], hallo=found["hallo"],
                      motion_module=found["motion_module"], unet_weights=found["unet_weights"], emotion=emotion_path)
