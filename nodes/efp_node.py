"""EmotionFluctuationPredictor node: timed speech + plan -> per-frame emotion track (learned or embedded mode)."""

from __future__ import annotations

from ectfg_core.efp.learned import DEFAULT_BLEND
from ectfg_core.pipeline import SpokenText, check_fps, predict_track

from .types import CATEGORY, EFP_MODEL, SPEECH, TRACK


class EmotionFluctuationPredictor:
    DESCRIPTION = (
        "Predicts an emotion label and intensity per word and per video frame. With a trained model (EFP Model Loader) "
        "it hears the speech and reads the words, and blend weighs the description plan against its prediction. "
        "Without one (embedded mode) the plan sets the emotion and the speech's loudness and pitch make its intensity "
        "fluctuate frame by frame. The console says which mode ran."
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
            },
            "optional": {
                "efp_model": (EFP_MODEL, {"tooltip": "A trained predictor from the EFP Model Loader; without it the embedded "
                                                     "mode runs (unless $ECTFG_EFP_MODEL names a model folder)."}),
                "blend": ("FLOAT", {"default": DEFAULT_BLEND, "min": 0.0, "max": 1.0, "step": 0.05,
                                    "tooltip": "With a trained model: 1 follows the description plan only, 0 the model's "
                                               "prediction only. Ignored in the embedded mode."}),
            },
        }

    def run(self, speech: SpokenText, fps: float, efp_model=None, blend: float = DEFAULT_BLEND):
        prediction, _ = predict_track(speech.plan, speech.speech, check_fps(fps), efp_model=efp_model, blend=blend)
        return (prediction, prediction.track.to_json())
