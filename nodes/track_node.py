"""Emotion Track Editor node: shows the predicted track on a timeline and applies the user's edits to it."""

from __future__ import annotations

import dataclasses

import numpy as np

from ectfg_core.emotion.edits import EDITS_FORMAT, MAX_STRENGTH, EditedTrack, apply_override, parse_override
from ectfg_core.errors import InputError
from ectfg_core.types.emotion import EMOTIONS, Prediction

from .types import CATEGORY, TIMELINE_UI_KEY, TRACK, track_input

TIMELINE_VERSION = 1


def timeline_payload(edited: EditedTrack, mode: str) -> dict:
    """What web/ectfg_timeline.js draws: per-word targets, per-frame intensity and class, which words were edited."""
    track = edited.track
    return {
        "version": TIMELINE_VERSION,
        "emotions": list(EMOTIONS),
        # How the timeline writes its edits: the format and the strength range the node accepts.
        "edits_format": EDITS_FORMAT,
        "strength_range": [0.0, float(MAX_STRENGTH)],
        "fps": float(track.fps),
        "duration": float(track.duration),
        "mode": mode,
        "replaced": edited.replaced,
        # How far the words were let move the description (0..1, None when the plan does not say), shown in the header.
        "content": edited.plan.content,
        "content_stance": edited.plan.content_stance,
        "words": [
            {"index": i, **w.to_dict(), "edited": i in edited.edited}
            for i, w in enumerate(edited.plan.words)
        ],
        "intensity": [round(float(v), 3) for v in track.intensity],
        "frame_emotion": [int(v) for v in np.argmax(track.probs, axis=1)],
    }


class EmotionTrackEditor:
    DESCRIPTION = (
        "Shows the emotion track as a timeline on the node after each run: the words coloured by emotion and the "
        "intensity curve. Drag a word's dot up or down to change its intensity, click a word to pick another "
        "emotion and set its expression strength (0 = no expression, 1 = default, 2 = exaggerated); the edit is "
        "written into override_json and applied on the next run, so only this node and the "
        "ones after it run again. Clear override_json to return to the prediction. A whole track or plan JSON "
        "(from a track_json / plan_json output or a sidecar file) can be pasted there too. It runs as part of a "
        "graph that uses its track (renderer or sampler into Save Video)."
    )
    CATEGORY = f"{CATEGORY}/emotion"
    FUNCTION = "run"
    # Not an output node: if it were, a graph whose Save Video fails validation (e.g. a missing checkpoint) would run
    # this node alone and report success having written nothing. It runs whenever its track feeds an output.
    RETURN_TYPES = (TRACK, "STRING", "STRING")
    RETURN_NAMES = ("track", "track_json", "plan_json")
    OUTPUT_TOOLTIPS = (
        "The track with your edits applied, for the renderer or the sampler.",
        "The edited track as JSON (a probability over the seven emotions and an intensity per frame).",
        "The per-word plan after the edits as JSON (word, start, end, emotion, intensity).",
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "track": (TRACK, {"tooltip": "Emotion track from the Emotion Fluctuation Predictor."}),
                "override_json": ("STRING", {
                    "multiline": True, "default": "",
                    "tooltip": "Your edits, written by the timeline (or by hand): "
                               '{"words": [{"index": 2, "word": "glad", "emotion": "angry", "intensity": 0.8, "strength": 1.5}]}. '
                               "A full track_json or plan_json may be pasted instead. Empty = use the prediction as is.",
                }),
            }
        }

    @classmethod
    def VALIDATE_INPUTS(cls, override_json: str | None) -> bool | str:
        # Syntax and structure are checked before the run; whether the edits fit the speech is known only during it.
        if override_json is None:  # connected to another node: checked when it runs
            return True
        try:
            parse_override(override_json)
        except InputError as err:
            return str(err)
        return True

    def run(self, track: Prediction, override_json: str):
        track = track_input(track)
        edited = apply_override(track.plan, track.track, parse_override(override_json))
        result = track
        if edited.edited or edited.replaced:
            # A new Prediction (the upstream node's cached output stays as it was), with the predictor's audio frames.
            result = dataclasses.replace(track, plan=edited.plan, track=edited.track)
        ui = {TIMELINE_UI_KEY: [timeline_payload(edited, track.mode)]}
        return {"ui": ui, "result": (result, edited.track.to_json(), edited.plan.to_json())}
