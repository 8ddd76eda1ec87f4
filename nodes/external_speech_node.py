"""External Speech node: AUDIO from any other node (another TTS, a recording) + its text -> timed speech and plan."""

from __future__ import annotations

from ectfg_core.pipeline import speak_external
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT

from .convert import audio_to_comfy, comfy_to_audio
from .messages import naming_inputs
from .progress import ComfyProgress
from .types import SpeechNode, aligner_choices

# Core field -> this node's input (nodes/messages.py): errors about them name the input, never a CLI flag.
INPUT_NAMES = {"text": "text", "emotion": "emotion", "content": "content", "aligner": "aligner"}


class ExternalSpeech(SpeechNode):
    DESCRIPTION = (
        "Use speech made elsewhere: connect the AUDIO of any TTS node or a recording, and type exactly what it says. "
        "The words are timed by forced alignment (a wav2vec2 model from models/wav2vec2 when present, otherwise "
        "espeak-ng speaks the text and DTW maps it onto the audio) and the emotion description is planned over them. "
        "Same outputs as Emotional TTS, so the rest of the graph works unchanged."
    )
    @classmethod
    def INPUT_TYPES(cls) -> dict:
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
                "content": ("FLOAT", {"default": DEFAULT_CONTENT_AMOUNT, "min": 0.0, "max": 1.0, "step": 0.05,
                                      "tooltip": "How far the words of the text may move the emotion the description "
                                                 "asks for: 0 = exactly the description, 1 = the most (words of loss "
                                                 "darken it, words of delight lift it; the described emotion stays on "
                                                 "top unless the description says \"let the words colour it\")."}),
            },
        }

    def run(self, audio: dict, text: str, emotion: str, aligner: str = "auto", content: float = DEFAULT_CONTENT_AMOUNT):
        samples, rate = comfy_to_audio(audio)
        with naming_inputs("External Speech", INPUT_NAMES):
            spoken = speak_external(samples, rate, text, emotion, aligner=aligner, progress=ComfyProgress(), content=content)
        return (audio_to_comfy(spoken.speech.samples, spoken.speech.sample_rate), spoken, spoken.plan.to_json())
