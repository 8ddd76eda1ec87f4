"""Done-means check: the same text said "calm, then suddenly terrified" and "terrified, slowly calming down" gives
two plans and two voices that are mirror images: what one does at the start the other does at the end, the
first turns in one step, the second glides."""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.pipeline import speak
from ectfg_core.tts.measure import word_curves
from ectfg_core.types.emotion import EMOTION_INDEX

TEXT = ("I heard a noise outside the window and went to see what it was, "
        "but there was nobody there in the dark garden at all")
RISING = "calm, then suddenly terrified"
FALLING = "terrified, slowly calming down"


@pytest.fixture(scope="module")
def voices():
    # content=0: the arcs exactly as described, so the mirror is the description's (the words' own colour, "noise"
    # under calm, is tested in tests/test_content_amount.py).
    return {name: speak(TEXT, description, content=0) for name, description in
            (("rising", RISING), ("falling", FALLING), ("neutral", "neutral"))}


def fear(spoken) -> np.ndarray:
    return np.array([w.distribution()[EMOTION_INDEX["fearful"]] * w.intensity for w in spoken.plan.words])


def thirds(values: np.ndarray) -> tuple[float, float]:
    n = len(values)
    first, last = values[: n // 3], values[n - n // 3:]
    return float(np.nanmean(first)), float(np.nanmean(last))


def test_the_plans_are_mirror_images(voices) -> None:
    up, down = fear(voices["rising"]), fear(voices["falling"])
    assert up[0] < 0.1 and down[-1] < 0.1 and up[-1] > 0.8 and down[0] > 0.8
    assert abs(up[-1] - down[0]) < 0.1 and abs(up[0] - down[-1]) < 0.1
    assert np.all(np.diff(up) >= -0.05) and np.all(np.diff(down) <= 0.05)  # one way only
    # Sudden: one step carries nearly all of the change; slowly: many small steps.
    assert np.abs(np.diff(up)).max() > 0.7 and np.abs(np.diff(down)).max() < 0.2


def relative_curves(spoken, neutral) -> dict[str, np.ndarray]:
    """Per word, relative to the same word said neutrally: F0 ratio, loudness difference (dB), speaking rate."""
    c, n = word_curves(spoken.speech), word_curves(neutral.speech)
    spoken_ok = (c.duration > 0.04) & (n.duration > 0.04)  # words the engine merged into a neighbour carry no curve
    return {
        "f0": np.where(spoken_ok, c.f0 / n.f0, np.nan),
        "loudness": np.where(spoken_ok, c.loudness - n.loudness, np.nan),
        "duration": c.duration,
        "neutral_duration": n.duration,
    }


def rate_thirds(curves: dict[str, np.ndarray]) -> tuple[float, float]:
    """Speaking rate of the first and last third: neutral time over this voice's time for the same words."""
    n = len(curves["duration"])
    parts = (slice(0, n // 3), slice(n - n // 3, n))
    a, b = (float(curves["neutral_duration"][p].sum() / curves["duration"][p].sum()) for p in parts)
    return a, b


def test_the_voices_are_mirror_images(voices) -> None:
    up = relative_curves(voices["rising"], voices["neutral"])
    down = relative_curves(voices["falling"], voices["neutral"])

    # Pitch: higher where terrified; the calm start of one is the calm end of the other and vice versa (the last and
    # first four words: the slow calming already sets in during the falling voice's first third), and the curves
    # mirror as a whole. espeak-ng carries a little state from earlier calls, hence tolerances of a few percent.
    up_first, up_last = thirds(up["f0"])
    down_first, down_last = thirds(down["f0"])
    assert up_last > up_first * 1.15 and down_first > down_last * 1.1
    assert abs(np.nanmean(up["f0"][:4]) - np.nanmean(down["f0"][-4:])) < 0.05
    assert abs(np.nanmean(up["f0"][-4:]) - np.nanmean(down["f0"][:4])) < 0.12
    ok = np.isfinite(up["f0"]) & np.isfinite(down["f0"][::-1])
    assert np.corrcoef(up["f0"][ok], down["f0"][::-1][ok])[0, 1] > 0.6

    # Pace: faster when terrified, at the end of one and the start of the other.
    up_rate, down_rate = rate_thirds(up), rate_thirds(down)
    assert up_rate[1] > up_rate[0] + 0.08 and down_rate[0] > down_rate[1] + 0.05
    assert abs(up_rate[0] - down_rate[1]) < 0.08 and abs(up_rate[1] - down_rate[0]) < 0.12

    # Loudness: fear is a little quieter here (profile 0.92); the mirrored thirds agree within a dB.
    up_loud, down_loud = thirds(up["loudness"]), thirds(down["loudness"])
    assert abs(up_loud[0] - down_loud[1]) < 1.0 and abs(up_loud[1] - down_loud[0]) < 1.0
    assert up_loud[1] < up_loud[0] and down_loud[0] < down_loud[1]

    # Shape: around the turn of the sudden plan (4 words either side, the word before it left out: espeak glides
    # into a new pitch), the sudden voice makes most of its whole change; the slow one, over the same words, a part.
    fa = fear(voices["rising"])
    turn = int(np.argmax(np.abs(np.diff(fa)))) + 1

    def share_across(values: np.ndarray, at: int) -> float:
        whole = abs(np.nanmean(values[-4:]) - np.nanmean(values[:4]))
        return abs(np.nanmean(values[at + 1: at + 5]) - np.nanmean(values[at - 5: at - 1])) / whole

    sudden, slow = share_across(up["f0"], turn), share_across(down["f0"], len(fa) - turn)
    assert sudden > 0.7 and slow < 0.6 and sudden > slow + 0.25, (sudden, slow)
