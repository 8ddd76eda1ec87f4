"""Proportional and counted places in a description: "for the first half", "in the last third", "the last two words",
"towards the end", "two thirds of the way through". They are found with one pattern before the description is split
into words (they hold numbers), and resolved against the number of words to speak.

A place is a range [start, end) in words, or a point (end is None) where something begins. The word before the
place decides which: "from/after/starting at" make a point at the start (or end, for "after") of the range,
"until/before" make a point that ends the previous emotion, anything else ("for", "in", "during") the range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {
    "one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "a couple": 2, "a couple of": 2, "couple of": 2,
    "few": 3, "a few": 3, "several": 4, "a handful of": 4, "handful of": 4,
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10}
_DENOMINATORS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4,
                 "fourths": 4, "fifth": 5, "fifths": 5}
# Where a loose phrase sits, as a fraction of the text.
_NAMED = {
    "beginning": (0.0, 1 / 3), "start": (0.0, 1 / 3), "opening": (0.0, 1 / 3), "early": (0.0, 1 / 3),
    "end": (2 / 3, 1.0), "ending": (2 / 3, 1.0), "close": (2 / 3, 1.0), "late": (2 / 3, 1.0),
    "middle": (1 / 3, 2 / 3), "very beginning": (0.0, 0.2), "very start": (0.0, 0.2), "very end": (0.8, 1.0),
}

_LEAD = (
    r"(?:(?P<lead>for|in|during|over|through|throughout|across|within|on|at|from|after|until|till|before|up\s+to"
    r"|starting\s+(?:at|from|in|with)|by)\s+)?"
)
_COUNT = (
    r"(?P<count>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+few|few"
    r"|a\s+couple(?:\s+of)?|couple(?:\s+of)?|several|a\s+handful\s+of|handful\s+of)"
)
_FRACTION = (
    r"(?:the\s+)?(?:very\s+)?(?P<which>first|second|third|fourth|last|final|middle|opening|closing|latter|former)\s+"
    r"(?:(?P<fnum>two|three|2|3)\s+)?(?P<denominator>halves|half|thirds?|quarters?|fourths?|fifths?)"
)
_WORDS = (
    r"(?:the\s+)?(?:very\s+)?(?P<wwhich>first|last|final|opening|closing)\s+(?:" + _COUNT + r"\s+)?"
    r"(?P<unit>words?)"
)
_NTH_WORD = r"(?:the\s+)?(?P<nth>\d{1,3}(?:st|nd|rd|th)|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\s+word"
_PERCENT = r"(?:the\s+)?(?P<pwhich>first|last|final)\s+(?P<percent>\d{1,3})\s*(?:%|percent|per\s+cent)"
_WAY = (
    r"(?P<way>half|a\s+third|one\s+third|two\s+thirds|a\s+quarter|one\s+quarter|three\s+quarters|\d{1,3}\s*(?:%|percent))"
    r"\s+(?:of\s+)?(?:the\s+)?way(?:\s+(?:through|in|into|along))?"
)
_NAMED_PART = (
    r"(?:(?P<side>towards?|near|around|close\s+to)\s+|(?:the\s+)?)?the\s+(?P<named>very\s+beginning|very\s+start|very\s+end|"
    r"beginning|start|opening|end|ending|close|middle)(?:\s+(?:part|section|bit|portion))?"
    r"|(?P<early>early|late)\s+on"
)

# "by the end" (reached there), "until the end", "all the way to the end" (it goes on): lexicon phrases, not places.
_BEFORE_NAMED = re.compile(r"\b(?:by|to|until|till|through|of)\s+$", re.IGNORECASE)
PATTERN = re.compile(
    r"(?<![\w'])" + _LEAD + r"(?:" + "|".join((_FRACTION, _WORDS, _NTH_WORD, _PERCENT, _WAY, _NAMED_PART)) + r")(?![\w'])",
    re.IGNORECASE,
)


_POINT_LEADS = ("from", "starting at", "starting from", "starting in", "starting with", "until", "till", "before",
                "up to", "by")


@dataclass(frozen=True)
class Span:
    """A place in the text as fractions of its length, or as a count of words from its start or end."""

    start: float
    end: float
    unit: str  # "fraction" | "words"
    from_end: bool = False  # unit "words": counted back from the last word
    lead: str = ""  # the preposition before it: "from", "after", "until"... or ""
    point: bool = False  # a place where something begins ("two thirds of the way through"), not a range
    text: str = ""  # as written, for warnings

    def resolve(self, num_words: int) -> tuple[float, float | None]:
        """(start, end) in words; end is None when the place is a point where something begins."""
        n = max(num_words, 1)
        if self.unit == "fraction":
            start, end = self.start * n, self.end * n
        elif self.from_end:
            start, end = max(n - self.end, 0), max(n - self.start, 0)
        else:
            start, end = min(self.start, n), min(self.end, n)
        start, end = float(round(start)), float(round(end))
        if self.point or self.lead in _POINT_LEADS:
            return min(start, n - 1), None
        if self.lead == "after":
            return min(end, n - 1), None
        if end <= start:  # a range holds one word at least
            start, end = min(start, n - 1), min(start, n - 1) + 1
        return start, end

    @property
    def ends_previous(self) -> bool:
        """ "until the last third": it marks where the emotion before it stops."""
        return self.lead in ("until", "till", "before", "up to")

    @property
    def arrives(self) -> bool:
        """ "by the second half": the emotion is reached there, gradually."""
        return self.lead == "by"


def find(text: str) -> list[tuple[int, int, Span]]:
    """(start char, end char, span) for every place in the description, in order."""
    found = []
    for match in PATTERN.finditer(text):
        lead = (match.group("lead") or "").lower()
        if match.group("named") and (lead in ("by", "until", "till", "through", "up to") or _BEFORE_NAMED.search(text, 0, match.start())):
            continue  # "by the end", "by the middle": time words in the lexicon (reached gradually there)
        span = _span(match)
        if span is not None:
            found.append((match.start(), match.end(), span))
    return found


def _span(m: re.Match[str]) -> Span | None:
    lead = " ".join((m.group("lead") or "").lower().split())
    text = " ".join(m.group(0)[len(m.group("lead") or "") :].split())  # without the preposition
    if m.group("denominator"):
        denominator = _DENOMINATORS[m.group("denominator").lower()]
        parts = {"two": 2, "2": 2, "three": 3, "3": 3}.get((m.group("fnum") or "").lower(), 1)
        parts = min(parts, denominator)
        width = parts / denominator
        which = m.group("which").lower()
        if which in ("first", "opening", "former"):
            start = 0.0
        elif which in ("last", "final", "closing", "latter"):
            start = 1.0 - width
        elif which == "middle":
            start = (1.0 - width) / 2
        else:
            start = (_ORDINALS[which] - 1) / denominator
            if start >= 1.0:
                return None
        return Span(start, min(start + width, 1.0), "fraction", lead=lead, text=text)
    if m.group("unit"):
        count = _count(m.group("count"), default=1 if m.group("unit").lower() == "word" else 3)
        from_end = m.group("wwhich").lower() in ("last", "final", "closing")
        return Span(0.0, float(count), "words", from_end=from_end, lead=lead, text=text)
    if m.group("nth"):
        nth = m.group("nth").lower()
        index = int(nth[:-2]) if nth[0].isdigit() else _ORDINALS[nth]
        return Span(float(index - 1), float(index), "words", lead=lead, point=lead == "at", text=text)
    if m.group("percent"):
        share = min(int(m.group("percent")), 100) / 100
        if m.group("pwhich").lower() == "first":
            return Span(0.0, share, "fraction", lead=lead, text=text)
        return Span(1.0 - share, 1.0, "fraction", lead=lead, text=text)
    if m.group("way"):
        way = " ".join(m.group("way").lower().split())
        share = {"half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3, "a quarter": 0.25,
                 "one quarter": 0.25, "three quarters": 0.75}.get(way)
        if share is None:
            share = min(int(re.match(r"\d+", way).group(0)), 100) / 100
        return Span(share, share, "fraction", lead=lead, point=True, text=text)
    named = " ".join((m.group("named") or m.group("early") or "").lower().split())
    if not named:
        return None
    start, end = _NAMED[named]
    side = (m.group("side") or "").lower()
    if named == "middle" and (lead == "at" or side in ("around", "near", "toward", "towards")):
        return Span(0.5, 0.5, "fraction", lead=lead, point=True, text=text)  # "at the middle": like "halfway"
    return Span(start, end, "fraction", lead=lead, text=text)


def _count(word: str | None, default: int) -> int:
    if not word:
        return default
    key = " ".join(word.lower().split())
    return int(key) if key.isdigit() else _NUMBER_WORDS.get(key, default)
