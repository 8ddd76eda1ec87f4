"""Per-frame loudness and pitch on synthetic signals with known answers."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from ectfg_core.audio import frame_features, median_pitch, resample
from ectfg_core.types.audio import AudioFrames

SR = 22050


def tone(freq: float, seconds: float, sr: int = SR, amp: float = 0.3, harmonics: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return sum(amp / k * np.sin(2 * np.pi * freq * k * t) for k in range(1, harmonics + 1)).astype(np.float32)


@pytest.mark.parametrize("freq", [80.0, 200.0, 440.0])
def test_tone_pitch(freq: float) -> None:
    feats = frame_features(tone(freq, 1.0, harmonics=4), SR, fps=25)
    inner = slice(2, -2)  # edge frames see the zero padding
    assert feats.voiced[inner].all()
    assert np.allclose(feats.f0[inner], freq, rtol=0.01)
    assert median_pitch(tone(freq, 1.0, harmonics=4), SR) == pytest.approx(freq, rel=0.01)


def test_pure_200hz_tone() -> None:
    feats = frame_features(tone(200.0, 2.0), SR, fps=30)
    assert np.median(feats.f0[feats.voiced]) == pytest.approx(200.0, rel=0.005)
    assert feats.voiced.mean() > 0.9


def test_silence_is_silent_and_unvoiced() -> None:
    feats = frame_features(np.zeros(SR, dtype=np.float32), SR, fps=25)
    assert np.all(feats.energy == 0)
    assert not feats.voiced.any()
    assert np.all(feats.f0 == 0)
    assert median_pitch(np.zeros(SR), SR) is None


def test_noise_is_mostly_unvoiced() -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, 2 * SR).astype(np.float32)
    assert frame_features(noise, SR, fps=25).voiced.mean() < 0.1


def test_energy_orders_loudness_and_gates_silence() -> None:
    quiet, loud = tone(150.0, 1.0, amp=0.03), tone(150.0, 1.0, amp=0.3)
    signal = np.concatenate([np.zeros(SR, dtype=np.float32), quiet, loud])
    feats = frame_features(signal, SR, fps=25)
    e_sil, e_quiet, e_loud = feats.energy[5:20], feats.energy[30:45], feats.energy[55:70]
    assert np.all(e_sil == 0)
    assert 0.2 < e_quiet.mean() < e_loud.mean()
    assert e_loud.mean() == pytest.approx(1.0, abs=0.05)
    assert feats.energy.dtype == np.float32 and feats.f0.dtype == np.float32 and feats.voiced.dtype == bool


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 60.0])
def test_frame_counts(fps: float) -> None:
    signal = tone(120.0, 1.37)
    feats = frame_features(signal, SR, fps)
    assert isinstance(feats, AudioFrames)
    assert len(feats) == len(feats.f0) == len(feats.voiced) == math.ceil(1.37 * fps)
    assert len(frame_features(signal, SR, fps, num_frames=10).energy) == 10
    padded = frame_features(signal, SR, fps, num_frames=200)  # frames past the end are silent
    assert len(padded) == 200 and padded.energy[-5:].max() == 0


def test_int16_and_stereo_input() -> None:
    mono = tone(220.0, 0.5)
    stereo = np.stack([mono, mono], axis=1)
    as_int = (mono * 32767).astype(np.int16)
    for signal in (stereo, as_int):
        assert median_pitch(signal, SR) == pytest.approx(220.0, rel=0.01)


def test_resample_keeps_pitch_and_length() -> None:
    out = resample(tone(200.0, 1.0), SR, 16000)
    assert out.dtype == np.float32 and len(out) == 16000
    assert median_pitch(out, 16000) == pytest.approx(200.0, rel=0.01)


def test_ten_seconds_is_fast() -> None:
    signal = np.random.default_rng(1).normal(0, 0.05, 10 * SR).astype(np.float32) + tone(130.0, 10.0)
    frame_features(signal, SR, fps=25)  # warm up
    start = time.perf_counter()
    frame_features(signal, SR, fps=25)
    assert time.perf_counter() - start < 0.5  # typically ~0.05 s; loose bound for busy CI machines
