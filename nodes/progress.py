"""Progress and interrupt inside ComfyUI, falling back to silence when ComfyUI is not loaded."""

from __future__ import annotations

from ectfg_core.progress import Interrupted, Progress


class ComfyProgress(Progress):
    """Drives ComfyUI's progress bar on the running node and honours its Cancel button (POST /interrupt)."""

    def __init__(self) -> None:
        super().__init__()
        self._bar = None

    def stage(self, name: str, total: int) -> None:
        try:
            from comfy.utils import ProgressBar
        except ImportError:  # outside ComfyUI (tests, scripts): nothing to show
            self._bar = None
            return
        # The bar finds the running node through ComfyUI's executing context, so no node id is needed here.
        self._bar = ProgressBar(max(int(total), 1))

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(steps)  # ComfyUI's hook raises its own interrupt exception here
        self.check()

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.update_absolute(self._bar.total)
            self._bar = None

    def check(self) -> None:
        super().check()
        try:
            import comfy.model_management as mm
        except ImportError:
            return
        if mm.processing_interrupted():
            # ComfyUI's own exception type makes the server report "interrupted", not an error.
            mm.throw_exception_if_processing_interrupted()
            raise Interrupted("stopped by the user")
