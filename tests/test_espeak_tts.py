"""The embedded espeak-ng TTS, run for real: timings from engine events, prosody that is measurable."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ectfg_core.audio import median_pitch
from ectfg_core.errors import InputError, ModelError
from ectfg_core.text import tokenize
from ectfg_core.tts.espeak import list_voices, synthesize
from ectfg_core.tts.prosody import prosody_for_words
from ectfg_core.types.emotion import one_hot
from ectfg_core.types.speech import WordProsody

TEXT = "Hello there, my friend! I found 42 old letters & a map. Don't worry: we'll read them together."
LONG = (
    "The weather was lovely this morning, so we walked along the river and talked about the old days. "
    "I told you a hundred times that I do not want to hear another word about it, and yet here you are again! "
    "When the letter finally arrived we opened it with shaking hands; it said the house would be sold in March."
)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x[np.abs(x) > 1e-3]))))


def check_timings(text: str, speech) -> None:
    tokens = tokenize(text)
    assert [w.index for w in speech.words] == list(range(len(tokens)))
    assert [w.word for w in speech.words] == [t.text for t in tokens]
    prev_end = 0.0
    for w in speech.words:
        assert prev_end - 1e-9 <= w.start <= w.end <= speech.duration + 1e-9
        prev_end = w.end
    for a, b in zip(speech.phonemes, speech.phonemes[1:], strict=False):
        assert a.start <= a.end <= b.start + 1e-9
    for ph in speech.phonemes:
        assert ph.symbol and -1 <= ph.word_index < len(tokens)
        if ph.word_index >= 0:
            w = speech.words[ph.word_index]
            assert w.start - 1e-6 <= ph.start and ph.end <= w.end + 1e-6


def test_words_and_phonemes_from_engine_events() -> None:
    speech = synthesize(TEXT)
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.float32 and 0.05 < np.abs(speech.samples).max() <= 1.0
    check_timings(TEXT, speech)
    durations = {w.word: w.end - w.start for w in speech.words}
    assert durations["42"] > 0.3  # "forty-two": several engine words, one token
    assert durations["I"] > 0.05  # sentence-initial one-letter word keeps its own span
    symbols = "".join(p.symbol for p in speech.phonemes)
    assert "ˈ" in symbols and any(c in symbols for c in "əɪʊɛæɔ")  # IPA, not espeak mnemonics
    # Only "&" (spoken "and", not a word of ours) has phonemes outside every word, between "letters" and "a".
    stray = [p for p in speech.phonemes if p.word_index < 0]
    assert 1 <= len(stray) <= 4
    assert all(speech.words[8].end - 1e-6 <= p.start and p.end <= speech.words[9].start + 1e-6 for p in stray)
    # The text's last word ends the speech: no stray "dot" after the closing punctuation.
    assert speech.phonemes[-1].word_index == len(speech.words) - 1


def test_every_word_survives_dense_prosody_changes() -> None:
    tokens = tokenize(LONG)
    rng = np.random.default_rng(0)
    prosody = [WordProsody(*rng.uniform([0.75, 0.3, 0.7, 0.5], [1.45, 1.95, 1.35, 1.6])) for _ in tokens]
    plain, varied = synthesize(LONG), synthesize(LONG, prosody)
    check_timings(LONG, varied)
    spoken = {p.word_index for p in plain.phonemes}
    assert spoken <= {p.word_index for p in varied.phonemes}


def test_pause_after_makes_a_silent_gap() -> None:
    text = "one two three four"
    base = synthesize(text)
    paused = synthesize(text, [WordProsody(), WordProsody(pause_after=0.5), WordProsody(), WordProsody()])
    gap_before = base.words[2].start - base.words[1].end
    gap_after = paused.words[2].start - paused.words[1].end
    assert gap_after - gap_before > 0.4
    sr = paused.sample_rate
    middle = paused.samples[int((paused.words[1].end + 0.05) * sr) : int((paused.words[2].start - 0.05) * sr)]
    assert len(middle) > 0.3 * sr and np.abs(middle).max() < 0.01


def test_happy_is_higher_and_faster_than_sad() -> None:
    n = len(tokenize(LONG))
    happy = synthesize(LONG, prosody_for_words([(one_hot("happy"), 1.0)] * n))
    sad = synthesize(LONG, prosody_for_words([(one_hot("sad"), 1.0)] * n))
    f0_happy, f0_sad = median_pitch(happy.samples, happy.sample_rate), median_pitch(sad.samples, sad.sample_rate)
    assert f0_happy > 1.4 * f0_sad
    assert happy.duration < 0.85 * sad.duration


def test_louder_volume_gives_higher_rms() -> None:
    text = "This sentence is spoken at two different loudness levels."
    n = len(tokenize(text))
    soft = synthesize(text, [WordProsody(volume=0.6)] * n)
    loud = synthesize(text, [WordProsody(volume=1.5)] * n)
    assert rms(loud.samples) > 2.0 * rms(soft.samples)
    assert np.abs(loud.samples).max() <= 0.99


def test_pitch_prosody_moves_f0() -> None:
    text = "The pitch of this sentence is raised."
    n = len(tokenize(text))
    low = synthesize(text, [WordProsody(pitch=0.85)] * n)
    high = synthesize(text, [WordProsody(pitch=1.3)] * n)
    ratio = median_pitch(high.samples, high.sample_rate) / median_pitch(low.samples, low.sample_rate)
    assert 1.3 < ratio < 1.8  # requested 1.3 / 0.85 = 1.53


def test_progress_reports_to_one() -> None:
    seen: list[float] = []
    synthesize(TEXT, progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(a <= b for a, b in zip(seen, seen[1:], strict=False))


def test_voices() -> None:
    voices = list_voices()
    assert "en-us" in voices and len(voices) > 50
    speech = synthesize("Guten Tag", voice="de")
    assert [w.word for w in speech.words] == ["Guten", "Tag"]
    assert synthesize("Hi there", voice="en-us+f3").duration > 0.3


def test_unknown_voice_and_bad_prosody_length() -> None:
    with pytest.raises(InputError, match="list_voices"):
        synthesize("hello", voice="no-such-voice")
    with pytest.raises(InputError, match="one per word"):
        synthesize("hello world", [WordProsody()])
    with pytest.raises(InputError):
        synthesize("   ")
    with pytest.raises(InputError):
        synthesize("hello", words_per_minute=1000)


def test_markup_characters_are_spoken_as_text() -> None:
    text = 'Say <speak> & "quote" now'
    speech = synthesize(text)
    check_timings(text, speech)
    assert [w.word for w in speech.words] == ["Say", "speak", "quote", "now"]


def test_emoji_in_the_text_are_not_read_aloud() -> None:
    """espeak-ng reads an emoji's name: "Hello 😡 there" said "pouting face" between the words, 1.8 s of speech
    that is in no word, with the face waiting through it."""
    plain = synthesize("Hello there, my friend.")
    text = "😀Hello 😡 there,👍🏽 my friend. 🎉❤️"
    decorated = synthesize(text)
    check_timings(text, decorated)
    assert not [p for p in decorated.phonemes if p.word_index < 0]
    assert abs(decorated.duration - plain.duration) < 0.05, (decorated.duration, plain.duration)


def test_concurrent_calls_are_serialised() -> None:
    texts = [f"Thread number {k} is speaking now, with its own words." for k in range(4)]
    results: dict[int, object] = {}

    def work(k: int) -> None:
        results[k] = synthesize(texts[k], prosody_for_words([(one_hot("happy"), 0.3 * k)] * len(tokenize(texts[k]))))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, text in enumerate(texts):
        check_timings(text, results[k])
        solo = synthesize(text, prosody_for_words([(one_hot("happy"), 0.3 * k)] * len(tokenize(text))))
        # The engine carries a little state between messages, so lengths match only to a few ms.
        assert results[k].duration == pytest.approx(solo.duration, abs=0.03)


def test_missing_library_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import espeakng_loader

    import ectfg_core.tts.espeak as espeak

    monkeypatch.setattr(espeak, "_ENGINE", None)  # restored afterwards: the loaded engine stays usable
    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/libespeak-ng.so")
    with pytest.raises(ModelError, match="pip install espeakng-loader"):
        list_voices()
