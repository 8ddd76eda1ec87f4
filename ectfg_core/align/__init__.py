"""Word timings for speech that came without them: CTC forced alignment (wav2vec2) or, without a model, DTW
against an espeak-ng rendering of the same text. Heavy imports (torch, transformers) happen only when used."""
