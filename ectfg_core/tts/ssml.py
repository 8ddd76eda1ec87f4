"""SSML for espeak-ng: per-word prosody quantised into runs, nested within the engine's limits, long texts chunked."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from ectfg_core.text import Token, unspoken
from ectfg_core.tts.espeak_engine import DEFAULT_PITCH, DEFAULT_RANGE, MAX_PITCH_PARAM, MAX_RANGE_PARAM
from ectfg_core.types.speech import WordProsody

# The pitch parameter scales only the base of the voice's pitch span: measured on en-us, median F0
# follows 1 + (m - 1) / 1.5 for a base factor m, so we invert that to hit a requested F0 ratio.
_F0_TO_BASE = 1.5


@dataclass
class Ssml:
    text: str
    word_spans: list[tuple[int, int]]  # SSML character span of each (escaped) word of this chunk
    first: int = 0  # index of the chunk's first token
    frozen: list[int] = field(default_factory=list)  # words whose pitch/range change the nesting limit held back


# Quantisation steps: a pitch/range change costs the engine a ~10 ms pause and a formant reset per
# command (DoPause in DoEmbedded), so near-equal neighbours must share one setting.
_PITCH_STEP = 2  # pitch parameter units (~2 % F0)
_RANGE_STEP = 5  # range parameter units (10 % of the normal range)
_RATE_STEP = 5  # percent
FULL = ("pitch", "range", "rate")  # what SSML carries; volume is a gain applied to the engine's output


def _word_settings(p: WordProsody, base_pitch: int, fields: Sequence[str]) -> tuple[int, int, int]:
    """(pitch param, range param, rate %) for one word; fields not in `fields` stay neutral."""
    pitch, rng, rate = base_pitch, DEFAULT_RANGE, 100
    if "pitch" in fields:
        # The parameter is exponential (pitch_adjust_tab: 2x the base over 50 steps).
        base_factor = max(0.5, 1.0 + _F0_TO_BASE * (float(p.pitch) - 1.0))
        offset = _PITCH_STEP * round(50.0 * math.log2(base_factor) / _PITCH_STEP)
        pitch = int(min(MAX_PITCH_PARAM, max(0, base_pitch + offset)))
    if "range" in fields:
        offset = _RANGE_STEP * round(DEFAULT_RANGE * (float(p.pitch_range) - 1.0) / _RANGE_STEP)
        rng = int(min(MAX_RANGE_PARAM, max(0, DEFAULT_RANGE + offset)))
    if "rate" in fields:
        rate = int(min(250, max(40, _RATE_STEP * round(100.0 * float(p.rate) / _RATE_STEP))))
    return pitch, rng, rate


def _runs(settings: Sequence[tuple[int, int, int]], base_pitch: int, coarse: int) -> list[tuple[int, int]]:
    """(pitch, range) per word, changing at most one of them per word gap.

    Hysteresis: a value moves only by at least a full step (or back to exactly neutral). When both want to
    move, pitch goes first and range follows on the next word, so each gap carries a single engine command.
    """
    out: list[tuple[int, int]] = []
    for pitch, rng, _ in settings:
        if out:
            cur_p, cur_r = out[-1]
            if abs(pitch - cur_p) < _PITCH_STEP * coarse and pitch != base_pitch:
                pitch = cur_p
            if abs(rng - cur_r) < _RANGE_STEP * coarse and rng != DEFAULT_RANGE:
                rng = cur_r
            if pitch != cur_p and rng != cur_r:
                rng = cur_r
        out.append((pitch, rng))
    return out


# A segment is a tts:style element that changes nothing audible (punctuation is not spoken anyway); its
# closing tag pops every prosody frame above it in one step, which lets pitch/range runs nest.
_SEGMENT_OPEN = '<tts:style field="punctuation" mode="none">'
_SEGMENT_CLOSE = "</tts:style>"
_MAX_NESTED = 16  # the engine's parameter stack holds 20 frames: base, segment, runs, the word's rate


def build_ssml(
    text: str,
    tokens: Sequence[Token],
    prosody: Sequence[WordProsody],
    base_pitch: int = DEFAULT_PITCH,
    fields: Sequence[str] = FULL,
    coarse: int = 1,
    first: int = 0,
    last: int | None = None,
) -> Ssml:
    """SSML for words [first, last): every word in its own <prosody rate>, pitch/range changes as nested <prosody>.

    espeak-ng turns each pitch/range change into embedded commands that cost a short pause and queue space;
    a few in one word gap overflow its command queue and whole words silently vanish. Nesting (instead of
    closing one run and opening the next) emits only the attributes that change. The text between words
    (punctuation) is kept so the engine still phrases naturally.
    """
    parts: list[str] = ["<speak>"]
    length = len(parts[0])
    spans: list[tuple[int, int]] = []

    def emit(piece: str) -> None:
        nonlocal length
        parts.append(piece)
        length += len(piece)

    last = len(tokens) if last is None else last
    settings = [_word_settings(p, base_pitch, fields) for p in prosody[first:last]]
    runs = _runs(settings, base_pitch, coarse)
    neutral = (base_pitch, DEFAULT_RANGE)
    current, depth, segment = neutral, 0, False
    frozen: list[int] = []
    if first == 0:
        emit(escape(unspoken(text[: tokens[0].start])))
    for j, (tok, p) in enumerate(zip(tokens[first:last], prosody[first:last], strict=True)):
        i = first + j
        target, rate = runs[j], settings[j][2]
        if target != current:
            if target == neutral:
                emit(_SEGMENT_CLOSE)  # back to neutral in one pop; runs change one attribute, so one command
                current, depth, segment = neutral, 0, False
            elif depth >= _MAX_NESTED:
                frozen.append(i)  # the stack is full: hold the current values (the caller splits messages here)
            else:
                if not segment:
                    emit(_SEGMENT_OPEN)
                    segment = True
                emit(f'<prosody pitch="{target[0]}" range="{target[1]}">')
                current, depth = target, depth + 1
        emit(f'<prosody rate="{rate}%">')
        word = escape(tok.text)
        spans.append((length, length + len(word)))
        emit(word)
        # Punctuation glued to the word stays inside its element: after a closing tag espeak-ng reads a
        # lone "." at the end of the text as the word "dot".
        gap = text[tok.end : tokens[i + 1].start] if i + 1 < len(tokens) else text[tok.end :]
        cut = next((k for k, c in enumerate(gap) if c.isspace()), len(gap))
        emit(escape(unspoken(gap[:cut])))
        emit("</prosody>")
        pause_ms = int(round(max(0.0, float(p.pause_after)) * 1000))
        if pause_ms >= 10 and i + 1 < len(tokens):
            emit(f'<break time="{pause_ms}ms"/>')
        emit(escape(unspoken(gap[cut:])))
    if segment:
        emit(_SEGMENT_CLOSE)
    emit("\n</speak>")
    return Ssml("".join(parts), spans, first, frozen)


# A boundary is punctuation followed by a space ("3.14" is not one), after a word that is not an abbreviation.
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*\s")
_CLAUSE_END = re.compile(r"[.!?;:,][\"'’”)\]]*\s")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "etc", "no", "vol", "fig"})


def _boundary(text: str, tokens: Sequence[Token], j: int, pattern: re.Pattern[str]) -> bool:
    """Whether the gap before token j ends a sentence/clause."""
    before = tokens[j - 1].text
    if len(before) == 1 or before.lower() in _ABBREVIATIONS:
        return False
    return pattern.search(text[tokens[j - 1].end : tokens[j].start]) is not None


def clause_boundary(text: str, tokens: Sequence[Token], j: int) -> bool:
    """Whether clause punctuation (or a sentence end) separates token j from the one before it."""
    return _boundary(text, tokens, j, _CLAUSE_END)


def chunk_starts(text: str, tokens: Sequence[Token], prosody: Sequence[WordProsody], base_pitch: int) -> list[int]:
    """Where to start separate engine messages so pitch/range never freeze at the nesting limit.

    A new message starts with a fresh parameter stack (and an empty command queue); we split at the last
    sentence (else clause) end before the first frozen change. Within one long clause nothing can be done
    and the change waits for the next clause.
    """
    starts = [0]
    while True:
        ssml = build_ssml(text, tokens, prosody, base_pitch, FULL, 1, first=starts[-1])
        split = None
        for held in ssml.frozen:
            candidates = range(starts[-1] + 1, held + 1)
            sentence = [j for j in candidates if _boundary(text, tokens, j, _SENTENCE_END)]
            clause = [j for j in candidates if _boundary(text, tokens, j, _CLAUSE_END)]
            if sentence or clause:
                split = (sentence or clause)[-1]
                break
        if split is None:
            return starts
        starts.append(split)
