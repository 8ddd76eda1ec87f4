"""The checkpoint's config.json (and generation_config.json), read into plain dataclasses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ectfg_core.errors import ModelError

MODEL_TYPE = "parler_tts"


@dataclass
class DecoderConfig:
    hidden_size: int = 1024
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_key_value_heads: int | None = None
    num_cross_attention_key_value_heads: int | None = None
    ffn_dim: int = 4096
    vocab_size: int = 1088
    num_codebooks: int = 9
    max_position_embeddings: int = 4096
    rope_embeddings: bool = False
    rope_theta: float = 10000.0
    activation_function: str = "gelu"
    use_fused_lm_heads: bool = False
    pad_token_id: int = 1024
    bos_token_id: int = 1025
    eos_token_id: int = 1024
    cross_attention_hidden_size: int | None = None

    @property
    def kv_heads(self) -> int:
        return self.num_key_value_heads or self.num_attention_heads

    @property
    def cross_kv_heads(self) -> int:
        return self.num_cross_attention_key_value_heads or self.kv_heads


@dataclass
class CodecConfig:
    """DAC: sampling rate, codebooks, and the architecture. Parler's configs set only the first four; the rest are
    descript-audio-codec's defaults for its 44.1 kHz model (a config may override them, as small test models do)."""

    sampling_rate: int = 44100
    num_codebooks: int = 9
    codebook_size: int = 1024
    latent_dim: int = 1024
    encoder_dim: int = 64
    encoder_rates: list[int] = field(default_factory=lambda: [2, 4, 8, 8])
    decoder_dim: int = 1536
    decoder_rates: list[int] = field(default_factory=lambda: [8, 8, 4, 2])
    codebook_dim: int = 8


@dataclass
class GenerationSettings:
    """generation_config.json, with transformers' defaults for what it leaves out."""

    do_sample: bool = True
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    max_length: int = 2580
    min_new_tokens: int = 0
    # Ours, not transformers': never sample ids that are not audio codes (BOS, unused head rows); a frame holding
    # one cannot be decoded and is dropped. False reproduces the reference sampling exactly.
    audio_ids_only: bool = True


@dataclass
class ParlerConfig:
    text_encoder: dict[str, Any]
    codec: CodecConfig
    decoder: DecoderConfig
    vocab_size: int  # the prompt (transcript) vocabulary, shared with the description tokenizer
    prompt_cross_attention: bool = False
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def decoder_start_token_id(self) -> int:
        return int(self.raw.get("decoder_start_token_id", self.decoder.bos_token_id))


def _pick(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names and v is not None})


def read_config(folder: Path) -> ParlerConfig:
    try:
        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {folder / 'config.json'} ({exc}); re-download the model folder") from exc
    if raw.get("model_type") != MODEL_TYPE or not all(k in raw for k in ("text_encoder", "audio_encoder", "decoder")):
        raise ModelError(
            f"{folder} is not a Parler-TTS checkpoint (config.json model_type is {raw.get('model_type')!r}, expected "
            f"'{MODEL_TYPE}'); use a folder such as parler-tts-mini-v1"
        )
    audio = dict(raw["audio_encoder"])
    if audio.get("model_type") not in ("dac", "dac_on_the_hub"):
        raise ModelError(f"{folder}: audio codec {audio.get('model_type')!r} is not supported; Parler-TTS v1 checkpoints use DAC")
    codec = _pick(CodecConfig, audio)
    if codec.latent_dim != codec.encoder_dim * 2 ** len(codec.encoder_rates):
        raise ModelError(f"{folder}: DAC latent_dim {codec.latent_dim} does not match encoder_dim x 2^stages; the config is inconsistent")
    generation = GenerationSettings()
    gen_path = folder / "generation_config.json"
    if gen_path.is_file():
        try:
            generation = _pick(GenerationSettings, json.loads(gen_path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise ModelError(f"cannot read {gen_path} ({exc}); re-download the model folder") from exc
    return ParlerConfig(
        text_encoder=dict(raw["text_encoder"]),
        codec=codec,
        decoder=_pick(DecoderConfig, raw["decoder"]),
        vocab_size=int(raw.get("vocab_size", 32128)),
        prompt_cross_attention=bool(raw.get("prompt_cross_attention", False)),
        generation=generation,
        raw=raw,
    )
