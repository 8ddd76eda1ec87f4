"""EFP Model Loader node: a trained EmotionFluctuationPredictor from ComfyUI's models/ectfg_efp folder."""

from __future__ import annotations

import os

from ectfg_core.efp.learned import COMFY_FOLDER, list_models, load_model
from ectfg_core.fer.weights import COMFY_FOLDER as FER_FOLDER

from .types import CATEGORY

EFP_MODEL = "ECTFG_EFP_MODEL"  # a loaded learned EFP (ectfg_core.efp.model.EmotionFluctuationModel)
NONE = "(none: embedded mode)"


def register_model_folders() -> None:
    """Make models/ectfg_efp (trained EFP folders) and models/ectfg_fer (classifier weights) known to ComfyUI."""
    try:
        import folder_paths  # type: ignore[import-not-found]
    except ImportError:  # outside ComfyUI
        return
    for name in (COMFY_FOLDER, FER_FOLDER):
        if name not in folder_paths.folder_names_and_paths:
            folder_paths.folder_names_and_paths[name] = ([os.path.join(folder_paths.models_dir, name)], set())


register_model_folders()


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
            raise ModelError(f"EFP model {model!r} is not in models/{COMFY_FOLDER}; put its folder there (config.json + "
                             "model.safetensors) and refresh")
        return (load_model(folders[model]),)
