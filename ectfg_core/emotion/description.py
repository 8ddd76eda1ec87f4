"""A free-form emotion description plus the words to speak -> keyframes over the words and one target per word.

Stages, each in its own module: reading.py (description -> items -> phrases -> readings), grouping.py (phrases
without an emotion folded in where they belong), drafting.py (one
emotion per phrase: negation, blends, comparatives, simultaneous conflicts, and hidden feelings such as "trying to
hide it", weaker and blended with the face put on, by the rule in masking.py), placement.py (keyframes over the
words: time words, proportions, quotes, transitions), curve.py (one target per word), content.py (the words of the
text colour what the description leaves unsaid, and are checked against what it says).
"""

from __future__ import annotations

from collections.abc import Sequence

from ectfg_core.emotion import content as text_content
from ectfg_core.emotion import grouping, invitation, lexicon, reading
from ectfg_core.emotion.content_lexicon import ContentLexicon, default_lexicon
from ectfg_core.emotion.curve import interpolate, keyframes_to_targets, warn_unreached
from ectfg_core.emotion.drafting import Draft, drafts_from
from ectfg_core.emotion.placement import place_keyframes
from ectfg_core.errors import InputError
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT, DescribedEmotion, Keyframe, WordTarget

__all__ = ["DescribedEmotion", "Keyframe", "WordTarget", "keyframes_to_targets", "parse_description"]

# A sentence or two is plenty; longer input is almost certainly the text pasted into the wrong field.
MAX_DESCRIPTION_CHARS = 1000
_EXAMPLES = "happy, sad, angry, scared, surprised, disgusted, calm"
_DEFAULT = "default"


def parse_description(
    description: str, words: Sequence[str], content: ContentLexicon | str | None = _DEFAULT,
    content_amount: float = DEFAULT_CONTENT_AMOUNT,
) -> DescribedEmotion:
    """Read the description against the words to speak; raise InputError if it names no emotion at all.

    `content` is the word->emotion lexicon that colours the text: "default" (the ECTFG_CONTENT_LEXICON setting,
    else the built-in lexicon), a ContentLexicon, or None to switch it off. `content_amount` (0..1) is how far
    those words may move the plan: 0 is exactly the description, the default a moderate colouring (content.py).
    """
    amount = text_content.check_amount(content_amount)
    text = "" if description is None else str(description)
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise InputError(
            f"the emotion description is {len(text)} characters; keep it under {MAX_DESCRIPTION_CHARS} "
            "(a sentence or two, e.g. \"starts calm, slowly becomes furious\")", field="emotion"
        )
    words = [str(w) for w in words]
    about_text = invitation.find(text)  # "let the words colour it": about the content rule, not an emotion
    text = about_text.text
    found = reading.items(text)
    warnings: list[str] = []
    readings = grouping.group(reading.split(found), text, warnings)
    hints = reading.hints(found)
    if not readings:
        if any(item.kind != "punct" for item in found) and not hints:
            raise InputError(_no_emotion_message(text, found), field="emotion")
        drafts = [Draft("neutral", lexicon.NEUTRAL_BASELINE, None, None, source="", implied=True)]
    else:
        drafts = drafts_from(readings, warnings)
    keyframes = place_keyframes(drafts, words, warnings)
    targets, owners = interpolate(keyframes, len(words))
    if words:
        warn_unreached(keyframes, owners, len(words), warnings)
    lexicon_used = default_lexicon() if isinstance(content, str) and content == _DEFAULT else content
    if isinstance(lexicon_used, str):
        raise InputError(f'content lexicon must be a ContentLexicon, None or "default"; got {lexicon_used!r}')
    if about_text.stance == "invite" and amount == 0:
        warnings.append(f'"{about_text.phrases[0]}" lets the words colour the reading, but content is 0 (exactly the '
                        "description); raise content to let them")
    targets, origins = text_content.colour(targets, owners, keyframes, words, lexicon_used, warnings, amount,
                                           about_text.stance)
    return DescribedEmotion(keyframes=keyframes, targets=targets, warnings=_unique(warnings), hints=hints,
                            origins=origins, content=amount, stance=about_text.stance)


def _no_emotion_message(text: str, found: Sequence[reading.Item]) -> str:
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    if any(isinstance(i.term, lexicon.Mask) for i in found):  # "trying to hide it": hiding what?
        return (f'the emotion description "{shown}" says a feeling is hidden but not which one; name it, '
                'e.g. "heartbroken but trying to hide it"')
    guesses = [g for g in dict.fromkeys(lexicon.suggest(i.text) for i in found if i.kind == "unknown") if g]
    mean = f" (did you mean {' or '.join(repr(g) for g in guesses)}?)" if guesses else ""
    return (
        f'the emotion description "{shown}" names no emotion I know{mean}; '
        f"use words like {_EXAMPLES}, placed with time words (\"starts calm, slowly becomes furious\") or quoted "
        "words of the text (\"angry at 'the money'\")"
    )


def _unique(lines: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(lines))
