"""Phrases -> readings of the phrases that name an emotion, with the emotion-less phrases folded in where they belong.

Lone adverbs and places ("slowly,", "at 'the door',") join the next phrase; "builds up" right after an emotion
joins it; "then it fades" becomes a return to calm; "peaks at 'x'" repeats the previous emotion at its strongest;
"snaps" names anger by itself; "not sad" next to another phrase only clarifies it; "trying to hide it" is
about the phrase before it (masking.py); a phrase with no emotion word
may still be read from the content of its words ("as if at a funeral"), with a warning that says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from ectfg_core.emotion import lexicon, masking
from ectfg_core.emotion.content_lexicon import builtin
from ectfg_core.emotion.phrases import Item, Mention, Reading
from ectfg_core.emotion.reading import read
from ectfg_core.emotion.terms import Cue, EmotionWord, VoiceHint

# "fades" after an emotion ("anger fades") and "peaks" are about the emotion before them.
FADE_INTENSITY = 0.25
GUESS_MIN = 0.6  # content needed to read an emotion into a phrase that names none


def group(phrases: list[list[Item]], text: str, warnings: list[str]) -> list[Reading]:
    """Readings of the phrases that name an emotion, with the emotion-less phrases folded in where they belong."""
    readings: list[Reading] = []
    pending: list[Item] = []
    for phrase in phrases:
        if pending and read(phrase, text).timed:
            held = read(pending, text)
            if held.mentions and _clarifies(held):  # "not angry, then furious": calm first, then the change
                readings.append(held)
                pending = []
        merged = read(pending + phrase, text)
        if not merged.mentions and merged.names:  # "snaps at 'the money'": the verb names the emotion
            merged.mentions = [Mention(EmotionWord(*merged.names), _first_cue_text(phrase), [], merged.bangs and 1, 0,
                                       False)]
        if not merged.mentions and merged.mask is not None:
            if readings and not merged.timed:  # "sad, but trying to hide it": the mask is on the phrase before
                readings[-1] = read(readings[-1].items + pending + phrase, text)
                pending = []
                continue
            if merged.mask.felt is None and merged.mask.shows is None:  # "trying to hide it, sad": what follows
                pending = pending + phrase
                continue
            merged.mentions = [masking.mention_alone(merged)]
            if merged.mask.felt is None:  # "forcing a smile" alone: only the face put on, weakly
                merged.mask = None
        if merged.mentions and _clarifies(merged):
            if readings:  # "happy, not sad": says what the previous phrase is not
                readings[-1] = read(readings[-1].items + phrase, text)
            else:  # "not sad, just happy": about the next phrase
                pending = pending + phrase
            continue
        if merged.mentions:
            readings.append(merged)
            pending = []
            continue
        alone = read(phrase, text)
        first = next((i.term for i in phrase if i.kind == "term"), None)
        if readings and not pending and isinstance(first, Cue) and first.develops and _touches(readings[-1], phrase):
            readings[-1] = read(readings[-1].items + phrase, text)  # "anger builds up"
        elif _says(phrase, "fade") and readings:
            readings.append(_with_mention(read(pending + phrase, text), "neutral", FADE_INTENSITY))  # "then it fades"
            pending = []
        elif _says(phrase, "peak") and readings and readings[-1].mentions:
            peak = read(pending + phrase, text)
            last = readings[-1].mentions[-1]
            peak.mentions = [Mention(last.word, last.text, [], 0, 0, False, peak=True)]
            peak.transition = peak.transition or "gradual"
            readings.append(peak)
            pending = []
        elif alone.unknown and not alone.anchors and not alone.places:
            guessed = _guess(alone, text, warnings)
            if guessed is not None:  # "like she just won the lottery"
                readings.append(guessed)
                pending = []
            else:
                warnings.append(f'ignored "{alone.source}": it names no emotion I know{not_understood(alone.unknown)}')
        else:
            pending = pending + phrase
    if pending:
        tail = read(pending, text)
        if readings and tail.until and (tail.anchors or tail.places):
            # "angry until 'the door'": the anger stops there.
            readings.append(_with_mention(tail, "neutral", lexicon.NEUTRAL_BASELINE))
            where = f'"{tail.anchors[0]}"' if tail.anchors else tail.places[0].text
            warnings.append(f'nothing follows "{tail.source}", so the emotion returns to neutral at {where}')
        elif tail.mentions:  # only clarifications ("not angry"): they stand for themselves
            readings.append(tail)
        elif readings and not any(isinstance(i.term, VoiceHint) for i in pending):
            # "sad, but only slightly" / "angry, by the end": words about the last phrase. ("ends in a whisper" is
            # about the voice; its hint is already recorded.)
            readings[-1] = read(readings[-1].items + pending, text)
    for reading in readings:
        _warn_misspellings(reading, warnings)
    return readings


def _clarifies(reading: Reading) -> bool:
    """Only negated emotions and no time word: "not angry" says what the neighbouring phrase is not."""
    return all(m.negated for m in reading.mentions) and not reading.cessation and not reading.timed


def _first_cue_text(phrase: Sequence[Item]) -> str:
    return next((i.text for i in phrase if isinstance(i.term, Cue) and i.term.names), "")


def _guess(reading: Reading, text: str, warnings: list[str]) -> Reading | None:
    """An emotion for a phrase that names none, from the content of its words ("as if at a funeral")."""
    words = [i.text for i in reading.items if i.kind in ("unknown", "term")]
    scores: dict[str, float] = {}
    matched: dict[str, list[str]] = {}
    for hit in builtin().scan(words):
        if hit is not None:
            for emotion, strength in hit[0].items():
                scores[emotion] = scores.get(emotion, 0.0) + strength
                matched.setdefault(emotion, []).append(hit[1])
    if not scores or max(scores.values()) < GUESS_MIN:
        return None
    emotion = max(scores, key=lambda e: scores[e])
    intensity = round(min(0.7, 0.6 * max(scores.values())), 4)
    listed = ", ".join(f'"{w}"' for w in dict.fromkeys(matched[emotion]))
    warnings.append(f'"{reading.source}" names no emotion word; read as {emotion} from {listed}. Name the emotion '
                    f'("{emotion}") to be sure')
    reading.mentions = [Mention(EmotionWord(emotion, intensity), reading.source, [], 0, 0, False)]
    return reading


def _touches(reading: Reading, phrase: Sequence[Item]) -> bool:
    """The phrase follows the reading with no punctuation between ("anger builds", not "anger. Builds")."""
    return bool(reading.items) and reading.items[-1].kind != "punct" and bool(phrase)


def _says(phrase: Sequence[Item], flag: str) -> bool:
    return any(isinstance(i.term, Cue) and getattr(i.term, flag) for i in phrase)


def _with_mention(reading: Reading, emotion: str, intensity: float) -> Reading:
    reading.mentions = [Mention(EmotionWord(emotion, intensity), "", [], 0, 0, False)]
    reading.implied = True
    return reading


def not_understood(words: Sequence[str]) -> str:
    listed = ", ".join(f'"{w}"' for w in dict.fromkeys(words))
    guesses = [f'"{g}"' for g in dict.fromkeys(lexicon.suggest(w) for w in words) if g]
    mean = f"; did you mean {' or '.join(guesses)}?" if guesses else ""
    return f" (not understood: {listed}){mean}"


def _warn_misspellings(reading: Reading, warnings: list[str]) -> None:
    # Other unknown words in an emotion phrase are ignored quietly; likely typos of emotion words are worth a line.
    for word in reading.unknown:
        guess = lexicon.suggest(word)
        if guess:
            warnings.append(f'in "{reading.source}" I did not understand "{word}"; did you mean "{guess}"?')
