"""Where downloaded model folders live: ComfyUI's models/<kind>/ folders, or $ECTFG_MODELS_DIR/<kind>/ outside it.

Kinds used here: "tts" (neural TTS checkpoints, one folder each) and "wav2vec2" (CTC aligners). Nothing is ever
downloaded: a missing folder is reported with the place to put it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ectfg_core.errors import ModelError

ENV_VAR = "ECTFG_MODELS_DIR"
KINDS = ("tts", "wav2vec2")


def _comfy_roots(kind: str) -> list[Path] | None:
    """ComfyUI's folders for `kind` (registering models/<kind> on first use), or None outside ComfyUI."""
    try:
        import folder_paths  # type: ignore[import-not-found]
    except ImportError:
        return None
    if kind not in folder_paths.folder_names_and_paths:
        # Same convention as ComfyUI's own kinds: models/<kind>, extendable through extra_model_paths.yaml.
        folder_paths.add_model_folder_path(kind, os.path.join(folder_paths.models_dir, kind))
    return [Path(p) for p in folder_paths.get_folder_paths(kind)]


def model_roots(kind: str) -> list[Path]:
    """Folders that hold one sub-folder per model of this kind (they need not exist)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; one of {KINDS}")
    roots = _comfy_roots(kind)
    if roots is not None:
        return roots
    base = os.environ.get(ENV_VAR)
    return [Path(base).expanduser() / kind] if base else []


def list_model_dirs(kind: str) -> list[str]:
    """Names of the model folders present for this kind (folders holding a config.json), sorted."""
    names: set[str] = set()
    for root in model_roots(kind):
        if root.is_dir():
            names.update(p.name for p in root.iterdir() if p.is_dir() and (p / "config.json").is_file())
    return sorted(names)


def where_to_put(kind: str, name: str) -> str:
    """Human-readable place a model folder is expected, for error messages."""
    roots = model_roots(kind)
    if roots:
        return " or ".join(str(r / name) for r in roots)
    return f"$ECTFG_MODELS_DIR/{kind}/{name} (set {ENV_VAR} to your models folder, or pass the folder's path)"


def resolve_model_dir(kind: str, name_or_path: str | os.PathLike[str]) -> Path:
    """A model folder from an explicit path, or by name under the model roots; ModelError if it is not there."""
    raw = str(name_or_path).strip()
    if not raw:
        raise ModelError(f"no {kind} model folder given; put one under {where_to_put(kind, '<name>')}")
    path = Path(raw).expanduser()
    if path.is_dir():
        return path
    if not path.is_absolute() and len(path.parts) == 1:
        for root in model_roots(kind):
            if (root / raw).is_dir():
                return root / raw
    raise ModelError(f"model folder {raw!r} not found; put the downloaded {kind} model in {where_to_put(kind, path.name)}")


def require_files(folder: Path, groups: list[tuple[str, ...]], what: str) -> None:
    """Each group needs one of its files in the folder; ModelError lists everything missing at once."""
    missing = [" or ".join(g) for g in groups if not any((folder / f).is_file() for f in g)]
    if missing:
        raise ModelError(f"{what} folder {folder} is incomplete: missing {', '.join(missing)}; download the full model into it")


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Silence transformers' progress bars and info warnings while we load a local folder (restored after)."""
    from transformers.utils import logging as hf_logging

    bars, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()
