"""`ectfg train-efp`: train the learned EmotionFluctuationPredictor on talking videos with transcripts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("train-efp", help="train the learned emotion predictor on videos with transcripts")
    cmd.add_argument("--data", required=True, help="folder of clips: DIR/<clip>/video.mp4 + transcript.txt [+ words.json]")
    cmd.add_argument("--out", required=True, help="output model folder (config.json + model.safetensors; checkpoint/ inside)")
    cmd.add_argument("--audio-encoder", help="local wav2vec2 / HuBERT / WavLM / data2vec-audio (emotion2vec-style) folder")
    cmd.add_argument("--text-encoder", help="local BERT-style folder with its tokenizer (omit for an audio-only model)")
    cmd.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    cmd.add_argument("--batch-size", type=int, default=8, help="clips per step (default 8)")
    cmd.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3, as in the paper)")
    cmd.add_argument("--val-fraction", type=float, default=0.2, help="share of clips held out for validation (default 0.2: 8:2)")
    cmd.add_argument("--seed", type=int, default=0, help="seed of the split, shuffling and dropout (default 0)")
    cmd.add_argument("--hidden-size", type=int, default=256, help="width of the fusion encoder (default 256)")
    cmd.add_argument("--layers", type=int, default=2, help="fusion layers (default 2)")
    cmd.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    cmd.add_argument("--audio-layer", type=int, default=-1, help="audio encoder hidden state to use (default -1: the last)")
    cmd.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ectfg_core.efp.data import discover_clips, load_clip
    from ectfg_core.efp.model import EmotionFluctuationModel
    from ectfg_core.efp.training import CHECKPOINT_DIR, TrainOptions, prepare_clip, train
    from ectfg_core.errors import InputError
    from ectfg_core.progress import Interrupted, TerminalProgress

    options = TrainOptions(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, val_fraction=args.val_fraction, seed=args.seed)
    options.check()
    out = Path(args.out)
    if not args.resume and args.audio_encoder is None and args.text_encoder is None:
        raise InputError("give --audio-encoder (and --text-encoder) folders, or --resume an earlier run")
    if args.resume and not (out / CHECKPOINT_DIR / "state.json").is_file():
        raise InputError(f"nothing to resume: {out / CHECKPOINT_DIR} not found; run without --resume to start training")
    if not args.resume and (out / CHECKPOINT_DIR).exists():
        raise InputError(f"{out} already holds a training checkpoint; pass --resume to continue it or choose another --out")
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())
    sources, skipped = discover_clips(args.data)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    if args.resume:
        model = EmotionFluctuationModel.from_pretrained(out / CHECKPOINT_DIR)
    else:
        model = EmotionFluctuationModel.create(args.audio_encoder, args.text_encoder, hidden_size=args.hidden_size,
                                               num_layers=args.layers, num_heads=args.heads, audio_layer=args.audio_layer)
    try:
        examples = [load_clip(source, progress=progress) for source in sources]
        progress.stage("encode", len(examples))
        clips = []
        for example in examples:
            clips.append(prepare_clip(model, example))
            progress.advance()
        progress.finish()
        print(f"{len(clips)} clips, {sum(c.times.numel() for c in clips)} frames, {sum(c.word_label.numel() for c in clips)} words")

        def report(record) -> None:
            val = ("" if record.val_loss is None else f", val loss {record.val_loss:.4f}, frame acc "
                   f"{100 * record.val_frame_accuracy:.1f}%, word acc {100 * record.val_word_accuracy:.1f}%")
            print(f"epoch {record.epoch}: train loss {record.train_loss:.4f}{val}", flush=True)

        result = train(model, clips, out, options, resume=args.resume, progress=progress, on_epoch=report)
    except (Interrupted, KeyboardInterrupt):
        print(f"ectfg train-efp: interrupted; the last finished epoch is in {out / CHECKPOINT_DIR} (continue with --resume)",
              file=sys.stderr)
        return 130
    print(f"best epoch {result.best_epoch} (loss {result.best_loss:.4f}); model saved in {out} "
          f"({len(result.train_clips)} training / {len(result.val_clips)} validation clips)")
    return 0
