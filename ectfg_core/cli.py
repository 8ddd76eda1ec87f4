"""`ectfg` command line: generate, plan, bench."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from ectfg_core.errors import InputError, ModelError
from ectfg_core.progress import Interrupted

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we print one line naming the problem and where help is."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _add_speech_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--text", required=True, help="the words the face says (up to 5000 characters)")
    cmd.add_argument(
        "--emotion", default="neutral",
        help="free-form emotional arc, e.g. \"starts calm, slowly becomes furious, ends sad\" (default: neutral)",
    )
    cmd.add_argument("--voice", default="en-us", help="espeak-ng voice name, e.g. en-us, en-gb, en-us+f3 (default en-us)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="ectfg", description="Emotionally continuous talking-face generation, offline on the CPU.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    gen = sub.add_parser("generate", help="write an MP4 of the portrait saying the text with the emotional arc")
    gen.add_argument("--image", help="portrait PNG/JPEG (default: the bundled public-domain NASA astronaut portrait)")
    _add_speech_options(gen)
    gen.add_argument("--out", required=True, help="output .mp4 path; a .json sidecar with plan and track is written beside it")
    gen.add_argument("--fps", type=float, default=25.0, help="video frame rate (default 25)")
    gen.add_argument("--size", type=int, default=512, help="square output size in pixels, multiple of 8 (default 512)")
    gen.add_argument("--seed", type=int, default=0, help="seed for blinks and head motion (default 0)")
    gen.add_argument("--crop", choices=("face", "center"), default="face", help="frame the largest face (default) or the centre")
    gen.add_argument("--quiet", action="store_true", help="no progress bars")

    plan = sub.add_parser("plan", help="print the per-word emotion plan for a text and description")
    _add_speech_options(plan)
    plan.add_argument("--json", action="store_true", help="print JSON: {\"words\": [...], \"warnings\": [...]}")

    bench = sub.add_parser("bench", help="time every stage on a 10-second utterance at 512x512")
    bench.add_argument("--size", type=int, default=512, help="frame size (default 512)")
    bench.add_argument("--fps", type=float, default=25.0, help="frame rate (default 25)")
    bench.add_argument("--seconds", type=float, default=10.0, help="target utterance length (default 10)")
    return parser


def _run_generate(args: argparse.Namespace) -> int:
    from ectfg_core.media.images import load_image
    from ectfg_core.pipeline import generate
    from ectfg_core.progress import TerminalProgress

    image = load_image(args.image)
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    result = generate(
        args.out, args.text, args.emotion, image, fps=args.fps, size=args.size, seed=args.seed,
        voice=args.voice, crop=args.crop, progress=progress,
    )
    for warning in result.plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {result.video_path} ({result.num_frames} frames, {result.audio_seconds:.2f} s) and {result.sidecar_path}")
    return 0


def _run_plan(args: argparse.Namespace) -> int:
    from ectfg_core.pipeline import speak

    spoken = speak(args.text, args.emotion, voice=args.voice)
    plan = spoken.plan
    if args.json:
        payload = {"words": [w.to_dict() for w in plan.words], "warnings": plan.warnings, "hints": spoken.described.hints}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(f"{'word':<18}{'start':>7}{'end':>7}  {'emotion':<10}intensity")
    for w in plan.words:
        bar = "#" * int(round(w.intensity * 20))
        print(f"{w.word[:17]:<18}{w.start:7.2f}{w.end:7.2f}  {w.emotion:<10}{w.intensity:4.2f} {bar}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    return 0


def _run_bench(args: argparse.Namespace) -> int:
    from ectfg_core.bench import run_bench

    print(run_bench(size=args.size, fps=args.fps, seconds=args.seconds))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging off the terminal
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"generate": _run_generate, "plan": _run_plan, "bench": _run_bench}
    try:
        return handlers[args.command](args)
    except (InputError, ModelError) as err:
        print(f"ectfg {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (Interrupted, KeyboardInterrupt):
        print(f"ectfg {args.command}: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
