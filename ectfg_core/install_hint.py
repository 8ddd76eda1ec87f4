"""The one line printed when the plugin loads without MediaPipe: what to connect, or the pip command that fits.

requirements.txt adds MediaPipe only on Python 3.13 (numpy is always 2.x there). On 3.10-3.12 a plain
`pip install mediapipe` in a numpy 1.x environment would pull opencv-contrib-python 5 and with it numpy 2, so the
command names the installed numpy version: pip then picks an OpenCV that fits it and numpy stays where it is.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys


def mediapipe_install_line(python: str | None = None) -> str | None:
    """None when mediapipe is importable; else one line for the console, with the exact command for `python`."""
    if importlib.util.find_spec("mediapipe") is not None:
        return None
    python = python or sys.executable
    numpy_version = importlib.metadata.version("numpy")
    return ("ectfg: MediaPipe is not installed, so Face Mask Extractor needs ComfyUI's 'Load Face Detection Model "
            "(MediaPipe)' connected; or add it without moving numpy: "
            f'"{python}" -m pip install mediapipe "numpy=={numpy_version}" '
            "and put face_landmarker.task in ComfyUI/models/detection/ (README, ComfyUI install).")
