"""`ectfg plan`: the per-word emotion plan for a text and a description."""

from __future__ import annotations

import argparse
import json

from ectfg_core.commands.common import add_speech_options


def register(sub: argparse._SubParsersAction) -> None:
    plan = sub.add_parser("plan", help="print the per-word emotion plan for a text and description")
    add_speech_options(plan)
    plan.add_argument("--json", action="store_true", help="print JSON: {\"words\": [...], \"warnings\": [...]}")
    plan.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ectfg_core.pipeline import speak

    spoken = speak(args.text, args.emotion, voice=args.voice, backend=args.backend, speaker=args.speaker, aligner=args.aligner,
                   content=args.content)
    plan = spoken.plan
    origins = list(getattr(spoken.described, "origins", [])) or ["description"] * len(plan.words)
    if args.json:
        words = [{**w.to_dict(), "origin": origin} for w, origin in zip(plan.words, origins)]
        payload = {"words": words, "warnings": plan.warnings, "hints": spoken.described.hints, "content": plan.content}
        if plan.content_stance:
            payload["content_stance"] = plan.content_stance
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(f"{'word':<18}{'start':>7}{'end':>7}  {'emotion':<10}{'from':<12}intensity")
    for w, origin in zip(plan.words, origins):
        bar = "#" * int(round(w.intensity * 20))
        print(f"{w.word[:17]:<18}{w.start:7.2f}{w.end:7.2f}  {w.emotion:<10}{origin:<12}{w.intensity:4.2f} {bar}")
    stance = {"invite": ", the description lets the words lead", "refuse": ", the description keeps them out"}
    print(f"content {plan.content:g}: how far the words move the plan (--content, 0 = exactly the description)"
          f"{stance.get(plan.content_stance or '', '')}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    return 0
