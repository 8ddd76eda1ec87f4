"""Benchmarks behind `ectfg bench` (every stage, end to end) and `ectfg speech-bench` (the speech stage and its aligners)."""
