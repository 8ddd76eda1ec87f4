"""Shared fixtures: the bundled portrait and its framing are computed once per session."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from ectfg_core.media.images import load_image

    return load_image(None)


@pytest.fixture(scope="session")
def portrait(astronaut):
    from ectfg_core.face.framing import frame_portrait

    return frame_portrait(astronaut, size=512)


@pytest.fixture(scope="session")
def framed():
    """framed(name): a portrait of tests/data/portraits (or "astronaut", the bundled one) framed at 512 as
    `ectfg generate` frames it, loaded once per session."""
    import functools
    from pathlib import Path

    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.media.images import load_image

    @functools.cache
    def load(name: str):
        path = None if name == "astronaut" else Path(__file__).parent / "data" / "portraits" / f"{name}.jpg"
        return frame_portrait(load_image(path), size=512)

    return load
