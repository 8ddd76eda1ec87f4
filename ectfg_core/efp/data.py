"""Training data for the learned EFP: talking videos with transcripts, pseudo-labelled frame by frame.

Layout (either form, mixed freely) under the --data folder:

    DIR/<clip>/video.mp4          one video per folder (any name; .mp4 .mov .avi .mkv .webm .flv .m4v)
    DIR/<clip>/transcript.txt     the words spoken
    DIR/<clip>/words.json         optional word timings [{"word", "start", "end"}, ...] (seconds)
    DIR/<clip>/labels.json        optional pseudo-labels (`ectfg label-video` output); made and cached if absent

    DIR/<name>.mp4 + DIR/<name>.txt [+ <name>.words.json] [+ <name>.labels.json]

CREMA-D videos (e.g. 1001_DFA_ANG_XX.flv) need no transcript file: the sentence code names the sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ectfg_core.efp.model import WordSpan
from ectfg_core.errors import InputError
from ectfg_core.fer.labels import FrameLabels, label_video
from ectfg_core.media.video import atomic_output
from ectfg_core.progress import Progress

VIDEO_EXTS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".flv", ".m4v")
SAMPLE_RATE = 16000

# The twelve CREMA-D sentences (Cao et al. 2014), by the code in each file name.
CREMA_D_SENTENCES = {
    "IEO": "It's eleven o'clock.", "TIE": "That is exactly what happened.", "IOM": "I'm on my way to the meeting.",
    "IWW": "I wonder what this is about.", "TAI": "The airplane is almost full.", "MTI": "Maybe tomorrow it will be cold.",
    "IWL": "I would like a new alarm clock.", "ITH": "I think I have a doctor's appointment.", "DFA": "Don't forget a jacket.",
    "ITS": "I think I've seen this before.", "TSI": "The surface is slick.", "WSI": "We'll stop in a couple of minutes.",
}


@dataclass
class ClipSource:
    """Where one training clip's files are (or will be cached)."""

    name: str
    video: Path
    transcript: str
    words_file: Path
    labels_file: Path


@dataclass
class ClipExample:
    """A clip ready for training: 16 kHz speech, timed words and per-frame pseudo-labels."""

    name: str
    samples: np.ndarray
    sample_rate: int
    words: list[WordSpan]
    labels: FrameLabels


def crema_d_transcript(video: Path) -> str | None:
    parts = video.stem.split("_")
    return CREMA_D_SENTENCES.get(parts[1].upper()) if len(parts) >= 3 else None


def _read_transcript(path: Path, video: Path) -> str | None:
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        return text or None
    return crema_d_transcript(video)


def discover_clips(root: str | Path) -> tuple[list[ClipSource], list[str]]:
    """Clips under root, and one line per video skipped (no transcript, or several videos in one folder)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"data {root} is not a folder; give a folder of clips (DIR/<clip>/video.mp4 + transcript.txt)",
                         field="data")
    clips: list[ClipSource] = []
    skipped: list[str] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir():
            videos = sorted(p for p in entry.iterdir() if p.suffix.lower() in VIDEO_EXTS)
            if not videos:
                continue
            if len(videos) > 1:
                skipped.append(f"{entry.name}: {len(videos)} videos in one clip folder; keep one")
                continue
            text = _read_transcript(entry / "transcript.txt", videos[0])
            if text is None:
                skipped.append(f"{entry.name}: no transcript.txt")
                continue
            # `ectfg label-video` writes <video>.labels.json beside the video: use it if it is there.
            labels = entry / f"{videos[0].stem}.labels.json"
            labels = labels if labels.is_file() and not (entry / "labels.json").is_file() else entry / "labels.json"
            clips.append(ClipSource(entry.name, videos[0], text, entry / "words.json", labels))
        elif entry.suffix.lower() in VIDEO_EXTS:
            text = _read_transcript(entry.with_suffix(".txt"), entry)
            if text is None:
                skipped.append(f"{entry.name}: no {entry.stem}.txt")
                continue
            clips.append(ClipSource(entry.stem, entry, text, entry.with_name(f"{entry.stem}.words.json"),
                                    entry.with_name(f"{entry.stem}.labels.json")))
    if not clips:
        raise InputError(f"no training clips in {root}; each needs a video and its transcript "
                         "(DIR/<clip>/video.mp4 + DIR/<clip>/transcript.txt, or DIR/<name>.mp4 + DIR/<name>.txt)")
    return clips, skipped


def read_words(path: Path) -> list[WordSpan]:
    """words.json: a list of {"word", "start", "end"} or an object with such a "words" list (e.g. a plan)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read the word timings {path} ({err}); fix or delete the file to align again") from None
    items = data.get("words") if isinstance(data, dict) else data
    try:
        spans = [(str(w["word"]), float(w["start"]), float(w["end"])) for w in items]
    except (KeyError, TypeError, ValueError):
        raise InputError(f'{path}: every word needs "word", "start" and "end" (seconds)') from None
    if any(e < s or s < 0 for _, s, e in spans):
        raise InputError(f"{path}: word timings must have 0 <= start <= end")
    return spans


def write_words(path: Path, spans: list[WordSpan], method: str) -> None:
    payload = {"alignment": method, "words": [{"word": w, "start": round(s, 4), "end": round(e, 4)} for w, s, e in spans]}
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")


def load_clip(source: ClipSource, classifier_name: str = "mini-xception", progress: Progress | None = None,
              cache: bool = True) -> ClipExample:
    """Speech, words (given or aligned) and pseudo-labels (cached or computed with classifier 1) of one clip."""
    from ectfg_core.align.words import align_words
    from ectfg_core.fer.classifier import load_classifier
    from ectfg_core.media.decode import read_audio

    if source.labels_file.is_file():
        labels = FrameLabels.load(source.labels_file)
    else:
        labels = label_video(source.video, load_classifier(classifier_name), progress)
        if cache:  # atomically: an interrupted run never leaves a half-written cache behind
            with atomic_output(source.labels_file) as tmp:
                labels.save(tmp)
    samples = read_audio(source.video, SAMPLE_RATE)
    if source.words_file.is_file():
        words = read_words(source.words_file)
    else:
        alignment = align_words(samples, SAMPLE_RATE, source.transcript, estimate=True)
        words = [(w.word, float(w.start), float(w.end)) for w in sorted(alignment.words, key=lambda w: w.index)]
        method = alignment.method
        if cache:
            with atomic_output(source.words_file) as tmp:
                write_words(tmp, words, method)
    return ClipExample(source.name, samples, SAMPLE_RATE, words, labels)
