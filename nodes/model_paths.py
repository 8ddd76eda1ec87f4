"""Our model folders under ComfyUI's models/, registered with folder_paths so they show in dropdowns and in
ComfyUI's model library, and can be redirected in extra_model_paths.yaml like any core folder.

Registration is lazy and idempotent: every helper here registers first, and without ComfyUI (tests, the CLI) the
folders resolve under $ECTFG_MODELS_DIR instead (no folders at all when it is unset).
"""

from __future__ import annotations

import os
from pathlib import Path

from ectfg_core.errors import ModelError

# folder_paths key -> sub-folder of models/ and what it holds. These are the folders the core library looks in
# (ectfg_core.efp.learned, ectfg_core.fer.weights, ectfg_core.tts.model_dirs, ectfg_core.diffusion.files); keys shared
# with popular node packs (wav2vec2, animatediff_models) point at the same folders those packs use.
MODEL_FOLDERS: dict[str, tuple[str, str]] = {
    "ectfg_efp": ("ectfg_efp", "learned EmotionFluctuationPredictor folders (config.json + model.safetensors each)"),
    "ectfg_fer": ("ectfg_fer", "facial-expression classifier weights for pseudo-labels and evaluation"),
    "ectfg": ("ectfg", "ectfg's own diffusion weights, e.g. emotion_fusion.safetensors"),
    "tts": ("tts", "neural TTS models, one folder each (config.json + weights)"),
    "wav2vec2": ("wav2vec2", "wav2vec2 / HuBERT models for word alignment and audio features, one folder each"),
    "hallo": ("hallo", "Hallo's checkpoint net.pth (or its parts: reference_unet, denoising_unet, face_locator, imageproj, audioproj)"),
    "animatediff_models": ("animatediff_models", "AnimateDiff motion modules such as mm_sd_v15_v2.ckpt"),
}
# Folder-of-files models carry configs and tokenizers beside the weights, so these keys list every file type.
MODEL_EXTENSIONS = {".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".json", ".txt", ".model", ".yaml"}

_registered = False


def _folder_paths():
    try:
        import folder_paths  # ComfyUI's module; absent outside ComfyUI
    except ImportError:
        return None
    return folder_paths


def fallback_models_dir() -> Path | None:
    """Where models live when ComfyUI is not loaded: $ECTFG_MODELS_DIR, as in the core library; None if unset."""
    value = os.environ.get("ECTFG_MODELS_DIR")
    return Path(value).expanduser() if value else None


def register_model_folders() -> bool:
    """Add our keys to folder_paths (once). Returns False when ComfyUI is not loaded."""
    global _registered
    fp = _folder_paths()
    if fp is None:
        return False
    if _registered:
        return True
    for key, (sub, _) in MODEL_FOLDERS.items():
        path = os.path.join(fp.models_dir, *sub.split("/"))
        if key in fp.folder_names_and_paths:
            # Another pack or extra_model_paths.yaml defined it first: keep theirs, add ours, widen the file types.
            paths, exts = fp.folder_names_and_paths[key]
            if path not in paths:
                paths.append(path)
            if isinstance(exts, set) and exts:  # an empty set already means "every file"
                exts.update(MODEL_EXTENSIONS)
        else:
            fp.folder_names_and_paths[key] = ([path], set(MODEL_EXTENSIONS))
    _registered = True
    return True


def model_roots(key: str) -> list[Path]:
    """Every folder registered for `key`, existing or not, in search order."""
    if key not in MODEL_FOLDERS:
        raise KeyError(f"unknown ectfg model folder {key!r}; known: {', '.join(MODEL_FOLDERS)}")
    if register_model_folders():
        return [Path(p) for p in _folder_paths().get_folder_paths(key)]
    base = fallback_models_dir()
    return [base.joinpath(*MODEL_FOLDERS[key][0].split("/"))] if base else []


def list_model_dirs(key: str) -> list[str]:
    """Sub-folders (one model each) of every root of `key`, sorted and without duplicates: dropdown entries."""
    names: set[str] = set()
    for root in model_roots(key):
        if root.is_dir():
            names.update(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(names)


def list_model_files(key: str, suffixes: tuple[str, ...] = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")) -> list[str]:
    """Weight files under every root of `key` (relative paths, '/'-separated), sorted: dropdown entries."""
    names: set[str] = set()
    for root in model_roots(key):
        if root.is_dir():
            names.update(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    return sorted(names)


def resolve_model(key: str, name: str) -> Path:
    """The file or folder `name` under the roots of `key`; a ModelError says where it was looked for."""
    roots = model_roots(key)
    for root in roots:
        candidate = root.joinpath(*str(name).split("/"))
        if candidate.exists():
            return candidate
    if not roots:
        raise ModelError(f"{name!r} not found: set ECTFG_MODELS_DIR to your models folder (it needs {MODEL_FOLDERS[key][0]}/{name})")
    where = " or ".join(str(r) for r in roots)
    raise ModelError(f"{name!r} is not in {where}; put {MODEL_FOLDERS[key][1]} there and refresh the node list (press R)")
