"""Emotion classes, per-word plans, per-frame tracks, and descriptions turned into plans."""

from ectfg_core.emotion.model import EMOTIONS, EmotionPlan, EmotionTrack, WordEmotion

__all__ = ["EMOTIONS", "EmotionPlan", "EmotionTrack", "WordEmotion"]
