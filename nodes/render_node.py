"""Embedded renderer node: framed portrait + timed speech + emotion track -> video frames and matching audio."""

from __future__ import annotations

from ectfg_core.audio.features import frame_features
from ectfg_core.efp.embedded import Prediction
from ectfg_core.face.framing import Portrait
from ectfg_core.media.audio import fit_to_frames
from ectfg_core.pipeline import SpokenText, render_frames

from .convert import audio_to_comfy, frames_to_image
from .progress import ComfyProgress
from .types import CATEGORY, FACE, SPEECH, TRACK


class EmbeddedRenderer:
    DESCRIPTION = (
        "Animates the portrait on the CPU, no diffusion weights needed: mouth shapes from the phonemes and the audio, "
        "expression from the emotion track, blinks and slight head motion. Connect the frames and audio to "
        "Create Video + Save Video, or use the frames as motion guides for a diffusion sampler."
    )
    CATEGORY = f"{CATEGORY}/render"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "AUDIO", "FLOAT")
    RETURN_NAMES = ("frames", "audio", "fps")
    OUTPUT_TOOLTIPS = ("Video frames.", "The speech padded to exactly the video's length.", "Frame rate of the frames.")

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "face": (FACE, {"tooltip": "Framed portrait from FaceMaskExtractor."}),
                "speech": (SPEECH, {"tooltip": "Timed speech from EmotionalTTS."}),
                "track": (TRACK, {"tooltip": "Per-frame emotion from EmotionFluctuationPredictor."}),
                "motion_seed": ("INT", {"default": 0, "min": 0, "max": 2**31 - 1,
                                        "tooltip": "Seed for blinks and head motion; the same seed gives the same video."}),
            }
        }

    def run(self, face: Portrait, speech: SpokenText, track: Prediction, motion_seed: int):
        emotion_track = track.track
        audio = frame_features(speech.speech.samples, speech.speech.sample_rate, emotion_track.fps, emotion_track.num_frames)
        frames = list(render_frames(face, speech.speech, emotion_track, audio, motion_seed, ComfyProgress()))
        samples = fit_to_frames(speech.speech.samples, speech.speech.sample_rate, emotion_track.num_frames, emotion_track.fps)
        return (frames_to_image(frames), audio_to_comfy(samples, speech.speech.sample_rate), float(emotion_track.fps))
