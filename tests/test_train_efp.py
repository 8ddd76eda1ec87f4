"""Training the learned EFP: it fits a small synthetic dataset, splits 8:2, checkpoints and resumes exactly, and
`ectfg train-efp` trains from a folder of videos with transcripts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from efp_fixtures import FPS, build_tiny_encoders, cli_main, synthetic_clip, synthetic_dataset, write_talking_video

from ectfg_core.align.estimate import estimated_alignment
from ectfg_core.align.words import align_words
from ectfg_core.efp.data import discover_clips, load_clip
from ectfg_core.efp.model import EmotionFluctuationModel
from ectfg_core.efp.training import TrainOptions, evaluate_clips, prepare_clip, split_clips, train
from ectfg_core.errors import InputError

SMALL = {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "dropout": 0.1}


@pytest.fixture(scope="module")
def encoders(tmp_path_factory):
    return build_tiny_encoders(tmp_path_factory.mktemp("encoders"))


@pytest.fixture(scope="module")
def dataset():
    return synthetic_dataset(10, seed=0)


def fresh(encoders, seed=0):
    torch.manual_seed(seed)
    return EmotionFluctuationModel.create(*encoders, **SMALL)


def test_training_lowers_the_loss_and_fits(tmp_path, encoders, dataset):
    model = fresh(encoders)
    clips = [prepare_clip(model, example) for example in dataset]
    options = TrainOptions(epochs=40, batch_size=4, lr=3e-3)
    before = evaluate_clips(model, clips, options)
    result = train(model, clips, tmp_path / "out", options)
    after = evaluate_clips(model, clips, options)
    assert len(result.train_clips) == 8 and len(result.val_clips) == 2  # the paper's 8:2
    assert result.history[-1].train_loss < 0.2 * result.history[0].train_loss
    assert after[0] < 0.2 * before[0]
    assert after[1] > 0.9 and after[2] > 0.9, after  # frame and word accuracy on the training clips
    best = EmotionFluctuationModel.from_pretrained(tmp_path / "out")
    log = json.loads((tmp_path / "out" / "training.json").read_text())
    assert log["best_epoch"] == result.best_epoch and len(log["history"]) == 40
    assert best.config.hidden_size == 32


def test_resume_continues_exactly(tmp_path, encoders, dataset):
    def run(out, epochs, resume, seed_model=True):
        model = fresh(encoders) if seed_model else EmotionFluctuationModel.from_pretrained(out / "checkpoint")
        clips = [prepare_clip(model, example) for example in dataset[:6]]
        return model, train(model, clips, out, TrainOptions(epochs=epochs, batch_size=2, lr=2e-3), resume=resume)

    straight_model, straight = run(tmp_path / "a", 4, False)
    run(tmp_path / "b", 2, False)
    resumed_model, resumed = run(tmp_path / "b", 4, True, seed_model=False)
    assert [r.epoch for r in resumed.history] == [1, 2, 3, 4]
    np.testing.assert_allclose([r.train_loss for r in resumed.history], [r.train_loss for r in straight.history], rtol=1e-5)
    for (name, a), b in zip(straight_model.head.state_dict().items(), resumed_model.head.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    with pytest.raises(InputError, match="already holds a training checkpoint; resume it") as err:
        run(tmp_path / "b", 5, False)
    assert err.value.field == "resume"  # the CLI names --resume
    with pytest.raises(InputError, match="nothing to resume"):
        run(tmp_path / "c", 2, True)


def test_split_is_seeded_eight_to_two():
    names = [f"c{i}" for i in range(10)]
    train_idx, val_idx = split_clips(names, 0.2, seed=0)
    assert len(train_idx) == 8 and len(val_idx) == 2 and not set(train_idx) & set(val_idx)
    assert split_clips(names, 0.2, seed=0) == (train_idx, val_idx) != split_clips(names, 0.2, seed=1)
    assert split_clips(["only"], 0.2, 0) == ([0], [])
    assert split_clips(names[:3], 0.2, 0)[1] != []  # at least one validation clip
    assert split_clips(names, 0.0, 0) == (list(range(10)), [])


def test_proportional_alignment_follows_the_speech_span():
    from ectfg_core.tts.espeak import synthesize

    speech = synthesize("Hello there, my good friend.")
    pad = np.zeros(int(0.6 * speech.sample_rate), np.float32)
    samples = np.concatenate([pad, speech.samples, pad])
    spans = [(w.word, w.start, w.end) for w in estimated_alignment(samples, speech.sample_rate, "Hello there, my good friend.").words]
    assert [w for w, _, _ in spans] == ["Hello", "there", "my", "good", "friend"]
    assert spans[0][1] > 0.5 and spans[-1][2] < len(samples) / speech.sample_rate - 0.5
    assert all(s1 <= e1 <= s2 for (_, s1, e1), (_, s2, _) in zip(spans, spans[1:]))
    alignment = align_words(samples, speech.sample_rate, "Hello there, my good friend.", estimate=True)
    assert len(alignment.words) == 5 and alignment.method in ("espeak-proportional", "espeak-dtw") or alignment.method.endswith("ctc")


def _write_clip(folder, name, rng, flat=False, transcript=True, emotions=("happy", "sad", "angry")):
    example = synthetic_clip(name, list(emotions), rng)
    frames = [np.full((64, 64, 3), 40 * (i % 5), np.uint8) for i in range(example.labels.num_frames)]
    base = folder / (name if flat else f"{name}/video")
    base.parent.mkdir(parents=True, exist_ok=True)
    video = write_talking_video(base.with_suffix(".mp4"), frames, FPS)
    stem = (lambda suffix: folder / f"{name}{suffix}") if flat else (lambda suffix: folder / name / suffix.lstrip("."))
    if transcript:
        (stem(".txt") if flat else folder / name / "transcript.txt").write_text(" ".join(w for w, _, _ in example.words))
    example.labels.save(stem(".labels.json"))
    (stem(".words.json")).write_text(json.dumps([{"word": w, "start": s, "end": e} for w, s, e in example.words]))
    return video


def test_train_efp_command(tmp_path, capsys, encoders):
    rng = np.random.default_rng(5)
    data = tmp_path / "data"
    for i in range(3):
        _write_clip(data, f"clip{i}", rng)
    _write_clip(data, "1001_DFA_ANG_XX", rng, flat=True, transcript=False)  # CREMA-D: the name gives the sentence
    _write_clip(data, "untold", rng, transcript=False)
    sources, skipped = discover_clips(data)
    assert [s.name for s in sources] == ["1001_DFA_ANG_XX", "clip0", "clip1", "clip2"]
    assert sources[0].transcript == "Don't forget a jacket." and skipped == ["untold: no transcript.txt"]
    example = load_clip(sources[1])
    assert example.samples.dtype == np.float32 and abs(len(example.samples) / 16000 - example.labels.num_frames / FPS) < 0.05

    out = tmp_path / "model"
    args = ["train-efp", "--data", str(data), "--out", str(out), "--audio-encoder", str(encoders[0]), "--text-encoder",
            str(encoders[1]), "--epochs", "2", "--batch-size", "2", "--hidden-size", "32", "--heads", "2", "--layers", "1", "--quiet"]
    assert cli_main(args) == 0
    captured = capsys.readouterr()
    assert "epoch 1: train loss" in captured.out and "epoch 2:" in captured.out and "val loss" in captured.out
    assert "3 training / 1 validation clips" in captured.out and "skipped untold" in captured.err
    assert {"config.json", "model.safetensors", "checkpoint", "training.json"} <= {p.name for p in out.iterdir()}
    assert cli_main(["train-efp", "--data", str(data), "--out", str(out), "--epochs", "3", "--resume", "--quiet"]) == 0
    resumed = capsys.readouterr().out
    assert "epoch 3:" in resumed and "epoch 1:" not in resumed
    assert EmotionFluctuationModel.from_pretrained(out).config.text_dim == 24


@pytest.mark.parametrize("extra, needle", [
    (["--data", "{tmp}/none", "--out", "{tmp}/o", "--audio-encoder", "x"], "is not a folder"),
    (["--data", "{tmp}", "--out", "{tmp}/o"], "give --audio-encoder"),
    (["--data", "{tmp}", "--out", "{tmp}/o", "--audio-encoder", "x", "--val-fraction", "1.5"], "--val-fraction"),
    (["--data", "{tmp}", "--out", "{tmp}/o", "--audio-encoder", "x", "--seed", "-1"], "--seed -1 must be 0 or more"),
    (["--data", "{tmp}", "--out", "{tmp}/o", "--resume"], "nothing to resume"),
    (["--data", "{tmp}", "--out", "{tmp}/o", "--audio-encoder", "{tmp}/missing"], "no training clips"),
])
def test_train_efp_errors_are_one_line(tmp_path, capsys, extra, needle):
    (tmp_path / "clip").mkdir()
    assert cli_main(["train-efp", *[a.format(tmp=tmp_path) for a in extra]]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("ectfg train-efp: error:") and needle in err[0], err
