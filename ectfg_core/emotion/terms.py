"""The kinds of words a description is made of; lexicon.py maps phrases to these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Intensity of "neutral" when the description says nothing (or only negates): a relaxed face, not a blank one.
NEUTRAL_BASELINE = 0.2


@dataclass(frozen=True)
class EmotionWord:
    """A word that names an emotion: its class, base intensity (0..1) and what else it implies."""

    emotion: str
    intensity: float
    mixture: Mapping[str, float] | None = None  # blends such as "bittersweet"
    comparative: int = 0  # +1 for "angrier": stronger than the same emotion just before
    hint: str | None = None  # a voice quality the word implies ("sobbing" -> "sob")


@dataclass(frozen=True)
class Modifier:
    """An intensity adverb. strength > 0 pushes towards 1 ("very"), < 0 scales towards 0 ("slightly")."""

    strength: float


@dataclass(frozen=True)
class Comparative:
    """ "more" (+1) / "less" (-1): relative to the same emotion in the previous phrase."""

    direction: int


@dataclass(frozen=True)
class Negation:
    """ "not", "never"... `cessation` marks words that say an emotion stops ("no longer", "anymore")."""

    cessation: bool = False
    prefix: bool = True  # False for words after the emotion ("angry anymore")


@dataclass(frozen=True)
class VoiceHint:
    """A voice quality for the speech engine ("whisper", "shout", "tremble"...)."""

    hint: str


@dataclass(frozen=True)
class Cue:
    """A word about time: where a phrase sits, how it is reached, and whether it starts a new phrase."""

    split: bool = False  # starts a new phrase when the current one already names an emotion
    position: str | None = None  # "start" | "middle" | "end"
    transition: str | None = None  # "gradual" | "sudden"
    strong: bool = False  # adverbs ("suddenly") win over verbs ("becomes") when a phrase has both
    comparative: int = 0  # "increasingly": gradual and stronger than before
    anchor_after: bool = False  # "after 'the door'": the word after the quote, not its first word
    until: bool = False  # "until 'the door'": the emotion before it ends at the quote
    develops: bool = False  # "anger builds up": right after an emotion, it is that emotion that changes
    fade: bool = False  # "then it fades": with no emotion named, the feeling dies away to calm
    peak: bool = False  # "peaks at 'x'": with no emotion named, the previous one at its strongest
    everywhere: bool = False  # "throughout", "underneath": the emotion under the whole text
    brief: bool = False  # "briefly", "a flash of": only for a few words, then back
    bounded: bool = False  # "on 'x'", "during 'x'", "only at 'x'": just those words, then back
    between: bool = False  # "between 'a' and 'b'", "from 'a' to 'b'": from the first quote to the second
    undertone: bool = False  # "underneath", "an undercurrent of": mixed a little into everything else
    names: tuple[str, float] | None = None  # "snaps" with no emotion named means angry, "breaks down" sad


@dataclass(frozen=True)
class Mask:
    """Words saying the felt emotion is hidden or held in ("trying to hide it", "forcing a smile"); see masking.py."""

    scale: float  # shown intensity = felt intensity x scale
    shows: str | None = None  # the face put on, when the words name it ("forcing a smile" -> happy)
    felt: tuple[str, float] | None = None  # what is held in, when the words name it ("holding back tears" -> sad)
    display_follows: bool = False  # "pretending to be happy": the emotion word right after is the face put on


@dataclass(frozen=True)
class Filler:
    """A known word with no emotional meaning ("the", "voice", "she"); known so it is never reported."""


Term = EmotionWord | Modifier | Comparative | Negation | VoiceHint | Cue | Mask | Filler
