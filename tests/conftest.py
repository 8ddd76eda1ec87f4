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
