"""EmotionalTTS node: text + emotion description -> speech with word timings and a per-word plan."""

from __future__ import annotations

from ectfg_core.pipeline import EMBEDDED_BACKEND, speak, speech_backends
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT

from .convert import audio_to_comfy, comfy_to_audio
from .messages import naming_inputs
from .progress import ComfyProgress
from .types import SpeechNode, aligner_choices

# Core field -> this node's input (nodes/messages.py): errors about them name the input, never a CLI flag.
INPUT_NAMES = {"text": "text", "emotion": "emotion", "content": "content", "speaker": "speaker", "aligner": "aligner"}


class EmotionalTTS(SpeechNode):
    DESCRIPTION = (
        "Speaks the text with an emotion that changes over time as the description says. The embedded espeak-ng "
        "voice works offline with no downloads (per-word prosody, emotion-specific voice quality, natural pauses). "
        "A neural model folder in models/tts (Parler-TTS, e.g. parler-tts-mini-v1) speaks each emotional segment "
        "from a voice description; its words are timed by forced alignment. Outputs the speech, its word timings "
        "and the per-word emotion plan."
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
                "voice": ("STRING", {"default": "auto", "tooltip": "espeak-ng voice for the embedded backend, e.g. en-us, "
                                                                   "en-gb, en-us+f3 (female), ru, cmn; auto: en-us, or the "
                                                                   "voice of the script the text is written in."}),
                "words_per_minute": ("INT", {"default": 165, "min": 80, "max": 400, "step": 5,
                                             "tooltip": "Neutral speaking rate of the embedded voice; emotions speed it up "
                                                        "or slow it down."}),
            },
            "optional": {
                "voice_reference": ("AUDIO", {
                    "tooltip": "Optional recording of the target speaker; its pitch sets the voice's base pitch "
                               "(neural backend: picks a male or female speaker and the pitch wording).",
                }),
                "backend": (speech_backends(), {
                    "default": EMBEDDED_BACKEND,
                    "tooltip": "Who speaks: the embedded espeak-ng voice, or a neural model folder from models/tts "
                               "(listed when present; needs a GPU for reasonable speed).",
                }),
                "speaker": ("STRING", {"default": "", "tooltip": "Neural backend: a Parler-TTS voice name (Jon, Lea, Gary, "
                                                                 "Jenna, Mike, Laura); empty picks one from the voice "
                                                                 "reference, else Jon."}),
                "aligner": (aligner_choices(), {"default": "auto", "tooltip": "Neural backend: how words are timed. auto "
                                                 "uses a wav2vec2 folder from models/wav2vec2 if present, else espeak-ng + DTW."}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31 - 1,
                                 "tooltip": "Neural backend: sampling seed (the same seed gives the same speech)."}),
                "content": ("FLOAT", {"default": DEFAULT_CONTENT_AMOUNT, "min": 0.0, "max": 1.0, "step": 0.05,
                                      "tooltip": "How far the words of the text may move the emotion the description "
                                                 "asks for: 0 = exactly the description, 1 = the most (words of loss "
                                                 "darken it, words of delight lift it; the described emotion stays on "
                                                 "top unless the description says \"let the words colour it\")."}),
            },
        }

    def run(self, text: str, emotion: str, voice: str, words_per_minute: int, voice_reference: dict | None = None,
            backend: str = EMBEDDED_BACKEND, speaker: str = "", aligner: str = "auto", seed: int = 0,
            content: float = DEFAULT_CONTENT_AMOUNT):
        reference = comfy_to_audio(voice_reference) if voice_reference is not None else None
        with naming_inputs("Emotional TTS", INPUT_NAMES):
            spoken = speak(text, emotion, voice=voice, voice_reference=reference, words_per_minute=words_per_minute,
                           backend=backend, speaker=speaker or None, aligner=aligner, seed=seed, progress=ComfyProgress(),
                           content=content)
        audio = audio_to_comfy(spoken.speech.samples, spoken.speech.sample_rate)
        return (audio, spoken, spoken.plan.to_json())
