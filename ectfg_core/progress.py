"""Progress reporting and interruption, independent of where the work runs (CLI, ComfyUI, tests)."""

from __future__ import annotations

import threading


class Interrupted(RuntimeError):
    """The user asked to stop; nothing half-written is kept."""


class Progress:
    """Silent base: stages with a step count. Subclasses show it (tqdm, ComfyUI's ProgressBar)."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def stage(self, name: str, total: int) -> None:
        """A new stage of `total` steps begins."""

    def advance(self, steps: int = 1) -> None:
        """Steps of the current stage are done; raises Interrupted if a stop was requested."""
        self.check()

    def finish(self) -> None:
        """The current stage is complete."""

    def request_stop(self) -> None:
        self._stop.set()

    def check(self) -> None:
        if self._stop.is_set():
            raise Interrupted("stopped by the user")


class TerminalProgress(Progress):
    """A tqdm bar per stage on stderr."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__()
        self.enabled = enabled
        self._bar = None

    def stage(self, name: str, total: int) -> None:
        self.finish()
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=f"{name:<10}", unit="step", leave=True, dynamic_ncols=True)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(steps)
        self.check()

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
