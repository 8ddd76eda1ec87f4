"""A Parler-TTS checkpoint folder -> a module that speaks a transcript in the voice a description asks for.

Folder layout (as published, e.g. parler-tts/parler-tts-mini-v1): config.json, model.safetensors (or sharded with
model.safetensors.index.json), generation_config.json (optional), and the T5 tokenizer files (tokenizer.json or
spiece.model, tokenizer_config.json). Weights are read tensor by tensor into modules created without memory
(meta device), so a 3.5 GB checkpoint needs 3.5 GB, not 7.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn
from transformers import AutoTokenizer, T5Config, T5EncoderModel

from ectfg_core.errors import InputError, ModelError
from ectfg_core.model_folders import quiet_loading, require_files
from ectfg_core.tts.parler.codec import build_codec, codec_state_dict, hf_to_descript
from ectfg_core.tts.parler.config import ParlerConfig, read_config
from ectfg_core.tts.parler.decoder import ParlerDecoder, SinusoidalPositions

REQUIRED_FILES: list[tuple[str, ...]] = [
    ("config.json",),
    ("model.safetensors", "model.safetensors.index.json"),
    ("tokenizer_config.json",),
    ("tokenizer.json", "spiece.model"),
]


class ParlerTTS(nn.Module):
    """Text encoder (T5) for the description, decoder for audio codes, DAC codec for the waveform."""

    def __init__(self, cfg: ParlerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        t5 = dict(cfg.text_encoder)
        t5.pop("model_type", None)
        self.text_encoder = T5EncoderModel(T5Config(**t5))
        self.audio_encoder = nn.Module()
        self.audio_encoder.model = build_codec(cfg.codec)  # type: ignore[assignment]
        self.decoder = ParlerDecoder(cfg.decoder)
        hidden, text_hidden = cfg.decoder.hidden_size, self.text_encoder.config.d_model
        self.enc_to_dec_proj = (
            nn.Linear(text_hidden, hidden) if text_hidden != hidden and cfg.decoder.cross_attention_hidden_size is None else None
        )
        self.embed_prompts = nn.Embedding(cfg.vocab_size, hidden)
        if cfg.prompt_cross_attention:
            self.embed_positions = SinusoidalPositions(cfg.decoder.max_position_embeddings, hidden)
        self.tokenizer = None
        self.last_columns: torch.Tensor | None = None

    @property
    def sampling_rate(self) -> int:
        return int(self.cfg.codec.sampling_rate)

    @property
    def frame_rate(self) -> float:
        return self.sampling_rate / float(np.prod(self.cfg.codec.decoder_rates))

    # --- loading and saving ----------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, folder: str | Path, device: str | torch.device | None = None,
                        dtype: torch.dtype | None = None) -> ParlerTTS:
        folder = Path(folder)
        require_files(folder, REQUIRED_FILES, "Parler-TTS model")
        cfg = read_config(folder)
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if dtype is None:
            dtype = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        with torch.device("meta"):
            model = cls(cfg)
        state = _read_state(folder)
        model._load(state, folder)
        model.to(device=device, dtype=dtype).eval()
        model.audio_encoder.model.float()  # the codec is small; float32 keeps its transposed convolutions clean
        try:
            with quiet_loading():  # it reads config.json, whose model_type transformers does not know
                model.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the tokenizer in {folder} ({exc}); re-download the model folder") from exc
        return model

    def _load(self, state: dict[str, torch.Tensor], folder: Path) -> None:
        """Assign checkpoint tensors to the (meta) parameters; ModelError naming any that are missing."""
        stages = len(self.cfg.codec.decoder_rates)
        codec_raw = {k[len("audio_encoder.model."):]: v for k, v in state.items() if k.startswith("audio_encoder.model.")}
        codec, unknown = codec_state_dict(codec_raw, stages)
        if unknown:
            raise ModelError(f"{folder}: unexpected codec tensors {unknown[:3]}; the checkpoint does not match its config")
        own = {k: v for k, v in state.items() if not k.startswith("audio_encoder.")}
        own.update({f"audio_encoder.model.{k}": v for k, v in codec.items()})
        # T5 ties its input embedding to `shared`; checkpoints store one of the two.
        for a, b in (("text_encoder.shared.weight", "text_encoder.encoder.embed_tokens.weight"),
                     ("text_encoder.encoder.embed_tokens.weight", "text_encoder.shared.weight")):
            if a in own and b not in own:
                own[b] = own[a]
        expected = self.state_dict(keep_vars=True)  # every name, tied ones included
        optional = {k for k in expected if k.endswith("embed_positions.weights")}  # a fixed table, rebuilt if absent
        missing = sorted(set(expected) - set(own) - optional)
        if missing:
            raise ModelError(
                f"{folder}: the checkpoint lacks {len(missing)} tensors (e.g. {', '.join(missing[:3])}); "
                "re-download model.safetensors or check that config.json belongs to it"
            )
        for key in optional - set(own):
            module = self.get_submodule(key.rsplit(".", 1)[0])
            own[key] = SinusoidalPositions(module.weights.shape[0], module.dim).weights.data
        mismatched = [k for k in expected if tuple(own[k].shape) != tuple(expected[k].shape)]
        if mismatched:
            k = mismatched[0]
            raise ModelError(f"{folder}: tensor {k} has shape {tuple(own[k].shape)}, config expects {tuple(expected[k].shape)}")
        self.load_state_dict({k: own[k] for k in expected}, strict=True, assign=True)
        if self.text_encoder.encoder.embed_tokens is not self.text_encoder.shared:
            self.text_encoder.encoder.embed_tokens = self.text_encoder.shared

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json, generation_config.json and model.safetensors in the published layout."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(self.cfg.raw, indent=2), encoding="utf-8")
        gen = self.cfg.generation
        (folder / "generation_config.json").write_text(json.dumps({
            "do_sample": gen.do_sample, "temperature": gen.temperature, "top_k": gen.top_k, "top_p": gen.top_p,
            "max_length": gen.max_length, "min_new_tokens": gen.min_new_tokens,
            "bos_token_id": self.cfg.decoder.bos_token_id, "eos_token_id": self.cfg.decoder.eos_token_id,
            "pad_token_id": self.cfg.decoder.pad_token_id, "decoder_start_token_id": self.cfg.decoder_start_token_id,
        }, indent=2), encoding="utf-8")
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()
                 if not k.startswith("audio_encoder.") and k != "text_encoder.encoder.embed_tokens.weight"}
        codec = hf_to_descript(self.audio_encoder.model.state_dict(), len(self.cfg.codec.decoder_rates))
        state.update({f"audio_encoder.model.{k}": v.detach().contiguous().cpu() for k, v in codec.items()})
        save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(str(folder))

    # --- inference -------------------------------------------------------------------------------------------

    def _tokens(self, text: str) -> torch.Tensor:
        if self.tokenizer is None:
            raise ModelError("the model has no tokenizer; load it with ParlerTTS.from_pretrained(folder)")
        ids = self.tokenizer(text, return_tensors="pt").input_ids
        return ids.to(self.embed_prompts.weight.device)

    @torch.inference_mode()
    def encode_description(self, description: str) -> torch.Tensor:
        """(1, tokens, hidden) description states as the decoder's cross-attention sees them."""
        ids = self._tokens(description)
        states = self.text_encoder(input_ids=ids).last_hidden_state
        return self.enc_to_dec_proj(states) if self.enc_to_dec_proj is not None else states

    @torch.inference_mode()
    def generate_codes(
        self,
        description: str,
        transcript: str,
        seed: int = 0,
        max_seconds: float | None = None,
        step: Callable[[int, int], None] | None = None,
    ) -> torch.Tensor:
        """Sample audio codes (codebooks, frames) for the transcript in the described voice.

        The delay pattern: codebook k starts k+1 steps late (its first columns are BOS) and the sequence ends when
        every codebook has emitted EOS, each only after the one before it. `step(done, limit)` is called per
        step (progress and interruption).
        """
        dec, gen = self.cfg.decoder, self.cfg.generation
        k_books = dec.num_codebooks
        device = self.embed_prompts.weight.device
        memory = self.encode_description(description)
        prompt = self.embed_prompts(self._tokens(transcript))
        if self.cfg.prompt_cross_attention:
            positions = torch.arange(prompt.shape[1], device=device)
            memory = torch.cat([memory, prompt + self.embed_positions(positions).to(prompt.dtype)[None]], dim=1)
            prefix = prompt[:, :0]
        else:
            prefix = prompt
        limit = gen.max_length
        if max_seconds is not None:
            limit = min(limit, int(max_seconds * self.frame_rate) + k_books + 1)
        rng = torch.Generator(device=device).manual_seed(int(seed))
        start = torch.full((1, k_books, 1), self.cfg.decoder_start_token_id, dtype=torch.long, device=device)
        embeds = torch.cat([prefix, self.decoder.embed_codes(start)], dim=1)
        cache: list = []
        columns = [start[0, :, 0]]
        finished = torch.zeros(k_books, dtype=torch.bool, device=device)
        past = 0
        for c in range(1, limit):
            logits = self.decoder(embeds, past, cache, memory)[0, :, -1, :].float()  # (codebooks, vocab)
            past += embeds.shape[1]
            tokens = self._sample(logits, finished, c, gen, rng)
            tokens = torch.where(finished, torch.full_like(tokens, dec.pad_token_id), tokens)
            book = torch.arange(k_books, device=device)
            delayed = book >= c  # codebook k waits k+1 steps: still BOS
            tokens = torch.where(delayed, torch.full_like(tokens, dec.bos_token_id), tokens)
            # At the length limit the pattern closes the same way: codebook k's last (K-1-k) columns are padding.
            tokens = torch.where(c >= limit - k_books + 1 + book, torch.full_like(tokens, dec.pad_token_id), tokens)
            finished |= (tokens == dec.eos_token_id) & ~delayed
            columns.append(tokens)
            if step is not None:
                step(c, limit)
            if bool(finished.all()):
                break
            embeds = self.decoder.embed_codes(tokens.view(1, k_books, 1))
        self.last_columns = torch.stack(columns, dim=1)  # (codebooks, columns), delayed: kept for inspection
        return _undelay(self.last_columns, dec.num_codebooks, self.cfg.codec.codebook_size)

    def _sample(self, logits: torch.Tensor, finished: torch.Tensor, column: int, gen, rng: torch.Generator) -> torch.Tensor:
        dec = self.cfg.decoder
        eos = dec.eos_token_id
        # Only the first codebook still running may end; the others follow it one step apart.
        running = torch.nonzero(~finished).flatten()
        first = int(running[0]) if len(running) else dec.num_codebooks
        block = torch.arange(dec.num_codebooks, device=logits.device) > first
        if column <= gen.min_new_tokens:
            block[:] = True
        logits[block, eos] = -float("inf")
        if gen.audio_ids_only:
            # Ids above the codebook other than EOS (BOS, unused head rows) are not audio: a frame holding one cannot
            # be decoded and would be dropped (a trained model gives them ~0 probability anyway).
            invalid = torch.ones(logits.shape[-1], dtype=torch.bool, device=logits.device)
            invalid[: self.cfg.codec.codebook_size] = False
            invalid[eos] = False
            logits[:, invalid] = -float("inf")
        if not gen.do_sample:
            return logits.argmax(dim=-1)
        logits = logits / max(1e-5, float(gen.temperature))
        if gen.top_k and gen.top_k < logits.shape[-1]:
            kth = torch.topk(logits, int(gen.top_k), dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, -float("inf"))
        if gen.top_p < 1.0:
            sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
            cum = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
            drop = cum - torch.softmax(sorted_logits, dim=-1) > gen.top_p
            logits = logits.masked_fill(torch.zeros_like(drop).scatter(1, order, drop), -float("inf"))
        probs = torch.softmax(logits, dim=-1)
        return torch.multinomial(probs, 1, generator=rng).flatten()

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """(codebooks, frames) codes -> mono float32 waveform at sampling_rate."""
        if codes.shape[-1] == 0:
            return np.zeros(0, dtype=np.float32)
        codec = self.audio_encoder.model
        audio = codec.decode(audio_codes=codes[None].to(self.embed_prompts.weight.device)).audio_values
        return audio[0].float().cpu().numpy().astype(np.float32)

    def speak(self, description: str, transcript: str, seed: int = 0, max_seconds: float | None = None,
              step: Callable[[int, int], None] | None = None) -> np.ndarray:
        """The transcript spoken as described: float32 samples at sampling_rate."""
        if not transcript.strip():
            raise InputError("nothing to speak: the transcript is empty")
        return self.decode(self.generate_codes(description, transcript, seed, max_seconds, step))


def _undelay(codes: torch.Tensor, k_books: int, codebook_size: int) -> torch.Tensor:
    """Undo the delay pattern (codebook k shifted by k+1) and keep the frames whose codes are all real audio codes."""
    frames = codes.shape[1] - k_books
    if frames <= 0:
        return codes.new_zeros((k_books, 0))
    aligned = torch.stack([codes[k, k + 1: k + 1 + frames] for k in range(k_books)])
    keep = (aligned < codebook_size).all(dim=0)
    return aligned[:, keep]


def _read_state(folder: Path) -> dict[str, torch.Tensor]:
    index = folder / "model.safetensors.index.json"
    files = [folder / "model.safetensors"]
    if index.is_file():
        try:
            files = sorted({folder / name for name in json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()})
        except (json.JSONDecodeError, KeyError) as exc:
            raise ModelError(f"cannot read {index} ({exc}); re-download the model folder") from exc
    state: dict[str, torch.Tensor] = {}
    for path in files:
        if not path.is_file():
            raise ModelError(f"{folder}: weight file {path.name} is missing; download every model-*.safetensors shard")
        try:
            with safe_open(str(path), framework="pt") as fh:
                for key in fh.keys():
                    state[key] = fh.get_tensor(key)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelError(f"cannot read {path} ({exc}); the download is probably incomplete") from exc
    return state
