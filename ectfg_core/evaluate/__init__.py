"""Evaluation of generated talking-face videos: EF-score, Emo-Acc, agreement with the requested track, lip-sync proxy."""

from ectfg_core.evaluate.metrics import Agreement, LipSync, ef_score, label_agreement, lip_sync, track_agreement
from ectfg_core.evaluate.report import EvaluationReport, evaluate, format_report

__all__ = ["Agreement", "EvaluationReport", "LipSync", "ef_score", "evaluate", "format_report", "label_agreement", "lip_sync",
           "track_agreement"]
