"""A fixed torch thread count: for the models that hear the speech (learned EFP, wav2vec2 aligner), and one thread for the renderer.

torch splits its CPU reductions by the number of intra-op threads, so one clip gave different low bits under
different thread counts (the machine's core count, or a setting another node left behind). Running these models on
a fixed count makes their output the same in every process on a machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

MODEL_THREADS = 4


@contextmanager
def fixed_threads(count: int = MODEL_THREADS) -> Iterator[None]:
    """torch on `count` intra-op threads for the duration; the caller's setting returns."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
