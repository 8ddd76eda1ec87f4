import numpy as np
import pytest

from ectfg_core.efp.embedded import predict_embedded
from ectfg_core.emotion.frames import plan_to_frames
from ectfg_core.types.audio import AudioFrames
from ectfg_core.types.emotion import EMOTIONS, EmotionPlan, WordEmotion

FPS = 25.0


def _audio(energy: np.ndarray, f0: np.ndarray | None = None) -> AudioFrames:
    f0 = np.zeros_like(energy) if f0 is None else f0
    return AudioFrames(fps=FPS, energy=energy.astype(np.float32), f0=f0.astype(np.float32), voiced=f0 > 0)


def _two_word_plan() -> EmotionPlan:
    return EmotionPlan(words=[WordEmotion("calm", 0.0, 1.0, "neutral", 0.3), WordEmotion("rage", 2.0, 3.0, "angry", 0.9)])


def test_plan_is_held_inside_words_and_glides_across_the_pause():
    probs, intensity = plan_to_frames(_two_word_plan().words, 75, FPS)
    angry = EMOTIONS.index("angry")
    assert probs[10, angry] == pytest.approx(0.0)
    assert probs[60, angry] == pytest.approx(1.0)
    assert 0.3 < probs[37, angry] < 0.7  # middle of the pause is halfway
    assert intensity[10] == pytest.approx(0.3) and intensity[60] == pytest.approx(0.9)


def test_track_has_one_frame_per_video_frame_and_follows_the_plan():
    energy = np.full(75, 0.6)
    pred = predict_embedded(_two_word_plan(), _audio(energy), 75)
    labels = pred.track.labels()
    assert pred.track.num_frames == 75 and pred.mode == "embedded"
    assert labels[5] == "neutral" and labels[70] == "angry"
    assert [w.emotion for w in pred.plan.words] == ["neutral", "angry"]
    assert pred.plan.words[1].intensity > pred.plan.words[0].intensity


def test_intensity_fluctuates_with_loudness_and_relaxes_in_silence():
    plan = EmotionPlan(words=[WordEmotion("long", 0.0, 3.0, "happy", 0.6)])
    energy = np.full(75, 0.5)
    energy[20:30] = 1.0  # a loud syllable
    energy[50:60] = 0.0  # a pause
    track = predict_embedded(plan, _audio(energy), 75).track
    assert track.intensity[25] > track.intensity[10] + 0.05
    assert track.intensity[55] < track.intensity[10] - 0.03
    assert np.all((track.intensity >= 0) & (track.intensity <= 1))


def test_higher_pitch_raises_intensity():
    plan = EmotionPlan(words=[WordEmotion("long", 0.0, 3.0, "surprised", 0.5)])
    energy = np.full(75, 0.5)
    f0 = np.full(75, 150.0)
    f0[40:50] = 260.0
    track = predict_embedded(plan, _audio(energy, f0), 75).track
    assert track.intensity[45] > track.intensity[20]


def test_sudden_change_takes_a_few_frames_not_one():
    plan = EmotionPlan(words=[WordEmotion("a", 0.0, 1.0, "happy", 0.8), WordEmotion("b", 1.0, 2.0, "fearful", 0.8)])
    track = predict_embedded(plan, _audio(np.full(50, 0.5)), 50).track
    fear = track.probs[:, EMOTIONS.index("fearful")]
    assert fear[20] < 0.05 and fear[30] > 0.95
    assert 0.2 < fear[25] < 0.8  # a short blend at the boundary
