"""EmotionFluctuationPredictor: per-word and per-frame emotion label and intensity."""
