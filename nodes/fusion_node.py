"""Gated Emotion Fusion node (paper eq. 5-6): speech + emotion track -> the tokens the sampler's audio attention uses."""

from __future__ import annotations

from ectfg_core.diffusion.config import SamplerSettings
from ectfg_core.pipeline import SpokenText

from .types import AV_TOKENS, CATEGORY, DIFFUSION, SPEECH, TRACK, track_input


class GatedEmotionFusion:
    DESCRIPTION = (
        "TIE-TFG's gated fusion: wav2vec2 features of the speech become audio tokens f_a, the emotion track becomes "
        "emotion tokens f_emo, and c = f_a + sigmoid(W_g f_a + b_g) * f_emo goes to the sampler's hierarchical "
        "audio attention. Without trained emotion weights f_emo is exactly zero, so the result is Hallo's audio-only one."
    )
    CATEGORY = f"{CATEGORY}/diffusion"
    FUNCTION = "run"
    RETURN_TYPES = (AV_TOKENS, "STRING")
    RETURN_NAMES = ("tokens", "info")
    OUTPUT_TOOLTIPS = ("Fused audio/emotion tokens for the Emotion Guided Sampler.",
                       "Which emotion weights were used and how many frames the tokens cover.")

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "models": (DIFFUSION, {"tooltip": "From the Diffusion Model Loader."}),
                "speech": (SPEECH, {"tooltip": "Timed speech from Emotional TTS."}),
                "track": (TRACK, {"tooltip": "Per-frame emotion from the Emotion Fluctuation Predictor (its fps is the video's)."}),
                "emotion_scale": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 3.0, "step": 0.05,
                                            "tooltip": "Weight of the emotion tokens: 0 = audio only, 1 = as trained."}),
                "clip_length": ("INT", {"default": 16, "min": 1, "max": 30,
                                        "tooltip": "Frames per sampler clip (Hallo: 16); the speech is padded to whole clips."}),
            }
        }

    def run(self, models, speech: SpokenText, track, emotion_scale: float, clip_length: int):
        from ectfg_core.diffusion.animate import audio_emotion_tokens

        emotion_track = track_input(track).track
        settings = SamplerSettings(clip_length=int(clip_length), emotion_scale=float(emotion_scale), fps=emotion_track.fps)
        tokens = audio_emotion_tokens(models, speech.speech.samples, speech.speech.sample_rate, emotion_track.num_frames,
                                      emotion_track.fps, emotion_track, settings.validate())
        source = models.emotion_weights or "none: untrained fusion, audio-only tokens"
        info = f"{tokens.num_frames} frames at {tokens.fps:g} fps; emotion weights: {source}; emotion scale {emotion_scale:g}"
        return (tokens, info)
