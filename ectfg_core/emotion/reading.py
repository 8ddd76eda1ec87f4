"""Description text -> items (lexicon terms, quotes, places) -> phrases -> what each phrase says (a reading).

A phrase ends at punctuation, at a time word that follows an emotion ("calm then angry"), before a second emotion
once the first has its own place ("calm for the first half and angry for the second half"), and at "to" in
"from calm to furious". grouping.py then decides what the phrases without an emotion belong to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ectfg_core.emotion import emoji, lexicon, masking, spans
from ectfg_core.emotion.phrases import Item, Mention, Reading
from ectfg_core.emotion.spans import Span
from ectfg_core.emotion.terms import Comparative, Cue, EmotionWord, Mask, Modifier, Negation, VoiceHint
from ectfg_core.text import PICTOGRAPHS

_QUOTE = r"(?<!\w)['\"‘“](?P<quote>(?:[^'\"‘’“”]|(?<=\w)['’](?=\w))+?)['\"’”](?!\w)"
_TOKEN = re.compile(
    _QUOTE
    + r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    + r"|(?P<punct>->|=>|→|⇒|[,;:.!?()\[\]—–…]|(?<!\w)-+(?!\w))"
    # Any pictograph, so that an emoji that shows no feeling (🎉) is reported as not understood instead of vanishing.
    + rf"|(?P<emoji>[{PICTOGRAPHS}][\ufe0f\U0001f3fb-\U0001f3ff]*)"
)


# --- items ---------------------------------------------------------------------------------------------------------


def items(text: str) -> list[Item]:
    quotes = [m.span() for m in _TOKEN.finditer(text) if m.group("quote") is not None]
    masked = list(text)
    for a, b in quotes:  # places are never looked for inside quotes from the spoken text
        masked[a:b] = " " * (b - a)
    places = spans.find("".join(masked))
    tokens = [m for m in _TOKEN.finditer(text) if not any(a <= m.start() < b for a, b, _ in places)]
    lowered = [_lower_word(m) for m in tokens]
    out: list[Item] = []
    pending_places = list(places)
    i = 0
    while i < len(tokens):
        match = tokens[i]
        while pending_places and pending_places[0][0] < match.start():
            out.extend(_place_items(*pending_places.pop(0)))
        if match.group("quote") is not None:
            out.append(Item("quote", match.group("quote").strip(), match.start(), match.end()))
            i += 1
            continue
        if match.group("punct") is not None:
            out.append(Item("punct", match.group("punct"), match.start(), match.end()))
            i += 1
            continue
        found = lexicon.lookup(lowered, i)
        stretched = False
        if found is None:
            plain = lexicon.unstretch(lowered[i])
            if plain is not None:
                found, stretched = lexicon.lookup([plain], 0), True
        if found is None:
            out.append(Item("unknown", match.group(0), match.start(), match.end()))
            i += 1
            continue
        term, length = found
        last = tokens[i + length - 1]
        original = text[match.start() : last.end()]
        shouted = sum(c.isalpha() for c in original) > 1 and original.isupper()
        out.append(Item("term", original, match.start(), last.end(), term, shouted, stretched))
        i += length
    for place in pending_places:
        out.extend(_place_items(*place))
    return out


def _lower_word(match: re.Match[str]) -> str:
    # Quotes and punctuation break multi-word lookups: "\0" never matches an entry. An emoji reads as its word.
    if match.group("emoji"):
        return emoji.word_for(match.group("emoji")) or "\0"
    return match.group("word").lower().replace("’", "'") if match.group("word") else "\0"


def _place_items(start: int, end: int, span: Span) -> list[Item]:
    found = [Item("span", span.text, start, end, span=span)]
    if span.ends_previous:  # "angry until the last third": like "until 'x'", it starts a new phrase
        found.insert(0, Item("term", "until", start, start, Cue(split=True, until=True)))
    return found


def hints(found: Sequence[Item]) -> list[str]:
    """Voice qualities named anywhere in the description, in order."""
    out: list[str] = []
    for item in found:
        hint = item.term.hint if isinstance(item.term, (VoiceHint, EmotionWord)) else None
        if hint and hint not in out:
            out.append(hint)
    return out


# --- phrases -------------------------------------------------------------------------------------------------------


def split(found: Sequence[Item]) -> list[list[Item]]:
    """Cut at punctuation, at time words that follow an emotion, and before an emotion that follows a placed one."""
    phrases: list[list[Item]] = []
    current: list[Item] = []
    closing = False  # punctuation seen: close at the next word, so "!!!" stays with its phrase
    for item in found:
        if item.kind == "punct":
            current.append(item)
            closing = True
            continue
        has_emotion = any(isinstance(i.term, EmotionWord) for i in current)
        cue_splits = isinstance(item.term, Cue) and item.term.split and has_emotion
        placed = has_emotion and any(i.kind in ("span", "quote") for i in current)
        second_emotion = isinstance(item.term, EmotionWord) and placed
        # "from calm to furious": "to" after the first emotion of a "from" phrase starts the second
        from_to = has_emotion and item.text.lower() in ("to", "into") and any(
            isinstance(i.term, Cue) and i.term.between for i in current)
        if current and (closing or cue_splits or second_emotion or from_to):
            moved = [i for i in current if from_to and isinstance(i.term, Cue) and i.term.transition]
            phrases.append([i for i in current if i not in moved])
            current = moved  # "slowly goes from calm to furious": the change is into the second emotion
        closing = False
        current.append(item)
    if current:
        phrases.append(current)
    return [p for p in phrases if any(i.kind != "punct" for i in p)]


# --- readings ------------------------------------------------------------------------------------------------------


def read(found: list[Item], text: str) -> Reading:
    reading = Reading(found, source(found, text))
    modifiers: list[float] = []
    modifier_words: list[str] = []
    emphasis = 0
    negated = False
    comparative = 0
    cue_comparative = 0
    previous: Item | None = None
    masks: list[Mask] = []
    display: str | None = None  # "pretending to be happy": the face put on
    display_next = False
    for index, item in enumerate(found):
        term = item.term
        if item.kind == "quote":
            reading.anchors.append(item.text)
            reading.timed = True
        elif item.kind == "span" and item.span is not None:
            reading.places.append(item.span)
            reading.timed = True
            if item.span.arrives and reading.transition is None:
                reading.transition = "gradual"  # "angry by the second half"
        elif item.kind == "punct":
            reading.bangs += item.text == "!"
        elif item.kind == "unknown":
            reading.unknown.append(item.text)
        elif isinstance(term, Mask):
            if negated:  # "not hiding her anger": no mask, and the anger is not negated either
                negated = False
            else:
                masks.append(term)
                display_next = term.display_follows
        elif isinstance(term, EmotionWord) and display_next:
            display, display_next = term.emotion, False
            modifiers, modifier_words, emphasis = [], [], 0
        elif isinstance(term, EmotionWord):
            if previous is not None and previous.term == term and reading.mentions:
                reading.mentions[-1].emphasis += 1  # "happy happy"
            elif term.comparative and any(m.word == term for m in reading.mentions):
                reading.rising = True  # "angrier and angrier"
            else:
                reading.mentions.append(
                    Mention(term, item.text, modifiers, emphasis + item.shouted + item.stretched,
                            comparative or term.comparative, negated, at=index)
                )
            modifiers, modifier_words, emphasis, negated, comparative = [], [], 0, False, 0
        elif isinstance(term, Modifier):
            key = item.text.lower()
            if key in modifier_words:
                emphasis += 1  # "very very"
            else:
                modifiers.append(term.strength)
                modifier_words.append(key)
            emphasis += item.stretched  # "sooo"
        elif isinstance(term, Comparative):
            comparative = term.direction
        elif isinstance(term, Negation):
            negated = negated or term.prefix
            reading.cessation = reading.cessation or term.cessation
        elif isinstance(term, Cue):
            _read_cue(reading, term)
            cue_comparative = cue_comparative or term.comparative
            if term.undertone and reading.undertone_at < 0:
                reading.undertone_at = index
        previous = item
    if reading.mentions and (modifiers or emphasis):  # "sad, but only slightly": the modifier comes after
        reading.mentions[-1].modifiers.extend(modifiers)
        reading.mentions[-1].emphasis += emphasis
    if reading.rising:
        reading.transition, reading.strong_transition = "gradual", True
        cue_comparative = cue_comparative or 1
    for mention in reading.mentions:
        mention.comparative = mention.comparative or cue_comparative
    reading.mask = masking.merge(masks, display)
    return reading


def _read_cue(reading: Reading, cue: Cue) -> None:
    if cue.position and reading.position is None:
        reading.position = cue.position
    if cue.transition and (reading.transition is None or (cue.strong and not reading.strong_transition)):
        reading.transition = cue.transition
        reading.strong_transition = cue.strong
    reading.anchor_after = reading.anchor_after or cue.anchor_after
    reading.until = reading.until or cue.until
    reading.everywhere = reading.everywhere or cue.everywhere
    reading.brief = reading.brief or cue.brief
    reading.bounded = reading.bounded or cue.bounded
    reading.between = reading.between or cue.between
    reading.undertone = reading.undertone or cue.undertone
    reading.names = reading.names or cue.names
    reading.timed = reading.timed or bool(cue.split or cue.position or cue.transition or cue.until or cue.anchor_after
                                          or cue.brief or cue.everywhere)


def source(found: Sequence[Item], text: str) -> str:
    """The phrase as the user wrote it, without surrounding punctuation or dangling "and"."""
    kept = list(found)
    while kept and (kept[-1].kind == "punct" or kept[-1].text.lower() in ("and", "but", "or", "so")):
        kept.pop()
    while kept and (kept[0].kind == "punct" or kept[0].start == kept[0].end):
        kept.pop(0)
    text_out = " ".join(text[kept[0].start : kept[-1].end].split()) if kept else ""
    return text_out + ")" * (text_out.count("(") - text_out.count(")"))
