"""Options of the sampler bench, importable without torch so that `ectfg --help` stays fast.

The lead wires it into `ectfg bench`:
    bench.add_argument("--sampler", action="store_true", help=...)
    add_sampler_bench_arguments(bench)          # skips options `ectfg bench` already has (--size)
    ... if args.sampler: print(run_sampler_bench_from_args(args))
"""

from __future__ import annotations

import argparse

OPTIONS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("--size",), {"type": int, "default": 512, "help": "frame size (default 512)"}),
    (("--steps",), {"type": int, "default": 40, "help": "sampler: DDIM steps (default 40, Hallo's)"}),
    (("--frames",), {"type": int, "default": 16, "help": "sampler: frames to sample (default 16, one clip)"}),
    (("--precision",), {"choices": ("auto", "fp16", "bf16", "fp32"), "default": "auto",
                        "help": "sampler: weights precision (auto: fp16 on a GPU, fp32 on the CPU)"}),
    (("--device",), {"help": "sampler: cuda, cuda:1 or cpu (default: the GPU if there is one)"}),
    (("--arch",), {"choices": ("full", "small", "tiny"), "default": "full",
                   "help": "sampler: architecture with random weights; full = Hallo's (default), small/tiny for CPUs"}),
    (("--hallo-src",), {"help": "sampler: a checkout of Hallo's code (and its requirements) to time its pipeline on the same clip"}),
)


def add_sampler_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sampler bench's options, except those the parser already defines."""
    existing = set(parser._option_string_actions)  # argparse has no public way to ask
    for flags, kwargs in OPTIONS:
        if not existing.intersection(flags):
            parser.add_argument(*flags, **kwargs)


def run_sampler_bench_from_args(args: argparse.Namespace) -> str:
    from ectfg_core.diffusion.bench import run_sampler_bench

    return run_sampler_bench(size=args.size, steps=args.steps, frames=args.frames, precision=args.precision,
                             device=args.device, arch=args.arch, hallo_src=args.hallo_src)
