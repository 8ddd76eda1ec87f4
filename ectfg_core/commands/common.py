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
    cmd.add_argument("--backend", default=None,
                     help="speech backend: embedded espeak-ng (default) or a neural model folder name/path under models/tts")
    cmd.add_argument("--speaker", default=None, help="neural backends: the model's speaker name (e.g. a Parler-TTS voice)")
    cmd.add_argument("--aligner", default="auto",
                     help="word timing for neural speech: auto (wav2vec2 folder if installed, else espeak-ng + DTW), or a name")
