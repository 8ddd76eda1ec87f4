"""ComfyUI entry point for ectfg: registers the nodes and the frontend extension folder.

The library lives in ectfg_core (absolute imports); when the plugin is dropped into custom_nodes without a pip
install, its folder is appended to sys.path so ectfg_core resolves. The adapters in nodes/ import relatively,
because ComfyUI already owns a top-level module called `nodes`.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.append(_HERE)

from ectfg_core.install_hint import mediapipe_install_line  # noqa: E402

from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS  # noqa: E402

if (_mediapipe_hint := mediapipe_install_line()) is not None:  # the one line saying what to install, at load
    print(_mediapipe_hint)

WEB_DIRECTORY = "./web"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
