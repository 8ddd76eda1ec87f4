import numpy as np

from ectfg_core.pipeline import speak
from ectfg_core.tts.voice_hints import hints_in

TEXT = "I waited for you all evening, and now I simply do not know what to say to you."


def _rms_of_words(spoken, first: int, end: int | None = None) -> float:
    speech = spoken.speech
    words = sorted(speech.words, key=lambda w: w.index)[first:end]
    a, b = int(words[0].start * speech.sample_rate), int(words[-1].end * speech.sample_rate)
    return float(np.sqrt(np.mean(speech.samples[a:b] ** 2)))


def test_hint_words_are_found():
    assert hints_in("ends in a sad whisper") == ["whisper"]
    assert hints_in("shouting, then sobbing") == ["shout", "sob"]
    assert hints_in("happy") == []


def test_whispered_ending_is_quieter_than_the_same_ending_spoken():
    whispered = speak(TEXT, "starts happy, ends in a sad whisper")
    spoken = speak(TEXT, "starts happy, ends sad")
    assert [w.emotion for w in whispered.plan.words] == [w.emotion for w in spoken.plan.words]
    last_third = 2 * len(whispered.plan.words) // 3
    assert _rms_of_words(whispered, last_third) < 0.75 * _rms_of_words(spoken, last_third)
    # The words before the whisper are untouched.
    first_third = len(whispered.plan.words) // 3
    before, after = _rms_of_words(whispered, 0, first_third), _rms_of_words(spoken, 0, first_third)
    assert abs(before - after) / after < 0.1
