"""`ectfg` command line. Each subcommand lives in ectfg_core/commands/."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ectfg_core.commands import (
    bench,
    convert_hallo,
    evaluate,
    generate,
    label_video,
    plan,
    sample,
    speech_bench,
    train_efp,
    train_sampler,
)
from ectfg_core.commands.messages import for_cli
from ectfg_core.errors import InputError, ModelError
from ectfg_core.progress import Interrupted

EXIT_USAGE = 2
COMMANDS = (generate, plan, bench, speech_bench, label_video, train_efp, evaluate, sample, train_sampler, convert_hallo)


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we print one line naming the problem and where help is."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="ectfg", description="Emotionally continuous talking-face generation, offline on the CPU.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging off the terminal
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (InputError, ModelError) as err:
        message = for_cli(err, args.command) if isinstance(err, InputError) else str(err)
        print(f"ectfg {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except (Interrupted, KeyboardInterrupt):
        print(f"ectfg {args.command}: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
