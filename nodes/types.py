"""Our own ComfyUI socket types, only for our own data; everything else uses IMAGE, AUDIO, MASK."""

SPEECH = "ECTFG_SPEECH"  # timed speech: audio, word and phoneme timings, the per-word plan
TRACK = "ECTFG_TRACK"  # per-frame emotion track (and the per-word plan re-read from it)
FACE = "ECTFG_FACE"  # framed portrait with its landmarks

CATEGORY = "ectfg"
