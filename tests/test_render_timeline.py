"""Mouth shapes from phonemes, blinks and head motion: the renderer's controls over time."""

from __future__ import annotations

import numpy as np

from ectfg_core.render.motion import blink_curve, head_curves
from ectfg_core.render.visemes import GENERIC_CONSONANT, GENERIC_VOWEL, IPA, MOUTH_CONTROLS, REST, mouth_curves, parse_symbol
from ectfg_core.types.speech import PhonemeTiming

JAW = MOUTH_CONTROLS.index("jaw_open")
PUCKER = MOUTH_CONTROLS.index("lip_pucker")


def test_symbols_parse_with_marks_diphthongs_letters_and_unknowns():
    assert parse_symbol("ˈɑː") == [IPA["ɑ"]]
    assert parse_symbol("aɪ") == [IPA["a"], IPA["ɪ"]]
    assert parse_symbol("tʃ") == [IPA["tʃ"]]
    assert parse_symbol("_") == [REST] and parse_symbol("") == [REST] and parse_symbol(",") == [REST]
    assert parse_symbol("ʘ") == [GENERIC_CONSONANT]  # a click: unknown, treated as some consonant
    assert parse_symbol("ɞ") == [GENERIC_VOWEL]
    # Letters from engines that time graphemes: "sh" is one sound, "oo" rounds the lips.
    assert parse_symbol("sh") == [IPA["ʃ"]]
    assert parse_symbol("moon")[1] == IPA["u"]
    assert len(parse_symbol("hello")) == 5


def test_lips_round_for_u_and_the_rounding_starts_early():
    fps = 50.0
    phonemes = [PhonemeTiming("s", 0.2, 0.3), PhonemeTiming("u", 0.3, 0.5)]
    curves = mouth_curves(phonemes, None, 40, fps)
    assert curves[20, PUCKER] > 0.7  # middle of /u/
    assert curves[13, PUCKER] > 0.1  # already rounding during /s/ (coarticulation)
    assert curves[:3, JAW].max() < 0.02 and curves[35:, JAW].max() < 0.02  # rest before and after


def test_loud_syllables_open_wider_and_energy_alone_drives_the_jaw():
    fps = 25.0
    phonemes = [PhonemeTiming("a", 0.2, 0.5), PhonemeTiming("a", 0.8, 1.1)]
    energy = np.zeros(40)
    energy[5:13], energy[20:28] = 1.0, 0.3
    curves = mouth_curves(phonemes, energy, 40, fps)
    assert curves[9, JAW] > curves[24, JAW] + 0.15
    only_audio = mouth_curves([], energy, 40, fps)
    assert only_audio[9, JAW] > 0.5 and only_audio[16, JAW] < 0.05


def test_long_clips_are_cheap():
    phonemes = [PhonemeTiming("ba"[i % 2], 0.1 * i, 0.1 * i + 0.1) for i in range(3000)]
    curves = mouth_curves(phonemes, np.full(7500, 0.5), 7500, 25.0)  # five minutes
    assert curves.shape == (7500, len(MOUTH_CONTROLS)) and np.isfinite(curves).all()


def test_blinks_are_seeded_regular_and_rarer_when_wide_eyed():
    fps, frames = 25.0, 25 * 60

    def count(curve: np.ndarray) -> int:
        shut = curve > 0.5
        return int((shut[1:] & ~shut[:-1]).sum())

    first = blink_curve(frames, fps, np.random.default_rng(3))
    assert np.array_equal(first, blink_curve(frames, fps, np.random.default_rng(3)))
    assert 8 <= count(first) <= 32  # one every 2-6 s, with the odd double blink
    assert first.max() == 1.0 or first.max() > 0.95  # blinks really shut the eyes in some frame
    wide = blink_curve(frames, fps, np.random.default_rng(3), np.ones(frames))
    assert count(wide) < count(first)


def test_head_motion_is_slow_small_and_seeded():
    fps, frames = 25.0, 500
    head = head_curves(frames, fps, np.random.default_rng(1), np.full(frames, 0.5))
    assert np.array_equal(head, head_curves(frames, fps, np.random.default_rng(1), np.full(frames, 0.5)))
    assert np.abs(head[:, :3]).max() < 8.0  # degrees
    assert np.abs(np.diff(head, axis=0)).max() < 0.5  # no jumps between frames
    assert head[:, 0].std() > 0.2  # but it does move
