"""Tiny random-weight speech model folders in the published layouts (Parler-TTS, wav2vec2 CTC), for the tests.

They load through exactly the code real checkpoints go through; their speech is noise, their timings arbitrary.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import torch

_CHARS = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]


def _char_tokenizer(folder: Path, eos: bool) -> None:
    """A character-level fast tokenizer (T5-like specials, optional EOS appended) saved with save_pretrained."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for c in _CHARS:
        vocab.setdefault(c, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(" ", "isolated")  # no merges: every word becomes its letters
    if eos:
        tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="</s>")
    fast.save_pretrained(str(folder))


def tiny_parler(folder: str | Path, seed: int = 0, rope: bool = False, cross_prompt: bool = False,
                max_length: int = 160, min_new_tokens: int | None = None) -> Path:
    """A Parler-TTS folder (config.json, generation_config.json, model.safetensors, tokenizer) of a few hundred kB.

    Its codec makes 100 frames per second at 8 kHz; by default it never stops early (min_new_tokens = max_length),
    so every call gives (max_length - codebooks) frames of noise.
    """
    from ectfg_core.tts.parler.config import read_config
    from ectfg_core.tts.parler.model import ParlerTTS

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    raw = {
        "model_type": "parler_tts",
        "architectures": ["ParlerTTSForConditionalGeneration"],
        "vocab_size": 128,
        "prompt_cross_attention": cross_prompt,
        "decoder_start_token_id": 33,
        "pad_token_id": 32,
        "text_encoder": {"model_type": "t5", "vocab_size": 128, "d_model": 24, "d_kv": 6, "d_ff": 32, "num_layers": 1,
                         "num_heads": 4, "relative_attention_num_buckets": 8, "feed_forward_proj": "gated-gelu",
                         "is_encoder_decoder": False, "pad_token_id": 0, "eos_token_id": 1},
        "audio_encoder": {"model_type": "dac", "num_codebooks": 3, "codebook_size": 32, "latent_dim": 16,
                          "sampling_rate": 8000, "frame_rate": 100, "model_bitrate": 8,
                          "encoder_dim": 4, "encoder_rates": [8, 10], "decoder_dim": 16, "decoder_rates": [10, 8],
                          "codebook_dim": 4},
        "decoder": {"model_type": "parler_tts_decoder", "hidden_size": 16, "num_hidden_layers": 2,
                    "num_attention_heads": 4, "num_key_value_heads": 2, "num_cross_attention_key_value_heads": 2,
                    "ffn_dim": 32, "vocab_size": 40, "num_codebooks": 3, "max_position_embeddings": 64,
                    "rope_embeddings": rope, "pad_token_id": 32, "bos_token_id": 33, "eos_token_id": 32},
    }
    (folder / "config.json").write_text(json.dumps(raw), encoding="utf-8")
    cfg = read_config(folder)
    cfg.generation.max_length = max_length
    cfg.generation.min_new_tokens = max_length if min_new_tokens is None else min_new_tokens
    torch.manual_seed(seed)
    model = ParlerTTS(cfg)
    model.save_pretrained(folder)
    _char_tokenizer(folder, eos=True)
    return folder


def tiny_wav2vec2(folder: str | Path, seed: int = 0) -> Path:
    """A character CTC wav2vec2 folder (config, weights, vocab, tokenizer and feature-extractor configs)."""
    from transformers import Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4}
    for c in "ETAONIHSRDLUMWCFGYPBVK'XJQZ":
        vocab[c] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                         word_delimiter_token="|").save_pretrained(str(folder))
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(str(folder))
    torch.manual_seed(seed)
    cfg = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32, conv_dim=(8,) * 7, num_conv_pos_embeddings=16,
                         num_conv_pos_embedding_groups=2, pad_token_id=0)
    Wav2Vec2ForCTC(cfg).save_pretrained(str(folder))
    return folder
