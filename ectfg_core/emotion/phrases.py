"""What a description is read into: its items, the emotion words each phrase mentions, and what each phrase says."""

from __future__ import annotations

from dataclasses import dataclass, field

from ectfg_core.emotion.spans import Span
from ectfg_core.emotion.terms import EmotionWord, Mask, Term


@dataclass
class Item:
    """A span of the description: a lexicon term, an unknown word, a quote, a place or a punctuation mark."""

    kind: str  # "term" | "unknown" | "quote" | "span" | "punct"
    text: str  # original spelling; the inner text for quotes
    start: int  # character offsets in the description
    end: int
    term: Term | None = None
    shouted: bool = False  # ALL CAPS
    stretched: bool = False  # "sooo", "happyyy"
    span: Span | None = None


@dataclass
class Mention:
    """One emotion word in a phrase, with what qualifies it."""

    word: EmotionWord
    text: str
    modifiers: list[float]
    emphasis: int
    comparative: int
    negated: bool
    peak: bool = False
    at: int = 0  # index of its item in the phrase


@dataclass
class Reading:
    """What one phrase says."""

    items: list[Item]
    source: str
    mentions: list[Mention] = field(default_factory=list)
    position: str | None = None
    transition: str | None = None
    strong_transition: bool = False
    anchors: list[str] = field(default_factory=list)
    places: list[Span] = field(default_factory=list)
    anchor_after: bool = False
    until: bool = False
    cessation: bool = False
    everywhere: bool = False
    brief: bool = False
    bounded: bool = False
    between: bool = False
    unknown: list[str] = field(default_factory=list)
    bangs: int = 0
    rising: bool = False  # "angrier and angrier"
    implied: bool = False  # the calm after "until 'x'" or "it fades": not an emotion the description names
    undertone: bool = False  # "underneath", "an undercurrent of"
    undertone_at: int = -1  # index of that word in the phrase
    names: tuple[str, float] | None = None  # "snaps": angry when the phrase names no emotion
    timed: bool = False  # has a time word, place or transition: a step of the arc, not a clarification
    mask: Mask | None = None  # "trying to hide it", "forcing a smile": the rule in masking.py
