"""Training the fusion and audio attention on clips laid out like the EFP data: frozen parts stay put, checkpoints
resume to the same weights as an uninterrupted run, and the result loads into the sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusion_tiny import tiny_models
from PIL import Image

from ectfg_core.diffusion.train import TrainSettings, checkpoints, train_sampler
from ectfg_core.diffusion.weights import load_emotion_weights
from ectfg_core.errors import InputError
from ectfg_core.media.video import write_mp4
from ectfg_core.types.emotion import EmotionTrack


@pytest.fixture(scope="module")
def data(tmp_path_factory, astronaut):
    """Three short talking-head clips (the portrait drifting sideways, a voiced tone); two with an emotion track."""
    root = tmp_path_factory.mktemp("clips")
    height, width = astronaut.shape[:2]
    side = min(height, width) - 40
    for c, name in enumerate(("a", "b", "c")):
        frames = [np.asarray(Image.fromarray(astronaut[10:10 + side, 10 + 3 * i + 5 * c:10 + 3 * i + 5 * c + side]).resize((160, 160)))
                  for i in range(10)]
        t = np.arange(int(0.4 * 16000)) / 16000
        folder = root / name
        folder.mkdir()
        write_mp4(folder / "video.mp4", frames, 25.0, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16000)
        (folder / "transcript.txt").write_text("hello there")
    probs = np.zeros((10, 7), np.float32)
    probs[:, 1] = 1.0
    for name in ("a", "b"):
        EmotionTrack(fps=25.0, probs=probs, intensity=np.linspace(0.2, 1.0, 10)).save(root / name / "track.json")
    return root


def settings(steps: int) -> TrainSettings:
    return TrainSettings(steps=steps, frames=4, motion_frames=2, size=16, learning_rate=1e-3, checkpoint_every=2,
                         keep_checkpoints=2, gradient_checkpointing=False, drop_audio=0.0, drop_reference=0.0)


def test_training_changes_only_the_emotion_path_and_resumes_exactly(data, tmp_path):
    models = tiny_models(seed=5, audio_encoder=True)
    before = {k: v.clone() for k, v in models.state_dict().items()}
    result = train_sampler(models, data, tmp_path / "run", settings(3))
    assert result.step == 3 and len(result.losses) == 3 and all(np.isfinite(result.losses))
    after = models.state_dict()
    trainable = set(models.trainable_state_dict())
    changed = {k for k in after if not torch.equal(after[k], before[k])}
    assert changed and changed <= trainable  # ReferenceNet, UNet, VAE, wav2vec2, projections untouched
    assert any(k.startswith("fusion.emotion_proj.4.") for k in changed)  # the emotion output left zero
    assert any(".audio_modules." in k for k in changed)
    assert [p.name for p in checkpoints(tmp_path / "run")] == ["checkpoint-2", "checkpoint-3"]
    assert result.weights.is_file()
    assert list((tmp_path / "run" / "cache").glob("*.pt"))  # prepared clips are cached

    # Resume from checkpoint-3 in a fresh process (fresh base models) to 5 steps ...
    resumed_models = tiny_models(seed=5, audio_encoder=True)
    resumed = train_sampler(resumed_models, data, tmp_path / "run", settings(5))
    assert resumed.resumed_from == 3 and resumed.step == 5 and len(resumed.losses) == 2
    # ... gives the same weights as 5 steps without a stop.
    straight_models = tiny_models(seed=5, audio_encoder=True)
    train_sampler(straight_models, data, tmp_path / "straight", settings(5))
    for key, value in straight_models.trainable_state_dict().items():
        assert torch.allclose(resumed_models.state_dict()[key], value, atol=1e-6), key

    # The written weights load on top of fresh models.
    fresh = tiny_models(seed=5, audio_encoder=True)
    load_emotion_weights(fresh, resumed.weights)
    for key, value in resumed_models.trainable_state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_bad_data_folders_are_input_errors(tmp_path):
    models = tiny_models(audio_encoder=True)
    with pytest.raises(InputError, match="not a folder"):
        train_sampler(models, tmp_path / "nope", tmp_path / "out", settings(1))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="video.mp4"):
        train_sampler(models, tmp_path / "empty", tmp_path / "out", settings(1))
