"""Thin ComfyUI adapters over ectfg_core (classic node API)."""

from .efp_loader_node import EFPModelLoader
from .efp_node import EmotionFluctuationPredictor
from .external_speech_node import ExternalSpeech
from .face_node import FaceMaskExtractor
from .render_node import EmbeddedRenderer
from .tts_node import EmotionalTTS

NODE_CLASS_MAPPINGS = {
    "ECTFG_EmotionalTTS": EmotionalTTS,
    "ECTFG_EmotionFluctuationPredictor": EmotionFluctuationPredictor,
    "ECTFG_FaceMaskExtractor": FaceMaskExtractor,
    "ECTFG_EmbeddedRenderer": EmbeddedRenderer,
    "ECTFG_EFPModelLoader": EFPModelLoader,
    "ECTFG_ExternalSpeech": ExternalSpeech,
}

NODE_DISPLAY_NAME_MAPPINGS = {
    "ECTFG_EmotionalTTS": "Emotional TTS (ectfg)",
    "ECTFG_EmotionFluctuationPredictor": "Emotion Fluctuation Predictor (ectfg)",
    "ECTFG_FaceMaskExtractor": "Face Mask Extractor (ectfg)",
    "ECTFG_EmbeddedRenderer": "Embedded Renderer (ectfg)",
    "ECTFG_EFPModelLoader": "EFP Model Loader (ectfg)",
    "ECTFG_ExternalSpeech": "External Speech (ectfg)",
}
