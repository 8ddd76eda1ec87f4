"""`ectfg generate`: text + description + portrait -> MP4 and sidecar JSON."""

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
    gen = sub.add_parser("generate", help="write an MP4 of the portrait saying the text with the emotional arc")
    gen.add_argument("--image", help="portrait PNG/JPEG (default: the bundled public-domain NASA astronaut portrait)")
    add_speech_options(gen)
    gen.add_argument("--out", required=True, help="output .mp4 path; a .json sidecar with plan and track is written beside it")
    gen.add_argument("--fps", type=float, default=25.0, help="video frame rate (default 25)")
    gen.add_argument("--size", type=int, default=512, help="square output size in pixels, multiple of 8 (default 512)")
    gen.add_argument("--seed", type=int, default=0, help="seed for blinks and head motion (default 0)")
    gen.add_argument("--crop", choices=("face", "center"), default="face", help="frame the largest face (default) or the centre")
    add_expression_options(gen)
    add_face_model_option(gen)
    gen.add_argument("--quiet", action="store_true", help="no progress bars")
    gen.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ectfg_core.media.images import load_image
    from ectfg_core.pipeline import generate
    from ectfg_core.progress import TerminalProgress

    face_engine = select_face_engine(args)
    image = load_image(args.image)
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    result = generate(args.out, args.text, args.emotion, image, job_options(args), progress=progress)
    for warning in result.plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(face_engine, file=sys.stderr)
    print(f"wrote {result.video_path} ({result.num_frames} frames, {result.audio_seconds:.2f} s) and {result.sidecar_path}")
    return 0
