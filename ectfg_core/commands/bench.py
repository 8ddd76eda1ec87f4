"""`ectfg bench`: per-stage timings; `ectfg bench --sampler`: the diffusion sampler's seconds per frame and memory."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="time every stage on a 10-second utterance at 512x512")
    bench.add_argument("--size", type=int, default=512, help="frame size (default 512)")
    bench.add_argument("--fps", type=float, default=25.0, help="frame rate (default 25)")
    bench.add_argument("--seconds", type=float, default=10.0, help="target utterance length (default 10)")
    bench.add_argument("--sampler", action="store_true", help="bench the diffusion sampler: seconds per frame and peak memory")
    bench.add_argument("--steps", type=int, default=40, help="sampler: DDIM steps (default 40, Hallo's)")
    bench.add_argument("--frames", type=int, default=16, help="sampler: frames to sample (default 16, one clip)")
    bench.add_argument("--precision", choices=("auto", "fp16", "bf16", "fp32"), default="auto",
                       help="sampler: weights precision (auto: fp16 on a GPU, fp32 on the CPU)")
    bench.add_argument("--device", help="sampler: cuda, cuda:1 or cpu (default: the GPU if there is one)")
    bench.add_argument("--arch", choices=("full", "small", "tiny"), default="full",
                       help="sampler: architecture with random weights; full = Hallo's (default), small/tiny for CPUs")
    bench.add_argument("--hallo-src",
                       help="sampler: a checkout of Hallo's code (and its requirements) to time its pipeline on the same clip")
    bench.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.sampler:
        from ectfg_core.diffusion.bench import run_sampler_bench  # torch loads only when the sampler is timed

        print(run_sampler_bench(size=args.size, steps=args.steps, frames=args.frames, precision=args.precision,
                                device=args.device, arch=args.arch, hallo_src=args.hallo_src))
        return 0
    from ectfg_core.bench.stages import run_bench

    print(run_bench(size=args.size, fps=args.fps, seconds=args.seconds))
    return 0
