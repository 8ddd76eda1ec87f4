"""Devices, precision and memory: ComfyUI's model management when running inside ComfyUI, plain torch otherwise.

comfy.model_management is imported lazily: ectfg_core must work without ComfyUI (CLI, tests).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from ectfg_core.errors import InputError

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}


def comfy_mm():
    try:
        import comfy.model_management as mm
    except ImportError:
        return None
    return mm


def compute_device(name: str | None = None) -> torch.device:
    if name:
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise InputError(f"device {name}: no CUDA GPU is visible; use cpu", field="device")
        return device
    mm = comfy_mm()
    if mm is not None:
        return mm.get_torch_device()
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def offload_device() -> torch.device:
    mm = comfy_mm()
    return mm.unet_offload_device() if mm is not None else torch.device("cpu")


def pick_dtype(device: torch.device, name: str = "auto") -> torch.dtype:
    """fp16 on a GPU (as Hallo runs), fp32 on the CPU; or the named one."""
    if name in (None, "", "auto"):
        return torch.float16 if device.type == "cuda" else torch.float32
    if name not in DTYPES:
        raise InputError(f"precision {name!r} is unknown; use auto, {', '.join(DTYPES)}")
    return DTYPES[name]


def soft_empty_cache() -> None:
    mm = comfy_mm()
    if mm is not None:
        mm.soft_empty_cache()
    elif torch.cuda.is_available():
        torch.cuda.empty_cache()


def module_bytes(module: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in module.state_dict().values())


class _Managed(nn.Module):
    """What ComfyUI's ModelPatcher holds: a plain module around ours (it sets attributes such as `device` on it)."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner


@contextlib.contextmanager
def on_compute_device(models: nn.Module, working_memory: int = 0) -> Iterator[torch.device]:
    """Have `models` on the compute device for the block.

    Inside ComfyUI the models are wrapped in a ModelPatcher and loaded with load_models_gpu, so ComfyUI frees other
    models first and can offload ours later when another node needs the memory. Outside ComfyUI they stay where the
    caller loaded them (the CLI loads them straight onto the device it was asked for).
    """
    mm = comfy_mm()
    if mm is None:
        yield next(models.parameters()).device
        return
    from comfy.model_patcher import ModelPatcher

    patcher = getattr(models, "patcher", None)
    if patcher is None:
        patcher = ModelPatcher(_Managed(models), load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device(),
                               size=module_bytes(models))
        models.patcher = patcher
    mm.load_models_gpu([patcher], memory_required=working_memory, force_full_load=True)
    try:
        yield mm.get_torch_device()
    finally:
        mm.soft_empty_cache()
