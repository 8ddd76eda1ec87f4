"""The vocabulary of emotion descriptions: which words name which class, how strongly, and which words steer time.

Every entry is a lowercase phrase of one or more words ("grossed out", "all of a sudden"). `lookup` finds the
longest entry starting at a given word, so multi-word entries win over their parts ("calming down" is calm, "down"
alone is sad). The parser (description.py) only asks this module what a word means; new vocabulary goes here.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ectfg_core.emotion.model import EMOTION_INDEX

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


@dataclass(frozen=True)
class Filler:
    """A known word with no emotional meaning ("the", "voice", "she"); known so it is never reported."""


Term = EmotionWord | Modifier | Comparative | Negation | VoiceHint | Cue | Filler

# --- emotion words, by class: phrase -> base intensity -------------------------------------------------------------

_EMOTIONS: dict[str, dict[str, float]] = {
    "neutral": {
        "calm": 0.3, "calmly": 0.3, "calming": 0.3, "calmed": 0.3, "calm down": 0.3, "calms down": 0.3,
        "calming down": 0.3, "calmed down": 0.3, "relaxed": 0.25, "relaxing": 0.25, "relaxes": 0.25, "neutral": 0.3,
        "composed": 0.3, "serene": 0.25, "peaceful": 0.25, "steady": 0.3, "flat": 0.2, "deadpan": 0.15,
        "emotionless": 0.1, "expressionless": 0.1, "unemotional": 0.1, "matter of fact": 0.25, "settles down": 0.3,
        "settling down": 0.3, "settled": 0.3, "cools down": 0.3, "cooling down": 0.3, "cools off": 0.3,
        "composure": 0.3, "collected": 0.3, "normal": 0.3, "indifferent": 0.2, "detached": 0.2, "at ease": 0.25,
        "bored": 0.2,
    },
    "happy": {
        "content": 0.35, "pleased": 0.45, "glad": 0.5, "cheerful": 0.55, "cheerfully": 0.55, "cheery": 0.55,
        "happy": 0.6, "happily": 0.6, "happiness": 0.6, "upbeat": 0.55, "warm": 0.4, "friendly": 0.4, "amused": 0.45,
        "smiling": 0.5, "joyful": 0.75, "joyfully": 0.75, "joy": 0.75, "excited": 0.7, "excitedly": 0.7,
        "excitement": 0.7, "delighted": 0.8, "thrilled": 0.85, "elated": 0.9, "ecstatic": 0.95, "overjoyed": 0.95,
        "euphoric": 0.95, "jubilant": 0.9, "proud": 0.5, "hopeful": 0.4, "playful": 0.5, "relieved": 0.4,
        "grateful": 0.5, "enthusiastic": 0.7, "giddy": 0.75, "blissful": 0.85, "smiles": 0.5, "grinning": 0.6,
        "loving": 0.5, "tender": 0.4, "affectionate": 0.45,
    },
    "sad": {
        "down": 0.4, "feeling down": 0.4, "blue": 0.45, "wistful": 0.35, "disappointed": 0.4,
        "gloomy": 0.5, "melancholy": 0.5, "melancholic": 0.5, "unhappy": 0.55, "sad": 0.6, "sadly": 0.6,
        "sadness": 0.6, "dejected": 0.6, "downcast": 0.6, "sorrowful": 0.75, "sorrow": 0.75, "mournful": 0.7,
        "depressed": 0.7, "hurt": 0.55, "lonely": 0.5, "tearful": 0.65, "miserable": 0.8, "grief": 0.85,
        "grieving": 0.85, "despairing": 0.9, "despair": 0.9, "heartbroken": 0.9, "devastated": 0.95,
        "crushed": 0.85, "hopeless": 0.8, "regretful": 0.5, "somber": 0.5, "sombre": 0.5, "resigned": 0.4,
        "tired": 0.3, "weary": 0.35, "exhausted": 0.45, "guilty": 0.5, "ashamed": 0.55, "sulky": 0.4,
    },
    "angry": {
        "annoyed": 0.35, "annoyance": 0.35, "irritated": 0.4, "irritation": 0.4, "irritable": 0.4, "cross": 0.45,
        "impatient": 0.4, "frustrated": 0.5, "frustration": 0.5, "fed up": 0.5, "resentful": 0.5, "bitter": 0.5,
        "indignant": 0.6, "mad": 0.65, "angry": 0.7, "angrily": 0.7, "anger": 0.7, "hostile": 0.7, "heated": 0.6,
        "irate": 0.8, "fuming": 0.85, "outraged": 0.9, "outrage": 0.9, "furious": 0.95, "furiously": 0.95,
        "fury": 0.95, "enraged": 0.95, "livid": 0.95, "raging": 0.95, "rage": 0.95, "seething": 0.9, "aggressive": 0.7,
        "defiant": 0.55, "stern": 0.45, "grumpy": 0.4, "jealous": 0.5, "envious": 0.45,
    },
    "fearful": {
        "uneasy": 0.3, "tense": 0.4, "worried": 0.4, "worry": 0.4, "nervous": 0.45, "nervously": 0.45,
        "apprehensive": 0.45, "on edge": 0.45, "anxious": 0.5, "anxiously": 0.5, "anxiety": 0.5, "insecure": 0.4,
        "afraid": 0.65, "scared": 0.65, "fearful": 0.65, "fearfully": 0.65, "fear": 0.65, "frightened": 0.7,
        "alarmed": 0.7, "dread": 0.75, "dreading": 0.75, "panicky": 0.85, "panicked": 0.9, "panicking": 0.9,
        "panic": 0.9, "horrified": 0.85, "terrified": 0.95, "terror": 0.95, "petrified": 0.95, "desperate": 0.7,
        "timid": 0.35, "shy": 0.3, "awkward": 0.3, "embarrassed": 0.4,
    },
    "surprised": {
        "curious": 0.3, "puzzled": 0.35, "taken aback": 0.55, "surprised": 0.6, "surprise": 0.6, "startled": 0.65,
        "caught off guard": 0.6, "amazed": 0.7, "amazement": 0.7, "in awe": 0.7, "astonished": 0.8,
        "astonishment": 0.8, "shocked": 0.85, "shock": 0.85, "stunned": 0.85, "astounded": 0.85, "disbelief": 0.6,
        "incredulous": 0.6, "flabbergasted": 0.9, "dumbfounded": 0.9, "bewildered": 0.5, "confused": 0.35,
    },
    "disgusted": {
        "put off": 0.4, "distaste": 0.4, "displeased": 0.4, "contempt": 0.6, "contemptuous": 0.6, "scornful": 0.6,
        "disdainful": 0.55, "grossed out": 0.65, "disgusted": 0.7, "disgust": 0.7, "nauseated": 0.75,
        "repulsed": 0.8, "sickened": 0.8, "appalled": 0.8, "revolted": 0.85, "repelled": 0.8, "loathing": 0.9,
        "sarcastic": 0.35,
    },
}

# Comparative forms: the base intensity is used when the previous phrase has another emotion.
_COMPARATIVES: dict[str, tuple[str, float]] = {
    "happier": ("happy", 0.6), "sadder": ("sad", 0.6), "angrier": ("angry", 0.7), "madder": ("angry", 0.65),
    "calmer": ("neutral", 0.3), "more relaxed": ("neutral", 0.25), "scareder": ("fearful", 0.65),
    "more nervous": ("fearful", 0.45), "more anxious": ("fearful", 0.5), "more scared": ("fearful", 0.65),
}

_BLENDS: dict[str, tuple[dict[str, float], float]] = {
    "bittersweet": ({"happy": 0.5, "sad": 0.5}, 0.5),
    "nostalgic": ({"happy": 0.4, "sad": 0.6}, 0.45),
    "horror": ({"fearful": 0.6, "disgusted": 0.4}, 0.85),
    "outraged disgust": ({"angry": 0.5, "disgusted": 0.5}, 0.8),
    "nervous excitement": ({"fearful": 0.4, "happy": 0.6}, 0.6),
}

# Words naming both an emotion and a voice quality.
_VOICED_EMOTIONS: dict[str, tuple[str, float, str]] = {
    "crying": ("sad", 0.75, "sob"), "cries": ("sad", 0.75, "sob"), "sobbing": ("sad", 0.85, "sob"),
    "sobs": ("sad", 0.85, "sob"), "weeping": ("sad", 0.8, "sob"), "in tears": ("sad", 0.75, "sob"),
    "laughing": ("happy", 0.75, "laugh"), "laughs": ("happy", 0.75, "laugh"), "laughter": ("happy", 0.75, "laugh"),
    "giggling": ("happy", 0.65, "laugh"), "chuckling": ("happy", 0.55, "laugh"),
}

# --- intensity adverbs ---------------------------------------------------------------------------------------------

MODIFIERS: dict[str, float] = {
    "barely": -0.65, "hardly": -0.65, "faintly": -0.6, "a touch": -0.5, "a tad": -0.5, "slightly": -0.45,
    "mildly": -0.4, "a little": -0.35, "a little bit": -0.35, "a bit": -0.3, "kind of": -0.25, "sort of": -0.25,
    "somewhat": -0.2, "moderately": -0.1, "fairly": 0.05, "rather": 0.1, "pretty": 0.15, "quite": 0.25, "so": 0.3,
    "too": 0.3, "much": 0.3, "truly": 0.4, "really": 0.45, "very": 0.5, "deeply": 0.5, "super": 0.5,
    "very much": 0.5, "intensely": 0.6, "totally": 0.6, "completely": 0.7, "extremely": 0.8, "incredibly": 0.8,
    "utterly": 0.8, "absolutely": 0.8, "insanely": 0.8, "overwhelmingly": 0.85,
}

# --- voice qualities -----------------------------------------------------------------------------------------------

_HINTS: dict[str, tuple[str, ...]] = {
    "whisper": ("whisper", "whispers", "whispering", "whispered", "under her breath", "under his breath",
                "under their breath"),
    "soft": ("soft", "softly", "quiet", "quietly", "hushed", "murmur", "murmurs", "murmuring", "gentle", "gently"),
    "shout": ("shout", "shouts", "shouting", "shouted", "yell", "yells", "yelling", "scream", "screams",
              "screaming", "roar", "roaring", "bellowing", "raised voice"),
    "loud": ("loud", "loudly"),
    "tremble": ("tremble", "trembles", "trembling", "trembly", "shaky", "shaking", "quivering", "quavering",
                "voice breaks", "voice breaking", "voice cracking", "stammering", "stuttering"),
    "sigh": ("sigh", "sighs", "sighing"),
}

# --- time words ----------------------------------------------------------------------------------------------------

_GRADUAL_VERB = Cue(split=True, transition="gradual")
_GRADUAL_ADVERB = Cue(split=True, transition="gradual", strong=True)
_SUDDEN_VERB = Cue(split=True, transition="sudden")
_SUDDEN_ADVERB = Cue(split=True, transition="sudden", strong=True)
_SPLIT = Cue(split=True)
_END = Cue(position="end")
_END_SPLIT = Cue(split=True, position="end")

_CUES: dict[str, Cue] = {
    **dict.fromkeys(("then", "and then", "but then", "after that", "after this", "afterwards", "afterward", "later",
                     "next", "followed by", "turns", "turning", "turn", "gets", "getting", "get", "goes", "going",
                     "changes", "changing", "shifts", "shifting", "switches", "switching", "moves", "moving",
                     "becoming more"), _SPLIT),
    **dict.fromkeys(("until", "till", "up until", "up to", "before", "right before"), Cue(split=True, until=True)),
    **dict.fromkeys(("becomes", "become", "becoming", "grows", "grow", "growing", "builds", "building", "builds up",
                     "building up", "build up", "drifts", "drift", "drifting", "drifts into", "fades", "fading",
                     "fades into", "softens", "softening", "eases", "easing", "rises", "rising", "creeps",
                     "creeping", "warms up", "warming up", "ramps up", "slides into", "melts into", "sinks into"),
                    _GRADUAL_VERB),
    **dict.fromkeys(("slowly", "gradually", "little by little", "bit by bit", "step by step", "progressively",
                     "over time", "steadily"), _GRADUAL_ADVERB),
    **dict.fromkeys(("increasingly", "more and more", "ever more"), Cue(split=True, transition="gradual", strong=True,
                                                                         comparative=1)),
    **dict.fromkeys(("snaps", "snap", "snapping", "bursts", "burst", "bursting", "bursts into", "breaks into",
                     "explodes", "exploding", "flips", "jumps", "erupts", "breaks down"), _SUDDEN_VERB),
    **dict.fromkeys(("suddenly", "abruptly", "all of a sudden", "at once", "all at once", "instantly",
                     "immediately", "out of nowhere", "without warning", "sharply", "quickly"), _SUDDEN_ADVERB),
    **dict.fromkeys(("starts", "start", "starting", "starts off", "starts out", "begins", "begin", "beginning",
                     "at first", "first", "initially", "at the start", "at the beginning", "to begin with",
                     "opens"), Cue(position="start")),
    **dict.fromkeys(("by the middle", "in the middle", "halfway", "half way", "halfway through", "midway",
                     "mid way", "middle", "at the midpoint"), Cue(position="middle")),
    **dict.fromkeys(("ends", "ending", "ends up", "ending up", "end up", "ends in", "ends with", "ending in",
                     "ending with", "finally", "and finally", "eventually", "lastly", "at last", "finishes",
                     "finishing", "finishes with", "finishes in", "by the end"), _END_SPLIT),
    **dict.fromkeys(("towards the end", "toward the end", "near the end", "at the end", "in the end", "end",
                     "to the end"), _END),
    "after": Cue(anchor_after=True),
}

_NEGATIONS: dict[str, Negation] = {
    **dict.fromkeys(("not", "no", "never", "isn't", "aren't", "wasn't", "don't", "doesn't", "didn't", "without",
                     "nor", "not at all", "neither", "isn’t", "doesn’t", "don’t"), Negation()),
    **dict.fromkeys(("no longer", "stops being", "stop being", "stopped being", "not any more"),
                    Negation(cessation=True)),
    **dict.fromkeys(("anymore", "any more", "any longer"), Negation(cessation=True, prefix=False)),
}

_COMPARATIVE_WORDS: dict[str, Comparative] = {"more": Comparative(1), "even more": Comparative(1),
                                              "less": Comparative(-1), "even less": Comparative(-1)}

# Known words that carry no emotion: they are never reported as "not understood".
_FILLERS = frozenset(
    """
    a an the and or but so yet to of in on at by for from with into onto as than like it its it's she he they we i
    you her his their them him me my your our this that these those there here who which what when where while
    whenever as if is are was were be been being am has have had do does did will would can could should may might
    voice tone face expression mood sounding sounds sound sound looks look looking seems seem seeming feels feel
    feeling felt speaker speaks speaking speak says say said saying talks talking tells reads reading delivery
    delivered word words line lines sentence part point moment time bit rest way through throughout all over again
    back still stays stay staying remains remain remaining keeps keep keeping just only mostly mainly also even
    somehow almost nearly quite overall whole entire very rather then slightly one something someone person
    character state mode manner hint touch trace note edge kind sort type level degree plus both either
    up out off away around about little
    """.split()
)


def _build_table() -> dict[tuple[str, ...], Term]:
    table: dict[tuple[str, ...], Term] = {}

    def add(phrase: str, term: Term) -> None:
        key = tuple(phrase.split())
        if key in table and table[key] != term:
            raise ValueError(f"lexicon phrase {phrase!r} defined twice")  # caught by the tests, never by users
        table[key] = term

    for emotion, words in _EMOTIONS.items():
        for phrase, intensity in words.items():
            add(phrase, EmotionWord(emotion, intensity))
    for phrase, (emotion, intensity) in _COMPARATIVES.items():
        add(phrase, EmotionWord(emotion, intensity, comparative=1))
    for phrase, (mixture, intensity) in _BLENDS.items():
        primary = max(mixture, key=lambda name: mixture[name])
        add(phrase, EmotionWord(primary, intensity, mixture=mixture))
    for phrase, (emotion, intensity, hint) in _VOICED_EMOTIONS.items():
        add(phrase, EmotionWord(emotion, intensity, hint=hint))
    for phrase, strength in MODIFIERS.items():
        add(phrase, Modifier(strength))
    for hint, phrases in _HINTS.items():
        for phrase in phrases:
            add(phrase, VoiceHint(hint))
    for phrase, cue in _CUES.items():
        add(phrase, cue)
    for phrase, negation in _NEGATIONS.items():
        add(phrase, negation)
    for phrase, comparative in _COMPARATIVE_WORDS.items():
        add(phrase, comparative)
    for word in _FILLERS:
        table.setdefault((word,), Filler())
    for key, term in table.items():
        if isinstance(term, EmotionWord):
            assert term.emotion in EMOTION_INDEX and 0.0 <= term.intensity <= 1.0, key
    return table


_TABLE = _build_table()
_LONGEST = max(len(key) for key in _TABLE)
KNOWN_WORDS = frozenset(word for key in _TABLE for word in key)
# Single emotion words, for "did you mean" suggestions.
_EMOTION_SPELLINGS = sorted(" ".join(k) for k, t in _TABLE.items() if isinstance(t, EmotionWord) and len(k) == 1)


def lookup(words: Sequence[str], start: int) -> tuple[Term, int] | None:
    """The longest entry starting at words[start] (lowercase words) and how many words it spans; None if unknown."""
    for length in range(min(_LONGEST, len(words) - start), 0, -1):
        term = _TABLE.get(tuple(words[start : start + length]))
        if term is not None:
            return term, length
    return None


def suggest(word: str) -> str | None:
    """The emotion word a misspelling most likely meant ("anrgy" -> "angry"), or None."""
    word = word.lower()
    for guess in difflib.get_close_matches(word, _EMOTION_SPELLINGS, n=3, cutoff=0.8):
        # A weaker match must be a pure transposition, or ordinary words look like typos ("camera" -> "calmer").
        if difflib.SequenceMatcher(None, word, guess).ratio() >= 0.85 or sorted(word) == sorted(guess):
            return guess
    return None


def apply_modifier(intensity: float, strength: float) -> float:
    """Amplifiers move the intensity towards 1 (so order is kept and 1 is rarely hit); downtoners scale it down."""
    if strength >= 0:
        return intensity + (1.0 - intensity) * strength
    return intensity * (1.0 + strength)


def emphasize(intensity: float, times: int = 1) -> float:
    """A little stronger for each "!", repeated word or shouted (all-caps) word."""
    for _ in range(max(times, 0)):
        intensity += (1.0 - intensity) * 0.25
    return intensity
