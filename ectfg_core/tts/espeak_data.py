"""A private view of espeak-ng's data folder where we can add voice variants (voice-quality presets).

espeak-ng reads variants only from <data>/voices/!v/. The installed data folder is never modified: we build a mirror
in the user's cache (links to every original file, or copies where links are not allowed), whose !v folder is ours,
and write variant files there when they are first needed. If the cache is not writable the original folder is used
and voice quality falls back to prosody alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

_log = logging.getLogger(__name__)
VARIANTS = Path("voices") / "!v"
_PREFIX = "ectfg_"  # our variant files; nothing else in the mirror is ours
_MARKER = ".ectfg-mirror"  # marks a mirror: variants are never written into an installed data folder


def cache_root() -> Path:
    """$ECTFG_CACHE_DIR, else the platform's user cache folder + /ectfg."""
    env = os.environ.get("ECTFG_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "ectfg" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ectfg"


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        dst.symlink_to(src, target_is_directory=src.is_dir())
    except OSError:  # e.g. Windows without developer mode: copy instead (about 20 MB, once)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)


def _build(original: Path, target: Path) -> None:
    """Mirror `original` into `target`: everything linked, except voices/!v which is a real folder."""
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        for entry in original.iterdir():
            if entry.name != "voices":
                _link_or_copy(entry, staging / entry.name)
        (staging / "voices").mkdir()
        for entry in (original / "voices").iterdir():
            if entry.name != "!v":
                _link_or_copy(entry, staging / "voices" / entry.name)
        (staging / VARIANTS).mkdir()
        (staging / _MARKER).write_text(str(original), encoding="utf-8")
        if (original / VARIANTS).is_dir():
            for entry in (original / VARIANTS).iterdir():
                _link_or_copy(entry, staging / VARIANTS / entry.name)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # lost a race to another process: theirs is as good as ours
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def mirror_data(original: str | os.PathLike[str]) -> Path:
    """The writable mirror of espeak-ng's data folder, built on first use; the original folder if that fails."""
    source = Path(original).resolve()
    stamp = f"{source}|{(source / 'phondata').stat().st_mtime_ns if (source / 'phondata').exists() else 0}"
    target = cache_root() / f"espeak-ng-data-{hashlib.sha1(stamp.encode()).hexdigest()[:12]}" / "espeak-ng-data"
    try:
        if not (target / VARIANTS).is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            _build(source, target)
        return target
    except OSError as exc:
        _log.warning("voice quality presets disabled: cannot build %s (%s)", target, exc)
        return source


def write_variant(data: Path, name: str, body: str) -> bool:
    """Write voices/!v/<name> (atomically, once); False if this data folder does not take our variants."""
    folder = data / VARIANTS
    path = folder / name
    if path.is_file():
        return True
    if not name.startswith(_PREFIX) or not (data / _MARKER).is_file() or folder.is_symlink():
        return False
    try:
        fd, tmp = tempfile.mkstemp(prefix=".v-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, path)
        return True
    except OSError as exc:
        _log.warning("cannot write voice variant %s (%s)", path, exc)
        return False


def private_library(original: str | os.PathLike[str]) -> Path:
    """A copy of the espeak-ng library file that only we load (in the user cache, made once); the original if the
    cache is not writable. Unloading it resets the engine's internal state, which works only while no other module
    in the process (e.g. another TTS package) holds the same file open."""
    source = Path(original).resolve()
    try:
        info = source.stat()
        stamp = f"{source}|{info.st_size}|{info.st_mtime_ns}"
        target = cache_root() / f"espeak-ng-lib-{hashlib.sha1(stamp.encode()).hexdigest()[:12]}" / source.name
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".lib-", dir=target.parent)
            os.close(fd)
            shutil.copy2(source, tmp)
            os.replace(tmp, target)
        return target
    except OSError as exc:
        _log.warning("using the shared espeak-ng library %s (cannot copy it: %s); speech may vary slightly between calls",
                     source, exc)
        return source
