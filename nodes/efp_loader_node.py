"""EFP Model Loader node: a trained EmotionFluctuationPredictor from ComfyUI's models/ectfg_efp folder."""

from __future__ import annotations

from ectfg_core.efp.learned import MODEL_KIND, list_models, load_model

from .types import CATEGORY, EFP_MODEL

NONE = "(none: embedded mode)"


class EFPModelLoader:
    DESCRIPTION = (
        "Loads a learned EmotionFluctuationPredictor trained with `ectfg train-efp`: a folder in ComfyUI/models/ectfg_efp "
        "holding config.json and model.safetensors, whose audio and text encoder folders (wav2vec2/HuBERT, BERT) are "
        "found from its config. Choose '(none)' to keep the embedded mode."
    )
    CATEGORY = f"{CATEGORY}/emotion"
    FUNCTION = "run"
    RETURN_TYPES = (EFP_MODEL,)
    RETURN_NAMES = ("efp_model",)
    OUTPUT_TOOLTIPS = ("The trained predictor, for the Emotion Fluctuation Predictor's efp_model input.",)

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        names = [path.name for path in list_models()]
        return {
            "required": {
                "model": ([NONE, *names], {"tooltip": "A trained model folder under models/ectfg_efp (config.json + "
                                                      "model.safetensors)."}),
            }
        }

    def run(self, model: str):
        if model == NONE:
            return (None,)
        folders = {path.name: path for path in list_models()}
        from ectfg_core.errors import ModelError

        if model not in folders:
            raise ModelError(f"EFP model {model!r} is not in models/{MODEL_KIND}; put its folder there (config.json + "
                             "model.safetensors) and refresh")
        return (load_model(folders[model]),)
