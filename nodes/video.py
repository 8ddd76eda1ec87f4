"""ComfyUI's own VIDEO value (frames + audio + frame rate in one socket), so core Save Video and Get Video Components
take our output directly. Imported lazily: the core library and the tests run without ComfyUI."""

from __future__ import annotations

from fractions import Fraction

import torch

VIDEO_TOOLTIP = "Frames, audio and frame rate in one VIDEO: connect it straight to Save Video."


def _video_classes():
    """(VideoFromComponents, VideoComponents) of the running ComfyUI, or None outside ComfyUI."""
    try:  # the current public API
        from comfy_api.latest import InputImpl, Types

        return InputImpl.VideoFromComponents, Types.VideoComponents
    except ImportError:
        pass
    try:  # the older paths, still kept by ComfyUI for compatibility
        from comfy_api.input_impl import VideoFromComponents
        from comfy_api.util import VideoComponents

        return VideoFromComponents, VideoComponents
    except ImportError:
        return None


def frame_rate(fps: float) -> Fraction:
    """fps as the exact fraction a video container stores (25 -> 25/1, 29.97 -> 2997/100)."""
    return Fraction(float(fps)).limit_denominator(1001)


def make_video(frames: torch.Tensor, audio: dict | None, fps: float):
    """ComfyUI's VIDEO from an IMAGE batch, an AUDIO dict and the frame rate; None where ComfyUI is not installed
    (the node's IMAGE / AUDIO / FLOAT outputs carry the same data)."""
    classes = _video_classes()
    if classes is None:
        return None
    from_components, components = classes
    return from_components(components(images=frames, audio=audio, frame_rate=frame_rate(fps)))
