"""Example inputs copied into ComfyUI's input folder so the shared workflows run with no further step:
the bundled portrait (Load Image in every workflow) and a short speech clip (Load Audio in the external-speech one)."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from ectfg_core.media.images import default_portrait_path

EXAMPLE_PORTRAIT = "ectfg_astronaut.png"  # the name the workflows' Load Image nodes use
EXAMPLE_SPEECH = "ectfg_example_speech.wav"  # the name workflow (c)'s Load Audio uses
# What the example clip says; workflow (c)'s External Speech node has the same text.
EXAMPLE_SPEECH_TEXT = "I waited all day for your call. Honestly, I am not angry. I am just a little disappointed."

_log = logging.getLogger("ectfg")


def _input_dir(input_dir: str | Path | None) -> Path | None:
    if input_dir is not None:
        return Path(input_dir)
    try:
        import folder_paths
    except ImportError:
        return None
    return Path(folder_paths.get_input_directory())


def _install(target: Path, write: Callable[[Path], None]) -> Path | None:
    """Write `target` through a temporary name unless it exists; never raises (the plugin must still load)."""
    if target.exists():
        return target
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        partial.replace(target)  # atomic: ComfyUI never lists a half-written file
    except Exception as err:  # noqa: BLE001 - an example file is optional; log and go on
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        _log.warning("ectfg: could not write the example input %s (%s); load your own file instead", target, err)
        return None
    return target


def install_example_portrait(input_dir: str | Path | None = None) -> Path | None:
    """<input>/ectfg_astronaut.png from the bundled portrait, unless a file of that name is there."""
    folder = _input_dir(input_dir)
    if folder is None:
        return None
    return _install(folder / EXAMPLE_PORTRAIT, lambda path: shutil.copyfile(default_portrait_path(), path))


def install_example_speech(input_dir: str | Path | None = None) -> Path | None:
    """<input>/ectfg_example_speech.wav spoken by the embedded espeak-ng voice (about 0.2 s of work, done once)."""
    folder = _input_dir(input_dir)
    if folder is None:
        return None

    def write(path: Path) -> None:
        from ectfg_core.media.audio import write_wav
        from ectfg_core.pipeline import speak

        spoken = speak(EXAMPLE_SPEECH_TEXT, "neutral", words_per_minute=150)
        write_wav(path, spoken.speech.samples, spoken.speech.sample_rate)

    return _install(folder / EXAMPLE_SPEECH, write)


def install_examples(input_dir: str | Path | None = None) -> None:
    install_example_portrait(input_dir)
    install_example_speech(input_dir)
