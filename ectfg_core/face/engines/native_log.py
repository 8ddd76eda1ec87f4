"""Keeping MediaPipe's native start-up chatter off the console."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """MediaPipe's C++ side logs setup chatter straight to fd 2; hide it while the graph starts."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (some embedded hosts)
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
