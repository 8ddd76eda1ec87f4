"""EmotionalTTS node: text + emotion description -> speech with word timings and a per-word plan."""

from __future__ import annotations

from ectfg_core.pipeline import speak

from .convert import audio_to_comfy, comfy_to_audio
from .types import CATEGORY, SPEECH


class EmotionalTTS:
    DESCRIPTION = (
        "Speaks the text with an emotion that changes over time as the description says, using the embedded "
        "espeak-ng voice (offline). Outputs the speech, its word timings and the per-word emotion plan."
    )
    CATEGORY = f"{CATEGORY}/speech"
    FUNCTION = "run"
    RETURN_TYPES = ("AUDIO", SPEECH, "STRING")
    RETURN_NAMES = ("audio", "speech", "plan_json")
    OUTPUT_TOOLTIPS = (
        "The synthesized speech (standard AUDIO).",
        "Timed speech for the EmotionFluctuationPredictor and the renderer.",
        "The per-word plan as JSON: word, start, end, emotion, intensity, and warnings.",
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "text": ("STRING", {"multiline": True, "default": "Hello! I am so glad you came. But where were you yesterday?",
                                    "tooltip": "The words the face will say (up to 5000 characters)."}),
                "emotion": ("STRING", {
                    "multiline": True, "default": "starts happy, then slowly becomes irritated",
                    "tooltip": "Free-form emotional arc, e.g. 'starts calm, suddenly furious at \"the money\", ends sad'.",
                }),
                "voice": ("STRING", {"default": "en-us", "tooltip": "espeak-ng voice, e.g. en-us, en-gb, en-us+f3 (female)."}),
                "words_per_minute": ("INT", {"default": 165, "min": 80, "max": 400, "step": 5,
                                             "tooltip": "Neutral speaking rate; emotions speed it up or slow it down."}),
            },
            "optional": {
                "voice_reference": ("AUDIO", {
                    "tooltip": "Optional recording of the target speaker; its pitch sets the voice's base pitch.",
                }),
            },
        }

    def run(self, text: str, emotion: str, voice: str, words_per_minute: int, voice_reference: dict | None = None):
        reference = comfy_to_audio(voice_reference) if voice_reference is not None else None
        spoken = speak(text, emotion, voice=voice, voice_reference=reference, words_per_minute=words_per_minute)
        audio = audio_to_comfy(spoken.speech.samples, spoken.speech.sample_rate)
        return (audio, spoken, spoken.plan.to_json())
