"""Our own ComfyUI socket types, only for our own data; everything else uses IMAGE, AUDIO, MASK, VIDEO."""

SPEECH = "ECTFG_SPEECH"  # timed speech: audio, word and phoneme timings, the per-word plan
TRACK = "ECTFG_TRACK"  # per-frame emotion track (and the per-word plan re-read from it)
FACE = "ECTFG_FACE"  # framed portrait with its landmarks

# What every speech node (Emotional TTS, External Speech) returns, so the rest of a graph works with either.
SPEECH_RETURN_TYPES = ("AUDIO", SPEECH, "STRING")
SPEECH_RETURN_NAMES = ("audio", "speech", "plan_json")
SPEECH_OUTPUT_TOOLTIPS = (
    "The speech (standard AUDIO).",
    "Timed speech for the EmotionFluctuationPredictor and the renderer.",
    "The per-word plan as JSON: word, start, end, emotion, intensity, and warnings.",
)


def aligner_choices() -> list[str]:
    """Word aligners available here (the dropdown of the speech nodes)."""
    from ectfg_core.align.words import available_aligners

    return available_aligners()


CATEGORY = "ectfg"  # every node sits under this root in the Add Node menu

# Key of the UI output the Emotion Track Editor sends to the browser; web/ectfg_timeline.js reads the same key.
TIMELINE_UI_KEY = "ectfg_timeline"
