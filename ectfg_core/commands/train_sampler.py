"""`ectfg train-sampler`: train the gated emotion fusion and the audio attention on talking-head clips."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("train-sampler", help="train the emotion fusion + audio attention (ReferenceNet and UNet frozen)")
    cmd.add_argument("--data", required=True, help="folder of clips: <clip>/video.mp4 + transcript.txt (+ track.json, the emotion track)")
    cmd.add_argument("--out", required=True, help="folder for checkpoints and emotion_fusion.safetensors; an existing run there is resumed")
    cmd.add_argument("--models", help="models folder with Hallo's weights (default: $ECTFG_MODELS_DIR)")
    cmd.add_argument("--init", help="emotion weights to start from (default: untrained, i.e. audio only)")
    cmd.add_argument("--steps", type=int, default=30000, help="optimizer steps in total (default 30000, Hallo's stage 2)")
    cmd.add_argument("--frames", type=int, default=14, help="frames per training sample (default 14)")
    cmd.add_argument("--size", type=int, default=512, help="training frame size (default 512)")
    cmd.add_argument("--lr", type=float, default=1e-5, help="learning rate (default 1e-5)")
    cmd.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints (default 500)")
    cmd.add_argument("--seed", type=int, default=42, help="sampling seed (default 42)")
    cmd.add_argument("--device", help="cuda, cuda:1 or cpu (default: the GPU if there is one)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import torch

    from ectfg_core.diffusion.device import compute_device
    from ectfg_core.diffusion.files import locate
    from ectfg_core.diffusion.train import FINAL_NAME, TrainSettings, checkpoints, train_sampler
    from ectfg_core.diffusion.train_data import clip_folders
    from ectfg_core.diffusion.weights import load_models
    from ectfg_core.progress import TerminalProgress

    settings = TrainSettings(steps=args.steps, frames=args.frames, size=args.size, learning_rate=args.lr,
                             checkpoint_every=args.checkpoint_every, seed=args.seed).validate()
    clip_folders(args.data)  # fail on a bad data folder before loading gigabytes
    files = locate(args.models)
    files.emotion = Path(args.init) if args.init else None
    device = compute_device(args.device)
    previous = checkpoints(Path(args.out)) if Path(args.out).is_dir() else []
    if previous:
        print(f"resuming from {previous[-1]}", file=sys.stderr)
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    # fp32 weights; on a GPU the forward runs under autocast (bf16 where supported).
    models = load_models(files=files, device=device, dtype=torch.float32, progress=progress)

    def log(step: int, loss: float) -> None:
        print(f"step {step}: loss {loss:.5f}", file=sys.stderr)

    result = train_sampler(models, args.data, args.out, settings, progress, log)
    print(f"wrote {result.weights} after {result.step} steps; put it at <models>/ectfg/{FINAL_NAME} (or pass --emotion-weights) to use it")
    return 0
