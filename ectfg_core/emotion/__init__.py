"""Emotion classes, per-word plans, per-frame tracks, and descriptions turned into plans."""

from ectfg_core.types.emotion import EMOTIONS, EmotionPlan, EmotionTrack, WordEmotion

__all__ = ["EMOTIONS", "EmotionPlan", "EmotionTrack", "WordEmotion"]
