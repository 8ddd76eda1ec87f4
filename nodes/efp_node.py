"""EmotionFluctuationPredictor node: timed speech + plan -> per-frame emotion track."""

from __future__ import annotations

from ectfg_core.pipeline import SpokenText, check_fps, predict_track

from .types import CATEGORY, SPEECH, TRACK


class EmotionFluctuationPredictor:
    DESCRIPTION = (
        "Predicts an emotion label and intensity per word and per video frame. Embedded mode (no weights): the plan "
        "sets the emotion and the speech's loudness and pitch make its intensity fluctuate frame by frame."
    )
    CATEGORY = f"{CATEGORY}/emotion"
    FUNCTION = "run"
    RETURN_TYPES = (TRACK, "STRING")
    RETURN_NAMES = ("track", "track_json")
    OUTPUT_TOOLTIPS = ("Per-frame emotion track for the renderer or sampler.", "The track as JSON (probabilities + intensity per frame).")

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "speech": (SPEECH, {"tooltip": "Timed speech from EmotionalTTS."}),
                "fps": ("FLOAT", {"default": 25.0, "min": 10.0, "max": 60.0, "step": 1.0,
                                  "tooltip": "Video frame rate; one track entry per frame."}),
            }
        }

    def run(self, speech: SpokenText, fps: float):
        prediction, _ = predict_track(speech.plan, speech.speech, check_fps(fps))
        return (prediction, prediction.track.to_json())
