"""Phrases about the text itself: "let the words colour it" invites the content in, "whatever the words say" keeps
it out. They name no emotion, so they are taken out of the description before it is read (reading.py would
otherwise report them as words it does not understand) and returned as a stance the content rule (content.py) uses:

- "invite": over the described words the text may take the lead, as over silent words, by the content amount;
  a phrase placed on quoted words ("furious at 'the money'") still keeps its class there.
- "refuse": the described words are read exactly as described (content amount 0 for them).
- None: the description says nothing about the text; the content amount applies within what it asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TEXT = r"(?:the\s+|its\s+|my\s+|her\s+|his\s+|their\s+)?(?:words?|text|content|script|lines?|meaning|story)"
_LET = (
    r"let(?:ting)?\s+" + _TEXT + r"\s+(?:colou?r|tint|shade|lead|decide|guide|drive|shape|move|steer|speak|carry"
    r"|take\s+over|come\s+through|show|in)(?:\s+(?:it|them|this|that|the\s+(?:face|reading|mood|tone)|through))?"
)
_FOLLOW = (
    r"(?:follow(?:s|ing)?|(?:guided|coloured|colored|tinted|led|driven|shaped|moved|steered)\s+by)\s+" + _TEXT
    + r"(?:\s+(?:closely|freely))?"
)
_AS = r"(?:as|wherever|however)\s+" + _TEXT + r"\s+(?:says?|goes?|leads?|suggests?|moves?|takes?\s+(?:it|them))"
_INVITE = r"|".join((_LET, _FOLLOW, _AS))
# "don't let the words colour it", "whatever the words say", "regardless of the text", "ignore the words"
_REFUSE = (
    r"(?:(?:do\s+not|don't|don’t|never|without)\s+(?:" + _INVITE + r"|letting\s+" + _TEXT + r"[^,;.]*))"
    r"|(?:whatever|no\s+matter\s+what)\s+" + _TEXT + r"\s+says?"
    r"|regardless\s+of\s+" + _TEXT + r"|ignor(?:e|ing)\s+" + _TEXT
    + r"|(?:not|never)\s+(?:coloured|colored|tinted|led|moved)\s+by\s+" + _TEXT
)
# A joining word left in front of the phrase ("calm, and let ...") goes with it, so no empty phrase stays behind.
_JOIN = r"(?:(?:and|but|while|just|yet|though|,)\s+)*"
_PATTERN = re.compile(
    r"(?<![\w'])" + _JOIN + r"(?:(?P<refuse>" + _REFUSE + r")|(?P<invite>" + _INVITE + r"))(?![\w'])",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"(?<!\w)(['\"‘“]).*?['\"’”](?!\w)")


@dataclass(frozen=True)
class Stance:
    text: str  # the description without the phrases about the text (blanked, so offsets and quotes are kept)
    stance: str | None  # "invite" | "refuse" | None
    phrases: tuple[str, ...] = ()  # as written


def find(description: str) -> Stance:
    """The description with its phrases about the text blanked out, and what they ask. Refusal wins over invitation
    when both are written; quoted words are never searched (they are words of the spoken text)."""
    masked = list(description)
    for quote in _QUOTED.finditer(description):
        masked[quote.start():quote.end()] = "\0" * (quote.end() - quote.start())
    searched = "".join(masked)
    blanked = list(description)
    phrases: list[str] = []
    stance: str | None = None
    for match in _PATTERN.finditer(searched):
        kind = "refuse" if match.group("refuse") else "invite"
        stance = "refuse" if "refuse" in (stance, kind) else kind
        phrases.append(" ".join(description[match.start(kind):match.end(kind)].split()))
        blanked[match.start():match.end()] = " " * (match.end() - match.start())
    return Stance("".join(blanked), stance, tuple(phrases))
