"""`ectfg label-video`: per-frame facial-expression pseudo-labels of talking videos (JSON, an emotion track plus
label, confidence and face flag per frame)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("label-video", help="write per-frame expression pseudo-labels (JSON) for videos")
    cmd.add_argument("videos", nargs="+", metavar="VIDEO", help="video files (MP4, MOV, AVI, FLV...)")
    cmd.add_argument("--out", help="output .json for one video, or a folder for several (default: VIDEO.labels.json beside each)")
    cmd.add_argument("--classifier", default="mini-xception", choices=("mini-xception", "small-cnn", "face-api"),
                     help="mini-xception (default: the pseudo-label classifier), small-cnn, or face-api (the evaluation one)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def output_paths(videos: list[Path], out: str | None) -> list[Path]:
    from ectfg_core.errors import InputError

    if out is None:
        return [v.with_name(f"{v.stem}.labels.json") for v in videos]
    target = Path(out)
    if len(videos) == 1 and target.suffix.lower() == ".json":
        return [target]
    if target.suffix.lower() == ".json":
        raise InputError(f"--out {target} is one file but {len(videos)} videos were given; pass a folder")
    return [target / f"{v.stem}.labels.json" for v in videos]


def run(args: argparse.Namespace) -> int:
    from ectfg_core.errors import InputError
    from ectfg_core.fer import label_video, load_classifier
    from ectfg_core.media.video import atomic_output
    from ectfg_core.progress import TerminalProgress

    videos = [Path(v) for v in args.videos]
    for video in videos:
        if not video.is_file():
            raise InputError(f"video not found: {video}; pass existing video files")
    outputs = output_paths(videos, args.out)
    classifier = load_classifier(args.classifier)
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    for video, out in zip(videos, outputs):
        labels = label_video(video, classifier, progress)
        with atomic_output(out) as tmp:
            labels.save(tmp)
        counts = Counter(label for label in labels.labels if label is not None)
        summary = ", ".join(f"{name} {100 * n / max(sum(counts.values()), 1):.0f}%" for name, n in counts.most_common(4))
        print(f"wrote {out} ({labels.num_frames} frames, face in {int(labels.face.sum())}; {summary or 'no face found'})")
    return 0
