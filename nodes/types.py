"""Every socket type our nodes use, declared once. Our own are only for our own data; everything else uses
ComfyUI's IMAGE, AUDIO, MASK, VIDEO."""

from ectfg_core.errors import InputError
from ectfg_core.types.emotion import Prediction

SPEECH = "ECTFG_SPEECH"  # timed speech (ectfg_core.pipeline.SpokenText): audio, word and phoneme timings, the plan
TRACK = "ECTFG_TRACK"  # the predictor's output (ectfg_core.types.emotion.Prediction): per-frame track, per-word plan
FACE = "ECTFG_FACE"  # framed portrait with its landmarks (ectfg_core.face.framing.Portrait)
EFP_MODEL = "ECTFG_EFP_MODEL"  # a loaded learned EFP (ectfg_core.efp.model.EmotionFluctuationModel)
DIFFUSION = "ECTFG_DIFFUSION"  # the loaded backbone (ectfg_core.diffusion.models.DiffusionModels)
AV_TOKENS = "ECTFG_AV_TOKENS"  # fused audio/emotion tokens of one utterance (ectfg_core.diffusion.animate.AudioEmotionTokens)
VIDEO = "VIDEO"  # ComfyUI's core video socket type

CATEGORY = "ectfg"  # every node sits under this root in the Add Node menu


def track_input(track: object, name: str = "track") -> Prediction:
    """The value on a TRACK input, refused by name when something else was connected."""
    if not isinstance(track, Prediction):
        raise InputError(f"the {name} input must come from the Emotion Fluctuation Predictor or the Emotion Track Editor "
                         f"(an {TRACK}), got {type(track).__name__}", field=name)
    return track


class SpeechNode:
    """What every speech node (Emotional TTS, External Speech) returns, so the rest of a graph works with either."""

    CATEGORY = f"{CATEGORY}/speech"
    FUNCTION = "run"
    RETURN_TYPES = ("AUDIO", SPEECH, "STRING")
    RETURN_NAMES = ("audio", "speech", "plan_json")
    OUTPUT_TOOLTIPS = (
        "The speech (standard AUDIO).",
        "Timed speech for the EmotionFluctuationPredictor and the renderer.",
        "The per-word plan as JSON: word, start, end, emotion, intensity, and warnings.",
    )


def aligner_choices() -> list[str]:
    """Word aligners available here (the dropdown of the speech nodes)."""
    from ectfg_core.align.words import available_aligners

    return available_aligners()


# Key of the UI output the Emotion Track Editor sends to the browser; web/ectfg_timeline.js reads the same key.
TIMELINE_UI_KEY = "ectfg_timeline"
