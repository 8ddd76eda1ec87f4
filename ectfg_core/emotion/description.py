"""A free-form emotion description plus the words to speak -> keyframes over the words and one target per word.

Stages, each a small function: tokenize the description -> lexicon items -> phrases (split at punctuation and time
words) -> one reading per phrase (emotions, intensity, cues, quoted anchor) -> drafts (negation, blends,
comparatives) -> keyframes placed over the words -> per-word targets interpolated between keyframes.
This module parses, up to the drafts; placement and interpolation live in curve.py. Later stages (a text-emotion
lexicon, conflict detection) can add or edit keyframes and call `keyframes_to_targets` again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ectfg_core.emotion import lexicon
from ectfg_core.emotion.curve import Draft, interpolate, keyframes_to_targets, place_keyframes, warn_unreached
from ectfg_core.emotion.keyframes import Keyframe, WordTarget, emotion_distribution, mixture_of
from ectfg_core.emotion.lexicon import Comparative, Cue, EmotionWord, Modifier, Negation, Term, VoiceHint
from ectfg_core.emotion.model import EMOTION_INDEX, NUM_EMOTIONS
from ectfg_core.errors import InputError

__all__ = ["DescribedEmotion", "Keyframe", "WordTarget", "keyframes_to_targets", "parse_description"]

# A sentence or two is plenty; longer input is almost certainly the text pasted into the wrong field.
MAX_DESCRIPTION_CHARS = 1000
# How far "more"/"less" move the intensity relative to the same emotion in the previous phrase.
COMPARATIVE_STEP = 0.2
_MAX_EMPHASIS = 3  # "!!!!!!" is not six times stronger than "!!!"
_EXAMPLES = "happy, sad, angry, scared, surprised, disgusted, calm"


@dataclass
class DescribedEmotion:
    keyframes: list[Keyframe]
    targets: list[WordTarget]  # one per word
    warnings: list[str]
    hints: list[str]  # voice hints such as "whisper", in order of appearance


def parse_description(description: str, words: Sequence[str]) -> DescribedEmotion:
    """Read the description against the words to speak; raise InputError if it names no emotion at all."""
    text = "" if description is None else str(description)
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise InputError(
            f"the emotion description is {len(text)} characters; keep it under {MAX_DESCRIPTION_CHARS} "
            "(a sentence or two, e.g. \"starts calm, slowly becomes furious\")"
        )
    words = [str(w) for w in words]
    items = _items(text)
    warnings: list[str] = []
    readings = _group(_split(items), text, warnings)
    hints = _hints(items)
    if not readings:
        if any(item.kind != "punct" for item in items) and not hints:
            raise InputError(_no_emotion_message(text, items))
        drafts = [Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, source="")]
    else:
        drafts = _drafts(readings, text, warnings)
    keyframes = place_keyframes(drafts, words, warnings)
    targets, owners = interpolate(keyframes, len(words))
    if words:
        warn_unreached(keyframes, owners, len(words), warnings)
    return DescribedEmotion(keyframes=keyframes, targets=targets, warnings=_unique(warnings), hints=hints)


# --- tokens and lexicon items --------------------------------------------------------------------------------------

_QUOTE = r"(?<!\w)['\"‘“](?P<quote>(?:[^'\"‘’“”]|(?<=\w)['’](?=\w))+?)['\"’”](?!\w)"
_TOKEN = re.compile(
    _QUOTE
    + r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    + r"|(?P<punct>->|=>|→|⇒|[,;:.!?()\[\]—–…]|(?<!\w)-+(?!\w))"
)


@dataclass
class _Item:
    """A span of the description: a lexicon term, an unknown word, a quote or a punctuation mark."""

    kind: str  # "term" | "unknown" | "quote" | "punct"
    text: str  # original spelling; the inner text for quotes
    start: int  # character offsets in the description
    end: int
    term: Term | None = None
    shouted: bool = False  # ALL CAPS


def _items(text: str) -> list[_Item]:
    tokens = list(_TOKEN.finditer(text))
    # Quotes and punctuation break multi-word lookups: "\0" never matches an entry.
    lowered = [m.group("word").lower().replace("’", "'") if m.group("word") else "\0" for m in tokens]
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        match = tokens[i]
        if match.group("quote") is not None:
            items.append(_Item("quote", match.group("quote").strip(), match.start(), match.end()))
            i += 1
            continue
        if match.group("punct") is not None:
            items.append(_Item("punct", match.group("punct"), match.start(), match.end()))
            i += 1
            continue
        found = lexicon.lookup(lowered, i)
        if found is None:
            items.append(_Item("unknown", match.group(0), match.start(), match.end()))
            i += 1
            continue
        term, length = found
        last = tokens[i + length - 1]
        original = text[match.start() : last.end()]
        shouted = sum(c.isalpha() for c in original) > 1 and original.isupper()
        items.append(_Item("term", original, match.start(), last.end(), term, shouted))
        i += length
    return items


def _hints(items: Sequence[_Item]) -> list[str]:
    hints: list[str] = []
    for item in items:
        hint = item.term.hint if isinstance(item.term, (VoiceHint, EmotionWord)) else None
        if hint and hint not in hints:
            hints.append(hint)
    return hints


# --- phrases -------------------------------------------------------------------------------------------------------


def _split(items: Sequence[_Item]) -> list[list[_Item]]:
    """Cut at punctuation and at time words ("then", "becomes", "ends") that follow an emotion."""
    phrases: list[list[_Item]] = []
    current: list[_Item] = []
    closing = False  # punctuation seen: close at the next word, so "!!!" stays with its phrase
    for item in items:
        if item.kind == "punct":
            current.append(item)
            closing = True
            continue
        splits = isinstance(item.term, Cue) and item.term.split and any(isinstance(i.term, EmotionWord) for i in current)
        if current and (closing or splits):
            phrases.append(current)
            current = []
        closing = False
        current.append(item)
    if current:
        phrases.append(current)
    return [p for p in phrases if any(i.kind != "punct" for i in p)]


@dataclass
class _Mention:
    word: EmotionWord
    text: str
    modifiers: list[float]
    emphasis: int
    comparative: int
    negated: bool


@dataclass
class _Reading:
    """What one phrase says."""

    items: list[_Item]
    source: str
    mentions: list[_Mention] = field(default_factory=list)
    position: str | None = None
    transition: str | None = None
    strong_transition: bool = False
    anchors: list[str] = field(default_factory=list)
    anchor_after: bool = False
    until: bool = False
    cessation: bool = False
    unknown: list[str] = field(default_factory=list)
    bangs: int = 0


def _read(items: list[_Item], text: str) -> _Reading:
    reading = _Reading(items, _source(items, text))
    modifiers: list[float] = []
    modifier_words: list[str] = []
    emphasis = 0
    negated = False
    comparative = 0
    cue_comparative = 0
    previous: _Item | None = None
    for item in items:
        term = item.term
        if item.kind == "quote":
            reading.anchors.append(item.text)
        elif item.kind == "punct":
            reading.bangs += item.text == "!"
        elif item.kind == "unknown":
            reading.unknown.append(item.text)
        elif isinstance(term, EmotionWord):
            if previous is not None and previous.term == term and reading.mentions:
                reading.mentions[-1].emphasis += 1  # "happy happy"
            else:
                reading.mentions.append(
                    _Mention(term, item.text, modifiers, emphasis + item.shouted, comparative or term.comparative, negated)
                )
            modifiers, modifier_words, emphasis, negated, comparative = [], [], 0, False, 0
        elif isinstance(term, Modifier):
            key = item.text.lower()
            if key in modifier_words:
                emphasis += 1  # "very very"
            else:
                modifiers.append(term.strength)
                modifier_words.append(key)
        elif isinstance(term, Comparative):
            comparative = term.direction
        elif isinstance(term, Negation):
            negated = negated or term.prefix
            reading.cessation = reading.cessation or term.cessation
        elif isinstance(term, Cue):
            _read_cue(reading, term)
            cue_comparative = cue_comparative or term.comparative
        previous = item
    if reading.mentions and (modifiers or emphasis):  # "sad, but only slightly": the modifier comes after
        reading.mentions[-1].modifiers.extend(modifiers)
        reading.mentions[-1].emphasis += emphasis
    for mention in reading.mentions:
        mention.comparative = mention.comparative or cue_comparative
    return reading


def _read_cue(reading: _Reading, cue: Cue) -> None:
    if cue.position and reading.position is None:
        reading.position = cue.position
    if cue.transition and (reading.transition is None or (cue.strong and not reading.strong_transition)):
        reading.transition = cue.transition
        reading.strong_transition = cue.strong
    reading.anchor_after = reading.anchor_after or cue.anchor_after
    reading.until = reading.until or cue.until


def _source(items: Sequence[_Item], text: str) -> str:
    """The phrase as the user wrote it, without surrounding punctuation or dangling "and"."""
    kept = list(items)
    while kept and (kept[-1].kind == "punct" or kept[-1].text.lower() in ("and", "but", "or", "so")):
        kept.pop()
    while kept and kept[0].kind == "punct":
        kept.pop(0)
    source = " ".join(text[kept[0].start : kept[-1].end].split()) if kept else ""
    return source + ")" * (source.count("(") - source.count(")"))


def _group(phrases: list[list[_Item]], text: str, warnings: list[str]) -> list[_Reading]:
    """Readings of the phrases that name an emotion; cue-only phrases ("slowly,", "at 'the door',") join the next."""
    readings: list[_Reading] = []
    pending: list[_Item] = []
    for phrase in phrases:
        merged = _read(pending + phrase, text)
        if merged.mentions:
            readings.append(merged)
            pending = []
            continue
        alone = _read(phrase, text)
        if alone.unknown and not alone.anchors:
            warnings.append(f'ignored "{alone.source}": it names no emotion I know{_not_understood(alone.unknown)}')
        else:
            pending = pending + phrase
    if pending:
        tail = _read(pending, text)
        if readings and tail.until and tail.anchors:
            # "angry until 'the door'": the anger stops there.
            tail.mentions = [_Mention(EmotionWord("neutral", lexicon.NEUTRAL_BASELINE), "", [], 0, 0, False)]
            readings.append(tail)
            warnings.append(f'nothing follows "{tail.source}", so the emotion returns to neutral at "{tail.anchors[0]}"')
        elif readings and not any(isinstance(i.term, VoiceHint) for i in pending):
            # "sad, but only slightly" / "angry, by the end": words about the last phrase. ("ends in a whisper" is
            # about the voice; its hint is already recorded.)
            readings[-1] = _read(readings[-1].items + pending, text)
    for reading in readings:
        _warn_misspellings(reading, warnings)
    return readings


def _not_understood(words: Sequence[str]) -> str:
    listed = ", ".join(f'"{w}"' for w in dict.fromkeys(words))
    guesses = [f'"{g}"' for g in dict.fromkeys(lexicon.suggest(w) for w in words) if g]
    mean = f"; did you mean {' or '.join(guesses)}?" if guesses else ""
    return f" (not understood: {listed}){mean}"


def _warn_misspellings(reading: _Reading, warnings: list[str]) -> None:
    # Other unknown words in an emotion phrase are ignored quietly; likely typos of emotion words are worth a line.
    for word in reading.unknown:
        guess = lexicon.suggest(word)
        if guess:
            warnings.append(f'in "{reading.source}" I did not understand "{word}"; did you mean "{guess}"?')


def _no_emotion_message(text: str, items: Sequence[_Item]) -> str:
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    guesses = [g for g in dict.fromkeys(lexicon.suggest(i.text) for i in items if i.kind == "unknown") if g]
    mean = f" (did you mean {' or '.join(repr(g) for g in guesses)}?)" if guesses else ""
    return (
        f'the emotion description "{shown}" names no emotion I know{mean}; '
        f"use words like {_EXAMPLES} (see `ectfg plan --help`)"
    )


# --- drafts: one emotion per phrase --------------------------------------------------------------------------------


def _drafts(readings: Sequence[_Reading], text: str, warnings: list[str]) -> list[Draft]:
    drafts: list[Draft] = []
    for reading in readings:
        mentions = _keep_affirmed(reading, warnings)
        if mentions is None:
            continue
        before = drafts[-1] if drafts else None
        if mentions:
            emotion, intensity, mixture = _combine(mentions, reading.bangs, before)
        else:
            emotion, intensity, mixture = "neutral", lexicon.NEUTRAL_BASELINE, None
        if len(reading.anchors) > 1:
            warnings.append(f'"{reading.source}" quotes more than one place; only the first ("{reading.anchors[0]}") is used')
        drafts.append(
            Draft(emotion, intensity, mixture, reading.transition, reading.source, reading.position,
                   reading.anchors[:1], reading.anchor_after)
        )
    if not drafts:
        warnings.append("the description only says which emotions not to show; using neutral")
        drafts.append(Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, ""))
    return drafts


def _keep_affirmed(reading: _Reading, warnings: list[str]) -> list[_Mention] | None:
    """Mentions that are not negated; [] means "becomes neutral", None means "drop the phrase"."""
    kept = [m for m in reading.mentions if not m.negated]
    dropped = [m.text for m in reading.mentions if m.negated]
    if not dropped:
        return kept
    listed = ", ".join(f'"{w}"' for w in dropped)
    if kept:
        warnings.append(f'"{reading.source}": negations are only understood simply, so {listed} was left out')
        return kept
    if reading.cessation:
        warnings.append(f'"{reading.source}": read as "back to neutral"; negations are only understood simply')
        return []
    warnings.append(
        f'"{reading.source}": negated emotions are not understood yet, so this phrase was ignored; '
        'say what it should be instead (e.g. "calm")'
    )
    return None


def _combine(mentions: Sequence[_Mention], bangs: int, before: Draft | None) -> tuple[str, float, dict[str, float] | None]:
    """One class, intensity and (for blends, "happy and sad") mixture from a phrase's emotion words."""
    weights = np.zeros(NUM_EMOTIONS, dtype=np.float64)
    order: list[str] = []
    strongest = 0.0
    for mention in mentions:
        value = _intensity(mention, bangs, before)
        strongest = max(strongest, value)
        weights += emotion_distribution(mention.word.emotion, dict(mention.word.mixture or {}) or None) * max(value, 1e-3)
        order.append(mention.word.emotion)
    top = weights.max()
    # Ties go to the class named first.
    emotion = next(name for name in order if weights[EMOTION_INDEX[name]] >= top - 1e-9)
    return emotion, strongest, mixture_of(weights / weights.sum())


def _intensity(mention: _Mention, bangs: int, before: Draft | None) -> float:
    value = mention.word.intensity
    if mention.comparative and before is not None and before.emotion == mention.word.emotion:
        value = before.intensity + COMPARATIVE_STEP * (1 if mention.comparative > 0 else -1.25)
    elif mention.comparative < 0:
        value *= 0.6
    for strength in mention.modifiers:
        value = lexicon.apply_modifier(value, strength)
    value = lexicon.emphasize(value, min(mention.emphasis + bangs, _MAX_EMPHASIS))
    return float(min(max(value, 0.05), 1.0))


# --- small helpers -------------------------------------------------------------------------------------------------


def _unique(lines: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(lines))
