"""External Speech node: AUDIO from any other node (another TTS, a recording) + its text -> timed speech and plan."""

from __future__ import annotations

from ectfg_core.pipeline import speak_external

from .convert import audio_to_comfy, comfy_to_audio
from .model_paths import register_model_folders
from .progress import ComfyProgress
from .types import CATEGORY, SPEECH_OUTPUT_TOOLTIPS, SPEECH_RETURN_NAMES, SPEECH_RETURN_TYPES, aligner_choices


class ExternalSpeech:
    DESCRIPTION = (
        "Use speech made elsewhere: connect the AUDIO of any TTS node or a recording, and type exactly what it says. "
        "The words are timed by forced alignment (a wav2vec2 model from models/wav2vec2 when present, otherwise "
        "espeak-ng speaks the text and DTW maps it onto the audio) and the emotion description is planned over them. "
        "Same outputs as Emotional TTS, so the rest of the graph works unchanged."
    )
    CATEGORY = f"{CATEGORY}/speech"
    FUNCTION = "run"
    RETURN_TYPES = SPEECH_RETURN_TYPES
    RETURN_NAMES = SPEECH_RETURN_NAMES
    OUTPUT_TOOLTIPS = SPEECH_OUTPUT_TOOLTIPS

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        register_model_folders()
        return {
            "required": {
                "audio": ("AUDIO", {"tooltip": "The spoken text, from any node (first item of a batch)."}),
                "text": ("STRING", {"multiline": True, "default": "",
                                    "tooltip": "Exactly the words the audio speaks, in order."}),
                "emotion": ("STRING", {"multiline": True, "default": "starts calm, then slowly becomes sad",
                                       "tooltip": "Free-form emotional arc over those words, as for Emotional TTS."}),
            },
            "optional": {
                "aligner": (aligner_choices(), {"default": "auto", "tooltip": "auto: a wav2vec2 folder from "
                                                 "models/wav2vec2 if present, else espeak-ng + DTW (no download)."}),
            },
        }

    def run(self, audio: dict, text: str, emotion: str, aligner: str = "auto"):
        samples, rate = comfy_to_audio(audio)
        spoken = speak_external(samples, rate, text, emotion, aligner=aligner, progress=ComfyProgress())
        return (audio_to_comfy(spoken.speech.samples, spoken.speech.sample_rate), spoken, spoken.plan.to_json())
