"""Where model files live, for every stage: ComfyUI's model folders inside ComfyUI, $ECTFG_MODELS_DIR outside it.

One lookup and one order everywhere. A path the caller gives wins. Otherwise a model is looked up by name in the
folders of its kind. Inside ComfyUI those are ComfyUI's own (folder_paths), so extra_model_paths.yaml redirects them
as it does the core folders. Outside ComfyUI they are $ECTFG_MODELS_DIR/<folder>. Nothing is ever downloaded: a
missing model is reported with the place to put it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from ectfg_core.errors import ModelError

ENV_VAR = "ECTFG_MODELS_DIR"

# kind (folder_paths key) -> sub-folder of models/ and what it holds. Keys shared with ComfyUI or popular node packs
# (detection, wav2vec2, animatediff_models) point at the same folders they use.
FOLDERS: dict[str, tuple[str, str]] = {
    "ectfg_efp": ("ectfg_efp", "learned EmotionFluctuationPredictor folders (config.json + model.safetensors each)"),
    "ectfg_fer": ("ectfg_fer", "facial-expression classifier weights for pseudo-labels and evaluation"),
    "ectfg": ("ectfg", "ectfg's own diffusion weights, e.g. emotion_fusion.safetensors"),
    "tts": ("tts", "neural TTS models, one folder each (config.json + weights)"),
    "wav2vec2": ("wav2vec2", "wav2vec2 / HuBERT models for word alignment and audio features, one folder each"),
    "hallo": ("hallo", "Hallo's checkpoint net.pth (or its parts: reference_unet, denoising_unet, face_locator, imageproj, audioproj)"),
    "animatediff_models": ("animatediff_models", "AnimateDiff motion modules such as mm_sd_v15_v2.ckpt"),
    "detection": ("detection", "MediaPipe's face_landmarker.task"),
}
# Folder-of-files models carry configs and tokenizers beside the weights, so our kinds list every such file type.
MODEL_EXTENSIONS = {".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".json", ".txt", ".model", ".yaml", ".task"}
WEIGHT_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")

_registered_with: ModuleType | None = None  # the folder_paths our kinds were added to


def comfy() -> ModuleType | None:
    """ComfyUI's folder_paths module when ComfyUI is loaded, else None."""
    try:
        import folder_paths  # type: ignore[import-not-found]  # ComfyUI's module
    except ImportError:
        return None
    return folder_paths


def register() -> bool:
    """Make our kinds known to ComfyUI (once), beside any pack that defined them first. False outside ComfyUI."""
    global _registered_with
    fp = comfy()
    if fp is None:
        return False
    if fp is _registered_with:
        return True
    for kind, (sub, _) in FOLDERS.items():
        fp.add_model_folder_path(kind, os.path.join(fp.models_dir, *sub.split("/")))
        _paths, exts = fp.folder_names_and_paths[kind]
        # folder_paths has no call to widen a kind's file types; an empty set already means "every file".
        if isinstance(exts, set) and exts:
            exts.update(MODEL_EXTENSIONS)
    _registered_with = fp
    return True


def models_dir() -> Path | None:
    """The models folder itself: ComfyUI's inside ComfyUI, $ECTFG_MODELS_DIR outside; None when neither is there."""
    fp = comfy()
    if fp is not None:
        return Path(fp.models_dir)
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value).expanduser() if value else None


def model_roots(kind: str) -> list[Path]:
    """Every folder that holds models of `kind`, existing or not, in search order."""
    if kind not in FOLDERS:
        raise KeyError(f"unknown ectfg model folder {kind!r}; known: {', '.join(FOLDERS)}")
    if register():
        return [Path(p) for p in comfy().get_folder_paths(kind)]
    base = models_dir()
    return [base.joinpath(*FOLDERS[kind][0].split("/"))] if base else []


def list_model_dirs(kind: str, marker: str | None = None) -> list[str]:
    """Model folders of `kind` (holding `marker`, when given), sorted and without duplicates: choices for a UI."""
    names: set[str] = set()
    for root in model_roots(kind):
        if root.is_dir():
            names.update(p.name for p in root.iterdir()
                         if p.is_dir() and not p.name.startswith(".") and (marker is None or (p / marker).is_file()))
    return sorted(names)


def list_model_files(kind: str, suffixes: tuple[str, ...] = WEIGHT_SUFFIXES) -> list[str]:
    """Weight files under every folder of `kind` (relative paths, '/'-separated), sorted: choices for a UI."""
    names: set[str] = set()
    for root in model_roots(kind):
        if root.is_dir():
            names.update(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    return sorted(names)


def find(kind: str, name: str) -> Path | None:
    """The file or folder `name` ('/'-separated) in the first folder of `kind` that has it, or None."""
    for root in model_roots(kind):
        candidate = root.joinpath(*str(name).split("/"))
        if candidate.exists():
            return candidate
    return None


def where_to_put(kind: str, name: str) -> str:
    """Where a missing model of `kind` belongs, for messages."""
    roots = model_roots(kind)
    if roots:
        return " or ".join(str(r / name) for r in roots)
    return f"$ECTFG_MODELS_DIR/{FOLDERS[kind][0]}/{name} (set {ENV_VAR} to your models folder, or pass the path)"


def resolve(kind: str, name_or_path: str | os.PathLike[str]) -> Path:
    """A model given by path, or by name in the folders of `kind`; ModelError saying where to put it otherwise."""
    raw = str(name_or_path).strip()
    if not raw:
        raise ModelError(f"no {kind} model given; put {FOLDERS[kind][1]} in {where_to_put(kind, '<name>')}")
    path = Path(raw).expanduser()
    if path.exists():
        return path
    found = None if path.is_absolute() else find(kind, raw)
    if found is not None:
        return found
    raise ModelError(f"{kind} model {raw!r} not found; put {FOLDERS[kind][1]} in {where_to_put(kind, path.name)}")


def require_files(folder: Path, groups: list[tuple[str, ...]], what: str) -> None:
    """Each group needs one of its files in the folder; ModelError lists everything missing at once."""
    missing = [" or ".join(g) for g in groups if not any((folder / f).is_file() for f in g)]
    if missing:
        raise ModelError(f"{what} folder {folder} is incomplete: missing {', '.join(missing)}; download the full model into it")


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Silence transformers' and diffusers' progress bars, info warnings and the deprecation of the dtype argument
    while we load a local folder (restored after)."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as hf_logging

    saved = [(log, log.is_progress_bar_enabled(), log.get_verbosity()) for log in (hf_logging, diffusers_logging)]
    for log, _, _ in saved:
        log.disable_progress_bar()
        log.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*torch_dtype.* is deprecated", category=FutureWarning)
            yield
    finally:
        for log, bars, level in saved:
            log.set_verbosity(level)
            if bars:
                log.enable_progress_bar()
