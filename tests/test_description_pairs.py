"""Description/text pairs -> the emotion each word gets: the behaviour `ectfg plan` shows, pinned word by word.

One letter per word: n neutral, h happy, s sad, a angry, f fearful, u surprised, d disgusted. The descriptions are
written the way artists talk to an actor, including casual phrasings the parser was not built around.
"""

from __future__ import annotations

import pytest

from ectfg_core.emotion.description import parse_description
from ectfg_core.text import tokenize

# 12 words: I(0) opened(1) the(2) door(3) and(4) found(5) the(6) money(7) was(8) gone(9) this(10) morning(11)
TEXT = "I opened the door and found the money was gone this morning"
CODE = {"neutral": "n", "happy": "h", "sad": "s", "angry": "a", "fearful": "f", "surprised": "u", "disgusted": "d"}


def labels(description: str, text: str = TEXT) -> str:
    described = parse_description(description, [t.text for t in tokenize(text)])
    return "".join(CODE[t.emotion] for t in described.targets)


VOCABULARY = [
    ("content, then gloomy", "hhhhhhssssss"),
    ("elated", "h" * 12),
    ("anxious", "f" * 12),
    ("amazed", "u" * 12),
    ("revolted", "d" * 12),
    ("irritated", "a" * 12),
    ("furious!!!", "a" * 12),
    ("grossed out, then suddenly amused", "ddddddhhhhhh"),
    ("pissed off", "a" * 12),
    ("over the moon", "h" * 12),
    ("trying not to cry", "s" * 12),  # a phrase, not a negation
    ("on the verge of tears", "s" * 12),
    ("sooo happy", "h" * 12),
    ("kinda bummed out", "s" * 12),
    ("make her sound really upset", "s" * 12),
    ("SHOUTING, absolutely livid", "a" * 12),
    ("the speaker is disappointed", "s" * 12),
    ("like she just won the lottery", "h" * 12),  # no emotion word: read from the content of its words
    ("as if at a funeral", "s" * 12),
]

TIME = [
    ("calm, then suddenly terrified", "nnnnnnffffff"),
    ("terrified, slowly calming down", "ffffffnnnnnn"),
    ("at first calm, then angry, after that sad, finally happy", "nnnaaassshhh"),
    ("starts happy, by the middle sad", "hhhsssssssss"),
    ("calm, angry towards the end", "nnnnnnnnaaaa"),
    ("angry for the first half", "aaaaaannnnnn"),
    ("sad in the last third", "nnnnnnnnssss"),
    ("happy for the first few words, then sad", "hhhsssssssss"),
    ("calm, angry on the last two words", "nnnnnnnnnnaa"),
    ("scared for the first 3 words, then calm", "fffnnnnnnnnn"),
    ("calm, then terrified two thirds of the way through", "nnnnnnnnffff"),
    ("calm until the last third, then furious", "nnnnnnnnaaaa"),
    ("angry until the last third", "aaaaaaaannnn"),
    ("happy for the first half and sad for the second half", "hhhhhhssssss"),
    ("calm for the first half angry for the second half", "nnnnnnaaaaaa"),
    ("in the middle angry, otherwise calm", "nnnnaaaannnn"),
    ("calm, angry in the middle, calm again at the end", "nnnnaaaannnn"),
    ("happy, then sad, then happy again", "hhhhsssshhhh"),
    ("furious at the start, calmer by the end", "aaaaaaaannnn"),
    ("starts off nervous, gains confidence", "ffffffhhhhhh"),
    ("she's nervous at first, then relieved", "ffffffhhhhhh"),
    ("gets angrier and angrier", "nnnnnnaaaaaa"),
    ("from calm to furious", "nnnnnnaaaaaa"),
    ("goes from happy to sad", "hhhhhhssssss"),
    ("calm -> angry -> calm", "nnnnaaaannnn"),
    ("she's mad at first but by the end she's laughing", "aaaaaahhhhhh"),
    ("sad at first, then hopeful, and finally joyful", "sssshhhhhhhh"),
    ("angry, but softens towards the end", "aaaaaaaaannn"),
    ("angry, then it fades", "aaaaaannnnnn"),
    ("anger builds up, peaks at 'the money', then fades", "nnaaaaaaannn"),
]

QUOTES = [
    ("angry when she says 'the money'", "nnnnnnaaaaaa"),
    ("astonished at 'found'", "nnnnnuuuuuuu"),
    ("calm, but angry on 'the money'", "nnnnnnaannnn"),  # "on": only those words, then back
    ("scared between 'the door' and 'the money'", "nnffffffnnnn"),
    ("scared from 'the door' to 'the money'", "nnffffffnnnn"),
    ("sad throughout, angry on 'the money'", "ssssssaassss"),
    ("a flash of anger at 'the door', otherwise calm", "nnaannnnnnnn"),
    ("calm, then suddenly snaps at 'the money'", "nnnnnnaaaaaa"),  # "snaps" names anger itself
    ("calm, then breaks down after 'found'", "nnnnnnssssss"),  # "after": from the word after the quote
    ("worried, then panics at 'gone'", "ffffffffffff"),
    ("she's calm and collected, then suddenly freaks out at 'the money'", "nnnnnnffffff"),
    ("starts happy then gets scared when she says 'gone'", "hhhhhhhhhfff"),
]

NEGATION_AND_BLENDS = [
    ("not angry", "n" * 12),
    ("not happy", "s" * 12),  # the low-intensity opposite
    ("no longer scared", "n" * 12),
    ("not very angry", "a" * 12),  # understatement: a little angry
    ("happy, not sad", "h" * 12),
    ("neither happy nor sad", "n" * 12),
    ("not calm", "f" * 12),
    ("not angry, then furious", "nnnnnnaaaaaa"),
    ("bittersweet", "h" * 12),
    ("happy but nervous", "h" * 12),
    ("sad, with anger underneath", "s" * 12),
    ("happy and furious at the same time", "a" * 12),  # conflict: the stronger is kept
    ("elated and heartbroken at once", "h" * 12),  # conflict: a tie goes to the first named
]

OTHER_TEXTS = [
    ("angry", "Thank you so much for the lovely flowers", "aaaaaaaa"),
    ("calm, then shocked when she says 'pregnant'", "Mom I have something to tell you I am pregnant", "nnnnnnnnnu"),
    ("panicked, then slowly calming down", "Help me please someone is in the house oh it is just the cat",
     "fffffffnnnnnnn"),
    ("starts sad and ends hopeful", "I lost everything but I still have my family", "ssssshhhh"),
    ("very sad for the first half, then suddenly furious",
     "I trusted you with everything and you lied to me about all of it", "sssssssaaaaaaa"),
    ("", "My dog died yesterday and I miss him", "nnsnnnsn"),  # silent description: the words colour it
    ("neutral", "My dog died yesterday", "nnnn"),  # a stated calm stays calm
    ("surprised", "Oh wow I did not expect to see you here", "uuuuuuuuuu"),
    ("calm, then suddenly terrified", "Run", "f"),  # one word: the stronger half wins
]


@pytest.mark.parametrize("description, expected", VOCABULARY + TIME + QUOTES + NEGATION_AND_BLENDS)
def test_emotion_per_word(description, expected):
    assert labels(description) == expected


@pytest.mark.parametrize("description, text, expected", OTHER_TEXTS)
def test_emotion_per_word_other_texts(description, text, expected):
    assert labels(description, text) == expected


def test_the_suite_is_large_enough():
    pairs = VOCABULARY + TIME + QUOTES + NEGATION_AND_BLENDS + OTHER_TEXTS
    assert len(pairs) >= 60
    assert len({p[0] for p in pairs}) >= 60  # distinct descriptions
