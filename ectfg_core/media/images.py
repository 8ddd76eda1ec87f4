"""Loading portraits, including the bundled public-domain one."""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

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
        raise InputError(f"image not found: {path}; pass the path of a PNG or JPEG portrait", field="image")
    try:
        # PIL's own size guard warns from 89 megapixels and refuses from 179: ours, lower, answers for both.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            if img.width * img.height > MAX_PIXELS:
                raise InputError(f"image {path} is {img.width}x{img.height}; resize it below 40 megapixels", field="image")
            # Phone photos are stored sideways with an EXIF note saying how to turn them (as ComfyUI's Load Image
            # does, and any viewer): the face must be upright for the detector.
            upright = ImageOps.exif_transpose(img)
            return _rgb8(upright)
    except Image.DecompressionBombError:
        raise InputError(f"image {path} is larger than 40 megapixels; resize it below that", field="image") from None
    except (UnidentifiedImageError, OSError) as err:
        raise InputError(f"cannot read the image {path} ({err.__class__.__name__}); pass a valid PNG or JPEG file") from None


def _rgb8(img: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8. 16-bit and float grayscale (scans, medical and astronomy tools) keep their tones: PIL's own
    conversion clips them to 255, a white image without a face."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(img, dtype=np.float64)
        top = 1.0 if img.mode == "F" and values.max() <= 1.0 else 255.0 if values.max() <= 255.0 else 65535.0
        gray = np.clip(np.round(values / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
