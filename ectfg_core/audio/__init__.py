"""Audio analysis shared by the stages: per-video-frame loudness and pitch, resampling."""

from ectfg_core.audio.features import frame_features, median_pitch, resample, to_mono

__all__ = ["frame_features", "median_pitch", "resample", "to_mono"]
