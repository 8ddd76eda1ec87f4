"""Our own ComfyUI socket types, only for our own data; everything else uses IMAGE, AUDIO, MASK, VIDEO."""

SPEECH = "ECTFG_SPEECH"  # timed speech: audio, word and phoneme timings, the per-word plan
TRACK = "ECTFG_TRACK"  # per-frame emotion track (and the per-word plan re-read from it)
FACE = "ECTFG_FACE"  # framed portrait with its landmarks

CATEGORY = "ectfg"  # every node sits under this root in the Add Node menu

# Key of the UI output the Emotion Track Editor sends to the browser; web/ectfg_timeline.js reads the same key.
TIMELINE_UI_KEY = "ectfg_timeline"
