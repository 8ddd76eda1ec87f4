"""Embedded EmotionFluctuationPredictor: no trained weights; the plan sets the emotion, the audio moves its intensity.

The paper's predictor learns how intensity fluctuates with the speech (eq. 2). Without weights we keep its output
type and approximate the effect: within each word the plan's emotion is held, between words it glides, and the
intensity follows the speech frame by frame (louder and higher-pitched syllables show more, pauses relax a little).
"""

from __future__ import annotations

import numpy as np

from ectfg_core.emotion.frames import ONSET_SECONDS, plan_to_frames, smooth_frames
from ectfg_core.types.audio import AudioFrames
from ectfg_core.types.emotion import EMOTIONS, EmotionPlan, EmotionTrack, Prediction, WordEmotion

ENERGY_GAIN = 0.45  # intensity change per unit of energy above/below the clip's speech average
PITCH_GAIN = 0.10  # intensity change per standard deviation of (log) pitch
PAUSE_RELAX = 0.85  # intensity factor where nobody speaks
FLUCTUATION_SECONDS = 0.05  # smoothing of the audio-driven modulation


def audio_modulation(audio: AudioFrames, num_frames: int) -> np.ndarray:
    """Multiplicative intensity factor per frame from loudness and pitch."""
    energy = np.zeros(num_frames, dtype=np.float32)
    n = min(num_frames, len(audio.energy))
    energy[:n] = audio.energy[:n]
    speaking = energy > 0.05
    if not speaking.any():
        return np.full(num_frames, PAUSE_RELAX, dtype=np.float32)
    factor = 1.0 + ENERGY_GAIN * (energy - float(energy[speaking].mean()))
    f0 = np.zeros(num_frames, dtype=np.float32)
    f0[:n] = audio.f0[:n]
    voiced = f0 > 0
    if voiced.sum() >= 3:
        log_f0 = np.log(np.where(voiced, f0, 1.0))
        spread = float(log_f0[voiced].std()) or 1.0
        pitch_z = np.where(voiced, (log_f0 - float(log_f0[voiced].mean())) / spread, 0.0)
        factor += PITCH_GAIN * np.clip(pitch_z, -2.0, 2.0)
    factor = np.where(speaking, factor, PAUSE_RELAX)
    return smooth_frames(factor.astype(np.float32), FLUCTUATION_SECONDS * audio.fps)


def predict_embedded(plan: EmotionPlan, audio: AudioFrames, num_frames: int) -> Prediction:
    """Per-frame track from the plan, modulated by the audio, and the per-word plan re-read from that track."""
    fps = audio.fps
    probs, base_intensity = plan_to_frames(plan.words, num_frames, fps)
    probs = smooth_frames(probs, ONSET_SECONDS * fps)
    base_intensity = smooth_frames(base_intensity, ONSET_SECONDS * fps)
    intensity = np.clip(base_intensity * audio_modulation(audio, num_frames), 0.0, 1.0)
    track = EmotionTrack(fps=fps, probs=probs, intensity=intensity)
    return Prediction(plan=words_from_track(plan, track), track=track, mode="embedded")


def words_from_track(plan: EmotionPlan, track: EmotionTrack) -> EmotionPlan:
    """Per-word label and intensity as the track shows them (mean over each word's frames)."""
    words = []
    for w in plan.words:
        first = min(int(w.start * track.fps), track.num_frames - 1)
        last = max(first + 1, min(int(np.ceil(w.end * track.fps)), track.num_frames))
        mean_probs = track.probs[first:last].mean(axis=0)
        emotion = EMOTIONS[int(mean_probs.argmax())]
        mixture = {EMOTIONS[i]: float(p) for i, p in enumerate(mean_probs) if p >= 0.05}
        words.append(
            WordEmotion(
                word=w.word, start=w.start, end=w.end, emotion=emotion,
                intensity=float(np.clip(track.intensity[first:last].mean(), 0.0, 1.0)),
                mixture=mixture if len(mixture) > 1 else None,
            )
        )
    return plan.carried(words)
