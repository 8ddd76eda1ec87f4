"""Expression sheet: does each portrait show each requested emotion class? A developer's measuring tool.

For every portrait and every class (neutral happy sad angry fearful surprised disgusted) it builds the clip controls
the real pipeline builds (`PortraitAnimator.controls_for` with a constant EmotionTrack of that class at the given
intensity, phonemes and loudness of one fixed sentence spoken by the project's espeak-ng TTS), renders only the frames
it measures, and re-detects MediaPipe landmarks on them, as a viewer's detector would. Then:

  * a contact sheet PNG: rows = portraits, columns = classes, each tile the face (1.6x the face box) of the frame
    nearest mid-utterance, ~256 px, labelled with the class;
  * a table: per portrait x class, whether the EMFACS prototype of the class is present (AU geometry, medians over
    --frames frames spread over the clip, ectfg_core/evaluate/au_geometry.py; "rest": on the last frame of the pause
    after the sentence, where speech no longer moves the mouth; "drv": on the renderer's own driven landmarks), the
    share of those frames that each FER classifier (mini-xception, small-cnn, face-api) labels with the requested
    class, and the lip gap on bilabials (the largest, over the /p b m/ phonemes, of the inner-lip gap in face widths
    at the phoneme's middle; <= ~0.005 = closed) and at rest (the gap at the end of a 0.8 s pause after the sentence);
  * optionally a JSON with every number (--json), including the same AU medians on the renderer's own driven
    landmarks ("au_driven"): what the renderer meant to show, beside what the detector sees.

Each portrait is framed as `ectfg generate` frames it (a square crop around the face, --size pixels).

Usage (from the repository root):
    .venv/bin/python scripts/expression_sheet.py --portraits tests/data/portraits ectfg_core/assets/astronaut.png \\
        --out sheet.png --json sheet.json [--intensity 1.0] [--size 512] [--frames 8] [--classes happy sad]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ectfg_core.audio.features import frame_features  # noqa: E402
from ectfg_core.errors import InputError  # noqa: E402
from ectfg_core.evaluate.au_geometry import au_values, inner_lip_gap, median_au, prototype_check  # noqa: E402
from ectfg_core.evaluate.blendshapes import read_blendshapes  # noqa: E402
from ectfg_core.face.detect import detect_landmarks  # noqa: E402
from ectfg_core.face.framing import frame_portrait  # noqa: E402
from ectfg_core.fer.classifier import SPECS, load_classifier  # noqa: E402
from ectfg_core.render import CONTROL_INDEX, PortraitAnimator  # noqa: E402
from ectfg_core.tts.espeak import synthesize  # noqa: E402
from ectfg_core.types.emotion import EMOTION_INDEX, EMOTIONS, NUM_EMOTIONS, EmotionTrack  # noqa: E402
from ectfg_core.types.face import FaceLandmarks  # noqa: E402

# Rich in /p b m/, for the lip-closure check; --sentence measures another text (e.g. the issue's own).
SENTENCE = "Maybe my brother will bring the map back by Monday."
CLASSES = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted")
BILABIALS = ("p", "b", "m")
FPS = 25.0
TILE = 256
PAUSE = 0.8  # seconds of silence after the sentence: the mouth should come to rest closed
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def portrait_files(items: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise SystemExit(f"no such portrait file or folder: {item}")
    return files


def constant_track(emotion: str, intensity: float, num_frames: int) -> EmotionTrack:
    probs = np.zeros((num_frames, NUM_EMOTIONS), dtype=np.float32)
    probs[:, EMOTION_INDEX[emotion]] = 1.0
    return EmotionTrack(fps=FPS, probs=probs, intensity=np.full(num_frames, intensity, dtype=np.float32))


def held_frame(animator: PortraitAnimator, emotion: str, intensity: float) -> np.ndarray:
    """The last frame of a silent second holding one class: the expression itself, no speech on the mouth."""
    frames = int(FPS)
    controls = animator.controls_for([], np.zeros(frames, np.float32), constant_track(emotion, intensity, frames), frames, FPS)
    return animator.render(controls[-1])


def sample_frames(phonemes, num_frames: int, count: int) -> list[int]:
    """`count` frames spread evenly over the spoken part of the clip."""
    start = min(p.start for p in phonemes) if phonemes else 0.0
    end = max(p.end for p in phonemes) if phonemes else num_frames / FPS
    times = np.linspace(start, end, count + 2)[1:-1]
    return sorted({min(int(round(t * FPS)), num_frames - 1) for t in times})


def bilabial_frames(phonemes, num_frames: int) -> list[int]:
    """The frame at the middle of each /p b m/."""
    return sorted({min(int(round((p.start + p.end) / 2 * FPS)), num_frames - 1) for p in phonemes if p.symbol in BILABIALS})


def face_tile(frame: np.ndarray, still: FaceLandmarks, label: str) -> Image.Image:
    """The face (1.6x the still's face box, square) at TILE px with the class name written on it."""
    x0, y0, x1, y1 = still.bbox
    side = 1.6 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    box = tuple(int(round(v)) for v in (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
    tile = Image.fromarray(frame).crop(box).resize((TILE, TILE), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(tile)
    draw.rectangle((0, 0, 8 + 7 * len(label), 16), fill=(0, 0, 0))
    draw.text((4, 2), label, fill=(255, 255, 255))
    return tile


def blendshape_scores(engine, frame: np.ndarray) -> dict[str, float] | None:
    """ARKit blendshape scores of the frame's face from the Tasks engine (None: no engine, or no face found)."""
    if engine is None:
        return None
    faces = engine.detect(frame)
    return faces[0].blendshapes if faces and faces[0].blendshapes else None


def measure_class(animator: PortraitAnimator, still: FaceLandmarks, speech, energy, emotion: str, intensity: float,
                  frame_count: int, classifiers, scorer=None, still_scores: dict | None = None) -> tuple[dict, np.ndarray]:
    num_frames = len(energy)
    controls = animator.controls_for(speech.phonemes, energy, constant_track(emotion, intensity, num_frames), num_frames, FPS)
    sampled = sample_frames(speech.phonemes, num_frames, frame_count)
    closing = bilabial_frames(speech.phonemes, num_frames)
    rest = num_frames - 1  # the end of the pause
    rendered = {i: animator.render(controls[i]) for i in sorted(set(sampled) | set(closing) | {rest})}
    found: dict[int, FaceLandmarks] = {}
    for i, frame in rendered.items():
        try:
            found[i] = detect_landmarks(frame)
        except InputError:  # a frame the detector loses counts as not showing anything
            pass
    values, _ = median_au([found[i].points for i in sampled if i in found], still.points)
    # The renderer's own landmarks for the same frames: what it meant to show, to tell "not asked" from "not seen".
    intended, _ = median_au([animator.driven_landmarks(controls[i]) for i in sampled], still.points)
    proto = prototype_check(emotion, values)
    agreement = {}
    for clf in classifiers:
        labels = [EMOTIONS[int(np.argmax(clf.predict(rendered[i], found[i])))] for i in sampled if i in found]
        agreement[clf.name] = {"agree": float(np.mean([lab == emotion for lab in labels])) if labels else float("nan"),
                               "labels": labels}
    scored = [blendshape_scores(scorer, rendered[i]) for i in sampled] if still_scores else []
    scored = [b for b in scored if b]
    shapes = read_blendshapes(emotion, scored, still_scores) if scored else None
    gaps = [inner_lip_gap(found[i].points) for i in closing if i in found]
    at_rest = au_values(found[rest].points, still.points) if rest in found else None  # the expression held, no speech
    # The tile: the sampled frame nearest mid-utterance that is not caught in a blink (same seed, same blink times).
    blink = controls[:, [CONTROL_INDEX["blink_left"], CONTROL_INDEX["blink_right"]]].max(axis=1)
    blink = blink - blink.min()  # a sad face's own lid droop is not a blink
    open_eyed = [i for i in sampled if blink[i] < 0.05] or sampled
    mid = min(open_eyed, key=lambda i: abs(i - num_frames / 2))
    result = {
        "prototype": proto.present, "au": {k: round(v, 4) for k, v in values.items()}, "prototype_detail": proto.detail,
        "au_driven": {k: round(v, 4) for k, v in intended.items()},
        "prototype_driven": prototype_check(emotion, intended).present,
        "blendshapes": None if shapes is None else {"shown": shapes.shown, "rises": shapes.rises},
        "fer": agreement, "bilabial_gap_max": round(max(gaps), 4) if gaps else None,
        "bilabial_gap_median": round(float(np.median(gaps)), 4) if gaps else None,
        "bilabial_gaps": [round(g, 4) for g in gaps],
        "rest_gap": round(inner_lip_gap(found[rest].points), 4) if rest in found else None,
        "au_rest": None if at_rest is None else {k: round(v, 4) for k, v in at_rest.items()},
        "prototype_rest": None if at_rest is None else prototype_check(emotion, at_rest).present,
        "frames_measured": len([i for i in sampled if i in found]), "bilabials": len(closing),
    }
    return result, rendered[mid]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_portraits = [str(REPO / "tests/data/portraits"), str(REPO / "ectfg_core/assets/astronaut.png")]
    parser.add_argument("--portraits", nargs="+", default=default_portraits, help="portrait files and/or folders of them")
    parser.add_argument("--out", default="expression_sheet.png", help="contact sheet PNG")
    parser.add_argument("--json", help="write all numbers here")
    parser.add_argument("--intensity", type=float, default=1.0, help="expression intensity 0..1 (default 1.0, 'very')")
    parser.add_argument("--size", type=int, default=512, help="frame size the portrait is framed to (default 512)")
    parser.add_argument("--frames", type=int, default=8, help="frames measured per clip (default 8)")
    parser.add_argument("--classes", nargs="+", default=list(CLASSES), choices=CLASSES)
    parser.add_argument("--sentence", default=SENTENCE, help=f"the text spoken (default: {SENTENCE!r})")
    parser.add_argument("--held", action="store_true", help="tiles show each class held in a silent second (its last "
                        "frame) instead of the frame nearest mid-utterance; the measures are the same (README's sheet)")
    parser.add_argument("--blendshapes", metavar="TASK", help="face_landmarker.task for the blendshape reading (default: the "
                        "one in the model folders, if any; 'off' skips it)")
    args = parser.parse_args(argv)

    started = time.time()
    speech = synthesize(args.sentence)
    samples = np.concatenate([speech.samples, np.zeros(int(PAUSE * speech.sample_rate), np.float32)])  # a pause at the end
    num_frames = int(np.ceil(len(samples) / speech.sample_rate * FPS))
    energy = frame_features(samples, speech.sample_rate, FPS, num_frames).energy
    classifiers = [load_classifier(name) for name in SPECS]
    scorer = blendshape_engine(args.blendshapes)
    results: dict[str, dict] = {}
    rows: list[list[Image.Image]] = []
    for path in portrait_files(args.portraits):
        try:
            portrait = frame_portrait(np.asarray(Image.open(path).convert("RGB")), size=args.size)
        except InputError as error:  # one unusable picture must not cost the whole sheet
            print(f"  {path.stem:14s} skipped: {error}", file=sys.stderr, flush=True)
            continue
        animator = PortraitAnimator(portrait.image, portrait.landmarks)
        still_scores = blendshape_scores(scorer, portrait.image)
        results[path.stem] = {}
        tiles = [face_tile(portrait.image, portrait.landmarks, f"{path.stem}: still")]
        for emotion in args.classes:
            result, frame = measure_class(animator, portrait.landmarks, speech, energy, emotion, args.intensity,
                                          args.frames, classifiers, scorer, still_scores)
            results[path.stem][emotion] = result
            if args.held:
                frame = held_frame(animator, emotion, args.intensity)
            tiles.append(face_tile(frame, portrait.landmarks, emotion))
            print(f"  {path.stem:14s} {emotion:9s} done ({time.time() - started:.0f} s)", file=sys.stderr, flush=True)
        rows.append(tiles)
    if not rows:
        print("no portrait with a usable face; nothing to draw", file=sys.stderr)
        return 1

    sheet = Image.new("RGB", (TILE * max(len(r) for r in rows), TILE * len(rows)), (255, 255, 255))
    for y, row in enumerate(rows):
        for x, tile in enumerate(row):
            sheet.paste(tile, (x * TILE, y * TILE))
    sheet.save(args.out)
    print(format_table(results, [c.name for c in classifiers], args.intensity, time.time() - started, args.sentence))
    if args.json:
        Path(args.json).write_text(json.dumps({"sentence": args.sentence, "intensity": args.intensity, "size": args.size,
                                               "results": results}, indent=1), encoding="utf-8")
    return 0


def blendshape_engine(task: str | None):
    """The Tasks engine that scores blendshapes, or None (no model file, no Tasks API, or 'off')."""
    if task == "off":
        return None
    from ectfg_core.face.engines import find_model_file
    from ectfg_core.face.engines.tasks import tasks_available, tasks_engine

    path = Path(task) if task else find_model_file()
    if path is None or tasks_available() is not None:
        print("blendshape reading skipped: no face_landmarker.task found (pass --blendshapes PATH)", file=sys.stderr)
        return None
    return tasks_engine(path)


def format_table(results: dict, classifier_names: list[str], intensity: float, seconds: float, sentence: str = SENTENCE) -> str:
    head = f"{'portrait':14s} {'class':9s} {'proto':5s} {'rest':4s} {'drv':4s} {'bs':3s} " + " ".join(f"{n:>13s}" for n in classifier_names)
    head += f" {'bilabial gap':>12s} {'rest gap':>8s}  AU medians (face widths; * = over threshold)"
    lines = [f"sentence: {sentence!r}; intensity {intensity:g}; {seconds:.0f} s", head]
    for name, per_class in results.items():
        for emotion, r in per_class.items():
            fer = " ".join(f"{r['fer'][n]['agree'] * 100:12.0f}%" for n in classifier_names)
            gap = "n/a" if r["bilabial_gap_max"] is None else f"{r['bilabial_gap_max']:+.3f}"
            rest = "n/a" if r["rest_gap"] is None else f"{r['rest_gap']:+.3f}"
            aus = " ".join(f"{k}{'*' if v['present'] else ''}{v['value']:+.3f}" for k, v in r["prototype_detail"].items())
            at_rest = {None: "n/a", True: "YES", False: "no"}[r["prototype_rest"]]
            driven = "YES" if r["prototype_driven"] else "no"
            bs = "n/a" if r["blendshapes"] is None else ("YES" if r["blendshapes"]["shown"] else "no")
            rises = "" if r["blendshapes"] is None else "  | " + " ".join(f"{k}{v:+.2f}" for k, v in r["blendshapes"]["rises"].items())
            proto = "YES" if r["prototype"] else "no"
            lines.append(f"{name:14s} {emotion:9s} {proto:5s} {at_rest:4s} {driven:4s} {bs:3s} {fer} {gap:>12s} {rest:>8s}  {aus}{rises}")
    lines += ["", "per class over portraits: prototype present / FER agreement (each classifier, mean over portraits)"]
    emotions = list(next(iter(results.values()))) if results else []
    for emotion in emotions:
        rows = [per_class[emotion] for per_class in results.values()]
        agree = {n: [r["fer"][n]["agree"] for r in rows if np.isfinite(r["fer"][n]["agree"])] for n in classifier_names}
        fer = "  ".join(f"{n} {100 * float(np.mean(a)) if a else float('nan'):.0f}%" for n, a in agree.items())
        shown = [r["blendshapes"]["shown"] for r in rows if r["blendshapes"] is not None]
        lines.append(f"  {emotion:9s} prototype {sum(r['prototype'] for r in rows)}/{len(rows)} "
                     f"(at rest {sum(bool(r['prototype_rest']) for r in rows)}/{len(rows)}, "
                     f"renderer's landmarks {sum(r['prototype_driven'] for r in rows)}/{len(rows)}, "
                     f"blendshapes {f'{sum(shown)}/{len(shown)}' if shown else 'n/a'})   "
                     f"FER {fer}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
