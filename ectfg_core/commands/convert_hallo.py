"""`ectfg convert-hallo`: Hallo's checkpoint (and its SD1.5 / VAE / wav2vec2 files) once into diffusers' pipeline layout."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("convert-hallo", help="write Hallo's weights as one diffusers pipeline folder (loads faster, no key mapping)")
    cmd.add_argument("--models", help="models folder: ComfyUI's models/ or Hallo's pretrained_models/ (default: $ECTFG_MODELS_DIR)")
    cmd.add_argument("--emotion-weights", help="trained emotion fusion .safetensors to bake in (default: "
                                               "<models>/ectfg/emotion_fusion.safetensors if present)")
    cmd.add_argument("--out", required=True, help="new folder for the pipeline (e.g. <models>/diffusers/ectfg-hallo); give it "
                                                  "to `ectfg sample --models` or the Diffusion Models loader's models_dir")
    cmd.add_argument("--precision", choices=("fp16", "fp32"), default="fp16",
                     help="weights precision written (default fp16, as Hallo runs; half the disk)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from ectfg_core.diffusion.files import locate
    from ectfg_core.diffusion.guided_pipeline import EmotionGuidedPipeline
    from ectfg_core.diffusion.weights import load_models
    from ectfg_core.errors import InputError
    from ectfg_core.progress import TerminalProgress

    out = Path(args.out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out {out} already exists and is not an empty folder; give a new folder")
    files = locate(args.models, args.emotion_weights)  # fail on missing weights before any work
    if files.pipeline is not None:
        raise InputError(f"--models {files.root} is already a converted pipeline folder")
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    models = load_models(files=files, device="cpu", dtype=torch.float16 if args.precision == "fp16" else torch.float32,
                         progress=progress)
    # Written beside the target and renamed into place: an interrupted run leaves no half-written pipeline.
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        EmotionGuidedPipeline.from_models(models).save_pretrained(str(partial), safe_serialization=True)
        if out.exists():
            out.rmdir()
        partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    print(f"wrote {out} (diffusers pipeline, {args.precision}); use it with `ectfg sample --models {out}`")
    return 0
