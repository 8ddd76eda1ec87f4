"""`ectfg bench`: per-stage timings."""

from __future__ import annotations

import argparse

from ectfg_core.diffusion.bench_options import add_sampler_bench_arguments, run_sampler_bench_from_args


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="time every stage on a 10-second utterance at 512x512")
    bench.add_argument("--size", type=int, default=512, help="frame size (default 512)")
    bench.add_argument("--fps", type=float, default=25.0, help="frame rate (default 25)")
    bench.add_argument("--seconds", type=float, default=10.0, help="target utterance length (default 10)")
    bench.add_argument("--sampler", action="store_true", help="bench the diffusion sampler: seconds per frame and peak memory")
    add_sampler_bench_arguments(bench)
    bench.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.sampler:
        print(run_sampler_bench_from_args(args))
        return 0
    from ectfg_core.bench import run_bench

    print(run_bench(size=args.size, fps=args.fps, seconds=args.seconds))
    return 0
