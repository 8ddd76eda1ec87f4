"""Frames of one animator rendered by worker processes, handed back in order.

A frame is small numpy/torch work whose Python overhead holds the GIL, so threads do not overlap; forked processes
do. Each worker inherits the animator (no set-up is repeated, nothing is pickled) and renders whole frames exactly
as the caller would, into memory shared with this process: the frames, and so the video, are the same bytes
whoever rendered them.
"""

from __future__ import annotations

import contextlib
import mmap
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
_MAX_WORKERS = 8  # each is a process of its own (memory, start-up); past this a clip hardly gains

# A worker's job: the animator, the clip's control rows and the shared frame slots, inherited through the fork.
_job: tuple[object, np.ndarray, _Slots | None] | None = None


class _Slots:
    """Frame buffers in memory shared with the forked workers: a worker renders into slot index % count and hands
    back nothing but "done", so a frame is not pickled, piped and unpickled (that cost a tenth of a frame's time)."""

    def __init__(self, shape: tuple[int, ...], count: int):
        self.shape = tuple(shape)
        self.size = int(np.prod(self.shape))
        self.count = count
        self.memory = mmap.mmap(-1, self.size * count)  # anonymous and shared: the forked workers see the same pages

    def view(self, index: int) -> np.ndarray:
        slot = index % self.count
        return np.ndarray(self.shape, dtype=np.uint8, buffer=self.memory, offset=slot * self.size)


def default_workers() -> int:
    """Worker processes for a clip on this machine: one per usable core; 1 (render in-process) where fork is unsafe."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # spawn would set the animator up again in every worker; macOS's fork is unsafe with its frameworks
    return max(1, min(len(os.sched_getaffinity(0)), _MAX_WORKERS))


def _adopt(animator, rows: np.ndarray, slots: _Slots | None) -> None:
    global _job
    _job = (animator, rows, slots)


def _render_one(index: int) -> np.ndarray | None:
    animator, rows, slots = _job
    frame = animator.render(rows[index])
    if slots is None or frame.shape != slots.shape or frame.dtype != np.uint8:
        return frame  # not the expected frame: it travels the slow way
    slots.view(index)[...] = frame
    return None


def render_in_workers(animator, rows: np.ndarray, workers: int) -> Iterator[np.ndarray]:
    """animator.render(row) for each row, in order, by `workers` forked processes.

    A worker's error is raised here (a worker killed outright raises BrokenProcessPool instead of hanging). Closing
    the generator early (an interruption) cancels the frames not yet started; the workers exit after their current one.
    """
    count = len(rows)
    if count == 0:
        return
    ahead = _AHEAD * workers
    image = getattr(animator, "image", None)  # frames have the portrait's shape
    slots = _Slots(image.shape, ahead) if isinstance(image, np.ndarray) and image.dtype == np.uint8 else None
    # With fork, initargs reach the workers by inheritance: neither the animator nor the shared slots are pickled.
    pool = ProcessPoolExecutor(min(workers, count), mp_context=multiprocessing.get_context("fork"),
                               initializer=_adopt, initargs=(animator, rows, slots))
    try:
        upcoming = iter(range(count))
        pending: deque[tuple[int, Future]] = deque((i, pool.submit(_render_one, i)) for _, i in zip(range(ahead), upcoming))
        while pending:
            index, future = pending.popleft()
            frame = future.result()
            if frame is None:
                frame = slots.view(index).copy()  # before the slot is handed to the frame `ahead` of this one
            for later in upcoming:  # one in, one out
                pending.append((later, pool.submit(_render_one, later)))
                break
            yield frame
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if slots is not None:
            with contextlib.suppress(BufferError):  # a view still held (by a traceback): the memory goes with it
                slots.memory.close()
