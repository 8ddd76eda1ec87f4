"""Embedded voice: emotion-specific voice quality that is measurable in the audio, and natural pauses."""

from __future__ import annotations

import pytest

from ectfg_core.pipeline import speak
from ectfg_core.text import tokenize
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.measure import voice_quality
from ectfg_core.tts.pauses import add_punctuation_pauses
from ectfg_core.tts.voice_quality import Quality, quality_for, quality_runs, quantize
from ectfg_core.types.emotion import one_hot
from ectfg_core.types.speech import WordProsody

TEXT = ("The weather was lovely this morning, so we walked along the river and talked about the old days. "
        "Later we sat by the water and watched the boats go slowly by until the evening came.")
N = len(tokenize(TEXT))


@pytest.fixture(scope="module")
def measured():
    out = {}
    for voice in ("en-us", "en-us+f3"):
        for emotion in ("neutral", "sad", "angry", "fearful", "disgusted"):
            speech = synthesize(TEXT, voice=voice, qualities=[quality_for(one_hot(emotion), 1.0)] * N)
            out[voice, emotion] = voice_quality(speech.samples, speech.sample_rate)
    return out


@pytest.mark.parametrize("voice", ["en-us", "en-us+f3"])
def test_each_emotion_has_its_own_voice_quality(measured, voice: str) -> None:
    neutral = measured[voice, "neutral"]
    sad, angry, fear, disgust = (measured[voice, e] for e in ("sad", "angry", "fearful", "disgusted"))
    # Margins leave room for the engine's own variation (it carries some state from earlier calls).
    assert sad.hnr_db < neutral.hnr_db - 0.8  # breathier
    assert sad.tilt_db < neutral.tilt_db - 0.6  # darker, lax
    assert angry.tilt_db > neutral.tilt_db + 2.5  # brighter, tense
    assert fear.f0_wobble > neutral.f0_wobble * 1.3  # tremor
    assert disgust.tilt_db < neutral.tilt_db - 2.0


def test_whisper_hint_removes_the_voicing() -> None:
    whisper = synthesize(TEXT, qualities=[quality_for(one_hot("neutral"), 0.0, ["whisper"])] * N)
    plain = synthesize(TEXT)
    from ectfg_core.audio.features import frame_features

    voiced = frame_features(whisper.samples, whisper.sample_rate, 100.0).voiced.mean()
    assert voiced < 0.2 * frame_features(plain.samples, plain.sample_rate, 100.0).voiced.mean()


def test_quality_changes_only_at_clause_breaks_or_sudden_turns() -> None:
    text = "I was calm and happy today, but then the door slammed open and I froze"
    tokens = tokenize(text)
    split = [t.text for t in tokens].index("door")
    qualities = [quality_for(one_hot("neutral" if i < split else "fearful"), 1.0) for i in range(len(tokens))]
    plain = [WordProsody() for _ in tokens]
    runs = quality_runs(text, tokens, qualities, plain)
    # No pause before "door": the change waits for the clause (", but") - one quality per clause.
    assert [(a, b) for a, b, _ in runs] == [(0, 6), (6, len(tokens))]
    turn = [WordProsody(pause_after=0.2 if i == split - 1 else 0.0) for i in range(len(tokens))]
    runs = quality_runs(text, tokens, qualities, turn)
    assert runs[-1][0] == split and runs[-1][2] == quantize(qualities[-1]) and not runs[-1][2].is_neutral()
    assert quality_runs(text, tokens, [Quality()] * len(tokens), plain) == [(0, len(tokens), Quality())]


def test_the_installed_espeak_data_is_never_modified(tmp_path, monkeypatch) -> None:
    import os
    from pathlib import Path

    import espeakng_loader

    from ectfg_core.tts.espeak_data import mirror_data, write_variant

    original = Path(espeakng_loader.get_data_path())
    synthesize("A test.", qualities=[quality_for(one_hot("sad"), 1.0)] * 2)
    assert not any(name.startswith("ectfg_") for name in os.listdir(original / "voices" / "!v"))
    assert not write_variant(original, "ectfg_test", "language variant\n")  # refused: not our mirror
    monkeypatch.setenv("ECTFG_CACHE_DIR", str(tmp_path))
    mirror = mirror_data(original)
    assert mirror.is_relative_to(tmp_path) and (mirror / "phondata").exists() and (mirror / "voices" / "!v" / "f3").exists()
    assert write_variant(mirror, "ectfg_test", "language variant\nbreath 10\n")
    assert (mirror / "voices" / "!v" / "ectfg_test").read_text().endswith("breath 10\n")
    assert mirror_data(original) == mirror  # built once, reused


def silent_gap(speech, k: int) -> float:
    return speech.words[k + 1].start - speech.words[k].end


def test_pauses_are_longer_at_stronger_punctuation_and_for_sad_speech() -> None:
    text = "Well, I waited for you all day. Then you came"
    tokens = tokenize(text)
    comma, period = 0, [t.text for t in tokens].index("day")
    plain = synthesize(text)
    targets = {e: [(one_hot(e), 1.0)] * len(tokens) for e in ("neutral", "sad", "angry")}
    gaps = {}
    for emotion, tg in targets.items():
        prosody = add_punctuation_pauses(text, tokens, [WordProsody() for _ in tokens], tg)
        speech = synthesize(text, prosody)
        gaps[emotion] = (silent_gap(speech, comma), silent_gap(speech, period))
    # A reader's pauses: about a quarter second at a comma, half a second at a full stop (espeak alone: 0.17 / 0.35).
    assert 0.22 < gaps["neutral"][0] < 0.32 and 0.48 < gaps["neutral"][1] < 0.65
    assert gaps["neutral"][1] > silent_gap(plain, period) + 0.12
    assert gaps["sad"][1] > gaps["neutral"][1] + 0.2 and gaps["sad"][0] > gaps["neutral"][0] + 0.08
    assert gaps["angry"][1] < gaps["neutral"][1] - 0.1
    # No pause is invented where there is no punctuation.
    assert silent_gap(synthesize(text, add_punctuation_pauses(text, tokens, [WordProsody()] * len(tokens),
                                                               targets["sad"])), 2) < 0.05


def test_speak_marks_a_sudden_turn_with_a_pause_and_a_new_voice() -> None:
    text = "I was walking home quietly and then something grabbed my arm from behind"
    spoken = speak(text, "calm, then suddenly terrified at 'something'")
    words = spoken.speech.words
    turn = [w.word for w in words].index("something")
    gap = words[turn].start - words[turn - 1].end
    others = [words[i + 1].start - words[i].end for i in range(len(words) - 1) if i + 1 != turn]
    assert gap > 0.12 and gap > max(others) + 0.08
    before = spoken.speech.samples[: int(words[turn].start * spoken.speech.sample_rate)]
    after = spoken.speech.samples[int(words[turn].start * spoken.speech.sample_rate):]
    q_before = voice_quality(before, spoken.speech.sample_rate)
    q_after = voice_quality(after, spoken.speech.sample_rate)
    assert q_after.f0_wobble > q_before.f0_wobble  # the trembling starts at the turn
