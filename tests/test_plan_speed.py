"""`ectfg plan` answers quickly: speech and planning never load the heavy stages (torch, scipy.signal, the renderer)."""

from __future__ import annotations

import json
import subprocess
import sys

# Each of these takes from a few hundred milliseconds to seconds to import, and planning needs none of them.
HEAVY = ("torch", "scipy.signal", "scipy.ndimage", "transformers", "diffusers", "imageio_ffmpeg", "mediapipe", "cv2")

RUN_PLAN = """
import io, json, sys, contextlib
from ectfg_core.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def run_plan(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN_PLAN, "plan", *args], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_plan_imports_no_heavy_module():
    result = run_plan("--text", "Hello there", "--emotion", "calm")
    assert result["code"] == 0
    assert "Hello" in result["out"] and "there" in result["out"]
    loaded = [name for name in HEAVY if name in result["modules"]]
    assert loaded == [], f"`ectfg plan` imported {loaded}"


def test_plan_json_imports_no_heavy_module():
    result = run_plan("--text", "I am so glad, and then so sad.", "--emotion", "starts happy, ends sad", "--json")
    assert result["code"] == 0
    words = json.loads(result["out"])["words"]
    assert [w["word"] for w in words][:3] == ["I", "am", "so"]
    assert not [name for name in HEAVY if name in result["modules"]]
