"""The timeline's pure JS logic (web/timeline_model.js) under Node's built-in test runner; skipped without Node."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_timeline_model_js():
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 18:
        pytest.skip(f"node {version} lacks the built-in test runner (needs 18+)")
    result = subprocess.run([NODE, "--test", str(ROOT / "tests" / "js")], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_web_modules_are_plain_es_modules():
    # ComfyUI imports every .js under WEB_DIRECTORY as an ES module from /extensions/<plugin>/: only relative
    # imports of our own files and of ComfyUI's public scripts/app.js may appear, no bare package names.
    for path in (ROOT / "web").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        sources = re.findall(r'^import\b[^;]*?from\s+["\']([^"\']+)["\']', text, flags=re.MULTILINE | re.DOTALL)
        assert len(sources) == len(re.findall(r"^import\b", text, flags=re.MULTILINE)), f"{path.name}: an import not understood"
        for source in sources:
            assert source.startswith("./") or source == "../../scripts/app.js", f"{path.name}: {source}"
            if source.startswith("./"):
                assert (ROOT / "web" / source[2:]).is_file(), f"{path.name} imports a missing {source}"
