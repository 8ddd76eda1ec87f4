"""Loading portraits, including the bundled public-domain one."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ectfg_core.errors import InputError

# NASA photograph of astronaut Eileen Collins, public domain (as distributed with scikit-image's data set).
DEFAULT_PORTRAIT = "astronaut.png"
MAX_PIXELS = 40_000_000


def default_portrait_path() -> Path:
    return Path(str(resources.files("ectfg_core") / "assets" / DEFAULT_PORTRAIT))


def load_image(path: str | Path | None) -> np.ndarray:
    """RGB uint8 array of an image file; None gives the bundled portrait."""
    path = default_portrait_path() if path is None else Path(path)
    if not path.is_file():
        raise InputError(f"image not found: {path}; pass the path of a PNG or JPEG portrait with --image")
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                raise InputError(f"image {path} is {img.width}x{img.height}; resize it below 40 megapixels")
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as err:
        raise InputError(f"cannot read the image {path} ({err.__class__.__name__}); pass a valid PNG or JPEG file") from None
