"""`ectfg speech-bench`: voice quality, pauses, speed and word-alignment accuracy of the speech stage."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("speech-bench", help="measure the speech stage: voice quality per emotion, pauses, speed, alignment")
    bench.add_argument("--model", help="also time a neural TTS model folder (name under models/tts, or a path)")
    bench.add_argument("--device", help="device for the neural model, e.g. cuda or cpu (default: cuda if available)")
    bench.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ectfg_core.bench.speech import run_speech_bench

    print(run_speech_bench(model=args.model, device=args.device))
    return 0
