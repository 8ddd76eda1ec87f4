"""Emotion-specific voice quality for espeak-ng: breathiness, tremor, creak, brightness, as voice-variant attributes.

What the engine really offers (espeak-ng voices.c / wavegen.c, `docs/voices.md`): `breath` adds noise shaped by the
formant peaks (breathy voice, whisper with low `voicing`); `voicing` scales the periodic source; `flutter` adds a
quasi-random low-frequency wobble to F0 (tremor, jitter); `roughness` lowers alternate glottal periods (creak);
`tone` sets the spectral slope of voiced sounds (bright/pressed vs dark/lax); `consonants` scales the frication
noise (crisp, forceful consonants). They are per voice, not per word: a change needs a new engine message, so the
quality is chosen per clause (quality_runs) and switched at punctuation or at a sudden emotional turn.

Directions follow the voice-quality literature (Gobl & Ní Chasaide 2003; Scherer 1986; Laukka 2005): sadness is
breathy and lax (dark), fear trembles and is a little breathy, anger is tense (bright) with strong consonants,
disgust is creaky and dark, joy is slightly bright, surprise has a breathy onset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ectfg_core.text import Token
from ectfg_core.tts.ssml import clause_boundary
from ectfg_core.types.emotion import EMOTIONS
from ectfg_core.types.speech import WordProsody

# The engine's defaults (VoiceReset in voices.c), in variant-file units.
DEFAULT_TONE = (600, 170, 1200, 135, 2000, 110)


@dataclass(frozen=True)
class Quality:
    """Variant-file attributes; the defaults are the engine's own (a neutral voice)."""

    breath: float = 0.0  # breath noise strength (first formant; higher formants get a fixed taper)
    voicing: float = 100.0  # percent of normal voiced amplitude
    flutter: float = 2.0  # F0 wobble (the engine's default is 2; its croaky voices use 20)
    roughness: float = 2.0  # 0..7 creak (default 2)
    tilt: float = 0.0  # spectral tilt change, tone-curve units at 2 kHz (+ brighter, - darker)
    consonants: float = 100.0  # percent frication noise

    def is_neutral(self) -> bool:
        return self == Quality()

    def lines(self) -> list[str]:
        """Variant-file lines that set this quality (appended after a timbre variant's own lines)."""
        low, mid, high = DEFAULT_TONE[1], DEFAULT_TONE[3], DEFAULT_TONE[5]
        tone = (600, _clip(low - 0.3 * self.tilt, 40, 255), 1200, _clip(mid + 0.5 * self.tilt, 40, 255),
                2000, _clip(high + self.tilt, 40, 255))
        taper = (1.0, 1.0, 0.7, 0.55, 0.2, 0.15)
        breath = " ".join(str(int(round(self.breath * t))) for t in taper)
        return [
            f"breath {breath}",
            f"voicing {int(round(self.voicing))}",
            f"flutter {int(round(self.flutter))}",
            f"roughness {int(round(np.clip(self.roughness, 0, 7)))}",
            "tone " + " ".join(str(int(v)) for v in tone),
            f"consonants {int(round(self.consonants))} {int(round(self.consonants))}",
        ]


def _clip(value: float, lo: float, hi: float) -> int:
    return int(round(min(hi, max(lo, value))))


# Full-intensity quality per emotion class.
EMOTION_QUALITY: dict[str, Quality] = {
    "neutral": Quality(),
    "happy": Quality(tilt=20.0, flutter=3.0),
    "sad": Quality(breath=30.0, voicing=85.0, flutter=4.0, tilt=-45.0, consonants=85.0),
    "angry": Quality(tilt=60.0, consonants=140.0, roughness=3.0),
    "fearful": Quality(breath=15.0, voicing=95.0, flutter=7.0, tilt=10.0),
    "surprised": Quality(breath=12.0, tilt=30.0, flutter=3.0),
    "disgusted": Quality(roughness=5.0, tilt=-30.0, flutter=3.0),
}
# Kept moderate on purpose: stronger flutter (>8) or breath (>40) makes pitch trackers, ours included (the
# EmotionFluctuationPredictor reads F0 from this audio), lose the voicing.
# Voice hints from the description override the emotion's values for what they name.
HINT_QUALITY: dict[str, dict[str, float]] = {
    "whisper": {"breath": 75.0, "voicing": 18.0, "flutter": 6.0},
    "soft": {"breath": 25.0, "voicing": 80.0, "consonants": 80.0},
    "shout": {"tilt": 80.0, "consonants": 150.0},
    "loud": {"tilt": 40.0},
    "tremble": {"flutter": 20.0, "breath": 20.0},
    "sigh": {"breath": 45.0, "voicing": 70.0},
    "sob": {"flutter": 14.0, "breath": 35.0, "roughness": 4.0, "voicing": 80.0},
    "laugh": {"flutter": 6.0, "tilt": 25.0},
}
_FIELDS = ("breath", "voicing", "flutter", "roughness", "tilt", "consonants")
_TABLE = np.array([[getattr(EMOTION_QUALITY[e], f) for f in _FIELDS] for e in EMOTIONS], dtype=np.float64)
_NEUTRAL = np.array([getattr(Quality(), f) for f in _FIELDS], dtype=np.float64)
LEVELS = 3  # intensity steps: each distinct quality is one more variant file and one more engine message


def quality_for(distribution: np.ndarray, intensity: float, hints: Sequence[str] = ()) -> Quality:
    """Quality of one emotion target: class qualities mixed by weight, scaled by intensity, hints on top."""
    dist = np.asarray(distribution, dtype=np.float64).reshape(-1)
    dist = dist / dist.sum() if dist.sum() > 0 else np.eye(len(EMOTIONS))[0]
    values = _NEUTRAL + float(np.clip(intensity, 0.0, 1.0)) * (dist @ _TABLE - _NEUTRAL)
    out = dict(zip(_FIELDS, values, strict=True))
    for hint in hints:
        out.update(HINT_QUALITY.get(hint, {}))
    return Quality(**out)


def quantize(q: Quality) -> Quality:
    """Snap to LEVELS steps between neutral and the strongest preset, so near-equal clauses share one variant."""
    top = np.maximum(np.abs(_TABLE - _NEUTRAL).max(axis=0), 1e-9)
    vals = np.array([getattr(q, f) for f in _FIELDS]) - _NEUTRAL
    snapped = np.round(vals / top * LEVELS) / LEVELS * top
    # Hints reach beyond the emotion presets: keep their values (they are few and fixed).
    big = np.abs(vals) > top + 1e-9
    snapped[big] = vals[big]
    return Quality(**dict(zip(_FIELDS, _NEUTRAL + snapped, strict=True)))


def mean_quality(qualities: Sequence[Quality], weights: Sequence[float]) -> Quality:
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
    vals = np.array([[getattr(q, f) for f in _FIELDS] for q in qualities]).T @ w
    return Quality(**dict(zip(_FIELDS, vals, strict=True)))


def variant_name(base_variant: str, q: Quality) -> str:
    """A stable, lower-case file name for (timbre variant, quality): the engine lower-cases voice names."""
    key = f"{base_variant}|" + "|".join(f"{getattr(q, f):.2f}" for f in _FIELDS)
    return "ectfg_" + hashlib.sha1(key.encode()).hexdigest()[:10]


def variant_body(base_body: str, q: Quality) -> str:
    """The timbre variant's own lines (or a bare header) followed by the quality lines, which take precedence."""
    head = base_body.rstrip() if base_body.strip() else "language variant\nname ectfg"
    return head + "\n\n// ectfg voice quality\n" + "\n".join(q.lines()) + "\n"


def quality_runs(
    text: str, tokens: Sequence[Token], qualities: Sequence[Quality], prosody: Sequence[WordProsody]
) -> list[tuple[int, int, Quality]]:
    """(first word, end word, quality): one quantized quality per clause, so the voice changes only where a
    listener expects a new breath group: at clause punctuation or at a sudden turn (a word with a pause after it)."""
    if len(qualities) != len(tokens):
        raise ValueError(f"got {len(qualities)} qualities for {len(tokens)} words")
    cuts = [0]
    for j in range(1, len(tokens)):
        if prosody[j - 1].pause_after > 0 or clause_boundary(text, tokens, j):
            cuts.append(j)
    cuts.append(len(tokens))
    runs: list[tuple[int, int, Quality]] = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if b <= a:
            continue
        q = quantize(mean_quality(qualities[a:b], [1.0] * (b - a)))
        if runs and runs[-1][2] == q:
            runs[-1] = (runs[-1][0], b, q)
        else:
            runs.append((a, b, q))
    return runs
