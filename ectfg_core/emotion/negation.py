"""What a negated emotion means. The rule, applied to each negated emotion word of a phrase:

1. Next to an emotion the same phrase affirms, a negation only confirms the absence ("happy, not angry" is happy;
   "not angry, just calm" is calm): the negated word is dropped.
2. "no longer X", "stops being X", "X anymore" (cessation): the feeling ends, so calm (neutral, 0.3).
3. An intensified negation is an understatement: "not very angry", "not too worried", "not so happy" are the same
   class, weak (base intensity x 0.45).
4. A plain negation is the low-intensity opposite on the pleasant/unpleasant axis:
   "not happy" -> sad at 0.3 (displeased, the usual meaning of "not happy" in direction);
   "not angry / not sad / not scared / not disgusted / not surprised" -> calm (neutral at 0.3);
   "not calm / not relaxed" (negated neutral) -> tense: fearful at 0.35.
"""

from __future__ import annotations

from ectfg_core.emotion.terms import EmotionWord

CALM = 0.3
UNDERSTATEMENT = 0.45
_OPPOSITE: dict[str, tuple[str, float]] = {
    "happy": ("sad", 0.3),
    "neutral": ("fearful", 0.35),
    "sad": ("neutral", CALM),
    "angry": ("neutral", CALM),
    "fearful": ("neutral", CALM),
    "disgusted": ("neutral", CALM),
    "surprised": ("neutral", CALM),
}


def negate(word: EmotionWord, modifiers: list[float], cessation: bool) -> tuple[EmotionWord, str]:
    """The emotion a negated word stands for, and a short reading of it for the plan's notes."""
    if cessation:
        return EmotionWord("neutral", CALM), "calm (the feeling stops)"
    if any(strength > 0 for strength in modifiers):
        weak = EmotionWord(word.emotion, round(word.intensity * UNDERSTATEMENT, 4), word.mixture)
        return weak, f"a little {word.emotion}"
    emotion, intensity = _OPPOSITE[word.emotion]
    return EmotionWord(emotion, intensity), ("calm" if emotion == "neutral" else f"mildly {emotion}")
