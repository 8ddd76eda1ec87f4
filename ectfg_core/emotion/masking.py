"""Masked or suppressed emotion: what the face shows when the description says a feeling is hidden. The rule:

1. The felt emotion keeps its label; its shown intensity is reduced: shown = felt x 0.5 (MASKED) for
   "trying to hide it", "suppressed rage", "masking her fear", "holding back her anger".
2. Where the mask itself is named ("forcing a smile" -> happy, "pretending to be fine" / "putting on a brave face" /
   "keeping it together" -> neutral, "pretending to be happy" -> happy), the phrase is a blend: 1 - DISPLAY_SHARE of the felt emotion and
   DISPLAY_SHARE (0.35) of the displayed one, so the felt emotion stays primary. To make the face put on the primary
   one, say so with an undertone ("smiling, with sadness underneath").
3. Some masks name what they hold in: "holding back tears" / "trying not to cry" (sad 0.8), "through gritted teeth"
   (angry 0.8). With no other emotion in the phrase that is the felt emotion (so "holding back tears" shows sad 0.4);
   next to one ("heartbroken, holding back tears") the named emotion is the felt one.
4. A mask with no felt emotion anywhere shows only the face put on, weakly: "forcing a smile" alone is happy at
   DISPLAY_ALONE (0.3). A mask in a phrase of its own ("sad, but trying to hide it") is about the phrase before it.
5. "barely containing / barely holding back / barely hiding" is the exception: the feeling nearly breaks through, so
   it is an intensifier (vocabulary.py MODIFIERS, like "barely contained"), never a mask.
6. A negated mask is no mask: "not hiding her anger" is plain anger.
"""

from __future__ import annotations

from ectfg_core.emotion.phrases import Mention, Reading
from ectfg_core.emotion.terms import EmotionWord, Mask
from ectfg_core.types.description import emotion_distribution, mixture_of

MASKED = 0.5
DISPLAY_SHARE = 0.35
DISPLAY_ALONE = 0.3
_FELT_TEARS = ("sad", 0.8)
_FELT_ANGER = ("angry", 0.8)


def _forms(*stems: str) -> tuple[str, ...]:
    # "hide" -> "hide", "hides", "hiding", "trying to hide", "tries to hide": the ways directors write it.
    out: list[str] = []
    for stem in stems:
        out.append(stem)
        for lead in ("trying to", "tries to", "try to", "attempting to", "struggling to", "struggles to"):
            out.append(f"{lead} {stem}")
    return tuple(out)


_HIDES = Mask(MASKED)
_SMILE = Mask(MASKED, shows="happy")
_FINE = Mask(MASKED, shows="neutral")
_PRETENDS = Mask(MASKED, display_follows=True)

MASKS: dict[str, Mask] = {
    **dict.fromkeys(_forms("hide", "hide it", "hide her", "hide his", "hide their", "conceal", "conceal it",
                           "mask", "mask it", "suppress", "suppress it", "hold it in", "hold back", "keep it in",
                           "bottle it up", "contain it", "contain her", "contain his"), _HIDES),
    **dict.fromkeys(("hides", "hiding", "hidden", "hides it", "hiding it", "conceals", "concealing", "concealed",
                     "masks", "masking", "masked", "suppresses", "suppressing", "suppressed", "holding it in",
                     "holds it in", "holding back", "holds back", "held back", "keeping it in", "keeps it in",
                     "bottling it up", "bottles it up", "bottled up", "bottling up", "containing", "pent up",
                     "repressed", "repressing", "stifled", "stifling", "stifles", "under wraps"), _HIDES),
    **dict.fromkeys(("forcing a smile", "forces a smile", "forced a smile", "force a smile", "forced smile",
                     "a forced smile", "fake smile", "a fake smile", "faking a smile", "fakes a smile",
                     "putting on a smile", "puts on a smile", "put on a smile", "smiling through it",
                     "smiling through the pain", "smiles through it", "smiles through the pain",
                     "smiling through her tears", "smiling through his tears", "forced cheer", "forced cheerfulness"),
                    _SMILE),
    **dict.fromkeys(("keeping it together", "keeps it together", "keep it together", "holding it together",
                     "holds it together", "trying to keep it together", "trying to hold it together",
                     "pretending to be fine", "pretends to be fine", "pretend to be fine", "pretending she's fine",
                     "pretending he's fine", "pretending everything is fine", "pretends everything is fine",
                     "pretending nothing is wrong", "pretends nothing is wrong", "acting fine", "acts fine",
                     "acting like nothing is wrong", "acts like nothing is wrong", "putting on a brave face",
                     "puts on a brave face", "put on a brave face", "brave face", "a brave face",
                     "keeping a straight face", "keeps a straight face", "keeping her composure",
                     "keeping his composure", "keeping up appearances", "keeping a stiff upper lip",
                     "stiff upper lip", "putting on a front", "puts on a front", "putting up a front",
                     "puts up a front"), _FINE),
    **dict.fromkeys(("pretending to be", "pretends to be", "pretend to be", "faking being", "pretending", "pretends",
                     "feigning", "feigns", "faking", "fakes"), _PRETENDS),
    **dict.fromkeys(("holding back tears", "holding back the tears", "holds back tears", "fighting back tears",
                     "fights back tears", "choking back tears", "chokes back tears", "blinking back tears",
                     "blinks back tears", "trying not to cry", "tries not to cry", "holding back her tears",
                     "holding back his tears", "fighting back her tears", "fighting back his tears",
                     "swallowing tears", "swallowing her tears", "swallowing his tears"), Mask(MASKED, felt=_FELT_TEARS)),
    **dict.fromkeys(("through gritted teeth", "through clenched teeth", "gritted teeth", "clenched teeth",
                     "gritting her teeth", "gritting his teeth", "grits her teeth", "grits his teeth",
                     "with gritted teeth", "jaw clenched", "clenched jaw", "biting her tongue", "biting his tongue",
                     "bites her tongue", "bites his tongue"), Mask(MASKED, felt=_FELT_ANGER)),
}


def merge(masks: list[Mask], display: str | None) -> Mask | None:
    """All the masks of one phrase as one: the strongest reduction, the first named face and felt emotion."""
    if not masks:
        return None
    shows = display or next((m.shows for m in masks if m.shows), None)
    felt = next((m.felt for m in masks if m.felt), None)
    return Mask(min(m.scale for m in masks), shows=shows, felt=felt)


def mention_alone(reading: Reading) -> Mention:
    """The emotion of a phrase whose only emotion words are a mask: what it holds in, else the face put on."""
    mask = reading.mask
    assert mask is not None and (mask.felt or mask.shows)
    word = EmotionWord(*mask.felt) if mask.felt else EmotionWord(str(mask.shows), DISPLAY_ALONE)
    return Mention(word, reading.source, [], 0, 0, False)


def with_felt(mentions: list[Mention], reading: Reading) -> list[Mention]:
    """ "calm but holding back tears": the sadness held in is felt too, and named by nothing else."""
    felt = reading.mask.felt if reading.mask else None
    if felt is None or not mentions or any(m.word.emotion == felt[0] for m in mentions):
        return mentions
    return [*mentions, Mention(EmotionWord(*felt), "", [], 0, 0, False)]


def apply(mask: Mask | None, emotion: str, intensity: float,
          mixture: dict[str, float] | None) -> tuple[str, float, dict[str, float] | None]:
    """The shown emotion for a felt one behind a mask: same label, weaker, blended with the face put on."""
    if mask is None:
        return emotion, intensity, mixture
    shown = round(intensity * mask.scale, 4)
    if mask.shows is None or mask.shows == emotion:
        return emotion, shown, mixture
    dist = (1 - DISPLAY_SHARE) * emotion_distribution(emotion, mixture) + DISPLAY_SHARE * emotion_distribution(
        mask.shows, None)
    return emotion, shown, mixture_of(dist)
