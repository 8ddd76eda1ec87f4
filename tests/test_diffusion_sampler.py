"""EmotionGuidedSampler on tiny random models: shapes, determinism, zero-emotion equivalence, stitching, guides, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusion_tiny import SIZE, emotion_ramp, fast_settings, tiny_inputs, tiny_models, train_emotion

from ectfg_core.diffusion.sampler import EmotionGuidedSampler, encode_conditioning
from ectfg_core.errors import InputError
from ectfg_core.progress import Interrupted, Progress


@pytest.fixture(scope="module")
def models():
    return tiny_models()


def run(models, frames, settings=None, emotion=None, guide=None, scale=1.0, seed=0):
    ref, features, regions, box = tiny_inputs(models, frames, seed=seed)
    tokens = encode_conditioning(models, features, emotion, emotion_scale=scale)
    sampler = EmotionGuidedSampler(models)
    out = sampler.sample(ref, tokens, regions, box, frames, settings or fast_settings(), guide_frames=guide)
    return out, sampler


def test_whole_sampler_shapes_dtypes_and_range(models):
    out, sampler = run(models, 6)  # two clips of 4; the second is padded and trimmed
    assert out.shape == (6, SIZE, SIZE, 3) and out.dtype == torch.float32 and out.device.type == "cpu"
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert float(out.std()) > 0.01  # an image, not a constant
    assert [r.start for r in sampler.records] == [0, 4]
    tokens = encode_conditioning(models, tiny_inputs(models, 6)[1], None)
    assert tokens.shape == (6, models.arch.audio_tokens, models.arch.cross_attention_dim)


def test_same_seed_same_video_other_seed_other_video(models):
    first, _ = run(models, 5)
    again, _ = run(models, 5)
    other, _ = run(models, 5, fast_settings(seed=8))
    assert torch.equal(first, again)
    assert float((first - other).abs().mean()) > 1e-3


def test_untrained_emotion_weights_give_exactly_the_audio_only_video():
    fresh = tiny_models()  # fusion untouched: its emotion output layer is zero
    audio_only, _ = run(fresh, 6)
    with_emotion, _ = run(fresh, 6, emotion=emotion_ramp(6))
    assert torch.equal(audio_only, with_emotion)
    # The test can fail: once the emotion weights are trained, the same track changes the video ...
    train_emotion(fresh)
    trained, _ = run(fresh, 6, emotion=emotion_ramp(6))
    assert float((trained - audio_only).abs().max()) > 1e-3
    # ... and an emotion scale of 0 brings back the audio-only video exactly.
    muted, _ = run(fresh, 6, emotion=emotion_ramp(6), scale=0.0)
    assert torch.equal(muted, audio_only)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_weights_give_the_same_video_within_rounding(models, dtype):
    """The GPU path runs the models in fp16/bf16; the result must be the fp32 video up to half-precision rounding."""
    full, _ = run(models, 4)
    half_models = tiny_models().to(dtype)
    assert half_models.dtype == dtype and next(half_models.denoiser.parameters()).dtype == dtype
    half, _ = run(half_models, 4)
    assert half.dtype == torch.float32 and torch.isfinite(half).all()
    assert float((half - full).abs().mean()) < 0.02, "half precision drifted from the fp32 video"


def test_long_input_is_stitched_from_clips_that_continue_each_other(models):
    out, sampler = run(models, 10)  # clips of 4: frames 0-3, 4-7, 8-9 (+2 padding)
    assert out.shape[0] == 10 and [r.start for r in sampler.records] == [0, 4, 8]
    assert sampler.records[0].motion_pixels is None  # the first clip continues from the portrait
    for clip in (1, 2):
        motion = (sampler.records[clip].motion_pixels + 1) / 2  # the frames the clip was conditioned on
        previous_last = out[4 * clip - 2: 4 * clip].permute(0, 3, 1, 2)
        assert torch.allclose(motion, previous_last, atol=1e-6)
    # Reference features once per video, motion frames once per later clip: never per step.
    assert sampler.reference_passes == 3


def test_no_jump_at_clip_boundaries_when_following_smooth_guides(models):
    frames = 12
    x = torch.linspace(0, 1, SIZE)
    shift = torch.linspace(0, 0.5, frames)[:, None, None]
    guide = torch.stack([(x[None, :] + shift[i] + 0 * x[:, None]).clamp(0, 1) for i in range(frames)])
    guide = torch.stack([guide, guide.flip(-1), 0.5 + 0 * guide], dim=-1)  # (frames, H, W, 3)
    out, _ = run(models, frames, fast_settings(steps=4, guide_strength=0.5), guide=guide)
    steps = (out[1:] - out[:-1]).abs().mean(dim=(1, 2, 3))  # change from frame i to i+1
    boundary = steps[[3, 7]]  # 3->4 and 7->8 cross clips
    inside = steps[[0, 1, 2, 4, 5, 6, 8, 9, 10]]
    assert float(boundary.max()) <= 1.5 * float(inside.max())


def test_guide_strength_from_reconstruction_to_ignoring_the_guide(models):
    frames = 4
    guide = torch.rand(frames, SIZE * 2, SIZE * 2, 3, generator=torch.Generator().manual_seed(3))  # resized to the portrait
    unguided, _ = run(models, frames, fast_settings(steps=4))
    ignored, _ = run(models, frames, fast_settings(steps=4, guide_strength=1.0), guide=guide)
    assert torch.equal(ignored, unguided)  # strength 1 starts from pure noise (zero terminal SNR)
    kept, sampler = run(models, frames, fast_settings(steps=4, guide_strength=0.0), guide=guide)
    assert sampler.records[0].first_timestep == -1  # no denoising step at all: the guide's VAE reconstruction
    half, _ = run(models, frames, fast_settings(steps=4, guide_strength=0.5), guide=guide)
    assert float((half - kept).abs().mean()) < float((unguided - kept).abs().mean())
    single, _ = run(models, frames, fast_settings(steps=4, guide_strength=0.5), guide=guide[:1])  # one frame for all
    assert single.shape == half.shape


def test_bad_inputs_are_input_errors(models):
    ref, features, regions, box = tiny_inputs(models, 4)
    tokens = encode_conditioning(models, features, None)
    sampler = EmotionGuidedSampler(models)
    with pytest.raises(InputError, match="multiple of 4"):
        sampler.sample(torch.rand(18, 18, 3), tokens, regions, box, 4, fast_settings())
    with pytest.raises(InputError, match="guide frames"):
        sampler.sample(ref, tokens, regions, box, 4, fast_settings(), guide_frames=torch.rand(3, SIZE, SIZE, 3))
    with pytest.raises(InputError, match="positions"):
        sampler.sample(ref, tokens, regions, box, 4, fast_settings(clip_length=31))
    with pytest.raises(InputError, match="steps"):
        sampler.sample(ref, tokens, regions, box, 4, fast_settings(steps=0))
    with pytest.raises(InputError, match="audio features"):
        encode_conditioning(models, torch.zeros(4, 3, 3), None)
    with pytest.raises(InputError, match="emotion track has 3 frames"):
        encode_conditioning(models, features, np.zeros((3, 8), np.float32))


class StopAfter(Progress):
    """Presses Cancel after `count` steps, and records the stages it saw."""

    def __init__(self, count: int):
        super().__init__()
        self.count, self.seen, self.stages = count, 0, []

    def stage(self, name: str, total: int) -> None:
        self.stages.append((name, total))

    def advance(self, steps: int = 1) -> None:
        self.seen += steps
        if self.seen >= self.count:
            self.request_stop()
        super().advance(steps)


def test_progress_counts_steps_and_cancel_stops_the_sampler(models):
    ref, features, regions, box = tiny_inputs(models, 6)
    tokens = encode_conditioning(models, features, None)
    progress = StopAfter(3)
    with pytest.raises(Interrupted):
        EmotionGuidedSampler(models).sample(ref, tokens, regions, box, 6, fast_settings(), progress=progress)
    assert progress.stages == [("diffusion", 2 * (2 + 1))]  # two clips of two steps and a decode each
    assert progress.seen == 3  # stopped at the first step after Cancel, not at the end
