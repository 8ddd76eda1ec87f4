"""Thin ComfyUI adapters over ectfg_core (classic node API)."""

from ectfg_core.model_folders import register

from .diffusion_loader_node import DiffusionModelLoader
from .efp_loader_node import EFPModelLoader
from .efp_node import EmotionFluctuationPredictor
from .examples import install_examples
from .external_speech_node import ExternalSpeech
from .face_node import FaceMaskExtractor
from .fusion_node import GatedEmotionFusion
from .render_node import EmbeddedRenderer
from .sampler_node import EmotionGuidedSampler
from .track_node import EmotionTrackEditor
from .tts_node import EmotionalTTS

NODE_CLASS_MAPPINGS = {
    "ECTFG_EmotionalTTS": EmotionalTTS,
    "ECTFG_EmotionFluctuationPredictor": EmotionFluctuationPredictor,
    "ECTFG_FaceMaskExtractor": FaceMaskExtractor,
    "ECTFG_EmbeddedRenderer": EmbeddedRenderer,
    "ECTFG_EmotionTrackEditor": EmotionTrackEditor,
    "ECTFG_EFPModelLoader": EFPModelLoader,
    "ECTFG_ExternalSpeech": ExternalSpeech,
    "ECTFG_DiffusionModelLoader": DiffusionModelLoader,
    "ECTFG_GatedEmotionFusion": GatedEmotionFusion,
    "ECTFG_EmotionGuidedSampler": EmotionGuidedSampler,
}

NODE_DISPLAY_NAME_MAPPINGS = {
    "ECTFG_EmotionalTTS": "Emotional TTS (ectfg)",
    "ECTFG_EmotionFluctuationPredictor": "Emotion Fluctuation Predictor (ectfg)",
    "ECTFG_FaceMaskExtractor": "Face Mask Extractor (ectfg)",
    "ECTFG_EmbeddedRenderer": "Embedded Renderer (ectfg)",
    "ECTFG_EmotionTrackEditor": "Emotion Track Editor (ectfg)",
    "ECTFG_EFPModelLoader": "EFP Model Loader (ectfg)",
    "ECTFG_ExternalSpeech": "External Speech (ectfg)",
    "ECTFG_DiffusionModelLoader": "Diffusion Model Loader (ectfg)",
    "ECTFG_GatedEmotionFusion": "Gated Emotion Fusion (ectfg)",
    "ECTFG_EmotionGuidedSampler": "Emotion Guided Sampler (ectfg)",
}

# What the plugin sets up when ComfyUI loads it (nothing happens without ComfyUI). No node module does work when it is
# imported; this is the one place, because ComfyUI 0.8's loader offers no start-up hook (it never calls on_load).
register()  # ComfyUI's model library lists our folders from startup
install_examples()  # the shared workflows' example portrait and speech clip, written once into ComfyUI's input folder
