"""Training the learned EFP on pseudo-labelled clips (paper eq. 2: cross-entropy of the label at every position).

Loss = CE over video frames with a face + CE over words + intensity_weight * (MSE of frame and word intensity).
The encoders are frozen, so their features are computed once per clip and only the fusion layers and heads train.
Clips are split 8:2 (train:validation) by a seeded shuffle; the best validation epoch is saved to the output folder,
and every epoch to OUT/checkpoint (weights, optimizer, state) so --resume continues where it stopped.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ectfg_core.efp.data import ClipExample
from ectfg_core.efp.model import EmotionFluctuationModel, EncodedClip, frame_times, load_head_state
from ectfg_core.errors import InputError
from ectfg_core.progress import Progress

CHECKPOINT_DIR = "checkpoint"
LOG_NAME = "training.json"
IGNORE = -100


@dataclass
class TrainOptions:
    epochs: int = 30
    batch_size: int = 8
    lr: float = 1e-3  # the paper's learning rate for the EFP
    weight_decay: float = 0.01
    val_fraction: float = 0.2  # 8:2 as in the paper
    seed: int = 0
    intensity_weight: float = 1.0

    def check(self) -> None:
        if self.epochs < 1:
            raise InputError(f"epochs {self.epochs} must be at least 1", field="epochs")
        if self.batch_size < 1:
            raise InputError(f"batch size {self.batch_size} must be at least 1", field="batch_size")
        if not 0.0 <= self.val_fraction < 1.0:
            raise InputError(f"val fraction {self.val_fraction} must be in [0, 1); 0.2 gives the paper's 8:2 split",
                             field="val_fraction")
        if self.lr <= 0:
            raise InputError(f"lr {self.lr} must be positive", field="lr")
        if self.seed < 0:  # numpy's generators refuse it with a bare ValueError
            raise InputError(f"seed {self.seed} must be 0 or more", field="seed")


@dataclass
class PreparedClip:
    """Encoder features and training targets of one clip."""

    name: str
    encoded: EncodedClip
    times: torch.Tensor  # (T,) video frame centres
    frame_label: torch.Tensor  # (T,) long, IGNORE where no face
    frame_intensity: torch.Tensor  # (T,)
    word_label: torch.Tensor  # (W,) long, IGNORE where the word has no face frame
    word_intensity: torch.Tensor  # (W,)


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    val_loss: float | None
    val_frame_accuracy: float | None
    val_word_accuracy: float | None


@dataclass
class TrainingResult:
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    best_loss: float = float("inf")
    train_clips: list[str] = field(default_factory=list)
    val_clips: list[str] = field(default_factory=list)


def prepare_clip(model: EmotionFluctuationModel, example: ClipExample) -> PreparedClip:
    """Run the frozen encoders once and turn the pseudo-labels into frame and word targets."""
    labels = example.labels
    encoded = model.encode(example.samples, example.sample_rate, example.words)
    idx = labels.label_index
    frame_label = torch.from_numpy(np.where(idx >= 0, idx, IGNORE).astype(np.int64))
    times = frame_times(labels.num_frames, labels.fps)
    word_label, word_intensity = [], []
    for _, start, end in example.words:
        first = min(int(start * labels.fps), labels.num_frames - 1)
        last = max(first + 1, min(int(np.ceil(end * labels.fps)), labels.num_frames))
        face = labels.face[first:last]
        if face.any():
            word_label.append(int(labels.probs[first:last][face].mean(axis=0).argmax()))
            word_intensity.append(float(labels.intensity[first:last][face].mean()))
        else:
            word_label.append(IGNORE)
            word_intensity.append(0.0)
    return PreparedClip(
        name=example.name, encoded=encoded, times=times, frame_label=frame_label,
        frame_intensity=torch.from_numpy(labels.intensity.astype(np.float32)),
        word_label=torch.tensor(word_label, dtype=torch.long).reshape(-1),
        word_intensity=torch.tensor(word_intensity, dtype=torch.float32).reshape(-1),
    )


def split_clips(names: Sequence[str], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded shuffle, then the first share for validation (at least one clip when there are two or more)."""
    order = np.random.default_rng(seed).permutation(len(names)).tolist()
    n_val = int(round(len(names) * val_fraction))
    if val_fraction > 0 and len(names) >= 2:
        n_val = min(max(n_val, 1), len(names) - 1)
    return sorted(order[n_val:]), sorted(order[:n_val])


def _pad(values: Sequence[torch.Tensor], length: int, fill: float) -> torch.Tensor:
    out = torch.full((len(values), length), fill, dtype=values[0].dtype)
    for i, v in enumerate(values):
        out[i, : len(v)] = v
    return out


def batch_loss(model: EmotionFluctuationModel, clips: Sequence[PreparedClip], intensity_weight: float) -> tuple[torch.Tensor, dict]:
    """Loss of a batch and the counts behind the accuracies."""
    batch = model.collate([c.encoded for c in clips], [c.times for c in clips])
    out = model.forward(batch)
    t, w = out.frame_logits.shape[1], out.word_logits.shape[1]
    frame_label = _pad([c.frame_label for c in clips], t, IGNORE)
    word_label = _pad([c.word_label for c in clips], w, IGNORE)
    frame_int = _pad([c.frame_intensity for c in clips], t, 0.0)
    word_int = _pad([c.word_intensity for c in clips], w, 0.0)
    frame_ok, word_ok = frame_label != IGNORE, word_label != IGNORE
    zero = out.frame_logits.sum() * 0.0
    frame_ce = F.cross_entropy(out.frame_logits.reshape(-1, out.frame_logits.shape[-1]), frame_label.reshape(-1),
                               ignore_index=IGNORE) if frame_ok.any() else zero
    word_ce = F.cross_entropy(out.word_logits.reshape(-1, out.word_logits.shape[-1]), word_label.reshape(-1),
                              ignore_index=IGNORE) if word_ok.any() else zero
    frame_mse = F.mse_loss(out.frame_intensity[frame_ok], frame_int[frame_ok]) if frame_ok.any() else zero
    word_mse = F.mse_loss(out.word_intensity[word_ok], word_int[word_ok]) if word_ok.any() else zero
    loss = frame_ce + word_ce + intensity_weight * (frame_mse + word_mse)
    stats = {
        "frames": int(frame_ok.sum()), "frames_right": int((out.frame_logits.argmax(-1) == frame_label)[frame_ok].sum()),
        "words": int(word_ok.sum()), "words_right": int((out.word_logits.argmax(-1) == word_label)[word_ok].sum()),
    }
    return loss, stats


@torch.no_grad()
def evaluate_clips(model: EmotionFluctuationModel, clips: Sequence[PreparedClip], options: TrainOptions) -> tuple[float, float, float]:
    """Mean loss, frame accuracy and word accuracy (dropout off)."""
    model.head.eval()
    losses, totals = [], {"frames": 0, "frames_right": 0, "words": 0, "words_right": 0}
    for start in range(0, len(clips), options.batch_size):
        part = clips[start:start + options.batch_size]
        loss, stats = batch_loss(model, part, options.intensity_weight)
        losses.append(float(loss) * len(part))
        for k in totals:
            totals[k] += stats[k]
    return (sum(losses) / max(len(clips), 1), totals["frames_right"] / max(totals["frames"], 1),
            totals["words_right"] / max(totals["words"], 1))


def _save_checkpoint(model: EmotionFluctuationModel, optimizer: torch.optim.Optimizer, out: Path, state: dict) -> None:
    """Write OUT/checkpoint atomically: a half-written checkpoint never replaces a good one."""
    final = out / CHECKPOINT_DIR
    tmp = out / f".{CHECKPOINT_DIR}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    old = out / f".{CHECKPOINT_DIR}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _load_checkpoint(model: EmotionFluctuationModel, optimizer: torch.optim.Optimizer, out: Path) -> dict:
    from safetensors.torch import load_file

    folder = out / CHECKPOINT_DIR
    if not (folder / "state.json").is_file():
        raise InputError(f"nothing to resume: {folder} has no checkpoint; start a new training instead", field="resume")
    load_head_state(model.head, load_file(str(folder / "model.safetensors")), folder)
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", map_location="cpu", weights_only=True))
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))


def train(
    model: EmotionFluctuationModel,
    clips: Sequence[PreparedClip],
    out: str | Path,
    options: TrainOptions | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> TrainingResult:
    """Train the fusion layers and heads; the best epoch (validation loss, else training loss) is saved to `out`."""
    options = options or TrainOptions()
    options.check()
    progress = progress or Progress()
    out = Path(out)
    if not clips:
        raise InputError("no clips to train on")
    if not resume and (out / CHECKPOINT_DIR).exists():
        raise InputError(f"{out} already holds a training checkpoint; resume it, or train into another folder", field="resume")
    out.mkdir(parents=True, exist_ok=True)
    names = [c.name for c in clips]
    train_idx, val_idx = split_clips(names, options.val_fraction, options.seed)
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    result = TrainingResult(train_clips=[names[i] for i in train_idx], val_clips=[names[i] for i in val_idx])
    start_epoch = 0
    if resume:
        state = _load_checkpoint(model, optimizer, out)
        if state.get("train_clips") != result.train_clips or state.get("val_clips") != result.val_clips:
            raise InputError("the clips differ from the ones this checkpoint was trained on; resume with the same data, "
                             "validation fraction and seed, or train into another folder", field="resume")
        start_epoch = int(state["epoch"])
        result.history = [EpochRecord(**r) for r in state["history"]]
        result.best_epoch, result.best_loss = int(state["best_epoch"]), float(state["best_loss"])
    train_set = [clips[i] for i in train_idx]
    val_set = [clips[i] for i in val_idx]
    for epoch in range(start_epoch + 1, options.epochs + 1):
        torch.manual_seed(options.seed * 1000 + epoch)  # dropout: the same run whether resumed or not
        order = np.random.default_rng(options.seed + epoch).permutation(len(train_set))
        batches = [order[i:i + options.batch_size] for i in range(0, len(order), options.batch_size)]
        progress.stage(f"epoch {epoch}/{options.epochs}", len(batches))
        model.head.train()
        total = 0.0
        for idx in batches:
            loss, _ = batch_loss(model, [train_set[i] for i in idx], options.intensity_weight)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.head.parameters(), 1.0)
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            progress.advance()
        progress.finish()
        record = EpochRecord(epoch, total / len(train_set), None, None, None)
        if val_set:
            record.val_loss, record.val_frame_accuracy, record.val_word_accuracy = evaluate_clips(model, val_set, options)
        result.history.append(record)
        score = record.val_loss if record.val_loss is not None else record.train_loss
        if score < result.best_loss:
            result.best_loss, result.best_epoch = score, epoch
            model.save_pretrained(out)
        state = {"epoch": epoch, "best_epoch": result.best_epoch, "best_loss": result.best_loss, "options": asdict(options),
                 "train_clips": result.train_clips, "val_clips": result.val_clips, "history": [asdict(r) for r in result.history]}
        _save_checkpoint(model, optimizer, out, state)
        (out / LOG_NAME).write_text(json.dumps(state, indent=1), encoding="utf-8")
        if on_epoch is not None:
            on_epoch(record)
    return result
