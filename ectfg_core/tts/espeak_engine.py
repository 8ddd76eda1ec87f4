"""The espeak-ng C library through ctypes: structs, engine init, the synth callback that collects audio and events, voices."""

from __future__ import annotations

import _ctypes
import ctypes
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ectfg_core.errors import InputError, ModelError
from ectfg_core.tts.espeak_data import mirror_data, private_library, write_variant

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


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class RawEvent:
    kind: int
    text_pos: int  # 0-based character offset in the SSML
    sample: int
    symbol: str = ""
    token: int = -1  # our word index (WORD: the word itself; PHONEME: the word it belongs to)


@dataclass
class Job:
    """What the synth callback collects for one espeak_Synth call."""

    chunks: list[np.ndarray] = field(default_factory=list)
    events: list[RawEvent] = field(default_factory=list)
    total_chars: int = 1
    progress: Callable[[float], None] | None = None
    reached: float = 0.0
    error: BaseException | None = None


RAND_SEED = 1  # the engine's noise (breath, aspiration) is random; a fixed seed makes every call repeatable


class Engine:
    """The loaded library, initialised fresh for each utterance (see `close`).

    espeak-ng keeps state between messages that no API call resets (pitch-flutter phase, noise generators, wave
    phase), so the same text spoken twice in one process came out a few samples apart. We load a private copy of
    the library (nobody else in the process holds it), and unloading it after each utterance gives the next one
    the library's initial state: equal inputs give bit-identical audio, in one process or many.
    """

    def __init__(self) -> None:
        try:
            import espeakng_loader

            lib_path = str(private_library(espeakng_loader.get_library_path()))
            data_path = espeakng_loader.get_data_path()
            lib = ctypes.CDLL(lib_path)
        except (ImportError, OSError, RuntimeError) as exc:
            raise ModelError(
                f"cannot load the espeak-ng speech engine ({exc}); install it with: pip install espeakng-loader"
            ) from exc
        self.lib = lib
        self._declare(lib)
        # Our mirror of the data folder, where voice-quality variants can be added (espeak_data.py).
        data_path = str(mirror_data(data_path))
        self.data_path = data_path
        # The path argument is the folder holding espeak-ng-data.
        parent = os.path.dirname(os.path.abspath(data_path)).encode()
        options = espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA | espeakINITIALIZE_DONT_EXIT
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, parent, options)
        if rate <= 0:
            raise ModelError(f"espeak-ng failed to initialise with data in {data_path}; reinstall: pip install espeakng-loader")
        self.sample_rate = int(rate)
        self.job: Job | None = None
        self._callback = _SynthCallback(self._on_synth)  # kept referenced: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self.voices = self._read_voices()
        self.variants = self._read_variants(data_path)
        self.closed = False

    def reseed(self) -> None:
        """Fixed seeds for the engine's random noise (its own generator where the build has one, and libc's rand)."""
        if hasattr(self.lib, "espeak_ng_SetRandSeed"):
            self.lib.espeak_ng_SetRandSeed(ctypes.c_long(RAND_SEED))
        if sys.platform != "win32":
            ctypes.CDLL(None).srand(RAND_SEED)

    def close(self) -> None:
        """Shut the engine down and unload the library, so the next Engine starts from its initial state."""
        if self.closed:
            return
        self.closed = True
        self.lib.espeak_Terminate()
        handle = self.lib._handle
        unload = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)
        if unload is not None:
            unload(handle)

    def add_variant(self, name: str, body: str) -> bool:
        """Make variant `name` (a voice-quality preset) selectable as 'voice+name'; False if the data is read-only."""
        if name.lower() in self.variants:
            return True
        if not write_variant(Path(self.data_path), name, body):
            return False
        self.variants[name.lower()] = name
        return True

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
        lib.espeak_Terminate.argtypes = []
        lib.espeak_Terminate.restype = ctypes.c_int
        if hasattr(lib, "espeak_ng_SetRandSeed"):
            lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
            lib.espeak_ng_SetRandSeed.restype = ctypes.c_int

    def _read_voices(self) -> dict[str, str]:
        """Every accepted spelling (lower case) -> canonical language code, e.g. 'english (america)' -> 'en-us'."""
        names: dict[str, str] = {}
        self.voice_files: dict[str, str] = {}
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
            # espeak_SetVoiceByName takes the voice's file name: "en-gb" is spoken by the file "en" (gmw/en).
            self.voice_files.setdefault(canonical, ident.rsplit("/", 1)[-1] or canonical)
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
                job.events.append(RawEvent(ev.type, ev.text_position - 1, ev.sample, symbol))
                i += 1
            if job.progress is not None and job.events:
                # Pause events can point back in the text: report the furthest position reached.
                job.reached = max(job.reached, min(0.99, job.events[-1].text_pos / job.total_chars))
                job.progress(job.reached)
        except BaseException as exc:  # noqa: BLE001 - cannot raise through C; re-raised after the call
            job.error = exc
            return 1
        return 0

    def run(self, ssml: str, job: Job) -> None:
        data = ssml.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        self.job = job
        self.reseed()
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


def check_voice(engine: Engine, voice: str) -> str:
    """Resolve a voice name (or 'name+variant') to what espeak_SetVoiceByName expects; it silently accepts anything."""
    base, _, variant = str(voice).strip().partition("+")
    canonical = engine.voices.get(base.lower())
    if canonical is None or (variant and variant.lower() not in engine.variants):
        examples = ", ".join(v for v in ("en-us", "en-gb", "de", "fr-fr", "es", "en-us+f3") if v.split("+")[0] in engine.voices)
        raise InputError(
            f"unknown espeak-ng voice {voice!r}; try one of: {examples} "
            "(all voices: python -c \"from ectfg_core.tts.espeak import list_voices; print(list_voices())\")"
        )
    return engine.voice_files.get(canonical, canonical) + (f"+{engine.variants[variant.lower()]}" if variant else "")
