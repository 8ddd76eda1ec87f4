"""What an emotion description asks of the words: keyframes, one target per word, and the distributions they carry."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ectfg_core.types.emotion import EMOTION_INDEX, EMOTIONS, NUM_EMOTIONS, normalize_mixture, one_hot

# How far the words of the text may colour the plan where the description is silent (0..1; emotion/content.py).
DEFAULT_CONTENT_AMOUNT = 0.5


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


@dataclass
class DescribedEmotion:
    """What the description asks of the words: its keyframes, one target per word, and what it could not use."""

    keyframes: list[Keyframe]
    targets: list[WordTarget]  # one per word
    warnings: list[str]
    hints: list[str]  # voice hints such as "whisper", in order of appearance
    # Per word, where its emotion comes from: "description", "text" (the description is silent there and the word's
    # own meaning coloured it) or "default" (silent description, emotionally plain word: relaxed neutral).
    origins: list[str] = field(default_factory=list)
    content: float = DEFAULT_CONTENT_AMOUNT  # how far the words were let move the plan (0..1)
    stance: str | None = None  # what the description says about its text: "invite", "refuse" or None (invitation.py)
