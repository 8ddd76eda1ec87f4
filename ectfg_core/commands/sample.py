"""`ectfg sample`: text + description + portrait -> photoreal MP4 with the diffusion backbone (GPU; Hallo's weights)."""

from __future__ import annotations

import argparse
import sys

from ectfg_core.commands.common import (
    add_expression_options,
    add_face_model_option,
    add_speech_options,
    job_options,
    select_face_engine,
)


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("sample", help="write an MP4 with the diffusion sampler (Hallo weights, GPU recommended)")
    cmd.add_argument("--image", help="portrait PNG/JPEG (default: the bundled public-domain NASA astronaut portrait)")
    add_speech_options(cmd)
    cmd.add_argument("--out", required=True, help="output .mp4 path; a .json sidecar with plan, track and settings is written beside it")
    cmd.add_argument("--models", help="models folder: ComfyUI's models/ or Hallo's pretrained_models/ (default: $ECTFG_MODELS_DIR)")
    cmd.add_argument("--emotion-weights",
                     help="trained emotion fusion .safetensors (default: <models>/ectfg/emotion_fusion.safetensors if present)")
    cmd.add_argument("--fps", type=float, default=25.0, help="video frame rate (default 25, as Hallo)")
    cmd.add_argument("--size", type=int, default=512, help="square frame size, a multiple of 64 (default 512)")
    cmd.add_argument("--steps", type=int, default=40, help="DDIM steps (default 40)")
    cmd.add_argument("--cfg", type=float, default=3.5, help="classifier-free guidance scale (default 3.5)")
    cmd.add_argument("--seed", type=int, default=42, help="noise seed; the same seed gives the same video (default 42)")
    cmd.add_argument("--clip-length", type=int, default=16, help="frames per clip (default 16)")
    cmd.add_argument("--guide", choices=("renderer", "none"), default="renderer",
                     help="start from the embedded renderer's frames (default), so expressions follow the emotion arc")
    cmd.add_argument("--guide-strength", type=float, default=0.8,
                     help="noise on the guide frames: 0 keeps them, 1 ignores them (default 0.8)")
    cmd.add_argument("--emotion-scale", type=float, default=1.0, help="weight of the emotion features in the gated fusion (default 1)")
    cmd.add_argument("--pose-weight", type=float, default=1.0, help="weight of the pose region's audio attention (default 1)")
    cmd.add_argument("--expression-weight", type=float, default=1.0, help="weight of the expression region's audio attention (default 1)")
    cmd.add_argument("--lip-weight", type=float, default=1.0, help="weight of the lip region's audio attention (default 1)")
    cmd.add_argument("--face-embedding", help="ArcFace embedding of the portrait (.npy or .pt with 512 numbers, as Hallo's face_emb)")
    cmd.add_argument("--precision", choices=("auto", "fp16", "bf16", "fp32"), default="auto", help="weights precision (auto: fp16 on GPU)")
    cmd.add_argument("--device", help="cuda, cuda:1 or cpu (default: the GPU if there is one)")
    cmd.add_argument("--crop", choices=("face", "center"), default="face", help="frame the largest face (default) or the centre")
    add_expression_options(cmd)
    add_face_model_option(cmd)
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def load_face_embedding(path: str):
    import numpy as np

    from ectfg_core.errors import InputError

    try:
        if path.endswith(".npy"):
            values = np.load(path)
        else:
            import torch

            values = torch.load(path, map_location="cpu", weights_only=True)
            values = values.numpy() if hasattr(values, "numpy") else np.asarray(values)
    except (OSError, ValueError, RuntimeError) as err:
        raise InputError(f"cannot read the face embedding {path}: {err}; give a .npy or .pt file with 512 numbers") from None
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    if values.size != 512:
        raise InputError(f"face embedding {path} has {values.size} numbers; an ArcFace embedding has 512")
    return values


def run(args: argparse.Namespace) -> int:
    from ectfg_core.diffusion.config import SamplerSettings
    from ectfg_core.media.images import load_image
    from ectfg_core.pipeline import sample
    from ectfg_core.progress import TerminalProgress

    settings = SamplerSettings(steps=args.steps, guidance_scale=args.cfg, clip_length=args.clip_length,
                               guide_strength=args.guide_strength, emotion_scale=args.emotion_scale,
                               region_weights=(args.pose_weight, args.expression_weight, args.lip_weight)).validate()
    face_engine = select_face_engine(args)
    embedding = load_face_embedding(args.face_embedding) if args.face_embedding else None
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    result = sample(args.out, args.text, args.emotion, load_image(args.image), job_options(args), settings,
                    models_dir=args.models, emotion_weights=args.emotion_weights, precision=args.precision, device=args.device,
                    guide=args.guide == "renderer", face_embedding=embedding, progress=progress)
    for warning in result.plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(face_engine, file=sys.stderr)
    print(f"wrote {result.video_path} ({result.num_frames} frames, {result.audio_seconds:.2f} s) and {result.sidecar_path}")
    return 0
