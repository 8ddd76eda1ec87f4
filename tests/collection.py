"""pytest plugin (loaded by -p in pyproject): the checkout root is the ComfyUI plugin's package, not a test package.

pytest would import the root `__init__.py` as a package named after the checkout folder, which fails for names
that are no Python identifiers (`ectfg-main` from a zip download, `ComfyUI-ectfg`). The tests load the plugin the
way ComfyUI does (tests/test_nodes.py), so the root is collected as a plain directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent.parent


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if path.resolve() == _ROOT:
        return pytest.Dir.from_parent(parent, path=path)
    return None
