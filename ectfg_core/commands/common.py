"""Options shared by several subcommands."""

from __future__ import annotations

import argparse


def add_speech_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--text", required=True, help="the words the face says (up to 5000 characters)")
    cmd.add_argument(
        "--emotion", default="neutral",
        help="free-form emotional arc, e.g. \"starts calm, slowly becomes furious, ends sad\" (default: neutral)",
    )
    cmd.add_argument("--voice", default="en-us", help="espeak-ng voice name, e.g. en-us, en-gb, en-us+f3 (default en-us)")
