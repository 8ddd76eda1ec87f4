"""Tiny random-weight encoders and a synthetic pseudo-labelled dataset for the learned-EFP tests (CPU, seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ectfg_core.efp.data import ClipExample
from ectfg_core.fer.labels import FrameLabels
from ectfg_core.types.emotion import EMOTION_INDEX, NUM_EMOTIONS

SAMPLE_RATE = 16000
FPS = 25.0
# Each emotion has its own words and its own tone, so both modalities carry the label.
LEXICON = {
    "happy": ["joy", "smile", "sunny"],
    "sad": ["tears", "loss", "grey"],
    "angry": ["rage", "fury", "storm"],
    "neutral": ["the", "table", "paper"],
}
TONE_HZ = {"happy": 520.0, "sad": 170.0, "angry": 330.0, "neutral": 250.0}
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_encoders(root: Path) -> tuple[Path, Path]:
    """A 2-layer wav2vec2 and a 1-layer BERT with a WordPiece vocabulary, saved like real checkpoints."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer, Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    audio_dir, text_dir = root / "tiny-wav2vec2", root / "tiny-bert"
    audio = Wav2Vec2Model(Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, conv_dim=(16, 16, 16, 16),
        conv_stride=(5, 4, 4, 4), conv_kernel=(10, 8, 4, 4), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        vocab_size=8,
    ))
    audio.save_pretrained(audio_dir)
    Wav2Vec2FeatureExtractor(sampling_rate=SAMPLE_RATE, do_normalize=True).save_pretrained(audio_dir)
    words = SPECIAL + sorted({w for ws in LEXICON.values() for w in ws}) + ["hello", "world", "##s"]
    text_dir.mkdir(parents=True, exist_ok=True)
    (text_dir / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    BertTokenizer(vocab=str(text_dir / "vocab.txt")).save_pretrained(text_dir)
    BertModel(BertConfig(vocab_size=len(words), hidden_size=24, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=48, max_position_embeddings=64)).save_pretrained(text_dir)
    return audio_dir, text_dir


def synthetic_clip(name: str, emotions: list[str], rng: np.random.Generator, no_face: int = 2) -> ClipExample:
    """Words of the given emotions with pauses; tones per emotion; pseudo-labels that follow the words."""
    t, spans = 0.15, []
    for emotion in emotions:
        length = float(rng.uniform(0.25, 0.4))
        spans.append((str(rng.choice(LEXICON[emotion])), t, t + length, emotion))
        t += length + float(rng.uniform(0.05, 0.15))
    duration = t + 0.15
    n = int(duration * SAMPLE_RATE)
    audio = np.zeros(n, dtype=np.float32)
    for _, start, end, emotion in spans:
        i0, i1 = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
        tt = np.arange(i1 - i0) / SAMPLE_RATE
        audio[i0:i1] = 0.3 * np.sin(2 * np.pi * TONE_HZ[emotion] * tt)
    audio += 0.003 * rng.standard_normal(n).astype(np.float32)
    frames = int(np.ceil(duration * FPS))
    probs = np.full((frames, NUM_EMOTIONS), 0.02, dtype=np.float32)
    probs[:, EMOTION_INDEX["neutral"]] = 0.88
    centres = (np.arange(frames) + 0.5) / FPS
    for _, start, end, emotion in spans:
        inside = (centres >= start) & (centres < end)
        probs[inside] = 0.02
        probs[inside, EMOTION_INDEX[emotion]] = 0.88
    face = np.ones(frames, dtype=bool)
    face[rng.choice(frames, size=min(no_face, frames), replace=False)] = False
    labels = FrameLabels(fps=FPS, probs=probs / probs.sum(1, keepdims=True), face=face, classifier="synthetic")
    return ClipExample(name, audio, SAMPLE_RATE, [(w, s, e) for w, s, e, _ in spans], labels)


def synthetic_dataset(count: int = 10, seed: int = 0) -> list[ClipExample]:
    rng = np.random.default_rng(seed)
    names = list(LEXICON)
    return [synthetic_clip(f"clip{i:02d}", [str(rng.choice(names)) for _ in range(int(rng.integers(3, 5)))], rng)
            for i in range(count)]


def cli_main(argv: list[str]) -> int:
    """`ectfg` with the label-video, train-efp and evaluate subcommands registered (whether or not cli.py lists them)."""
    from ectfg_core import cli
    from ectfg_core.commands import evaluate, label_video, train_efp

    original = cli.COMMANDS
    cli.COMMANDS = tuple(original) + tuple(c for c in (label_video, train_efp, evaluate) if c not in original)
    try:
        return cli.main(argv)
    finally:
        cli.COMMANDS = original


def write_talking_video(path: Path, frames: list[np.ndarray], fps: float = FPS, tone_hz: float = 220.0) -> Path:
    """An MP4 of the frames with a tone that pulses (speech-like loudness) under them."""
    from ectfg_core.media.video import write_mp4

    rate = 22050
    t = np.arange(int(len(frames) / fps * rate)) / rate
    audio = (0.3 * np.sin(2 * np.pi * tone_hz * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t))).astype(np.float32)
    return write_mp4(path, frames, fps, audio, rate)
