"""`ectfg evaluate`: EF-score, Emo-Acc, agreement with the requested track and a lip-sync proxy for a generated video."""

from __future__ import annotations

import argparse
import json
import sys

from ectfg_core.commands.common import add_face_model_option, select_face_engine


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("evaluate", help="score a generated video against its original video and/or its requested track")
    cmd.add_argument("--generated", required=True, help="the generated video (MP4)")
    cmd.add_argument("--reference", help="the original video the clip re-enacts (for EF-score and Emo-Acc)")
    cmd.add_argument("--track", help="the requested emotion track JSON (default: the G.json sidecar of `ectfg generate`, if any); "
                     "with it the report also breaks the clip down by the class the track asks for")
    cmd.add_argument("--portrait", help="the still portrait the clip was made from, for the AU geometry "
                     "(default: the clip's first frame, which may already show expression)")
    cmd.add_argument("--classifier", default="face-api", choices=("face-api", "small-cnn", "mini-xception"),
                     help="expression classifier (default face-api: trained on faces from the wild, it reads real posed "
                          "faces best, and is independent of the pseudo-label one)")
    cmd.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_face_model_option(cmd)
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ectfg_core.evaluate import evaluate, format_report
    from ectfg_core.progress import TerminalProgress

    face_engine = select_face_engine(args)
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    report = evaluate(args.generated, reference=args.reference, track=args.track, classifier=args.classifier, progress=progress,
                      portrait=args.portrait)
    print(face_engine, file=sys.stderr)
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    return 0
