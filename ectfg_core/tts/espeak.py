"""Embedded emotional TTS: espeak-ng through its C API (ctypes), per-word prosody via SSML.

Pitch, pitch range and rate go to the engine as SSML <prosody> (ssml.py); loudness is a per-word gain on its output.
Timings come from the engine's own WORD and PHONEME events (sample-accurate), never estimated.
The engine (espeak_engine.py) is process-global state, so every call runs under one module lock.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ectfg_core.errors import InputError
from ectfg_core.text import Token, check_text, tokenize
from ectfg_core.tts.espeak_engine import (
    DEFAULT_PITCH,
    DEFAULT_RANGE,
    EE_OK,
    EVENT_END,
    EVENT_MSG_TERMINATED,
    EVENT_PHONEME,
    EVENT_SENTENCE,
    EVENT_WORD,
    RATE_MAX,
    RATE_MIN,
    Engine,
    Job,
    RawEvent,
    check_voice,
    espeakPITCH,
    espeakRANGE,
    espeakRATE,
    espeakVOLUME,
)
from ectfg_core.tts.ssml import FULL, Ssml, build_ssml, chunk_starts
from ectfg_core.tts.voice_choice import AUTO, resolve_voice
from ectfg_core.tts.voice_quality import Quality, quality_runs, variant_body, variant_name
from ectfg_core.tts.word_durations import estimated_phonemes, settle_words
from ectfg_core.types.speech import PhonemeTiming, Speech, WordProsody, WordTiming

ENGINE_VOLUME = 100  # the engine's own level; loudness prosody is applied afterwards as a gain
# Output gain at volume 1.0: the default voice peaks near 0.8, so louder words keep headroom.
OUTPUT_GAIN = 0.65
_GAIN_SMOOTH_S = 0.015  # gain changes ramp over this long, so they never click

_log = logging.getLogger(__name__)

# The process-wide engine lives here, next to the lock that serialises every call into it.
_LOCK = threading.Lock()
_ENGINE: Engine | None = None


def _engine() -> Engine:
    """The loaded engine (for voice lists); callers hold _LOCK."""
    global _ENGINE
    if _ENGINE is None or _ENGINE.closed:
        _ENGINE = Engine()
    return _ENGINE


def _fresh_engine() -> Engine:
    """An engine in the library's initial state, so equal inputs give identical audio (Engine); callers hold _LOCK."""
    global _ENGINE
    if _ENGINE is not None:
        _ENGINE.close()
        _ENGINE = None
    _ENGINE = Engine()
    return _ENGINE


def list_voices() -> list[str]:
    """Language codes of the installed espeak-ng voices (e.g. 'en-us'); append '+variant' for a timbre, e.g. 'en-us+f3'."""
    with _LOCK:
        return sorted(set(_engine().voices.values()))


# --- events -> timings -----------------------------------------------------------------------------


def _token_at(ssml: Ssml, starts: list[int], pos: int) -> int:
    """Index of the token whose word contains SSML offset pos, or -1 (e.g. '&' spoken as 'and').

    The engine reports the first word after a sentence end one character late, so near misses count.
    """
    for delta in (0, -1, 1):
        k = bisect_right(starts, pos + delta) - 1
        if k >= 0 and pos + delta < ssml.word_spans[k][1]:
            return ssml.first + k
    return -1


def _attribute(ssml: Ssml, events: Sequence[RawEvent]) -> None:
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
    orphans: list[RawEvent] = []
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
    tokens: Sequence[Token], events: Sequence[RawEvent], num_samples: int, sr: int
) -> tuple[list[WordTiming], list[PhonemeTiming]]:
    """Word and phoneme spans from attributed events (samples across the whole utterance)."""
    word_event: dict[int, int] = {}
    phonemes: list[PhonemeTiming] = []
    open_ph: tuple[str, int, int] | None = None  # symbol, start sample, word index

    def close(at: int) -> None:
        nonlocal open_ph
        if open_ph is None:
            return
        symbol, begin, widx = open_ph
        at = max(begin, min(at, num_samples))
        phonemes.append(PhonemeTiming(symbol, begin / sr, at / sr, widx))
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
    phonemes = _split_joined_words(tokens, phonemes)

    word_first: dict[int, float] = {}  # first phoneme start; the WORD event itself fires a little early
    word_end: dict[int, float] = {}
    counts = [0] * len(tokens)
    for p in phonemes:
        if 0 <= p.word_index < len(tokens):
            word_first.setdefault(p.word_index, p.start)
            word_end[p.word_index] = max(word_end.get(p.word_index, p.end), p.end)
            counts[p.word_index] += 1
    words: list[WordTiming] = []
    prev_end = 0.0
    for i, tok in enumerate(tokens):
        if i in word_first or i in word_event:
            begin = max(word_first.get(i, word_event.get(i, 0) / sr), prev_end)
            end = max(begin, word_end.get(i, begin))
        else:
            begin = end = prev_end  # the engine skipped this token: settle_words gives it time beside its neighbours
        words.append(WordTiming(i, tok.text, begin, end))
        prev_end = max(prev_end, end)
    return settle_words(words, num_samples / sr, counts), phonemes


def _split_joined_words(tokens: Sequence[Token], phonemes: list[PhonemeTiming]) -> list[PhonemeTiming]:
    """Share out the phonemes of words the engine spoke as one.

    espeak-ng reads some pairs of short words as one word ("I am", "at a", "of the": one WORD event, and every
    phoneme attributed to the first token). The joined phonemes are the words' own phonemes in order, so each
    token takes a run of them in proportion to its spelling (every token at least one).
    """
    owned: dict[int, list[int]] = {}
    for n, p in enumerate(phonemes):
        if 0 <= p.word_index < len(tokens):
            owned.setdefault(p.word_index, []).append(n)
    out = list(phonemes)
    for first, members in owned.items():
        last = first
        while last + 1 < len(tokens) and last + 1 not in owned:
            last += 1
        group = list(range(first, last + 1))
        if len(group) < 2 or len(members) < len(group):
            continue
        weights = [estimated_phonemes(tokens[i].text) for i in group]
        total, cum, cut = sum(weights), 0, 0
        for m, (token, weight) in enumerate(zip(group, weights, strict=True)):
            cum += weight
            lowest, highest = cut + 1, len(members) - (len(group) - m - 1)
            upto = len(members) if m == len(group) - 1 else min(highest, max(lowest, round(len(members) * cum / total)))
            for n in members[cut:upto]:
                p = phonemes[n]
                out[n] = PhonemeTiming(p.symbol, p.start, p.end, token)
            cut = upto
    return out


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
    voice: str = AUTO,
    words_per_minute: int = 165,
    base_pitch: int | None = None,
    progress: Callable[[float], None] | None = None,
    qualities: Sequence[Quality] | None = None,
) -> Speech:
    """Speak text with one WordProsody per word of tokenize(text); returns audio and the engine's timings.

    qualities (optional, one per word) set the voice quality (voice_quality.py); it changes per clause, each
    clause taking the average of its words. voice: an espeak-ng voice, or "auto" for the text's script (voice_choice.py).
    """
    text = check_text(text)
    tokens = tokenize(text)
    if prosody is None:
        prosody = [WordProsody() for _ in tokens]
    if len(prosody) != len(tokens):
        raise InputError(f"got {len(prosody)} prosody entries for {len(tokens)} words; pass exactly one per word of the text")
    if qualities is not None and len(qualities) != len(tokens):
        raise InputError(f"got {len(qualities)} voice qualities for {len(tokens)} words; pass exactly one per word of the text")
    if not RATE_MIN <= int(words_per_minute) <= RATE_MAX:
        raise InputError(f"words_per_minute={words_per_minute} is outside espeak-ng's range {RATE_MIN}..{RATE_MAX}")
    pitch = DEFAULT_PITCH if base_pitch is None else int(base_pitch)
    if not 0 <= pitch <= 100:
        raise InputError(f"base_pitch={base_pitch} must be 0..100 (espeak-ng's pitch scale, 50 = the voice's normal)")

    voice = resolve_voice(text, voice)
    with _LOCK:
        engine = _fresh_engine()
        name = check_voice(engine, voice)
        runs = quality_runs(text, tokens, qualities, prosody) if qualities is not None else [(0, len(tokens), Quality())]
        voice_at = {a: _quality_voice(engine, name, q) for a, _, q in runs}
        sr = engine.sample_rate
        starts = sorted(set(chunk_starts(text, tokens, prosody, pitch)) | set(voice_at)) + [len(tokens)]
        pcm_parts: list[np.ndarray] = []
        events: list[RawEvent] = []
        offset = 0
        current = None
        for c, (a, b) in enumerate(zip(starts[:-1], starts[1:], strict=True)):
            chunk_voice = voice_at.get(a, current)
            if chunk_voice != current:
                _set_voice(engine, chunk_voice, voice, int(words_per_minute), pitch)
                current = chunk_voice
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


def _set_voice(engine: Engine, name: str, asked: str, words_per_minute: int, pitch: int) -> None:
    """Select a voice and reset every global parameter (selecting a voice, or an earlier call, may change them)."""
    if engine.lib.espeak_SetVoiceByName(name.encode("utf-8")) != EE_OK:
        raise InputError(f"espeak-ng could not load voice {asked!r}; list them with ectfg_core.tts.espeak.list_voices()")
    engine.lib.espeak_SetParameter(espeakRATE, words_per_minute, 0)
    engine.lib.espeak_SetParameter(espeakPITCH, pitch, 0)
    engine.lib.espeak_SetParameter(espeakRANGE, DEFAULT_RANGE, 0)
    engine.lib.espeak_SetParameter(espeakVOLUME, ENGINE_VOLUME, 0)


def _quality_voice(engine: Engine, name: str, quality: Quality) -> str:
    """'lang+variant' that speaks with this quality, built on the chosen timbre variant; the plain voice when the
    quality is neutral or the engine's data folder takes no variants."""
    if quality.is_neutral():
        return name
    base, _, timbre = name.partition("+")
    body = ""
    if timbre:
        try:
            body = (Path(engine.data_path) / "voices" / "!v" / timbre).read_text(encoding="utf-8", errors="replace")
        except OSError:
            body = ""
    variant = variant_name(timbre, quality)
    return f"{base}+{variant}" if engine.add_variant(variant, variant_body(body, quality)) else name


def _scaled(progress: Callable[[float], None], index: int, count: int) -> Callable[[float], None]:
    """Progress of message `index` of `count` as a fraction of the whole utterance."""
    return lambda f: progress(min(0.99, (index + f) / count))


# Retry order when the engine dropped words: fewer pitch/range changes first, then fewer dimensions.
_FALLBACKS: tuple[tuple[tuple[str, ...], int], ...] = ((FULL, 2), (FULL, 4), (("pitch", "rate"), 4), (("rate",), 1), ((), 1))


def _speak_chunk(
    engine: Engine,
    text: str,
    tokens: Sequence[Token],
    prosody: Sequence[WordProsody],
    base_pitch: int,
    first: int,
    last: int,
    progress: Callable[[float], None] | None,
) -> tuple[np.ndarray, list[RawEvent]]:
    """Speak words [first, last) as one engine message; caller holds _LOCK.

    Safety net for the engine's command-queue overflow: if prosody made it skip words that plain speech
    has, retry with fewer pitch/range changes, then fewer prosody dimensions.
    """

    def run(fields: Sequence[str], coarse: int, report: Callable[[float], None] | None) -> tuple[np.ndarray, list[RawEvent]]:
        ssml = build_ssml(text, tokens, prosody, base_pitch, fields, coarse, first, last)
        job = Job(total_chars=max(1, len(ssml.text)), progress=report)
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


def _missing(events: Sequence[RawEvent], first: int, last: int) -> set[int]:
    """Words in [first, last) the engine produced no phonemes for."""
    spoken = {ev.token for ev in events if ev.kind == EVENT_PHONEME and ev.symbol}
    return {i for i in range(first, last) if i not in spoken}
