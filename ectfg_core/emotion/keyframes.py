"""The keyframe and per-word target records, and the emotion distributions and mixtures they carry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ectfg_core.emotion.model import EMOTION_INDEX, EMOTIONS, NUM_EMOTIONS, normalize_mixture, one_hot


@dataclass
class Keyframe:
    """The emotion the description asks for at one place in the text."""

    position: float  # in words: 0.0 = first word, len(words)-1 = last word; fractional allowed
    emotion: str  # one of EMOTIONS
    intensity: float  # 0..1
    transition: str  # "gradual" | "sudden": how we arrive at this keyframe from the previous one
    mixture: dict[str, float] | None = None
    source: str = ""  # the description phrase it came from (for warnings / UI); "" when implied
    # Gradual only: words the change takes, centred on the boundary before `position`; None = all the way from
    # the previous keyframe ("slowly becomes ...").
    span: float | None = None
    # "end": the change takes `span` words and is complete at `position` (a quoted word is reached in full).
    align: str = "centre"
    implied: bool = False  # not stated by the description (neutral baseline, calm after "until"): content may colour it
    anchored: bool = False  # placed on quoted words ("furious at 'the money'"): the text never takes it over

    def distribution(self) -> np.ndarray:
        return emotion_distribution(self.emotion, self.mixture)


@dataclass
class WordTarget:
    """The emotion one spoken word should carry."""

    emotion: str
    intensity: float
    mixture: dict[str, float] | None = None

    def distribution(self) -> np.ndarray:
        """Probability over EMOTIONS."""
        return emotion_distribution(self.emotion, self.mixture)


def emotion_distribution(emotion: str, mixture: dict[str, float] | None) -> np.ndarray:
    if not mixture:
        return one_hot(emotion)
    vec = np.zeros(NUM_EMOTIONS, dtype=np.float32)
    for name, weight in normalize_mixture(mixture).items():
        vec[EMOTION_INDEX[name]] = weight
    return vec


def mixture_of(dist: np.ndarray) -> dict[str, float] | None:
    """A mixture dict for a distribution over EMOTIONS, or None when it is a single class."""
    dist = np.where(dist >= 1e-3, dist, 0.0)
    if np.count_nonzero(dist) <= 1:
        return None
    dist = dist / dist.sum()
    return {EMOTIONS[i]: round(float(dist[i]), 6) for i in np.flatnonzero(dist)}
