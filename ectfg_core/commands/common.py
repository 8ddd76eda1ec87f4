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


def add_face_model_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--face-model", metavar="PATH", default=None,
                     help="MediaPipe face_landmarker.task for the face landmarks (default: $ECTFG_MODELS_DIR/detection/"
                          "face_landmarker.task if present, else the legacy face mesh of mediapipe 0.10.21)")


def select_face_engine(args: argparse.Namespace) -> str:
    """Choose the face-landmark engine once for this run (a bad --face-model fails before any work); returns the line
    naming it, which the command prints on success (errors stay one line)."""
    from pathlib import Path

    from ectfg_core.errors import InputError
    from ectfg_core.face.engines import choose_engine, describe, set_engine

    if args.face_model is not None and not Path(args.face_model).expanduser().is_file():
        raise InputError(f"--face-model: {args.face_model} is not a file; pass the path of a downloaded face_landmarker.task")
    engine = choose_engine(task_path=args.face_model)
    set_engine(engine)
    return describe(engine)
