"""Embedded renderer node: framed portrait + timed speech + emotion track -> video frames and matching audio."""

from __future__ import annotations

import torch

from ectfg_core.face.framing import Portrait
from ectfg_core.media.audio import fit_to_frames
from ectfg_core.pipeline import SpokenText, render_frames
from ectfg_core.types.emotion import MAX_STRENGTH, Prediction

from .convert import audio_to_comfy
from .progress import ComfyProgress
from .types import CATEGORY, FACE, SPEECH, TRACK, VIDEO, track_input
from .video import VIDEO_TOOLTIP, make_video


class EmbeddedRenderer:
    DESCRIPTION = (
        "Animates the portrait on the CPU, no diffusion weights needed: mouth shapes from the phonemes and the audio, "
        "expression from the emotion track, blinks and slight head motion. Connect video to Save Video (or "
        "frames, audio and fps to Create Video), or hand the frames to a diffusion sampler as motion guides. Shows progress and "
        "stops at Cancel."
    )
    CATEGORY = f"{CATEGORY}/render"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "AUDIO", "FLOAT", VIDEO)
    RETURN_NAMES = ("frames", "audio", "fps", "video")
    OUTPUT_TOOLTIPS = (
        "Video frames (a batch of IMAGEs, one per frame).",
        "The speech padded or trimmed to exactly the video's length.",
        "Frame rate of the frames; connect it to Create Video's fps.",
        VIDEO_TOOLTIP,
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "face": (FACE, {"tooltip": "Framed portrait from the Face Mask Extractor."}),
                "speech": (SPEECH, {"tooltip": "Timed speech from Emotional TTS (or any node that outputs ECTFG_SPEECH)."}),
                "track": (TRACK, {"tooltip": "Per-frame emotion from the Emotion Fluctuation Predictor or the Emotion Track Editor."}),
                "motion_seed": ("INT", {"default": 0, "min": 0, "max": 2**31 - 1,
                                        "tooltip": "Seed for blinks and head motion; the same seed gives the same video."}),
            },
            "optional": {
                "expression_strength": ("FLOAT", {"default": 1.0, "min": 0.0, "max": MAX_STRENGTH, "step": 0.05,
                                                  "tooltip": "How strongly the face shows the emotion: 0 = speech only, no "
                                                             "expression; 1 = calibrated default; up to 2 = exaggerated (it "
                                                             "saturates softly, the face does not break). Multiplies the "
                                                             "per-word strength set in the Emotion Track Editor."}),
            },
        }

    def run(self, face: Portrait, speech: SpokenText, track: Prediction, motion_seed: int, expression_strength: float = 1.0):
        track = track_input(track)
        emotion_track = track.track
        n, fps = emotion_track.num_frames, emotion_track.fps
        samples, rate = speech.speech.samples, speech.speech.sample_rate
        height, width = face.image.shape[:2]
        # Fill one float tensor frame by frame: peak memory is the output itself, not a list of frames plus a copy.
        frames = torch.empty((n, height, width, 3), dtype=torch.float32)
        count = 0
        frames_in = render_frames(face, speech.speech, emotion_track, track.audio, motion_seed, ComfyProgress(), float(expression_strength))
        for i, frame in enumerate(frames_in):
            frames[i] = torch.from_numpy(frame).to(torch.float32).div_(255.0)
            count = i + 1
        frames = frames[:count]
        fitted = audio_to_comfy(fit_to_frames(samples, rate, count, fps), rate)
        return (frames, fitted, float(fps), make_video(frames, fitted, fps))
