"""Emotion -> per-word prosody: directions from the literature, intensity scaling, smoothing, pauses."""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.errors import InputError
from ectfg_core.tts.prosody import LIMITS, prosody_for_words
from ectfg_core.types.emotion import NUM_EMOTIONS, one_hot


def words(emotion: str, intensity: float, n: int = 5):
    return [(one_hot(emotion), intensity)] * n


def test_neutral_is_unchanged() -> None:
    for p in prosody_for_words(words("neutral", 1.0)) + prosody_for_words(words("happy", 0.0)):
        assert (p.pitch, p.pitch_range, p.rate, p.volume, p.pause_after) == (1.0, 1.0, 1.0, 1.0, 0.0)


def test_profile_directions() -> None:
    get = {e: prosody_for_words(words(e, 1.0))[2] for e in ("happy", "sad", "angry", "fearful", "surprised", "disgusted")}
    happy, sad, angry, fear, surprise, disgust = (get[k] for k in ("happy", "sad", "angry", "fearful", "surprised", "disgusted"))
    assert happy.pitch > 1.1 and happy.pitch_range > 1.3 and happy.rate > 1.0 and happy.volume > 1.0
    assert sad.pitch < 0.95 and sad.pitch_range < 0.7 and sad.rate < 0.9 and sad.volume < 0.8
    assert angry.volume > happy.volume and angry.rate > 1.1 and angry.pitch_range > 1.3
    assert fear.pitch > 1.15 and fear.rate > 1.1 and fear.pitch_range < 1.0
    assert surprise.pitch > happy.pitch and surprise.pitch_range > happy.pitch_range
    assert disgust.pitch < 1.0 and disgust.rate < 0.9


def test_intensity_scales_and_mixing_interpolates() -> None:
    full = prosody_for_words(words("happy", 1.0))[0]
    half = prosody_for_words(words("happy", 0.5))[0]
    assert 1.0 < half.pitch < full.pitch and 1.0 < half.rate < full.rate
    mix = np.zeros(NUM_EMOTIONS, dtype=np.float32)
    mix[[1, 2]] = 0.5  # bittersweet: happy + sad
    blend = prosody_for_words([(mix, 1.0)] * 3)[1]
    sad = prosody_for_words(words("sad", 1.0))[0]
    assert sad.pitch < blend.pitch < full.pitch and sad.rate < blend.rate < full.rate


def test_sudden_change_stays_sharp_and_gets_a_pause() -> None:
    out = prosody_for_words(words("happy", 0.9, 6) + words("sad", 0.9, 6))
    alone_happy = prosody_for_words(words("happy", 0.9, 1))[0].pitch
    alone_sad = prosody_for_words(words("sad", 0.9, 1))[0].pitch
    assert out[5].pitch == pytest.approx(alone_happy, rel=0.02)
    assert out[6].pitch == pytest.approx(alone_sad, rel=0.02)
    assert out[5].pause_after > 0.1
    assert all(p.pause_after == 0 for i, p in enumerate(out) if i != 5)


def test_gradual_change_glides_without_pauses() -> None:
    n = 12
    targets = []
    for i in range(n):
        d = np.zeros(NUM_EMOTIONS, dtype=np.float32)
        d[1], d[2] = i / (n - 1), 1 - i / (n - 1)  # sad -> happy cross-fade
        targets.append((d, 0.8))
    out = prosody_for_words(targets)
    pitch = np.array([p.pitch for p in out])
    assert np.all(np.diff(pitch) > 0)
    assert np.max(np.diff(pitch)) < 0.06
    assert all(p.pause_after == 0 for p in out)


def test_clamped_for_intelligibility() -> None:
    for emotion in ("happy", "sad", "angry", "fearful", "surprised", "disgusted"):
        for p in prosody_for_words(words(emotion, 1.0), strength=5.0):
            for name, (lo, hi) in LIMITS.items():
                assert lo <= getattr(p, name) <= hi


def test_bad_targets() -> None:
    assert prosody_for_words([]) == []
    with pytest.raises(InputError):
        prosody_for_words([(np.ones(3), 1.0)])
    with pytest.raises(InputError):
        prosody_for_words([(-one_hot("happy"), 1.0)])
    with pytest.raises(InputError):
        prosody_for_words([(one_hot("happy"), float("nan"))])
