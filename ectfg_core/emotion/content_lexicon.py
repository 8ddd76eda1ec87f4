"""Word -> emotion lexicons for the spoken text: the built-in one, or one loaded from a local file or folder.

Sources, chosen by `ECTFG_CONTENT_LEXICON` (or passed to parse_description directly):
- unset or "builtin": content_words.py plus the description vocabulary's single emotion words (Apache-2.0).
- "off" / "none": no content colouring.
- a path to a file or a folder holding one: tab-separated lines "word, emotion, score" (our own format with the
  class names of model.EMOTIONS; the NRC Emotion Lexicon's word-level file, "word<TAB>anger<TAB>1"; the NRC
  Emotion Intensity Lexicon, "word<TAB>anger<TAB>0.83"), or JSON {word: [emotions]} / {word: {emotion: score}}.
  NRC's names map anger->angry, fear->fearful, sadness->sad, joy->happy, surprise->surprised,
  disgust->disgusted; trust, anticipation, positive and negative are ignored.
- "nrclex": the NRC-derived lexicon bundled in the NRCLex package (pip install NRCLex). Its data is NRC's, licensed
  for research only, so it is never used unless asked for.
Binary associations (0/1) carry little strength on their own: ASSOCIATION_STRENGTH shared among the classes a word
is associated with, so broad words ("money": anger, joy, surprise) fall under the colouring threshold.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ectfg_core.emotion import content_words, lexicon
from ectfg_core.errors import InputError
from ectfg_core.types.emotion import EMOTIONS

ENV = "ECTFG_CONTENT_LEXICON"
ASSOCIATION_STRENGTH = 0.6
_NRC_NAMES = {"anger": "angry", "fear": "fearful", "sadness": "sad", "joy": "happy", "surprise": "surprised",
              "disgust": "disgusted"}
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"), ("ied", "y"), ("ying", "ie"), ("ying", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
    ("d", ""), ("es", ""), ("s", ""), ("ily", "y"), ("ly", ""), ("ness", ""), ("er", ""), ("est", ""),
)
_EXPECTED = ("a .tsv/.txt file of lines 'word<TAB>emotion<TAB>score' (e.g. NRC-Emotion-Lexicon-Wordlevel-v0.92.txt) "
             "or a .json file {word: [emotions]}")


class ContentLexicon:
    """Emotion strengths per word (and per multi-word phrase) of spoken text."""

    def __init__(self, entries: dict[str, dict[str, float]], name: str) -> None:
        self.name = name
        self.phrases: dict[tuple[str, ...], dict[str, float]] = {}
        for phrase, scores in entries.items():
            key = tuple(normalize(w) for w in phrase.replace("_", " ").split())
            kept = {e: float(min(max(s, 0.0), 1.0)) for e, s in scores.items() if e in EMOTIONS and e != "neutral"}
            if key and kept:
                merged = self.phrases.setdefault(key, {})
                for emotion, strength in kept.items():
                    merged[emotion] = max(merged.get(emotion, 0.0), strength)
        self.longest = max((len(k) for k in self.phrases), default=1)

    def __len__(self) -> int:
        return len(self.phrases)

    def word(self, word: str) -> dict[str, float] | None:
        """Scores of one word, trying its base forms ("cried" -> "cry", "hated" -> "hate")."""
        plain = normalize(word)
        for candidate in _forms(plain):
            found = self.phrases.get((candidate,))
            if found is not None:
                return found
        return None

    def scan(self, words: Sequence[str]) -> list[tuple[dict[str, float], str] | None]:
        """Per word: (scores, the matched text) or None. Phrases win over single words; negated words are skipped
        ("not happy" is not happy, and reading it as sad would be a guess)."""
        plain = [normalize(w) for w in words]
        out: list[tuple[dict[str, float], str] | None] = [None] * len(plain)
        i = 0
        while i < len(plain):
            for length in range(min(self.longest, len(plain) - i), 1, -1):
                scores = self.phrases.get(tuple(plain[i : i + length]))
                if scores is not None:
                    shown = " ".join(words[i : i + length])
                    for k in range(i, i + length):
                        out[k] = (scores, shown)
                    i += length
                    break
            else:
                scores = self.word(plain[i])
                if scores is not None and not _negated(plain, i):
                    out[i] = (scores, words[i])
                i += 1
        return out


def normalize(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum())


def _forms(word: str) -> list[str]:
    forms = [word]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms.append(stem + replacement)
            if replacement == "" and len(stem) >= 4 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # "sobbed" -> "sob"
    return forms


_NEGATORS = frozenset("not no never without nobody nothing cant dont doesnt didnt isnt wasnt arent werent wont "
                      "couldnt wouldnt shouldnt aint hardly".split())


def _negated(words: Sequence[str], i: int) -> bool:
    return any(w in _NEGATORS for w in words[max(0, i - 2) : i])


# --- sources ---------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def builtin() -> ContentLexicon:
    entries: dict[str, dict[str, float]] = {}
    for word, term in lexicon.single_emotion_words().items():
        if term.emotion != "neutral" and term.intensity >= 0.4 and word not in content_words.NOT_CONTENT:
            scores = dict(term.mixture) if term.mixture else {term.emotion: 1.0}
            entries[word] = {e: w * term.intensity for e, w in scores.items()}
    for emotion, tiers in content_words.WORDS.items():
        for strength, listed in tiers.items():
            for phrase in listed.split():
                entries.setdefault(phrase, {})[emotion] = max(entries.get(phrase, {}).get(emotion, 0.0), strength)
    return ContentLexicon(entries, "builtin")


def load(path: str | os.PathLike[str]) -> ContentLexicon:
    """A lexicon from a file, or from the lexicon files in a folder (merged)."""
    where = Path(path).expanduser()
    if where.is_dir():
        files = sorted(p for p in where.iterdir() if p.suffix.lower() in (".tsv", ".txt", ".csv", ".json"))
    elif where.is_file():
        files = [where]
    else:
        raise InputError(f"content lexicon {where} does not exist; point {ENV} at {_EXPECTED}, or a folder holding one")
    entries: dict[str, dict[str, float]] = {}
    for file in files:
        for word, scores in _read(file).items():
            merged = entries.setdefault(word, {})
            for emotion, strength in scores.items():
                merged[emotion] = max(merged.get(emotion, 0.0), strength)
    if not entries:
        raise InputError(f"no emotion lexicon found in {where}; expected {_EXPECTED}")
    return ContentLexicon(entries, str(where))


def nrclex() -> ContentLexicon:
    """The lexicon bundled with the NRCLex package (research-only data licence; see the module docstring)."""
    try:
        from importlib import resources

        data = resources.files("nrclex.data").joinpath("nrc_en.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise InputError(f'{ENV}=nrclex needs the NRCLex package: pip install NRCLex (its NRC data is licensed for '
                         "research only); or unset it to use the built-in lexicon") from None
    return ContentLexicon(_from_json(json.loads(data)), "nrclex")


def default_lexicon() -> ContentLexicon | None:
    """The lexicon ECTFG_CONTENT_LEXICON asks for (built-in when unset)."""
    return _cached(os.environ.get(ENV, "").strip())


@lru_cache(maxsize=4)
def _cached(setting: str) -> ContentLexicon | None:
    if setting.lower() in ("", "builtin", "default"):
        return builtin()
    if setting.lower() in ("off", "none", "0", "false"):
        return None
    if setting.lower() == "nrclex":
        return nrclex()
    return load(setting)


def _read(file: Path) -> dict[str, dict[str, float]]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the content lexicon {file}: {err}; expected {_EXPECTED}") from None
    if file.suffix.lower() == ".json":
        try:
            return _from_json(json.loads(text))
        except (json.JSONDecodeError, AttributeError, TypeError) as err:
            raise InputError(f"the content lexicon {file} is not a JSON object of words ({err}); expected {_EXPECTED}") from None
    return _from_rows(text)


def _class(name: str) -> str | None:
    key = name.strip().lower()
    return _NRC_NAMES.get(key, key if key in EMOTIONS else None)


def _from_rows(text: str) -> dict[str, dict[str, float]]:
    raw: dict[str, dict[str, float]] = {}
    binary = True
    for line in text.splitlines():
        parts = line.replace(",", "\t").split("\t") if "\t" in line or "," in line else line.split()
        if len(parts) < 3 or line.lstrip().startswith("#"):
            continue
        emotion = _class(parts[1])
        try:
            score = float(parts[2])
        except ValueError:
            continue  # a header row
        if emotion is None or score <= 0:
            continue
        binary = binary and score == 1.0
        raw.setdefault(parts[0].strip().lower(), {})[emotion] = score
    if binary:  # 0/1 associations: weak, shared among the classes a word is associated with
        return {w: {e: ASSOCIATION_STRENGTH / len(s) for e in s} for w, s in raw.items()}
    return raw


def _from_json(data: object) -> dict[str, dict[str, float]]:
    if not isinstance(data, dict):
        raise TypeError("not an object")
    out: dict[str, dict[str, float]] = {}
    for word, value in data.items():
        if isinstance(value, dict):
            scores = {c: float(v) for k, v in value.items() if (c := _class(str(k)))}
        else:
            classes = [c for c in (_class(str(v)) for v in value) if c]
            scores = {c: ASSOCIATION_STRENGTH / len(classes) for c in classes}
        if scores:
            out[str(word).lower()] = scores
    return out
