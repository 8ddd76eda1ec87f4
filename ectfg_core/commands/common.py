"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from ectfg_core.commands.content_option import add_content_option

if TYPE_CHECKING:  # the pipeline loads when a command runs, not when the parser is built
    from ectfg_core.pipeline import JobOptions


def add_speech_options(cmd: argparse.ArgumentParser) -> None:
    """The words, the emotional arc and the voice: what `generate`, `sample` and `plan` share."""
    cmd.add_argument("--text", required=True, help="the words the face says (up to 5000 characters)")
    cmd.add_argument(
        "--emotion", default="neutral",
        help="free-form emotional arc, e.g. \"starts calm, slowly becomes furious, ends sad\" (default: neutral)",
    )
    cmd.add_argument("--voice", default="auto", help="espeak-ng voice name, e.g. en-us, en-gb, en-us+f3, ru, cmn "
                     "(default auto: en-us, or the voice of the script the text is written in, e.g. Cyrillic: ru)")
    cmd.add_argument("--backend", default=None,
                     help="speech backend: embedded espeak-ng (default) or a neural model folder name/path under models/tts")
    cmd.add_argument("--speaker", default=None, help="neural backends: the model's speaker name (e.g. a Parler-TTS voice)")
    cmd.add_argument("--aligner", default="auto",
                     help="word timing for neural speech: auto (wav2vec2 folder if installed, else espeak-ng + DTW), or a name")
    add_content_option(cmd)


def add_expression_options(cmd: argparse.ArgumentParser) -> None:
    """The predictor and how strongly the face shows its emotion: what `generate` and `sample` share."""
    cmd.add_argument("--efp-model", default=None,
                     help="trained EmotionFluctuationPredictor folder (default: $ECTFG_EFP_MODEL, else the embedded mode)")
    cmd.add_argument("--efp-blend", type=float, default=0.5,
                     help="with a trained predictor: weight of the description plan (1) against the model (0), default 0.5")
    cmd.add_argument("--expression-strength", type=expression_strength, default=1.0, metavar="S",
                     help="how strongly the face shows the emotion: 0 = speech only, 1 = calibrated (default), "
                          "up to 2 = exaggerated")


def expression_strength(text: str) -> float:
    """argparse type: a number from 0 to 2 (argparse names the flag in its one-line error)."""
    from ectfg_core.types.emotion import MAX_STRENGTH

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; use 0 (speech only) to {MAX_STRENGTH:g}, 1 is the default") from None
    if not (math.isfinite(value) and 0.0 <= value <= MAX_STRENGTH):
        raise argparse.ArgumentTypeError(f"{text} is out of range; use 0 (speech only) to {MAX_STRENGTH:g} (exaggerated), 1 is the default")
    return value


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


def job_options(args: argparse.Namespace) -> JobOptions:
    """The options `generate` and `sample` share, from their flags (ectfg_core.pipeline.JobOptions)."""
    from ectfg_core.pipeline import JobOptions

    return JobOptions(fps=args.fps, size=args.size, seed=args.seed, crop=args.crop, voice=args.voice, backend=args.backend,
                      speaker=args.speaker, aligner=args.aligner, content=args.content, efp_model=args.efp_model,
                      efp_blend=args.efp_blend, expression_strength=args.expression_strength)
