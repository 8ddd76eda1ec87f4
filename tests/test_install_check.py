"""The install checker (scripts/check_install.py) and the load-time MediaPipe line.

The checker runs against a throwaway venv and two tiny local wheels, so it needs no network: a requirement that would
move an installed version fails, one that only adds a package passes.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from ectfg_core.install_hint import mediapipe_install_line

CHECKER = Path(__file__).resolve().parent.parent / "scripts" / "check_install.py"


def _wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel holding one module, enough for pip to install it."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{name.replace('-', '_')}.py": f"VERSION = {version!r}\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},{len(text)}"
              for path, text in files.items()]
    files[f"{dist}.dist-info/RECORD"] = "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n"
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


@pytest.fixture(scope="module")
def probe_env(tmp_path_factory):
    """A venv with ectfg-probe 1.0 installed, and a local index folder that also offers 2.0 and a new package."""
    root = tmp_path_factory.mktemp("install_check")
    wheels = root / "wheels"
    wheels.mkdir()
    for name, version in [("ectfg-probe", "1.0"), ("ectfg-probe", "2.0"), ("ectfg-extra", "1.0")]:
        _wheel(wheels, name, version)
    venv.create(root / "env", with_pip=True)
    python = str(root / "env" / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheels), "ectfg-probe==1.0"],
                   check=True)
    return python, wheels, root


def _check(python: str, wheels: Path, root: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess:
    requirements = root / "requirements.txt"
    requirements.write_text("\n".join(["--no-index", f"--find-links {wheels}", *lines]) + "\n")
    return subprocess.run([sys.executable, str(CHECKER), "--python", python, "-r", str(requirements),
                           "--evidence", str(root / "evidence"), *extra], capture_output=True, text=True)


def test_checker_fails_when_an_installed_version_would_change(probe_env):
    python, wheels, root = probe_env
    result = _check(python, wheels, root, ["ectfg-probe>=2"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "changed  ectfg-probe: 1.0 -> 2.0" in result.stdout
    # A dry run installs nothing.
    assert "ectfg-probe==1.0" in (root / "evidence" / "before.txt").read_text()
    listed = subprocess.run([python, "-m", "pip", "show", "ectfg-probe"], capture_output=True, text=True).stdout
    assert "Version: 1.0" in listed


def test_checker_passes_an_install_that_only_adds_packages(probe_env):
    python, wheels, root = probe_env
    result = _check(python, wheels, root, ["ectfg-probe>=1", "ectfg-extra"], "--install")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: no installed version changes" in result.stdout and "new      ectfg-extra==1.0" in result.stdout
    after = (root / "evidence" / "after.txt").read_text()
    assert "ectfg-probe==1.0" in after and "ectfg-extra==1.0" in after


def test_no_mediapipe_line_when_mediapipe_imports():
    if importlib.util.find_spec("mediapipe") is None:
        pytest.skip("mediapipe is not installed here")
    assert mediapipe_install_line() is None


def test_mediapipe_line_pins_the_installed_numpy(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mediapipe" else real_find_spec(name, *a))
    line = mediapipe_install_line("/opt/ComfyUI/python")
    numpy_version = importlib.metadata.version("numpy")
    assert f'"/opt/ComfyUI/python" -m pip install mediapipe "numpy=={numpy_version}"' in line
    assert "Load Face Detection Model (MediaPipe)" in line and "models/detection/" in line and "\n" not in line
