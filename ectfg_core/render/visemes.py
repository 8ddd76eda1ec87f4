"""Phoneme timings -> per-frame mouth shapes, with coarticulation and loudness.

Each phoneme has a target mouth shape and, per mouth control, a dominance: how much it insists on that control
(a /p/ insists on closed lips, a /t/ hardly cares about the lips and takes its neighbours' shape). Targets are
blended with dominance functions that reach into the neighbouring phonemes (Cohen & Massaro style), so lips
round early before an /u/ and the jaw does not snap between sounds.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ectfg_core.types.speech import PhonemeTiming

MOUTH_CONTROLS: tuple[str, ...] = ("jaw_open", "lip_stretch", "lip_pucker", "lip_press", "lip_tuck", "upper_lip_raise", "tongue_tip")


@dataclass(frozen=True)
class Viseme:
    target: tuple[float, ...]  # one value per MOUTH_CONTROLS
    dominance: tuple[float, ...]


def _v(jaw=0.0, stretch=0.0, pucker=0.0, press=0.0, tuck=0.0, lift=0.0, dom=(1.0, 0.8, 0.8, 1.5, 1.5, 0.5), tip=0.0) -> Viseme:
    # The tongue tip: sounds made with it insist on it; all others let it rest low, but only mildly, so that it
    # reaches a /t/ or /th/ in time.
    return Viseme((jaw, stretch, pucker, press, tuck, lift, tip), (*dom, 2.0 if tip > 0 else 0.5))


_VOWEL = (1.2, 1.0, 1.0, 1.5, 1.5, 0.5)  # vowels insist on open lips too
_BILABIAL = (1.0, 0.5, 0.5, 3.0, 1.0, 0.5)  # the lip closure is obligatory; the jaw only half-closes
_LABIODENTAL = (2.0, 0.4, 0.4, 1.0, 5.0, 1.0)
_ROUNDED = (0.8, 0.8, 1.6, 0.3, 0.3, 0.3)
_LOOSE = (0.6, 0.2, 0.2, 0.3, 0.3, 0.2)  # tongue consonants: lips follow the neighbours
_SIBILANT = (1.2, 0.6, 0.4, 0.3, 0.3, 0.2)
_FAINT = (0.2, 0.15, 0.15, 0.2, 0.2, 0.15)  # /h/, glottal stop: nearly transparent
_REST = (1.0, 1.0, 1.0, 0.8, 1.0, 1.0)

REST = Viseme((0.0,) * 7, (*_REST, 1.0))
GENERIC_VOWEL = _v(0.45, 0.15, dom=_VOWEL)
GENERIC_CONSONANT = _v(0.18, 0.1, dom=_LOOSE)

IPA: dict[str, Viseme] = {
    # open vowels
    "a": _v(0.75, 0.15, lift=0.2, dom=_VOWEL), "ɑ": _v(0.75, 0.05, lift=0.2, dom=_VOWEL),
    "ä": _v(0.75, 0.1, lift=0.2, dom=_VOWEL),
    "æ": _v(0.65, 0.4, lift=0.25, dom=_VOWEL), "ɶ": _v(0.7, 0.0, 0.4, dom=_VOWEL),
    # mid vowels
    "ɐ": _v(0.55, 0.1, lift=0.15, dom=_VOWEL), "ʌ": _v(0.55, 0.1, lift=0.15, dom=_VOWEL), "ə": _v(0.4, 0.05, dom=_VOWEL),
    "ɚ": _v(0.35, 0.0, 0.3, dom=_VOWEL), "ɜ": _v(0.45, 0.1, 0.1, dom=_VOWEL), "ɝ": _v(0.35, 0.0, 0.3, dom=_VOWEL),
    "ɛ": _v(0.5, 0.45, lift=0.15, dom=_VOWEL), "e": _v(0.45, 0.5, lift=0.1, dom=_VOWEL),
    "ɔ": _v(0.6, 0.0, 0.55, dom=_VOWEL), "ɒ": _v(0.65, 0.0, 0.45, dom=_VOWEL),
    "o": _v(0.45, 0.0, 0.75, dom=_VOWEL), "ɵ": _v(0.4, 0.0, 0.55, dom=_VOWEL), "ø": _v(0.4, 0.0, 0.7, dom=_VOWEL),
    "œ": _v(0.5, 0.0, 0.6, dom=_VOWEL), "ɤ": _v(0.4, 0.2, dom=_VOWEL),
    # close vowels
    "ɪ": _v(0.3, 0.45, dom=_VOWEL), "ᵻ": _v(0.3, 0.35, dom=_VOWEL), "ɨ": _v(0.25, 0.35, dom=_VOWEL),
    "i": _v(0.2, 0.75, dom=_VOWEL), "y": _v(0.2, 0.0, 0.85, dom=_VOWEL), "ʏ": _v(0.25, 0.0, 0.7, dom=_VOWEL),
    "ʊ": _v(0.3, 0.0, 0.65, dom=_VOWEL), "u": _v(0.2, 0.0, 0.95, dom=_VOWEL), "ʉ": _v(0.2, 0.0, 0.8, dom=_VOWEL),
    "ɯ": _v(0.2, 0.3, dom=_VOWEL),
    # lips closed / lower lip to teeth
    "p": _v(press=1.0, dom=_BILABIAL), "b": _v(press=1.0, dom=_BILABIAL), "m": _v(press=1.0, dom=_BILABIAL),
    "ɸ": _v(0.05, pucker=0.3, press=0.5, dom=_BILABIAL), "β": _v(0.05, pucker=0.3, press=0.5, dom=_BILABIAL),
    "f": _v(0.08, tuck=1.0, dom=_LABIODENTAL), "v": _v(0.08, tuck=1.0, dom=_LABIODENTAL),
    "ɱ": _v(0.05, tuck=0.8, dom=_LABIODENTAL),
    # rounded consonants
    "w": _v(0.1, 0.0, 1.0, dom=(1.0, 0.8, 2.5, 0.3, 0.3, 0.3)), "ʍ": _v(0.1, 0.0, 1.0, dom=(1.0, 0.8, 2.5, 0.3, 0.3, 0.3)),
    "ʃ": _v(0.15, 0.0, 0.6, dom=_ROUNDED), "ʒ": _v(0.15, 0.0, 0.6, dom=_ROUNDED),
    "tʃ": _v(0.15, 0.0, 0.6, dom=_ROUNDED), "dʒ": _v(0.15, 0.0, 0.6, dom=_ROUNDED), "ʧ": _v(0.15, 0.0, 0.6, dom=_ROUNDED),
    "ʤ": _v(0.15, 0.0, 0.6, dom=_ROUNDED), "ɹ": _v(0.2, 0.0, 0.45, dom=_ROUNDED), "ɻ": _v(0.2, 0.0, 0.4, dom=_ROUNDED),
    "r": _v(0.2, 0.0, 0.3, dom=_ROUNDED), "ʁ": _v(0.25, 0.0, 0.25, dom=_LOOSE), "ʀ": _v(0.25, 0.0, 0.25, dom=_LOOSE),
    # teeth close, lips spread
    "s": _v(0.1, 0.35, dom=_SIBILANT), "z": _v(0.1, 0.35, dom=_SIBILANT), "ɕ": _v(0.12, 0.2, 0.3, dom=_SIBILANT),
    "ʑ": _v(0.12, 0.2, 0.3, dom=_SIBILANT), "ts": _v(0.1, 0.35, dom=_SIBILANT), "dz": _v(0.1, 0.35, dom=_SIBILANT),
    "θ": _v(0.2, 0.25, dom=(1.0, 0.4, 0.3, 0.3, 0.3, 0.2), tip=1.0), "ð": _v(0.2, 0.25, dom=(1.0, 0.4, 0.3, 0.3, 0.3, 0.2), tip=1.0),
    "j": _v(0.15, 0.45, dom=(0.8, 0.8, 0.5, 0.3, 0.3, 0.2)), "ç": _v(0.15, 0.4, dom=_SIBILANT),
    # tongue consonants
    "t": _v(0.2, 0.15, dom=_LOOSE, tip=0.6), "d": _v(0.2, 0.15, dom=_LOOSE, tip=0.6), "n": _v(0.18, 0.15, dom=_LOOSE, tip=0.6),
    "l": _v(0.25, 0.15, dom=_LOOSE, tip=0.8), "ɫ": _v(0.25, 0.1, dom=_LOOSE, tip=0.6), "ɾ": _v(0.2, 0.1, dom=_LOOSE, tip=0.5),
    "ɲ": _v(0.2, 0.15, dom=_LOOSE), "ʎ": _v(0.2, 0.15, dom=_LOOSE), "c": _v(0.22, 0.1, dom=_LOOSE),
    "k": _v(0.25, 0.05, dom=_LOOSE), "g": _v(0.25, 0.05, dom=_LOOSE), "ɡ": _v(0.25, 0.05, dom=_LOOSE),
    "ŋ": _v(0.22, 0.05, dom=_LOOSE), "x": _v(0.25, 0.05, dom=_LOOSE), "ɣ": _v(0.25, 0.05, dom=_LOOSE),
    "q": _v(0.28, dom=_LOOSE), "χ": _v(0.28, dom=_LOOSE),
    "h": _v(0.3, dom=_FAINT), "ɦ": _v(0.3, dom=_FAINT), "ʔ": _v(0.05, dom=_FAINT),
}

# Plain letters (and a few digraphs) for speech engines that time graphemes rather than phonemes.
GRAPHEMES: dict[str, str] = {
    "th": "θ", "sh": "ʃ", "ch": "tʃ", "ph": "f", "wh": "w", "ng": "ŋ", "ck": "k", "qu": "kw",
    "ee": "i", "ea": "i", "oo": "u", "ou": "aʊ", "ow": "oʊ", "ai": "eɪ", "ay": "eɪ", "oi": "ɔɪ", "oy": "ɔɪ", "igh": "aɪ",
    "a": "æ", "c": "k", "e": "ɛ", "i": "ɪ", "o": "ɒ", "q": "k", "u": "ʌ", "y": "j", "r": "ɹ", "x": "ks", "g": "ɡ",
}

PAUSES = {"", "_", "sil", "sp", "spn", "pau", "|", "||", "#", "<sil>", "<pad>"}
_VOWEL_CHARS = set("aeiouyæɑɐɒɔəɚɛɜɝɞɤɨɪɯɵɶʉʊʌʏøœɘɷᵻäëïöü")
_DROP = set("ˈˌːˑ͜͡ʰʲʷˠˤ̴̥̬̩̯̃ ˞↗↘")
_MAX_KEY = max(len(k) for k in IPA)
# Seconds a phoneme's dominance reaches past its edges (1/e), per control: lip rounding is anticipated early,
# closures are short and local.
_REACH = np.array([0.05, 0.05, 0.06, 0.02, 0.03, 0.05, 0.03])
_GAP = 0.12  # seconds without phonemes that count as a pause


def parse_symbol(symbol: str) -> list[Viseme]:
    """The visemes of one timed symbol (IPA, possibly several segments such as a diphthong, or letters)."""
    text = unicodedata.normalize("NFD", symbol.strip().lower())
    if text in PAUSES or all(not ch.isalpha() for ch in text):
        return [REST]
    text = "".join(ch for ch in text if ch not in _DROP and not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text)
    if text.isascii() and text not in IPA:
        text = _letters_to_ipa(text)
    units: list[Viseme] = []
    i = 0
    while i < len(text):
        for size in range(min(_MAX_KEY, len(text) - i), 0, -1):
            piece = text[i : i + size]
            if piece in IPA:
                units.append(IPA[piece])
                i += size
                break
        else:
            ch = text[i]
            if ch.isalpha():
                units.append(GENERIC_VOWEL if ch in _VOWEL_CHARS else GENERIC_CONSONANT)
            i += 1
    return units or [REST]


def _letters_to_ipa(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        for size in (3, 2, 1):
            piece = text[i : i + size]
            if len(piece) == size and piece in GRAPHEMES:
                out.append(GRAPHEMES[piece])
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _segments(phonemes: Sequence[PhonemeTiming]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, targets (N, 6), dominance (N, 6), is_speech (N,)), rests inserted in the gaps."""
    items: list[tuple[float, float, Viseme]] = []
    for ph in sorted(phonemes, key=lambda p: p.start):
        start, end = float(ph.start), max(float(ph.end), float(ph.start))
        units = parse_symbol(ph.symbol)
        if len(units) == 2 and all(u.dominance[:6] == _VOWEL for u in units):
            bounds = [start, start + 0.6 * (end - start), end]  # diphthong: the first part holds longer
        else:
            bounds = list(np.linspace(start, end, len(units) + 1))
        items.extend((bounds[k], bounds[k + 1], unit) for k, unit in enumerate(units))
    filled: list[tuple[float, float, Viseme]] = []
    cursor = -math.inf
    for start, end, unit in items:
        if start - cursor > _GAP:
            filled.append((cursor, start, REST))
        filled.append((start, end, unit))
        cursor = max(cursor, end)
    filled.append((cursor, math.inf, REST))
    starts = np.array([f[0] for f in filled])
    ends = np.array([f[1] for f in filled])
    targets = np.array([f[2].target for f in filled])
    dominance = np.array([f[2].dominance for f in filled])
    speech = np.array([f[2] is not REST for f in filled])
    return starts, ends, targets, dominance, speech


def _blend(times: np.ndarray, starts, ends, targets, dominance) -> np.ndarray:
    """(len(times), 6) dominance-weighted targets, processed in chunks to bound memory on long clips."""
    out = np.zeros((len(times), targets.shape[1]))
    finite_start = np.where(np.isfinite(starts), starts, -1e9)
    finite_end = np.where(np.isfinite(ends), ends, 1e9)
    for lo in range(0, len(times), 512):
        t = times[lo : lo + 512]
        reach = _REACH.max()
        near = np.flatnonzero((finite_end > t[0] - 8 * reach) & (finite_start < t[-1] + 8 * reach))
        outside = np.maximum(np.maximum(finite_start[near][None, :] - t[:, None], t[:, None] - finite_end[near][None, :]), 0.0)
        weight = np.exp(-outside[:, :, None] / _REACH[None, None, :]) * dominance[near][None, :, :]
        out[lo : lo + 512] = (weight * targets[near][None]).sum(axis=1) / np.maximum(weight.sum(axis=1), 1e-9)
    return out


def mouth_curves(phonemes: Sequence[PhonemeTiming], energy: np.ndarray | None, num_frames: int, fps: float,
                 substeps: int = 4) -> np.ndarray:
    """(num_frames, 6) mouth controls (MOUTH_CONTROLS order); frame i is centred on i / fps.

    energy: per-frame loudness 0..1 or None. Loud syllables open the jaw wider; with no phonemes at all the
    jaw follows the loudness alone; silence (no phoneme) is the closed, relaxed rest shape.
    """
    if num_frames <= 0:
        return np.zeros((0, len(MOUTH_CONTROLS)), dtype=np.float32)
    loud = _normalised_energy(energy, num_frames, fps)
    if not phonemes:
        curves = np.zeros((num_frames, len(MOUTH_CONTROLS)))
        if loud is not None:
            curves[:, 0] = 0.7 * loud**0.8
            curves[:, 1] = 0.1 * loud
        return curves.astype(np.float32)
    starts, ends, targets, dominance, speech = _segments(phonemes)
    offsets = (np.arange(substeps) + 0.5) / substeps - 0.5
    times = (np.arange(num_frames)[:, None] + offsets[None, :]).reshape(-1) / fps
    fine = _blend(times, starts, ends, targets, dominance).reshape(num_frames, substeps, -1)
    curves = fine.mean(axis=1)
    press = MOUTH_CONTROLS.index("lip_press")
    curves[:, press] = 0.7 * curves[:, press] + 0.3 * fine[:, :, press].max(axis=1)  # short closures must still close
    curves = gaussian_filter1d(curves, sigma=max(0.3, 0.02 * fps), axis=0, mode="nearest")
    curves[:, press] = np.clip(1.35 * curves[:, press], 0.0, 1.0)  # blending softens closures that must be complete
    if loud is not None:
        frame_times = np.arange(num_frames) / fps
        in_speech = _covered(frame_times, starts[speech], ends[speech])
        jaw = MOUTH_CONTROLS.index("jaw_open")
        curves[:, jaw] *= np.where(in_speech, 0.7 + 0.7 * loud, 1.0)
        # Outside the phonemes, quiet frames fall back to rest even if the timings are a little off.
        gate = np.where(in_speech, 1.0, np.clip(loud / 0.15, 0.0, 1.0))
        curves *= gate[:, None]
    return np.clip(curves, 0.0, 1.4).astype(np.float32)


def _covered(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.zeros(len(times), dtype=bool)
    order = np.argsort(starts)
    s, e = starts[order], np.maximum.accumulate(ends[order])
    idx = np.searchsorted(s, times, side="right") - 1
    return (idx >= 0) & (times <= e[np.clip(idx, 0, None)] + 0.02)


def _normalised_energy(energy: np.ndarray | None, num_frames: int, fps: float) -> np.ndarray | None:
    """Loudness relative to the clip's loud parts (about 1 on stressed syllables), smoothed a little."""
    if energy is None:
        return None
    e = np.asarray(energy, dtype=np.float64).reshape(-1)
    e = np.pad(e[:num_frames], (0, max(0, num_frames - len(e))))
    e = np.nan_to_num(np.clip(e, 0.0, None))
    active = e[e > 0.05]
    if len(active) == 0:
        return np.zeros(num_frames)
    ref = max(float(np.percentile(active, 90)), 0.2)
    return gaussian_filter1d(np.clip(e / ref, 0.0, 1.25), sigma=max(0.3, 0.03 * fps), mode="nearest")
