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
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

# Frames in flight per worker: enough to keep every worker busy, few enough that memory stays flat when the
# consumer (the encoder) is the slower side.
_AHEAD = 2
_MAX_WORKERS = 8  # past this, the parent's unpickling of frames is the bottleneck

# A worker's job: the animator and the clip's control rows, inherited through the fork, never pickled.
_job: tuple[object, np.ndarray] | None = None


def default_workers() -> int:
    """Worker processes for a clip on this machine: one per usable core; 1 (render in-process) where fork is unsafe."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # spawn would set the animator up again in every worker; macOS's fork is unsafe with its frameworks
    return max(1, min(len(os.sched_getaffinity(0)), _MAX_WORKERS))


def _adopt(animator, rows: np.ndarray) -> None:
    global _job
    _job = (animator, rows)


def _render_one(index: int) -> np.ndarray:
    animator, rows = _job
    return animator.render(rows[index])


def render_in_workers(animator, rows: np.ndarray, workers: int) -> Iterator[np.ndarray]:
    """animator.render(row) for each row, in order, by `workers` forked processes.

    A worker's error is raised here (a worker killed outright raises BrokenProcessPool instead of hanging). Closing
    the generator early (an interruption) cancels the frames not yet started; the workers exit after their current one.
    """
    count = len(rows)
    if count == 0:
        return
    # With fork, initargs reach the workers by inheritance: the animator is not pickled.
    pool = ProcessPoolExecutor(min(workers, count), mp_context=multiprocessing.get_context("fork"),
                               initializer=_adopt, initargs=(animator, rows))
    try:
        upcoming = iter(range(count))
        pending: deque[Future] = deque(pool.submit(_render_one, i) for _, i in zip(range(_AHEAD * workers), upcoming))
        while pending:
            frame = pending.popleft().result()
            for index in upcoming:  # one in, one out
                pending.append(pool.submit(_render_one, index))
                break
            yield frame
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
