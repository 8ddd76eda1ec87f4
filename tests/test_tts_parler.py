"""Neural backend (Parler-TTS layout): tiny random-weight checkpoints built here, loaded by the code users run."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from ectfg_core.errors import InputError, ModelError
from ectfg_core.text import tokenize

TEXT = "I was walking home quietly. Then something grabbed my arm from behind!"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    from speech_tiny import tiny_parler

    root = tmp_path_factory.mktemp("models")
    tiny_parler(root / "tts" / "tiny-parler")
    tiny_parler(root / "tts" / "tiny-parler-rope", seed=1, rope=True, cross_prompt=True)
    return root


@pytest.fixture(scope="module")
def model(models_dir):
    from ectfg_core.tts.parler.model import ParlerTTS

    return ParlerTTS.from_pretrained(models_dir / "tts" / "tiny-parler", device="cpu")


def test_checkpoint_is_written_in_the_published_layout(models_dir) -> None:
    from safetensors import safe_open

    folder = models_dir / "tts" / "tiny-parler"
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= {
        p.name for p in folder.iterdir()}
    assert json.loads((folder / "config.json").read_text())["model_type"] == "parler_tts"
    with safe_open(str(folder / "model.safetensors"), "pt") as fh:
        keys = set(fh.keys())
    for key in ("audio_encoder.model.decoder.model.0.weight_g", "audio_encoder.model.decoder.model.0.weight_v",
                "audio_encoder.model.decoder.model.1.block.2.block.1.weight_v",
                "audio_encoder.model.quantizer.quantizers.0.codebook.weight",
                "decoder.model.decoder.embed_tokens.0.weight", "decoder.model.decoder.layers.1.encoder_attn.k_proj.weight",
                "decoder.lm_heads.2.weight", "embed_prompts.weight", "enc_to_dec_proj.weight", "text_encoder.shared.weight"):
        assert key in keys, key


def test_codes_and_audio_have_the_model_shapes(model) -> None:
    codes = model.generate_codes("Jon's voice is calm.", "Hello there.", seed=3)
    k_books = model.cfg.decoder.num_codebooks
    # Never stops early (tiny model setting): max_length columns, minus the delay pattern.
    assert codes.shape == (k_books, model.cfg.generation.max_length - k_books)
    assert int(codes.max()) < model.cfg.codec.codebook_size
    audio = model.decode(codes)
    assert audio.dtype == np.float32 and audio.shape == (codes.shape[1] * 80,)  # DAC hop = 10 x 8
    assert np.all(np.abs(audio) <= 1.0)
    again = model.generate_codes("Jon's voice is calm.", "Hello there.", seed=3)
    assert torch.equal(codes, again)
    assert not torch.equal(codes, model.generate_codes("Jon's voice is calm.", "Hello there.", seed=4))
    # The description conditions the output.
    assert not torch.equal(codes, model.generate_codes("Jon's voice is terrified.", "Hello there.", seed=3))


def test_rope_and_prompt_cross_attention_variants_run(models_dir) -> None:
    from ectfg_core.tts.parler.model import ParlerTTS

    m = ParlerTTS.from_pretrained(models_dir / "tts" / "tiny-parler-rope", device="cpu")
    assert m.cfg.decoder.rope_embeddings and m.cfg.prompt_cross_attention
    assert m.speak("A calm voice.", "Hi.", max_seconds=0.5).shape == ((int(0.5 * 100) + 1) * 80,)


def test_delay_pattern_is_undone_and_stops_one_codebook_at_a_time(model) -> None:
    from ectfg_core.tts.parler.model import _undelay

    bos, pad = 33, 32
    # Three codebooks, codebook k delayed by k+1; frames a,b,c then EOS (=pad) in each codebook in turn.
    codes = torch.tensor([
        [bos, 1, 2, 3, pad, pad, pad],
        [bos, bos, 4, 5, 6, pad, pad],
        [bos, bos, bos, 7, 8, 9, pad],
    ])
    assert _undelay(codes, 3, 32).tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    gen = model.cfg.generation
    logits = torch.zeros(3, 40)
    logits[:, pad] = 100.0  # every codebook wants to stop
    finished = torch.tensor([False, False, False])
    sampled = model._sample(logits.clone(), finished, column=gen.min_new_tokens + 5, gen=gen, rng=torch.Generator().manual_seed(0))
    assert sampled[0] == pad and sampled[1] != pad and sampled[2] != pad
    finished = torch.tensor([True, False, False])
    sampled = model._sample(logits.clone(), finished, column=gen.min_new_tokens + 5, gen=gen, rng=torch.Generator().manual_seed(0))
    assert sampled[1] == pad and sampled[2] != pad


def test_codec_names_and_weight_norm_match_the_published_codec() -> None:
    from ectfg_core.tts.parler.codec import codec_state_dict, descript_to_hf, fold_weight_norm

    conv = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(6, 4, 7))
    g, v = conv.parametrizations.weight.original0, conv.parametrizations.weight.original1
    assert torch.allclose(fold_weight_norm(g, v), conv.weight, atol=1e-6)
    up = torch.nn.utils.parametrizations.weight_norm(torch.nn.ConvTranspose1d(6, 4, 16, stride=8))
    g, v = up.parametrizations.weight.original0, up.parametrizations.weight.original1
    assert torch.allclose(fold_weight_norm(g, v), up.weight, atol=1e-6)
    assert descript_to_hf("decoder.model.0.weight", 4) == "decoder.conv1.weight"
    assert descript_to_hf("decoder.model.2.block.1.bias", 4) == "decoder.block.1.conv_t1.bias"
    assert descript_to_hf("decoder.model.4.block.4.block.3.bias", 4) == "decoder.block.3.res_unit3.conv2.bias"
    assert descript_to_hf("decoder.model.5.alpha", 4) == "decoder.snake1.alpha"
    assert descript_to_hf("encoder.block.1.block.3.alpha", 4) == "encoder.block.0.snake1.alpha"
    assert descript_to_hf("encoder.block.6.bias", 4) == "encoder.conv2.bias"
    _, unknown = codec_state_dict({"decoder.model.9.block.7.weight": torch.zeros(1)}, 4)
    assert unknown


def test_missing_weights_name_the_folder_and_the_files(tmp_path, monkeypatch, models_dir) -> None:
    from ectfg_core.tts.neural import load_model
    from ectfg_core.tts.parler.model import ParlerTTS

    monkeypatch.setenv("ECTFG_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match=r"parler-tts-mini-v1.*not found.*tts/parler-tts-mini-v1"):
        load_model("parler-tts-mini-v1")
    empty = tmp_path / "tts" / "half-downloaded"
    empty.mkdir(parents=True)
    (empty / "config.json").write_text((models_dir / "tts" / "tiny-parler" / "config.json").read_text())
    with pytest.raises(ModelError, match=r"half-downloaded is incomplete: missing model\.safetensors or "
                                         r"model\.safetensors\.index\.json, tokenizer_config\.json, tokenizer\.json or spiece\.model"):
        ParlerTTS.from_pretrained(empty)
    # A truncated checkpoint: the message names a missing tensor.
    from safetensors.torch import load_file, save_file

    full = models_dir / "tts" / "tiny-parler"
    broken = tmp_path / "tts" / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (broken / name).write_text((full / name).read_text())
    state = load_file(str(full / "model.safetensors"))
    state.pop("decoder.lm_heads.1.weight")
    save_file(state, str(broken / "model.safetensors"))
    with pytest.raises(ModelError, match=r"lacks 1 tensors \(e\.g\. decoder\.lm_heads\.1\.weight\)"):
        ParlerTTS.from_pretrained(broken)
    wrong = tmp_path / "tts" / "wrong"
    wrong.mkdir()
    for name in ("model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        (wrong / name).write_bytes((full / name).read_bytes())
    (wrong / "config.json").write_text(json.dumps({"model_type": "bark"}))
    with pytest.raises(ModelError, match="not a Parler-TTS checkpoint"):
        ParlerTTS.from_pretrained(wrong)


def test_segments_descriptions_and_joins() -> None:
    from ectfg_core.emotion.description import parse_description
    from ectfg_core.tts.describe import describe
    from ectfg_core.tts.segments import plan_segments

    tokens = tokenize(TEXT)
    described = parse_description("calm, then suddenly terrified at 'something'", [t.text for t in tokens])
    targets = [(t.distribution(), t.intensity) for t in described.targets]
    segments = plan_segments(TEXT, tokens, targets, [[] for _ in tokens])
    assert [(s.first, s.end) for s in segments] == [(0, 6), (6, len(tokens))]
    assert segments[0].text == "I was walking home quietly. Then" or segments[0].text.endswith("quietly.")
    assert segments[1].pause_before >= 0.15
    first, second = (describe(s.distribution, s.intensity, s.hints, "Jon") for s in segments)
    assert first.startswith("Jon's voice is calm") and "terrified" in second and "fast" in second and "high-pitched" in second


def test_joined_segments_have_no_clicks() -> None:
    from ectfg_core.tts.join import join, trim

    sr = 16000
    t = np.arange(int(0.4 * sr)) / sr
    # Segments that end and start far from zero: a plain concatenation would jump by 1.4.
    a = (0.5 * np.sin(2 * np.pi * 150 * t) + 0.6).astype(np.float32)
    b = (-0.8 + 0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    quiet = np.concatenate([np.zeros(4000), 0.05 * np.sin(2 * np.pi * 180 * t), np.zeros(4000)]).astype(np.float32)
    trimmed, cut = trim(quiet, sr)
    assert cut > 3000 and len(trimmed) < len(quiet) - 6000
    for pauses in ([0.0, 0.0, 0.0], [0.0, 0.2, 0.0], [0.0, 0.1, 0.3]):
        out, starts = join([a, b, trimmed], sr, pauses)
        steps = np.abs(np.diff(out))
        near = np.zeros(len(steps), dtype=bool)
        for i, s in enumerate(starts[1:], 1):
            near[max(0, s - int(pauses[i] * sr) - 400): s + 400] = True  # the join, its pause and 25 ms either side
        # At a join the waveform moves no faster than the parts' own sines move anywhere else.
        assert steps[near].max() <= steps[~near].max() * 1.05, (pauses, steps[near].max(), steps[~near].max())
        assert starts[0] == 0 and starts[1] > starts[0] and starts[2] > starts[1]
        if pauses[1] > 0:
            gap = out[starts[0] + len(a): starts[1]]
            assert len(gap) == int(round(pauses[1] * sr)) and np.all(gap == 0)
    assert np.abs(np.diff(np.concatenate([a, b]))).max() > 1.0  # what the join avoids
    # Equal speech levels after joining, whatever the levels before.
    out, starts = join([a * 0.1, b], sr, [0.0, 0.2])
    la, lb = (20 * np.log10(np.sqrt(np.mean(out[s:s + 3000] ** 2))) for s in (starts[0] + 500, starts[1] + 500))
    assert abs(la - lb) < 3.0


def test_speak_with_the_neural_backend_by_name(models_dir, monkeypatch) -> None:
    from ectfg_core.pipeline import speak, speech_backends

    monkeypatch.setenv("ECTFG_MODELS_DIR", str(models_dir))
    assert speech_backends() == ["embedded (espeak-ng)", "tiny-parler", "tiny-parler-rope"]
    spoken = speak(TEXT, "calm, then suddenly terrified at 'something'", backend="tiny-parler", aligner="espeak-dtw")
    speech = spoken.speech
    assert speech.sample_rate == 8000
    assert [w.index for w in speech.words] == list(range(len(tokenize(TEXT))))
    prev = 0.0
    for w in speech.words:
        assert prev - 1e-6 <= w.start <= w.end <= speech.duration + 1e-6
        prev = w.end
    assert [w.emotion for w in spoken.plan.words][-1] == "fearful"
    # Two segments of 157 frames (0.01 s each) and the pause of the sudden turn between them.
    assert 2 * 1.5 < speech.duration < 2 * 1.6 + 0.5


def test_neural_speech_the_aligner_cannot_time_is_timed_by_espeaks_reading(models_dir, monkeypatch) -> None:
    """A tiny random model speaks noise: when no aligner can time it, its words still get times of their own, spread as
    espeak-ng reads the text over the part that sounds, and the plan says so."""
    from ectfg_core.align import espeak_dtw
    from ectfg_core.errors import InputError as AlignmentError
    from ectfg_core.pipeline import speak

    def cannot_align(*args, **kwargs):
        raise AlignmentError("the recording does not speak this text")

    monkeypatch.setenv("ECTFG_MODELS_DIR", str(models_dir))
    monkeypatch.setattr(espeak_dtw, "align_with_espeak", cannot_align)
    spoken = speak(TEXT, "calm", backend="tiny-parler", aligner="espeak-dtw")
    words = spoken.speech.words
    assert [w.index for w in words] == list(range(len(tokenize(TEXT))))
    assert all(w.end > w.start for w in words) and all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))
    assert any("espeak-ng's reading of the text" in w for w in spoken.plan.warnings)


def test_embedded_backend_never_needs_the_neural_code(monkeypatch) -> None:
    from ectfg_core.pipeline import speak

    for name in [m for m in sys.modules if m.startswith("ectfg_core.tts.parler") or m == "ectfg_core.tts.neural"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ectfg_core.tts.neural", None)  # importing it would now fail
    monkeypatch.setitem(sys.modules, "ectfg_core.tts.parler.model", None)
    spoken = speak("Still speaking.", "happy")
    assert spoken.speech.duration > 0.3 and len(spoken.plan.words) == 2
    with pytest.raises(ImportError):
        speak("Still speaking.", "happy", backend="tiny-parler")


def test_node_lists_only_the_embedded_backend_without_models(tmp_path, monkeypatch, models_dir) -> None:
    from nodes.tts_node import EmotionalTTS

    monkeypatch.setenv("ECTFG_MODELS_DIR", str(tmp_path))
    assert EmotionalTTS.INPUT_TYPES()["optional"]["backend"][0] == ["embedded (espeak-ng)"]
    monkeypatch.setenv("ECTFG_MODELS_DIR", str(models_dir))
    choices = EmotionalTTS.INPUT_TYPES()["optional"]["backend"][0]
    assert choices == ["embedded (espeak-ng)", "tiny-parler", "tiny-parler-rope"]
    audio, spoken, plan_json = EmotionalTTS().run("Hello there, my friend.", "happy", "en-us", 165, backend="tiny-parler",
                                                  aligner="espeak-dtw", seed=2)
    assert audio["sample_rate"] == 8000 and audio["waveform"].shape[-1] == len(spoken.speech.samples)
    assert len(json.loads(plan_json)["words"]) == 4


def test_empty_transcript_is_refused(model) -> None:
    with pytest.raises(InputError, match="empty"):
        model.speak("A calm voice.", "   ")


REFERENCE = __import__("pathlib").Path(__file__).parent / "data" / "parler_reference"


@pytest.mark.parametrize("variant", ["sin", "rope"])
def test_matches_the_reference_parler_tts_implementation(variant: str) -> None:
    """Golden outputs of the parler-tts package itself (0.2.3, under transformers 4.46.1, which this project cannot
    install beside transformers 5) on two tiny checkpoints: sinusoidal positions with the transcript prepended, and
    rotary positions with the transcript cross-attended and grouped key/value heads. Teacher-forced logits and the
    greedy code matrix (delay pattern, EOS order, length limit) must match."""
    from ectfg_core.tts.parler.model import ParlerTTS

    ref = np.load(REFERENCE / "reference.npz")
    m = ParlerTTS.from_pretrained(REFERENCE / variant, device="cpu", dtype=torch.float32)
    codes = torch.from_numpy(ref[f"codes_{variant}"])
    with torch.no_grad():
        memory = m.encode_description("A calm voice, quite fast.")
        prompt = m.embed_prompts(m._tokens("Hello there, friend."))
        if m.cfg.prompt_cross_attention:
            memory = torch.cat([memory, prompt + m.embed_positions(torch.arange(prompt.shape[1]))[None]], dim=1)
            embeds = m.decoder.embed_codes(codes)
        else:
            embeds = torch.cat([prompt, m.decoder.embed_codes(codes)], dim=1)
        logits = m.decoder(embeds, 0, [], memory)[:, :, -codes.shape[-1]:]
    assert np.abs(logits.numpy() - ref[f"logits_{variant}"]).max() < 1e-4
    m.cfg.generation.audio_ids_only = False  # the reference may sample non-audio ids (frames it then drops)
    m.generate_codes("A calm voice, quite fast.", "Hello there, friend.")
    assert np.array_equal(m.last_columns.numpy(), ref[f"columns_{variant}"])
