"""External speech: AUDIO from any other node + its text -> timed words and the per-word plan, same outputs as TTS."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ectfg_core.errors import InputError
from ectfg_core.pipeline import speak_external
from ectfg_core.text import tokenize
from ectfg_core.tts.espeak import synthesize

TEXT = "I waited all day for you. Then you finally called, and I was so happy!"
EMOTION = "sad at first, then suddenly happy at 'finally'"


@pytest.fixture(scope="module")
def recording():
    """Someone else's TTS: another espeak voice at another rate, at 16 kHz, after a second of silence."""
    from ectfg_core.audio.features import resample

    speech = synthesize(TEXT, voice="en-us+f2", words_per_minute=140)
    audio = resample(speech.samples, speech.sample_rate, 16000)
    return np.concatenate([np.zeros(16000, np.float32), audio]), speech


def test_plan_follows_the_recording_and_the_description(recording, monkeypatch) -> None:
    monkeypatch.delenv("ECTFG_MODELS_DIR", raising=False)
    audio, original = recording
    spoken = speak_external(audio, 16000, TEXT, EMOTION)
    words = [t.text for t in tokenize(TEXT)]
    assert [w.word for w in spoken.plan.words] == words
    assert spoken.speech.sample_rate == 16000 and len(spoken.speech.samples) == len(audio)
    # Timings are the recording's (1 s of silence first), not the original's.
    for found, true in zip(spoken.speech.words, original.words):
        assert abs(found.start - (true.start + 1.0)) < 0.15 and abs(found.end - (true.end + 1.0)) < 0.15
    emotions = [w.emotion for w in spoken.plan.words]
    turn = words.index("finally")
    assert set(emotions[: turn - 1]) == {"sad"} and set(emotions[turn:]) == {"happy"}
    assert spoken.speech.phonemes, "the renderer needs mouth shapes"


def test_node_takes_comfy_audio_and_gives_the_tts_outputs(recording, monkeypatch) -> None:
    from nodes.external_speech_node import ExternalSpeech
    from nodes.tts_node import EmotionalTTS

    monkeypatch.delenv("ECTFG_MODELS_DIR", raising=False)
    audio, _ = recording
    stereo = torch.from_numpy(np.stack([audio, audio]))[None]  # (batch, channels, samples)
    inputs = ExternalSpeech.INPUT_TYPES()
    assert inputs["optional"]["aligner"][0] == ["auto", "espeak-dtw"]
    assert ExternalSpeech.RETURN_TYPES == EmotionalTTS.RETURN_TYPES
    out_audio, spoken, plan_json = ExternalSpeech().run({"waveform": stereo, "sample_rate": 16000}, TEXT, EMOTION)
    assert out_audio["waveform"].shape == (1, 1, len(audio)) and out_audio["sample_rate"] == 16000
    plan = json.loads(plan_json)
    assert len(plan["words"]) == len(tokenize(TEXT)) and plan["words"][0]["start"] > 0.8


def test_auto_uses_an_installed_wav2vec2_folder(recording, tmp_path, monkeypatch) -> None:
    from speech_tiny import tiny_wav2vec2

    tiny_wav2vec2(tmp_path / "wav2vec2" / "tiny-ctc")
    monkeypatch.setenv("ECTFG_MODELS_DIR", str(tmp_path))
    audio, _ = recording
    spoken = speak_external(audio, 16000, TEXT, EMOTION)
    assert len(spoken.plan.words) == len(tokenize(TEXT))
    assert "".join(p.symbol for p in spoken.speech.phonemes) == "".join(t.text.lower() for t in tokenize(TEXT))
    # Random weights cannot be sure of anything: the user is told to check the text.
    assert any("unsure the audio speaks this text" in w for w in spoken.plan.warnings)


def test_bad_external_audio_is_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        speak_external(np.zeros(0, np.float32), 16000, TEXT, EMOTION)
    with pytest.raises(InputError, match="text to speak is empty"):
        speak_external(np.zeros(16000, np.float32), 16000, "  ", EMOTION)
    with pytest.raises(InputError, match="NaN"):
        speak_external(np.full(16000, np.nan, np.float32), 16000, TEXT, EMOTION)
