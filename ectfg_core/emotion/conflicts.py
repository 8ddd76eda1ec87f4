"""Conflicts in an emotion plan, how they are detected, and the rules that resolve them. Each one found is reported
as a warning in the plan (EmotionPlan.warnings, `ectfg plan`, the TTS node's plan JSON); none is resolved silently.

1. Two incompatible emotions at once ("happy and furious at the same time"): one face cannot show both, and a
   mixture of them is the incoherent expression the TIE-TFG paper reports as its failure case. Incompatible means:
   happy with angry or with disgusted, or any pleasant/unpleasant pair where both are extreme (>= 0.85, "ecstatic
   and devastated"); either way only when both are at least moderately strong (>= 0.45), so "happy but a little
   annoyed" stays a blend. Known mixed feelings are blends, not conflicts: happy+sad (bittersweet), happy+fearful
   (nervous excitement), sad+angry (hurt), angry+disgusted (contempt), fearful+surprised (alarm)...
   Rule: the stronger emotion is kept (a tie goes to the one named first) and the other is dropped.
2. The description contradicts the text ("joyful" over "my dog died yesterday"): the description is what the
   artist asked for, so it wins on every word it covers; the words' own colour is not mixed in where its
   pleasantness is opposite (see content.py), and the warning names the words so the artist can check it was meant
   (irony) or fix the description.
3. Two explicit places over the same words ("sad for the first half, angry on 'the money'"): the narrower place
   wins inside it and the wider one resumes after it (a local accent over a base); two phrases placed on exactly the
   same words: the one described later wins.
"""

from __future__ import annotations

from collections.abc import Sequence

# Pleasantness of each class: > 0 pleasant, < 0 unpleasant, 0 either (surprise) or none (neutral).
VALENCE: dict[str, float] = {
    "neutral": 0.0, "happy": 0.8, "sad": -0.7, "angry": -0.6, "fearful": -0.7, "surprised": 0.0, "disgusted": -0.7,
}
_INCOMPATIBLE = {frozenset(("happy", "angry")), frozenset(("happy", "disgusted"))}
MODERATE = 0.45  # below this, a second emotion is a tinge, never a conflict
EXTREME = 0.85


def opposite(a: str, b: str) -> bool:
    """One class pleasant and the other unpleasant."""
    return VALENCE[a] * VALENCE[b] < 0


def incompatible(a: str, intensity_a: float, b: str, intensity_b: float) -> bool:
    """Whether the two can not be shown on one face at the same time (rule 1)."""
    if a == b or min(intensity_a, intensity_b) < MODERATE:
        return False
    if frozenset((a, b)) in _INCOMPATIBLE:
        return True
    return opposite(a, b) and min(intensity_a, intensity_b) >= EXTREME


def keep_compatible(named: Sequence[tuple[str, float, str]]) -> tuple[list[int], list[tuple[str, str]]]:
    """Indices of the (class, intensity, word) entries to keep, and (kept word, dropped word) pairs (rule 1)."""
    kept: list[int] = []
    dropped: list[tuple[str, str]] = []
    # Strongest first; the stable sort keeps the order of naming for ties.
    for index in sorted(range(len(named)), key=lambda i: -round(named[i][1], 6)):
        emotion, intensity, word = named[index]
        rival = next((k for k in kept if incompatible(named[k][0], named[k][1], emotion, intensity)), None)
        if rival is None:
            kept.append(index)
        else:
            dropped.append((named[rival][2], word))
    return sorted(kept), dropped


def simultaneous_warning(source: str, kept: str, dropped: str) -> str:
    return (
        f'"{source}": "{kept}" and "{dropped}" cannot be shown on one face at the same time; kept "{kept}" '
        f'(the stronger) and left out "{dropped}". To show both, put one after the other ("{kept}, then {dropped}")'
    )


def contradiction_warning(source: str, stated: str, content: str, words: Sequence[str]) -> str:
    listed = ", ".join(f'"{w}"' for w in dict.fromkeys(words))
    return (
        f'"{source}" asks for {stated} over words that read as {content} ({listed}); the plan follows the '
        f"description. If that is not meant (irony, bravado), describe that part as {content}"
    )
