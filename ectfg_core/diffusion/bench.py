"""Sampler bench: seconds per frame and peak memory for a size and a step count, optionally next to Hallo's own code.

Random weights in the full architecture (no files needed), so it runs anywhere. With `hallo_src` (a checkout of
github.com/fudan-generative-vision/hallo and its requirements), Hallo's FaceAnimatePipeline runs the same clip with
the same weights (mapped to its names), the same noise and the same conditioning, in the same process; the report
gives both figures, the ratio, and how far the two videos are apart (they should agree to fp16 rounding).

    ectfg bench --sampler --size 512 --steps 40 --precision fp16 --hallo-src /path/to/hallo
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ectfg_core.diffusion.config import HALLO_SCHEDULER_CONFIG, Architecture, SamplerSettings
from ectfg_core.diffusion.device import compute_device, pick_dtype
from ectfg_core.diffusion.keymap import ours_to_hallo
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.regions import mask_pyramid
from ectfg_core.diffusion.sampler import EmotionGuidedSampler, encode_conditioning
from ectfg_core.errors import InputError

# Hallo's configs/inference/default.yaml, unet_additional_kwargs (kept here so the bench needs no omegaconf).
HALLO_UNET_KWARGS = {
    "use_inflated_groupnorm": True, "unet_use_cross_frame_attention": False, "unet_use_temporal_attention": False,
    "use_motion_module": True, "use_audio_module": True, "motion_module_resolutions": [1, 2, 4, 8],
    "motion_module_mid_block": True, "motion_module_decoder_only": False, "motion_module_type": "Vanilla",
    "motion_module_kwargs": {"num_attention_heads": 8, "num_transformer_block": 1,
                             "attention_block_types": ["Temporal_Self", "Temporal_Self"], "temporal_position_encoding": True,
                             "temporal_position_encoding_max_len": 32, "temporal_attention_dim_div": 1},
    "audio_attention_dim": 768, "stack_enable_blocks_name": ["up", "down", "mid"], "stack_enable_blocks_depth": [0, 1, 2, 3],
}


@dataclass
class Figures:
    label: str
    seconds: float
    frames: int
    peak_bytes: int

    @property
    def per_frame(self) -> float:
        return self.seconds / self.frames


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    else:
        with contextlib.suppress(OSError):  # Linux: "5" resets the peak resident set size (VmHWM)
            Path("/proc/self/clear_refs").write_text("5")


def _peak(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def random_models(arch: Architecture, device: torch.device, dtype: torch.dtype, seed: int) -> DiffusionModels:
    """Random weights everywhere, including the layers Hallo starts at zero (so every path computes something)."""
    torch.manual_seed(seed)
    with torch.device(device):
        models = DiffusionModels.build(arch)
    with torch.no_grad():
        for name, param in models.named_parameters():
            if "zero_conv" in name or name.startswith("face_locator.conv_out") or (".motion_modules." in name and "proj_out" in name):
                param.normal_(0.0, 0.02)
    return torch.nn.Module.to(models, dtype=dtype).eval().requires_grad_(False)


def bench_inputs(arch: Architecture, size: int, frames: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    reference = torch.rand(size, size, 3, generator=generator)
    features = torch.randn(frames, arch.audio_layers, arch.audio_channels, generator=generator)
    yy, xx = np.mgrid[0:size, 0:size] / size
    face = np.clip(1.2 - 3.0 * np.hypot(xx - 0.5, yy - 0.45), 0, 1).astype(np.float32)
    lip = np.clip(1.0 - 8.0 * np.hypot(xx - 0.5, yy - 0.62), 0, 1).astype(np.float32)
    regions = np.stack([1 - face, np.clip(face - lip, 0, 1), lip])
    box = np.zeros((size, size), np.float32)
    box[size // 5: 4 * size // 5, size // 4: 3 * size // 4] = 1
    return reference, features, regions, box


def time_ours(models: DiffusionModels, inputs, tokens: torch.Tensor, frames: int, settings: SamplerSettings,
              device: torch.device) -> tuple[torch.Tensor, Figures]:
    reference, _, regions, box = inputs
    sampler = EmotionGuidedSampler(models)
    warm = SamplerSettings(**{**settings.__dict__, "steps": 1})
    sampler.sample(reference, tokens, regions, box, min(frames, settings.clip_length), warm)  # kernels, allocator
    _reset_peak(device)
    _sync(device)
    start = time.perf_counter()
    video = sampler.sample(reference, tokens, regions, box, frames, settings)
    _sync(device)
    return video, Figures("ectfg EmotionGuidedSampler", time.perf_counter() - start, frames, _peak(device))


# --- Hallo's own code -----------------------------------------------------------------------------------------------
def _import_hallo(src: Path):
    if not (src / "hallo" / "models" / "unet_3d.py").is_file():
        raise InputError(f"{src} is not a checkout of github.com/fudan-generative-vision/hallo (no hallo/models/unet_3d.py)",
                         field="hallo_src")
    sys.path.insert(0, str(src))
    try:
        import xformers  # noqa: F401  (Hallo's motion module imports it; its default path does not use it)
    except ImportError:
        stub = types.ModuleType("xformers")
        stub.ops = types.ModuleType("xformers.ops")
        sys.modules.update({"xformers": stub, "xformers.ops": stub.ops})
    try:
        from hallo.animate.face_animate import FaceAnimatePipeline
        from hallo.models.audio_proj import AudioProjModel
        from hallo.models.face_locator import FaceLocator
        from hallo.models.image_proj import ImageProjModel
        from hallo.models.unet_2d_condition import UNet2DConditionModel
        from hallo.models.unet_3d import UNet3DConditionModel
    except ImportError as err:
        raise InputError(f"cannot import Hallo from {src} ({err}); install its requirements (einops, ...) first") from None
    return FaceAnimatePipeline, AudioProjModel, FaceLocator, ImageProjModel, UNet2DConditionModel, UNet3DConditionModel


def _noise_in_float32(pipeline_cls) -> None:
    """Hallo draws its starting noise in the pipeline's dtype; ours is drawn in float32 whatever the precision. Some
    torch builds (2.11 on an x86 GPU host) draw float16 normals on the CPU along another code path than float32 ones,
    so in fp16 the same seed would give Hallo other noise and the two videos could not be compared. Hallo's module
    draws in float32 here too."""
    module = sys.modules[pipeline_cls.__module__]
    draw = module.randn_tensor
    if getattr(draw, "ectfg_float32", False):
        return

    def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
        return draw(shape, generator=generator, device=device, dtype=torch.float32, layout=layout).to(dtype)

    randn_tensor.ectfg_float32 = True
    module.randn_tensor = randn_tensor


class _HalloNet(torch.nn.Module):
    """scripts/inference.py's Net: the same attribute names, hence the same checkpoint keys."""

    def __init__(self, reference_unet, denoising_unet, face_locator, imageproj, audioproj):
        super().__init__()
        self.reference_unet, self.denoising_unet, self.face_locator = reference_unet, denoising_unet, face_locator
        self.imageproj, self.audioproj = imageproj, audioproj


def hallo_pipeline(src: Path, models: DiffusionModels, device: torch.device, dtype: torch.dtype):
    """Hallo's FaceAnimatePipeline holding our weights (mapped to Hallo's names, loaded strictly)."""
    pipeline_cls, audio_proj, face_locator, image_proj, unet2d, unet3d = _import_hallo(src)
    _noise_in_float32(pipeline_cls)
    arch = models.arch
    kwargs = {**HALLO_UNET_KWARGS, "audio_attention_dim": arch.cross_attention_dim,
              "motion_module_kwargs": {**HALLO_UNET_KWARGS["motion_module_kwargs"],
                                       "num_attention_heads": arch.motion["motion_num_attention_heads"]}}
    config3d = {**arch.unet, "down_block_types": ["CrossAttnDownBlock3D"] * 3 + ["DownBlock3D"],
                "up_block_types": ["UpBlock3D"] + ["CrossAttnUpBlock3D"] * 3, "mid_block_type": "UNetMidBlock3DCrossAttn"}
    with torch.device("meta"):
        net = _HalloNet(unet2d.from_config(arch.unet), unet3d.from_config(config3d, **kwargs),
                        face_locator(arch.unet["block_out_channels"][0], block_out_channels=tuple(arch.face_locator_channels)),
                        image_proj(arch.cross_attention_dim, arch.face_embed_dim, arch.face_tokens),
                        audio_proj(arch.audio_window, arch.audio_layers, arch.audio_channels, arch.audio_hidden,
                                   arch.cross_attention_dim, arch.audio_tokens))
    state = {hallo: value for key, value in models.hallo_state_dict().items() for hallo in ours_to_hallo(key)}
    net.load_state_dict(state, strict=True, assign=True)
    net = torch.nn.Module.to(net, device=device, dtype=dtype).eval()
    from diffusers import DDIMScheduler

    pipeline = pipeline_cls(vae=models.vae, reference_unet=net.reference_unet, denoising_unet=net.denoising_unet,
                            face_locator=net.face_locator, scheduler=DDIMScheduler(**HALLO_SCHEDULER_CONFIG), image_proj=net.imageproj)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline, net


def run_hallo(pipeline, models: DiffusionModels, inputs, tokens: torch.Tensor, frames: int, settings: SamplerSettings,
              device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """scripts/inference.py's clip loop (motion frames = the last frames of the previous clip), on our inputs."""
    reference, _, regions, box = inputs
    arch, clip = models.arch, settings.clip_length
    size = reference.shape[0]
    latent = size // arch.vae_scale_factor
    masks, _ = mask_pyramid(regions, (latent, latent), arch.latent_levels)
    full, face, lip = ([m[i].repeat(clip, 1).to(device, dtype) for m in masks] for i in range(3))
    source = (reference.permute(2, 0, 1) * 2 - 1).to(device, dtype)
    face_box = torch.as_tensor(box)[None].repeat(3, 1, 1)[None].to(device, dtype)
    generator = torch.manual_seed(settings.seed)
    outputs: list[torch.Tensor] = []
    for k in range(frames // clip):
        previous = source[None].repeat(settings.motion_frames, 1, 1, 1) if not outputs else \
            (outputs[-1][0].permute(1, 0, 2, 3)[-settings.motion_frames:] * 2.0 - 1.0).to(device, dtype)
        result = pipeline(ref_image=torch.cat([source[None], previous])[None], face_emb=torch.zeros(1, arch.face_embed_dim),
                          audio_tensor=tokens[k * clip:(k + 1) * clip][None], face_mask=face_box, pixel_values_full_mask=full,
                          pixel_values_face_mask=face, pixel_values_lip_mask=lip, width=size, height=size, video_length=clip,
                          num_inference_steps=settings.steps, guidance_scale=settings.guidance_scale, generator=generator,
                          motion_scale=list(settings.region_weights))
        outputs.append(result.videos)
    return torch.cat(outputs, dim=2)[0].permute(1, 2, 3, 0).float()


def time_hallo(src: Path, models: DiffusionModels, inputs, tokens: torch.Tensor, frames: int, settings: SamplerSettings,
               device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, Figures]:
    pipeline, net = hallo_pipeline(src, models, device, dtype)
    for name in ("reference_unet", "denoiser", "face_locator", "image_proj"):  # only its own copies on the device
        getattr(models, name).to("cpu")
    warm = SamplerSettings(**{**settings.__dict__, "steps": 1})
    run_hallo(pipeline, models, inputs, tokens, settings.clip_length, warm, device, dtype)
    _reset_peak(device)
    _sync(device)
    start = time.perf_counter()
    video = run_hallo(pipeline, models, inputs, tokens, frames, settings, device, dtype)
    _sync(device)
    figures = Figures("Hallo FaceAnimatePipeline", time.perf_counter() - start, frames, _peak(device))
    del pipeline, net
    return video, figures


# --- report ---------------------------------------------------------------------------------------------------------
def run_sampler_bench(size: int = 512, steps: int = 40, frames: int = 16, precision: str = "auto", device: str | None = None,
                      arch: str = "full", hallo_src: str | Path | None = None, cfg: float = 3.5, seed: int = 42) -> str:
    """Sample `frames` frames at size x size with `steps` DDIM steps; return the printed report."""
    torch_device = compute_device(device)
    dtype = pick_dtype(torch_device, precision)
    architecture = {"full": Architecture.full, "small": Architecture.small, "tiny": Architecture.tiny}[arch]()
    settings = SamplerSettings(steps=steps, guidance_scale=cfg, seed=seed).validate()
    if frames < 1 or (hallo_src and frames % settings.clip_length):
        raise InputError(f"frames {frames}: use a positive multiple of {settings.clip_length} (whole clips, as Hallo samples)",
                         field="frames")
    if hallo_src and arch == "tiny":
        raise InputError("Hallo's code needs four UNet levels; compare with the small or full architecture", field="arch")
    models = random_models(architecture, torch_device, dtype, seed)
    inputs = bench_inputs(architecture, size, frames, seed)
    tokens = encode_conditioning(models, inputs[1], None)
    video, ours = time_ours(models, inputs, tokens, frames, settings, torch_device)
    rows = [ours]
    lines = []
    if hallo_src:
        hallo_video, hallo = time_hallo(Path(hallo_src), models, inputs, tokens, frames, settings, torch_device, dtype)
        rows.append(hallo)
        diff = (video - hallo_video.cpu()).abs()
        lines.append(f"videos differ by {float(diff.max()):.4f} at most, {float(diff.mean()):.5f} on average (0..1 pixels)")
        lines.append(f"throughput ectfg / Hallo: {hallo.seconds / ours.seconds:.2f}x; peak memory ectfg / Hallo: "
                     f"{ours.peak_bytes / max(hallo.peak_bytes, 1):.2f}x")
    name = torch.cuda.get_device_name(torch_device) if torch_device.type == "cuda" else f"CPU ({os.cpu_count()} threads)"
    memory = "GPU memory allocated" if torch_device.type == "cuda" else "process RSS"
    header = (f"sampler bench: {arch} architecture, random weights, {size}x{size}, {frames} frames, {steps} DDIM steps, "
              f"CFG {cfg:g}, {str(dtype).replace('torch.', '')} on {name}")
    table = [f"{'':<28}{'s/frame':>10}{'total s':>10}{'peak ' + memory:>28}"]
    table += [f"{r.label:<28}{r.per_frame:>10.3f}{r.seconds:>10.3f}{r.peak_bytes / 2**30:>24.2f} GiB" for r in rows]
    return "\n".join([header, *table, *lines])

