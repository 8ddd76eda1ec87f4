"""Every spoken word has a positive duration that fits its phonemes: through the espeak-ng voice, through the
model-free aligner, and in the rule every word timer ends with (settle_words)."""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.pipeline import speak, speak_external
from ectfg_core.tts.espeak import synthesize
from ectfg_core.tts.word_durations import MIN_PHONEME_SECONDS, estimated_phonemes, min_word_seconds, settle_words
from ectfg_core.types.speech import WordTiming

# Short function words, including the pairs espeak-ng speaks as one word ("I am", "at a", "of the").
TEXTS = (
    "I am, a, to, so.",
    "I am happy to see you.",
    "Honestly, I am not angry. I am just a little disappointed.",
    "But where is it? Is it at a house of the one in an hour? I, a, to, so, am, an, the, of, in.",
)
MAX_SECONDS_PER_PHONEME = 0.4  # espeak-ng's slowest, most drawn-out phonemes stay well below this


def assert_well_formed(words: list[WordTiming], duration: float) -> None:
    assert [w.index for w in words] == list(range(len(words)))
    for w in words:
        assert 0.0 <= w.start < w.end <= duration + 1e-9, f"{w.word!r} has no time of its own: {w.start:.4f}..{w.end:.4f}"
    for a, b in zip(words, words[1:]):
        assert b.start >= a.end - 1e-9, f"{a.word!r} and {b.word!r} overlap"


@pytest.mark.parametrize("text", TEXTS)
def test_espeak_words_have_their_own_phonemes_and_time(text):
    spoken = speak(text, "calm")
    words = sorted(spoken.speech.words, key=lambda w: w.index)
    assert_well_formed(words, spoken.speech.duration)
    for w in words:
        own = [p for p in spoken.speech.phonemes if p.word_index == w.index]
        assert own, f"{w.word!r} owns no phoneme"
        seconds_per_phoneme = (w.end - w.start) / len(own)
        assert MIN_PHONEME_SECONDS - 1e-9 <= seconds_per_phoneme <= MAX_SECONDS_PER_PHONEME, (w.word, seconds_per_phoneme)
        # The word's span is where its phonemes are spoken.
        assert min(p.start for p in own) >= w.start - 1e-6 and max(p.end for p in own) <= w.end + 1e-6
    # The plan carries the same spans.
    assert [(p.start, p.end) for p in spoken.plan.words] == [(w.start, w.end) for w in words]


def test_i_am_is_two_words():
    """espeak-ng speaks "I am" as one word; "am" used to start and end at the same instant."""
    words = sorted(synthesize("Honestly, I am not angry.").words, key=lambda w: w.index)
    i, am = words[1], words[2]
    assert (i.word, am.word) == ("I", "am")
    assert am.start >= i.end and am.end - am.start >= 0.06 and i.end - i.start >= 0.04


def test_aligned_recording_words_have_time():
    """The model-free aligner on a recording in another voice and pace: every word keeps time of its own."""
    text = TEXTS[3]
    recording = synthesize(text, voice="en-gb", words_per_minute=140)
    spoken = speak_external(recording.samples, recording.sample_rate, text, "calm", aligner="espeak-dtw")
    words = sorted(spoken.speech.words, key=lambda w: w.index)
    assert_well_formed(words, recording.duration)
    for w in words:
        assert w.end - w.start >= min_word_seconds(w.word) - 1e-9
        assert (w.end - w.start) / estimated_phonemes(w.word) <= MAX_SECONDS_PER_PHONEME * 2, w.word


def test_a_collapsed_word_takes_time_from_its_neighbour():
    words = [WordTiming(0, "I", 0.0, 0.23), WordTiming(1, "am", 0.23, 0.23), WordTiming(2, "happy", 0.23, 0.61)]
    settled = settle_words(words, 1.0, phoneme_counts=[3, 2, 4])
    assert_well_formed(settled, 1.0)
    assert settled[1].end - settled[1].start == pytest.approx(2 * MIN_PHONEME_SECONDS)
    assert settled[0].start == 0.0 and settled[2].end == pytest.approx(0.61)  # only the neighbours moved
    assert settled[0].end - settled[0].start >= 3 * MIN_PHONEME_SECONDS


def test_a_collapsed_word_takes_a_nearby_pause_first():
    words = [WordTiming(0, "so", 0.0, 0.3), WordTiming(1, "a", 0.5, 0.5), WordTiming(2, "cat", 0.5, 0.9)]
    settled = settle_words(words, 1.0)
    assert_well_formed(settled, 1.0)
    assert settled[0].end == 0.3 and settled[2].end == 0.9  # the pause before "a" paid for it
    assert settled[1].end - settled[1].start == pytest.approx(min_word_seconds("a"))


def test_well_timed_words_are_left_alone():
    words = [WordTiming(0, "hello", 0.1, 0.4), WordTiming(1, "there", 0.45, 0.8)]
    assert settle_words(words, 1.0) == words


def test_words_without_room_share_the_clip_by_their_sounds():
    words = [WordTiming(k, w, 0.0, 0.0) for k, w in enumerate(["a", "wonderful", "day"])]
    settled = settle_words(words, 0.1)
    assert_well_formed(settled, 0.1)
    durations = np.array([w.end - w.start for w in settled])
    assert durations.sum() == pytest.approx(0.1)
    assert durations[1] > durations[2] > durations[0]


def test_overlaps_and_overruns_are_resolved():
    words = [WordTiming(0, "one", 0.0, 0.5), WordTiming(1, "two", 0.3, 0.9), WordTiming(2, "three", 0.8, 1.4)]
    settled = settle_words(words, 1.2)
    assert_well_formed(settled, 1.2)
