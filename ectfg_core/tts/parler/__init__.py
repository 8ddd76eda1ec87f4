"""Parler-TTS (description-conditioned speech) in plain torch on transformers' T5 encoder and DAC codec.

Reads the checkpoints the parler-tts project publishes (parler-tts-mini-v1, -large-v1, expresso fine-tunes) from a
local folder. The `parler-tts` package itself pins transformers 4.46, which conflicts with this project's
transformers 5, so the decoder and its sampling loop are implemented here; weights, configs and tokenizers are the
published ones, unchanged. Imported lazily: nothing here loads unless a neural backend is chosen.
"""
