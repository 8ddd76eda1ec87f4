"""ectfg core library: emotionally continuous talking-face generation, usable without ComfyUI."""

__version__ = "0.1.0"
