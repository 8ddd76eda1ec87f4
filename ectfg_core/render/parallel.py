"""Frames of one animator rendered by worker processes, handed back in order.

A frame is small numpy/torch work whose Python overhead holds the GIL, so threads do not overlap; forked processes
do. Each worker inherits the animator (no set-up is repeated, nothing is pickled but the frames) and renders whole
frames exactly as the caller would: the frames, and so the video, are the same bytes whoever rendered them.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator

import numpy as np

# Frames in flight per worker: enough to keep every worker busy, few enough that memory stays flat when the
# consumer (the encoder) is the slower side.
_AHEAD = 2
_MAX_WORKERS = 8  # past this, the parent's unpickling of frames is the bottleneck

# The job a forked worker renders from: set in the parent just before the fork, inherited, never pickled.
_job: tuple[object, np.ndarray] | None = None


def default_workers() -> int:
    """Worker processes for a clip on this machine: one per usable core; 1 (render in-process) where fork is unsafe."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # spawn would set the animator up again in every worker; macOS's fork is unsafe with its frameworks
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MAX_WORKERS))


def _render_one(index: int) -> np.ndarray:
    animator, rows = _job
    return animator.render(rows[index])


def render_in_workers(animator, rows: np.ndarray, workers: int) -> Iterator[np.ndarray]:
    """animator.render(row) for each row, in order, by `workers` forked processes.

    Closing the generator early (an interruption) stops the workers and drops the frames in flight.
    """
    global _job
    count = len(rows)
    if count == 0:
        return
    _job = (animator, rows)
    try:
        pool = multiprocessing.get_context("fork").Pool(min(workers, count))
    finally:
        _job = None  # the workers have their copy; the parent keeps no reference
    with pool:  # leaving it (done, error or interruption) terminates the workers
        pending: deque = deque()
        upcoming = iter(range(count))
        for index in upcoming:
            pending.append(pool.apply_async(_render_one, (index,)))
            if len(pending) >= _AHEAD * workers:
                break
        while pending:
            frame = pending.popleft().get()
            for index in upcoming:
                pending.append(pool.apply_async(_render_one, (index,)))
                break
            yield frame
