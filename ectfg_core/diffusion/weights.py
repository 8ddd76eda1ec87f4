"""Loading the backbone's weights: Hallo's checkpoint by an explicit key mapping that fails loudly, then ours on top.

Order: Hallo's net.pth fills the ReferenceNet, the denoiser (spatial, temporal and audio layers), the face locator and
the face-image and audio projections. Keys it lacks (none, for Hallo's released net.pth) are then taken from the
AnimateDiff motion module and the SD1.5 UNet, which is the order Hallo itself loads them in, reversed so that the big
files are read only when needed. Any key that maps nowhere, any shape that differs and any key left unfilled is an
error naming the file, the keys and the fix. Then the VAE, wav2vec2 and, if present, our emotion weights.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from ectfg_core.diffusion.config import SD_VAE_CONFIG, Architecture
from ectfg_core.diffusion.files import HALLO_HUB, SPLIT_PARTS, ModelFiles, locate, split_part
from ectfg_core.diffusion.keymap import Duplicate, animatediff_to_ours, hallo_to_ours, ours_to_hallo, sd_unet_to_ours
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.errors import ModelError
from ectfg_core.progress import Progress

EMOTION_FORMAT = "ectfg.emotion/1"
_EXAMPLES = 3


# --- reading ------------------------------------------------------------------------------------------------------
def read_state(path: Path) -> Iterator[tuple[str, torch.Tensor]]:
    """(key, tensor) of a .safetensors / .pth / .bin / .ckpt file, without loading it whole where the format allows."""
    path = Path(path)
    if path.suffix == ".safetensors":
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():
                yield key, handle.get_tensor(key)
        return
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # files written in torch's legacy format cannot be memory-mapped
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"cannot read {path} ({reason}); the file is damaged or not a PyTorch checkpoint, download it again") from None
    for wrapper in ("state_dict", "module"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise ModelError(f"{path} holds a {type(state).__name__}, not a state dict of tensors; download the original file again")
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            yield key, value


def read_hallo(path: Path) -> Iterator[tuple[str, torch.Tensor]]:
    """Keys of Hallo's checkpoint with their Net prefixes, from net.pth or from one file per module."""
    if Path(path).is_dir():
        for part in SPLIT_PARTS:
            for key, value in read_state(split_part(Path(path), part)):
                yield key if key.startswith(part + ".") else f"{part}.{key}", value
    else:
        yield from read_state(path)


# --- filling ------------------------------------------------------------------------------------------------------
class StateFiller:
    """Copies mapped tensors into a module's live parameters and buffers and keeps the accounts."""

    def __init__(self, module: nn.Module, required: Iterable[str]):
        self.targets = module.state_dict(keep_vars=True)
        self.required = set(required)
        self.filled: set[str] = set()
        self.unexpected: list[str] = []
        self.mismatched: list[str] = []
        self.duplicates: list[tuple[str, str, torch.Tensor]] = []

    @property
    def missing(self) -> list[str]:
        return sorted(self.required - self.filled)

    def put(self, source_key: str, target: str | None, tensor: torch.Tensor) -> None:
        if target is None or target not in self.targets:
            self.unexpected.append(source_key)
            return
        if isinstance(target, Duplicate):
            self.duplicates.append((source_key, str(target), tensor))
            return
        live = self.targets[target]
        if tuple(live.shape) != tuple(tensor.shape):
            self.mismatched.append(f"{source_key} {tuple(tensor.shape)} vs {tuple(live.shape)}")
            return
        with torch.no_grad():
            live.copy_(tensor.to(device=live.device, dtype=live.dtype))
        self.filled.add(target)

    def check(self, source: str, fix: str) -> None:
        """One ModelError for everything wrong, or nothing."""
        for source_key, target, tensor in self.duplicates:
            live = self.targets[target].detach().float().cpu()
            if live.shape != tensor.shape or not torch.allclose(live, tensor.float(), atol=1e-3):
                self.mismatched.append(f"{source_key} (differs from the table it repeats)")
        problems = []
        for label, keys in (("unexpected keys", self.unexpected), ("keys with another shape (file vs model)", self.mismatched),
                            ("missing keys", self.missing)):
            if keys:
                problems.append(f"{len(keys)} {label} (e.g. {', '.join(keys[:_EXAMPLES])})")
        if problems:
            raise ModelError(f"{source} does not fit the Hallo architecture: {'; '.join(problems)}; {fix}")


def _fill_from(filler: StateFiller, items: Iterable[tuple[str, torch.Tensor]], mapper: Callable[[str], object],
               only: set[str] | None = None) -> None:
    for key, tensor in items:
        targets = mapper(key)
        for target in targets if isinstance(targets, list) else [targets]:
            if only is not None and (target is None or str(target) not in only):
                continue
            filler.put(key, target, tensor)


def load_hallo_weights(models: DiffusionModels, files: ModelFiles) -> None:
    """Fill every Hallo-covered tensor of `models` (see the module docstring for the order)."""
    part = models.hallo_state_dict()
    filler = StateFiller(models, part)
    _fill_from(filler, read_hallo(files.hallo), hallo_to_ours)
    fix = f"use Hallo's released net.pth ({HALLO_HUB}) unmodified"
    if filler.unexpected or filler.mismatched:
        filler.check(str(files.hallo), fix)
    for path, mapper in ((files.motion_module, animatediff_to_ours), (files.unet_weights, sd_unet_to_ours)):
        missing = set(filler.missing)
        if missing and path is not None:
            _fill_from(filler, read_state(path), mapper, only=missing)
    filler.check(str(files.hallo), fix + "; keys it lacks come from mm_sd_v15_v2.ckpt and the SD1.5 UNet, put those beside it")


ARCHITECTURE_FILE = "architecture.json"


def architecture_file(hallo: Path) -> Path:
    """Where a checkpoint's architecture.json sits: beside net.pth, or inside a folder of split parts."""
    hallo = Path(hallo)
    return (hallo if hallo.is_dir() else hallo.parent) / ARCHITECTURE_FILE


def checkpoint_architecture(hallo: Path) -> Architecture:
    """Hallo's published architecture, unless an architecture.json beside the checkpoint describes another size
    (Hallo's net.pth carries no config; export_hallo_checkpoint writes one for any other size it exports)."""
    path = architecture_file(hallo)
    if not path.is_file():
        return Architecture.full()
    try:
        return Architecture.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as err:
        raise ModelError(f"cannot read the architecture {path} ({err}); delete it to load Hallo's own architecture, "
                         "or export the checkpoint again") from None


def export_hallo_checkpoint(models: DiffusionModels, path: str | Path) -> Path:
    """Write the Hallo-covered weights under Hallo's names (net.pth layout; .safetensors or .pth by suffix), and an
    architecture.json beside them when the models are not Hallo's size, so that load_models rebuilds the same shapes."""
    state: dict[str, torch.Tensor] = {}
    for key, value in models.hallo_state_dict().items():
        for hallo_key in ours_to_hallo(key):
            state[hallo_key] = value.detach().cpu().contiguous().clone()
    path = Path(path)
    if path.suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state, path)
    if models.arch != Architecture.full(models.arch.unet):
        architecture_file(path).write_text(json.dumps(models.arch.to_dict(), indent=1), encoding="utf-8")
    return path


# --- VAE and wav2vec2 -------------------------------------------------------------------------------------------
def load_vae(path: Path, dtype: torch.dtype):
    from diffusers import AutoencoderKL

    if path.is_dir():
        return AutoencoderKL.from_pretrained(str(path), torch_dtype=dtype, local_files_only=True, low_cpu_mem_usage=False)
    state = dict(read_state(path))
    if not any(k.startswith("encoder.down_blocks.") for k in state):  # original (LDM) layout: convert with diffusers
        from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

        state = convert_ldm_vae_checkpoint(state, SD_VAE_CONFIG)
    vae = AutoencoderKL.from_config(SD_VAE_CONFIG)
    result = vae.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ModelError(f"{path} is not an SD VAE: {len(result.missing_keys)} missing and {len(result.unexpected_keys)} unexpected "
                         f"keys (e.g. {(result.missing_keys + result.unexpected_keys)[:_EXAMPLES]}); use sd-vae-ft-mse")
    return nn.Module.to(vae, dtype=dtype)


def load_wav2vec(path: Path, arch: Architecture, dtype: torch.dtype):
    from transformers import Wav2Vec2Model

    model = Wav2Vec2Model.from_pretrained(str(path), local_files_only=True)
    if model.config.num_hidden_layers != arch.audio_layers or model.config.hidden_size != arch.audio_channels:
        raise ModelError(f"{path} has {model.config.num_hidden_layers} layers of width {model.config.hidden_size}; Hallo's audio "
                         f"projection needs {arch.audio_layers} x {arch.audio_channels} (wav2vec2-base-960h)")
    return model.to(dtype)


# --- our emotion weights ------------------------------------------------------------------------------------------
def save_emotion_weights(models: DiffusionModels, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """The trained parts (gated fusion + audio modules) as safetensors, with the fusion config in the metadata."""
    state = {k: v.detach().cpu().contiguous() for k, v in models.trainable_state_dict().items()}
    meta = {"format": EMOTION_FORMAT, "fusion_config": json.dumps(dict(models.fusion.config)), **(metadata or {})}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata=meta)
    return path


def load_emotion_weights(models: DiffusionModels, path: str | Path) -> None:
    """Put trained emotion weights on top of Hallo's: all fusion keys, and all or none of the audio-module keys."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"emotion weights {path} not found; train them with `ectfg train-sampler` or run without them")
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata() or {}
        keys = list(handle.keys())
    if meta.get("format") != EMOTION_FORMAT:
        raise ModelError(f"{path} is not an ectfg emotion weights file (format {meta.get('format')!r}, expected {EMOTION_FORMAT}); "
                         "use the emotion_fusion.safetensors that `ectfg train-sampler` writes")
    trainable = models.trainable_state_dict()
    fusion_keys = {k for k in trainable if k.startswith("fusion.")}
    audio_keys = set(trainable) - fusion_keys
    present_audio = set(keys) & audio_keys
    required = fusion_keys | (audio_keys if present_audio else set())
    filler = StateFiller(models, required)
    _fill_from(filler, read_state(path), lambda k: k if k in trainable else None)
    filler.check(str(path), "it was trained for another architecture; retrain with `ectfg train-sampler` on these weights")
    models.emotion_weights = str(path)


# --- everything ---------------------------------------------------------------------------------------------------
def read_unet_config(path: Path) -> dict:
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the SD1.5 UNet config {path}: {err}; "
                         "download stable-diffusion-v1-5/unet/config.json again") from None
    return {k: v for k, v in config.items() if not k.startswith("_")}


def load_models(root: str | Path | None = None, emotion: str | Path | None = None, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float32, progress: Progress | None = None, files: ModelFiles | None = None,
                arch: Architecture | None = None) -> DiffusionModels:
    """Build Hallo's architecture without memory, then fill it straight on `device` in `dtype` from the files; or, for
    a folder `ectfg convert-hallo` wrote, let diffusers load it (no key mapping).

    `arch` gives the shapes besides the UNet, whose config comes from the SD1.5 folder; by default Hallo's, or what an
    architecture.json beside the checkpoint says (a converted folder carries its own).
    """
    progress = progress or Progress()
    files = files or locate(root, emotion)
    if files.pipeline is not None:
        from ectfg_core.diffusion.guided_pipeline import load_pipeline_models

        progress.stage("load", 2)
        models = load_pipeline_models(files.pipeline, device, dtype)
        progress.advance()
        if files.emotion is not None:
            load_emotion_weights(models, files.emotion)
        progress.advance()
        progress.finish()
        return models
    progress.stage("load", 5)
    arch = (arch or checkpoint_architecture(files.hallo)).with_unet(read_unet_config(files.unet_config))
    try:
        models = DiffusionModels.build(arch, on_meta=True)
    except (ValueError, TypeError, KeyError) as err:  # diffusers' own complaint about mismatched blocks
        source = architecture_file(files.hallo)
        raise ModelError(f"the UNet config {files.unet_config} does not fit the motion modules and audio layers "
                         f"{'of ' + str(source) if source.is_file() else 'of Hallo'} ({err}); use the UNet config of "
                         "stable-diffusion-v1-5, the model Hallo was trained on") from None
    models.vae = None  # replaced by the loaded one below
    models.materialize(device, dtype)
    for small in (models.face_locator, models.image_proj, models.audio_proj, models.fusion):
        nn.Module.to(small, device=device, dtype=dtype)
    progress.advance()
    load_hallo_weights(models, files)
    progress.advance()
    models.vae = load_vae(files.vae, dtype).to(device)
    progress.advance()
    models.audio_encoder = load_wav2vec(files.wav2vec, arch, dtype).to(device)
    progress.advance()
    if files.emotion is not None:
        load_emotion_weights(models, files.emotion)
    progress.advance()
    progress.finish()
    models.eval().requires_grad_(False)
    return models
