"""Embedded emotional TTS: espeak-ng through its C API (ctypes), per-word prosody via SSML.

Pitch, pitch range and rate go to the engine as SSML <prosody>; loudness is a per-word gain on its output.
Timings come from the engine's own WORD and PHONEME events (sample-accurate), never estimated.
The engine is process-global state, so every call runs under one module lock.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

from ectfg_core.errors import InputError, ModelError
from ectfg_core.text import Token, check_text, tokenize
from ectfg_core.tts.types import PhonemeTiming, Speech, WordProsody, WordTiming

# --- speak_lib.h constants -------------------------------------------------------------------------
AUDIO_OUTPUT_SYNCHRONOUS = 2
espeakINITIALIZE_PHONEME_EVENTS = 0x0001
espeakINITIALIZE_PHONEME_IPA = 0x0002
espeakINITIALIZE_DONT_EXIT = 0x8000  # without it, missing data makes the library call exit()
espeakCHARS_UTF8 = 1
espeakSSML = 0x10
POS_CHARACTER = 1
EE_OK = 0

EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_SENTENCE = 2
EVENT_END = 5
EVENT_MSG_TERMINATED = 6
EVENT_PHONEME = 7

espeakRATE = 1
espeakVOLUME = 2
espeakPITCH = 3
espeakRANGE = 4

RATE_MIN, RATE_MAX = 80, 450  # espeakRATE_MINIMUM / MAXIMUM
DEFAULT_PITCH = 50  # espeak pitch parameter 0..100
DEFAULT_RANGE = 50
MAX_PITCH_PARAM = 101  # MAX_PITCH_VALUE in the engine
MAX_RANGE_PARAM = 99  # embedded_max for the range command
ENGINE_VOLUME = 100  # the engine's own level; loudness prosody is applied afterwards as a gain
# Output gain at volume 1.0: the default voice peaks near 0.8, so louder words keep headroom.
OUTPUT_GAIN = 0.65
_GAIN_SMOOTH_S = 0.015  # gain changes ramp over this long, so they never click
# The pitch parameter scales only the base of the voice's pitch span: measured on en-us, median F0
# follows 1 + (m - 1) / 1.5 for a base factor m, so we invert that to hit a requested F0 ratio.
_F0_TO_BASE = 1.5


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character position in the input text (markup included)
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # sample index in this message
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.POINTER(ctypes.c_ubyte)),  # (priority byte, utf-8 name, NUL)*, NUL
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_log = logging.getLogger(__name__)

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class _RawEvent:
    kind: int
    text_pos: int  # 0-based character offset in the SSML
    sample: int
    symbol: str = ""
    token: int = -1  # our word index (WORD: the word itself; PHONEME: the word it belongs to)


@dataclass
class _Job:
    """What the synth callback collects for one espeak_Synth call."""

    chunks: list[np.ndarray] = field(default_factory=list)
    events: list[_RawEvent] = field(default_factory=list)
    total_chars: int = 1
    progress: Callable[[float], None] | None = None
    reached: float = 0.0
    error: BaseException | None = None


class _Engine:
    """The loaded library, initialised once per process."""

    def __init__(self) -> None:
        try:
            import espeakng_loader

            lib_path = espeakng_loader.get_library_path()
            data_path = espeakng_loader.get_data_path()
            lib = ctypes.CDLL(lib_path)
        except (ImportError, OSError, RuntimeError) as exc:
            raise ModelError(
                f"cannot load the espeak-ng speech engine ({exc}); install it with: pip install espeakng-loader"
            ) from exc
        self.lib = lib
        self._declare(lib)
        # The path argument is the folder holding espeak-ng-data.
        parent = os.path.dirname(os.path.abspath(data_path)).encode()
        options = espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA | espeakINITIALIZE_DONT_EXIT
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, parent, options)
        if rate <= 0:
            raise ModelError(f"espeak-ng failed to initialise with data in {data_path}; reinstall: pip install espeakng-loader")
        self.sample_rate = int(rate)
        self.job: _Job | None = None
        self._callback = _SynthCallback(self._on_synth)  # kept referenced: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self.voices = self._read_voices()
        self.variants = self._read_variants(data_path)

    @staticmethod
    def _declare(lib: ctypes.CDLL) -> None:
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,  # text
            ctypes.c_size_t,  # size
            ctypes.c_uint,  # position
            ctypes.c_int,  # position_type
            ctypes.c_uint,  # end_position
            ctypes.c_uint,  # flags
            ctypes.POINTER(ctypes.c_uint),  # unique_identifier
            ctypes.c_void_p,  # user_data
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))

    def _read_voices(self) -> dict[str, str]:
        """Every accepted spelling (lower case) -> canonical language code, e.g. 'english (america)' -> 'en-us'."""
        names: dict[str, str] = {}
        table = self.lib.espeak_ListVoices(None)
        i = 0
        while table[i]:
            voice = table[i].contents
            langs = _parse_languages(voice.languages)
            ident = (voice.identifier or b"").decode("utf-8", "replace")
            if ident.startswith("mb/") or not langs:  # MBROLA voices need extra downloads
                i += 1
                continue
            canonical = langs[0]
            for alias in (canonical, ident, ident.rsplit("/", 1)[-1], (voice.name or b"").decode("utf-8", "replace")):
                if alias:
                    names.setdefault(alias.lower(), canonical)
            i += 1
        return names

    @staticmethod
    def _read_variants(data_path: str) -> dict[str, str]:
        """Timbre variants ('f3', 'Alex', ...) by lower-case name -> file name (the engine matches it exactly)."""
        folder = os.path.join(data_path, "voices", "!v")
        return {name.lower(): name for name in os.listdir(folder)} if os.path.isdir(folder) else {}

    def _on_synth(self, wav, num_samples, events) -> int:  # noqa: ANN001 - ctypes callback
        job = self.job
        if job is None:
            return 0
        try:
            if wav and num_samples > 0:
                job.chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
            i = 0
            while events[i].type != EVENT_LIST_TERMINATED:
                ev = events[i]
                symbol = ""
                if ev.type == EVENT_PHONEME:
                    symbol = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                job.events.append(_RawEvent(ev.type, ev.text_position - 1, ev.sample, symbol))
                i += 1
            if job.progress is not None and job.events:
                # Pause events can point back in the text: report the furthest position reached.
                job.reached = max(job.reached, min(0.99, job.events[-1].text_pos / job.total_chars))
                job.progress(job.reached)
        except BaseException as exc:  # noqa: BLE001 - cannot raise through C; re-raised after the call
            job.error = exc
            return 1
        return 0

    def run(self, ssml: str, job: _Job) -> None:
        data = ssml.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        self.job = job
        try:
            err = self.lib.espeak_Synth(buf, len(data) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8 | espeakSSML, None, None)
        finally:
            self.job = None
        if job.error is not None:
            raise job.error
        if err != EE_OK:
            raise ModelError(f"espeak-ng synthesis failed (error {err})")


def _parse_languages(ptr) -> list[str]:  # noqa: ANN001 - ctypes pointer
    """Decode espeak_VOICE.languages: repeated (priority byte, name, NUL), ended by an empty name."""
    out: list[str] = []
    if not ptr:
        return out
    i = 0
    while ptr[i] != 0 and i < 4096:  # priority byte; 0 ends the list
        i += 1
        start = i
        while ptr[i] != 0:
            i += 1
        out.append(bytes(ptr[start:i]).decode("utf-8", "replace"))
        i += 1
    return out


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    """Callers hold _LOCK."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def list_voices() -> list[str]:
    """Language codes of the installed espeak-ng voices (e.g. 'en-us'); append '+variant' for a timbre, e.g. 'en-us+f3'."""
    with _LOCK:
        return sorted(set(_engine().voices.values()))


def _check_voice(engine: _Engine, voice: str) -> str:
    """Resolve a voice name (or 'name+variant') to what espeak_SetVoiceByName expects; it silently accepts anything."""
    base, _, variant = str(voice).strip().partition("+")
    canonical = engine.voices.get(base.lower())
    if canonical is None or (variant and variant.lower() not in engine.variants):
        examples = ", ".join(v for v in ("en-us", "en-gb", "de", "fr-fr", "es", "en-us+f3") if v.split("+")[0] in engine.voices)
        raise InputError(
            f"unknown espeak-ng voice {voice!r}; try one of: {examples} "
            "(all voices: python -c \"from ectfg_core.tts.espeak import list_voices; print(list_voices())\")"
        )
    return canonical + (f"+{engine.variants[variant.lower()]}" if variant else "")


# --- SSML ------------------------------------------------------------------------------------------


@dataclass
class _Ssml:
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
) -> _Ssml:
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
        emit(escape(text[: tokens[0].start]))
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
        emit(escape(gap[:cut]))
        emit("</prosody>")
        pause_ms = int(round(max(0.0, float(p.pause_after)) * 1000))
        if pause_ms >= 10 and i + 1 < len(tokens):
            emit(f'<break time="{pause_ms}ms"/>')
        emit(escape(gap[cut:]))
    if segment:
        emit(_SEGMENT_CLOSE)
    emit("\n</speak>")
    return _Ssml("".join(parts), spans, first, frozen)


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


def _chunk_starts(text: str, tokens: Sequence[Token], prosody: Sequence[WordProsody], base_pitch: int) -> list[int]:
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


# --- events -> timings -----------------------------------------------------------------------------


def _token_at(ssml: _Ssml, starts: list[int], pos: int) -> int:
    """Index of the token whose word contains SSML offset pos, or -1 (e.g. '&' spoken as 'and').

    The engine reports the first word after a sentence end one character late, so near misses count.
    """
    for delta in (0, -1, 1):
        k = bisect_right(starts, pos + delta) - 1
        if k >= 0 and pos + delta < ssml.word_spans[k][1]:
            return ssml.first + k
    return -1


def _attribute(ssml: _Ssml, events: Sequence[_RawEvent]) -> None:
    """Set each WORD event's token from its text position and each PHONEME event's token to the current word."""
    starts = [s for s, _ in ssml.word_spans]
    words = [ev for ev in events if ev.kind == EVENT_WORD]
    mapped = [_token_at(ssml, starts, ev.text_pos) for ev in words]
    # A one-letter word opening a sentence ("I", "A") is reported at the next word's position: two events
    # in a row name the same token, and the first of them is really the word before it.
    latest = -1
    for n, k in enumerate(mapped):
        if k > 0 and n + 1 < len(mapped) and mapped[n + 1] == k and k - 1 > latest and k - 1 >= ssml.first:
            mapped[n] = k - 1
        latest = max(latest, mapped[n])
    token_of = {id(ev): k for ev, k in zip(words, mapped, strict=True)}
    # A clause made of one short word (e.g. "I" before a <break>) can come without a WORD event: its
    # phonemes follow a clause END directly. They belong to the token skipped before the next WORD event.
    orphans: list[_RawEvent] = []
    ended = False
    current = latest = -1

    def adopt(next_token: int) -> None:
        owner = current + 1 if current + 1 < next_token else -1
        for o in orphans:
            o.token = owner
        orphans.clear()

    for ev in events:
        ev.token = -1
        if ev.kind == EVENT_WORD:
            k = token_of[id(ev)]
            if 0 <= k < latest:
                k = current  # never step back to an earlier token
            if orphans:
                adopt(k if k >= 0 else current + 1)
            current, ended = k, False
            latest = max(latest, k)
            ev.token = current
        elif ev.kind == EVENT_PHONEME:
            ev.token = current
            if ended and ev.symbol:
                orphans.append(ev)
        elif ev.kind in (EVENT_END, EVENT_SENTENCE):
            ended = True
    if orphans:
        adopt(ssml.first + len(ssml.word_spans))


def _timings(
    tokens: Sequence[Token], events: Sequence[_RawEvent], num_samples: int, sr: int
) -> tuple[list[WordTiming], list[PhonemeTiming]]:
    """Word and phoneme spans from attributed events (samples across the whole utterance)."""
    word_event: dict[int, int] = {}
    word_end: dict[int, int] = {}
    word_first: dict[int, int] = {}  # first phoneme start; the WORD event itself fires a little early
    phonemes: list[PhonemeTiming] = []
    open_ph: tuple[str, int, int] | None = None  # symbol, start sample, word index

    def close(at: int) -> None:
        nonlocal open_ph
        if open_ph is None:
            return
        symbol, begin, widx = open_ph
        at = max(begin, min(at, num_samples))
        phonemes.append(PhonemeTiming(symbol, begin / sr, at / sr, widx))
        if widx >= 0:
            word_first.setdefault(widx, begin)
            word_end[widx] = max(word_end.get(widx, at), at)
        open_ph = None

    for ev in events:
        if ev.kind == EVENT_WORD:
            if ev.token >= 0:
                word_event.setdefault(ev.token, min(ev.sample, num_samples))
        elif ev.kind == EVENT_PHONEME:
            close(ev.sample)
            if ev.symbol:  # an empty name is a pause
                open_ph = (ev.symbol, min(ev.sample, num_samples), ev.token)
        elif ev.kind in (EVENT_END, EVENT_SENTENCE, EVENT_MSG_TERMINATED):
            close(ev.sample)
    close(num_samples)

    words: list[WordTiming] = []
    prev_end = 0
    for i, tok in enumerate(tokens):
        if i in word_event or i in word_first:
            begin = max(word_first.get(i, word_event.get(i, 0)), prev_end)
            end = max(begin, word_end.get(i, begin))
        else:
            # The engine merged or skipped this token ("at a" is one engine word): zero-length span at the boundary.
            begin = end = prev_end
        words.append(WordTiming(i, tok.text, begin / sr, end / sr))
        prev_end = max(prev_end, end)
    return words, phonemes


# --- loudness --------------------------------------------------------------------------------------


def _apply_volume(samples: np.ndarray, sr: int, words: Sequence[WordTiming], prosody: Sequence[WordProsody]) -> np.ndarray:
    """Per-word gain from the engine's word spans, cross-faded between words, with a peak guard.

    Loudness is applied here and not through SSML volume: espeak-ng inserts a pause and a formant reset for
    every volume command, and too many commands in one word gap make it drop words.
    """
    gains = np.array([max(0.0, float(p.volume)) for p in prosody], dtype=np.float64)
    out = samples.astype(np.float64) * OUTPUT_GAIN
    if len(out) == 0 or not len(gains) or np.allclose(gains, 1.0):
        return out.astype(np.float32)
    anchors_t: list[float] = []
    anchors_g: list[float] = []
    for w, g in zip(words, gains, strict=True):
        anchors_t += [w.start, max(w.start, w.end)]
        anchors_g += [g, g]
    env = np.interp(np.arange(len(out)) / sr, anchors_t, anchors_g)
    width = max(1, int(_GAIN_SMOOTH_S * sr))
    csum = np.concatenate([[0.0], np.cumsum(np.pad(env, (width // 2, width - 1 - width // 2), mode="edge"))])
    env = (csum[width:] - csum[:-width]) / width
    out *= env
    peak = float(np.max(np.abs(out)))
    if peak > 0.98:
        out *= 0.98 / peak  # keeps the relative loudness, avoids clipping
    return out.astype(np.float32)


# --- public API ------------------------------------------------------------------------------------


def synthesize(
    text: str,
    prosody: Sequence[WordProsody] | None = None,
    voice: str = "en-us",
    words_per_minute: int = 165,
    base_pitch: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> Speech:
    """Speak text with one WordProsody per word of tokenize(text); returns audio and the engine's timings."""
    text = check_text(text)
    tokens = tokenize(text)
    if prosody is None:
        prosody = [WordProsody() for _ in tokens]
    if len(prosody) != len(tokens):
        raise InputError(f"got {len(prosody)} prosody entries for {len(tokens)} words; pass exactly one per word of the text")
    if not RATE_MIN <= int(words_per_minute) <= RATE_MAX:
        raise InputError(f"words_per_minute={words_per_minute} is outside espeak-ng's range {RATE_MIN}..{RATE_MAX}")
    pitch = DEFAULT_PITCH if base_pitch is None else int(base_pitch)
    if not 0 <= pitch <= 100:
        raise InputError(f"base_pitch={base_pitch} must be 0..100 (espeak-ng's pitch scale, 50 = the voice's normal)")

    with _LOCK:
        engine = _engine()
        name = _check_voice(engine, voice)
        if engine.lib.espeak_SetVoiceByName(name.encode("utf-8")) != EE_OK:
            raise InputError(f"espeak-ng could not load voice {voice!r}; list them with ectfg_core.tts.espeak.list_voices()")
        # Reset every global parameter: a previous call may have changed them.
        engine.lib.espeak_SetParameter(espeakRATE, int(words_per_minute), 0)
        engine.lib.espeak_SetParameter(espeakPITCH, pitch, 0)
        engine.lib.espeak_SetParameter(espeakRANGE, DEFAULT_RANGE, 0)
        engine.lib.espeak_SetParameter(espeakVOLUME, ENGINE_VOLUME, 0)
        sr = engine.sample_rate
        starts = _chunk_starts(text, tokens, prosody, pitch) + [len(tokens)]
        pcm_parts: list[np.ndarray] = []
        events: list[_RawEvent] = []
        offset = 0
        for c, (a, b) in enumerate(zip(starts[:-1], starts[1:], strict=True)):
            report = None if progress is None else _scaled(progress, c, len(starts) - 1)
            pcm, chunk_events = _speak_chunk(engine, text, tokens, prosody, pitch, a, b, report)
            for ev in chunk_events:
                ev.sample += offset
            pcm_parts.append(pcm)
            events += chunk_events
            offset += len(pcm)

    pcm_all = np.concatenate(pcm_parts) if pcm_parts else np.zeros(0, dtype=np.int16)
    words, phonemes = _timings(tokens, events, len(pcm_all), sr)
    samples = _apply_volume(pcm_all.astype(np.float32) / 32768.0, sr, words, prosody)
    if progress is not None:
        progress(1.0)
    return Speech(samples=samples, sample_rate=sr, words=words, phonemes=phonemes)


def _scaled(progress: Callable[[float], None], index: int, count: int) -> Callable[[float], None]:
    """Progress of message `index` of `count` as a fraction of the whole utterance."""
    return lambda f: progress(min(0.99, (index + f) / count))


# Retry order when the engine dropped words: fewer pitch/range changes first, then fewer dimensions.
_FALLBACKS: tuple[tuple[tuple[str, ...], int], ...] = ((FULL, 2), (FULL, 4), (("pitch", "rate"), 4), (("rate",), 1), ((), 1))


def _speak_chunk(
    engine: _Engine,
    text: str,
    tokens: Sequence[Token],
    prosody: Sequence[WordProsody],
    base_pitch: int,
    first: int,
    last: int,
    progress: Callable[[float], None] | None,
) -> tuple[np.ndarray, list[_RawEvent]]:
    """Speak words [first, last) as one engine message; caller holds _LOCK.

    Safety net for the engine's command-queue overflow: if prosody made it skip words that plain speech
    has, retry with fewer pitch/range changes, then fewer prosody dimensions.
    """

    def run(fields: Sequence[str], coarse: int, report: Callable[[float], None] | None) -> tuple[np.ndarray, list[_RawEvent]]:
        ssml = build_ssml(text, tokens, prosody, base_pitch, fields, coarse, first, last)
        job = _Job(total_chars=max(1, len(ssml.text)), progress=report)
        engine.run(ssml.text, job)
        _attribute(ssml, job.events)
        pcm = np.concatenate(job.chunks) if job.chunks else np.zeros(0, dtype=np.int16)
        return pcm, job.events

    result = run(FULL, 1, progress)
    if not _missing(result[1], first, last):
        return result
    plain = run((), 1, None)
    for fields, coarse in _FALLBACKS:
        lost = _missing(result[1], first, last) - _missing(plain[1], first, last)
        if not lost:
            break
        _log.warning("espeak-ng dropped %d word(s); retrying with %s, coarseness %d", len(lost), fields, coarse)
        result = run(fields, coarse, None) if fields else plain
    return result


def _missing(events: Sequence[_RawEvent], first: int, last: int) -> set[int]:
    """Words in [first, last) the engine produced no phonemes for."""
    spoken = {ev.token for ev in events if ev.kind == EVENT_PHONEME and ev.symbol}
    return {i for i in range(first, last) if i not in spoken}
