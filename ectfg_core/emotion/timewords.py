"""Words about time and change in a description, negations, and the words known to carry no emotion.

Proportional places ("for the first half", "the last two words") are not here: they contain numbers and are
matched by a pattern in spans.py before the description is split into words.
"""

from __future__ import annotations

from ectfg_core.emotion.terms import Comparative, Cue, Negation

_SPLIT = Cue(split=True)
_GRADUAL_VERB = Cue(split=True, transition="gradual")
_GRADUAL_ADVERB = Cue(split=True, transition="gradual", strong=True)
_SUDDEN_VERB = Cue(split=True, transition="sudden")
_SUDDEN_ADVERB = Cue(split=True, transition="sudden", strong=True)
_DEVELOPS = Cue(split=True, transition="gradual", develops=True)
_FADES = Cue(split=True, transition="gradual", fade=True)
_END_SPLIT = Cue(split=True, position="end")

CUES: dict[str, Cue] = {
    **dict.fromkeys(("then", "and then", "but then", "after that", "after this", "afterwards", "afterward", "later",
                     "later on", "next", "followed by", "turns", "turning", "turn", "gets", "getting", "get", "goes",
                     "going", "changes", "changing", "shifts", "shifting", "switches", "switching", "moves", "moving",
                     "becoming more", "after a while", "after a bit", "after a moment", "after a pause", "soon",
                     "soon after", "shortly after", "before long", "in time", "and later", "then again", "from there",
                     "turns into", "turning into", "switches to", "changes to", "shifts to", "moves to", "moves into",
                     "goes to", "only to", "which turns into", "leading to", "leads to", "transitions to",
                     "transitions into", "by then", "now", "at this point", "at that point"), _SPLIT),
    **dict.fromkeys(("until", "till", "up until", "up to", "before", "right before", "just before"),
                    Cue(split=True, until=True)),
    **dict.fromkeys(("becomes", "become", "becoming", "grows into", "drifts", "drift", "drifting", "drifts into",
                     "fades into", "fading into", "softens into", "softening", "easing", "eases into",
                     "warms up", "warming up", "ramps up", "slides into", "melts into", "sinks into",
                     "gives way to", "giving way to", "dissolves into", "dissolving into", "collapses into",
                     "evolves into", "morphs into", "segues into", "builds to", "building to", "builds up to",
                     "building up to", "works up to", "working up to", "rising to", "grows", "grow", "growing",
                     "crescendo", "crescendos", "transitioning", "turning slowly", "gains", "gaining", "finds",
                     "finding", "regains", "regaining", "slips into", "slipping into", "settles into"), _GRADUAL_VERB),
    # Right after an emotion ("anger builds up") these say that emotion arrives gradually.
    **dict.fromkeys(("builds", "building", "builds up", "building up", "build up", "rises", "rising", "swells",
                     "swelling", "mounts", "mounting", "escalates", "escalating", "intensifies", "intensifying",
                     "deepens", "deepening", "creeps in", "creeping in", "creeps", "creeping", "sets in",
                     "setting in", "takes over", "taking over", "wells up", "welling up", "bubbles up", "kicks in",
                     "grows stronger", "gets stronger", "getting stronger"), _DEVELOPS),
    # With no emotion named, "then it fades" means the feeling dies away.
    **dict.fromkeys(("fades", "fading", "fades away", "fades out", "fading away", "subsides", "subsiding",
                     "dies down", "dying down", "wears off", "wearing off", "ebbs", "ebbs away", "melts away",
                     "drains away", "passes", "softens", "eases", "eases off", "cools", "relents", "lets go",
                     "lets it go", "recovers", "recovering", "collects herself", "collects himself",
                     "pulls herself together", "pulls himself together", "composes herself", "composes himself",
                     "regains composure", "stops", "stopping", "goes away", "disappears", "vanishes"), _FADES),
    **dict.fromkeys(("slowly", "gradually", "little by little", "bit by bit", "step by step", "progressively",
                     "over time", "steadily", "slow", "gradual", "by degrees", "more slowly", "gently builds",
                     "over the course"), _GRADUAL_ADVERB),
    **dict.fromkeys(("increasingly", "more and more", "ever more", "ever", "growing more", "getting more",
                     "more so"), Cue(split=True, transition="gradual", strong=True, comparative=1)),
    **dict.fromkeys(("snaps into", "bursts", "burst", "bursting", "bursts into", "breaks into", "explodes into", "flips",
                     "jumps", "cracks", "breaks", "shatters", "blurts"), _SUDDEN_VERB),
    # Sudden verbs that name the emotion themselves when no other is given ("starts calm, snaps at 'the money'").
    **dict.fromkeys(("snaps", "snap", "snapping", "explodes", "exploding", "erupts", "flares", "flares up",
                     "flaring up", "blows up", "blowing up", "loses it", "loses her temper", "loses his temper",
                     "loses their temper", "boils over", "boiling over", "lashes out", "lashing out", "flies off the handle",
                     "sees red", "blows her top", "blows his top"),
                    Cue(split=True, transition="sudden", names=("angry", 0.85))),
    **dict.fromkeys(("breaks down", "breaking down", "falls apart", "falling apart", "crumbles", "chokes up",
                     "tears up", "tearing up", "wells up with tears"),
                    Cue(split=True, transition="sudden", names=("sad", 0.8))),
    **dict.fromkeys(("freezes", "freezing up", "freezes up", "panics", "flinches", "recoils", "cowers", "shudders",
                     "shrinks back"), Cue(split=True, transition="sudden", names=("fearful", 0.75))),
    **dict.fromkeys(("gasps", "gasping", "jumps back", "does a double take", "double take"),
                    Cue(split=True, transition="sudden", names=("surprised", 0.75))),
    **dict.fromkeys(("lights up", "lighting up", "brightens", "brightening", "beams", "perks up", "cheers up",
                     "cheering up"), Cue(split=True, names=("happy", 0.65))),
    **dict.fromkeys(("winces", "grimaces", "gags", "recoils in disgust", "wrinkles her nose", "wrinkles his nose"),
                    Cue(split=True, transition="sudden", names=("disgusted", 0.65))),
    **dict.fromkeys(("suddenly", "abruptly", "all of a sudden", "instantly",
                     "immediately", "out of nowhere", "without warning", "sharply", "quickly", "out of the blue",
                     "in an instant", "in a flash", "just like that", "sudden", "abrupt", "instant", "then bam",
                     "a sudden", "sudden burst of", "right away", "straight away", "fast"), _SUDDEN_ADVERB),
    **dict.fromkeys(("starts", "start", "starting", "starts off", "starts out", "begins", "begin", "beginning",
                     "at first", "first", "initially", "to begin with", "opens", "opening", "first off",
                     "starts as", "begins as", "at the outset", "from the start", "from the outset"),
                    Cue(position="start")),
    **dict.fromkeys(("halfway", "half way", "halfway through", "midway", "mid way", "middle", "at the midpoint",
                     "midpoint", "at the halfway point", "halfway point", "mid sentence"), Cue(position="middle")),
    **dict.fromkeys(("by the middle", "by halfway"), Cue(position="middle", transition="gradual")),
    **dict.fromkeys(("ends", "ending", "ends up", "ending up", "end up", "ends in", "ends with", "ending in",
                     "ending with", "finally", "and finally", "eventually", "lastly", "at last", "finishes",
                     "finishing", "finishes with", "finishes in", "in the end", "ultimately", "ends on",
                     "ending on", "closes", "closes with", "closing with", "and ends", "by the finish"), _END_SPLIT),
    **dict.fromkeys(("by the end", "by the last word", "by the time it ends", "by the very end"),
                    Cue(split=True, position="end", transition="gradual")),
    "end": Cue(position="end"),
    "after": Cue(anchor_after=True),
    "right after": Cue(anchor_after=True),
    "just after": Cue(anchor_after=True),
    "once": Cue(anchor_after=True),
    **dict.fromkeys(("peaks", "peaking", "peak", "at its peak", "climax", "climaxes", "at its height", "reaches a peak",
                     "hits a peak", "tops out", "maxes out", "at full strength"), Cue(peak=True)),
    **dict.fromkeys(("throughout", "the whole time", "all the way through", "the entire time", "all along",
                     "overall", "the whole way", "all through", "from start to finish", "from beginning to end",
                     "from start to end", "the whole thing", "the whole line", "the whole text", "the entire line",
                     "the entire text", "constantly", "the whole way through", "all the time", "at all times",
                     "in general", "generally", "the entire way", "for the whole line", "otherwise", "elsewhere",
                     "the rest of the time", "apart from that", "other than that", "everywhere else", "the whole",
                     "all the while", "the entire"), Cue(everywhere=True)),
    **dict.fromkeys(("underneath", "underlying", "beneath", "undertone", "undertones", "an undertone of",
                     "an undercurrent of", "undercurrent of", "undercurrent", "beneath the surface", "under the surface",
                     "in the background"), Cue(everywhere=True, undertone=True)),
    **dict.fromkeys(("briefly", "for a moment", "for a second", "momentarily", "a flash of", "a flicker of",
                     "flash of", "flicker of", "for an instant", "a moment of", "a brief", "brief", "a pang of",
                     "pang of", "a spike of", "a twinge of", "twinge of", "fleeting", "a fleeting",
                     "for a beat"), Cue(brief=True)),
    **dict.fromkeys(("a burst of", "burst of", "an outburst of", "outburst of", "a jolt of", "jolt of"),
                    Cue(brief=True, transition="sudden", strong=True)),
    **dict.fromkeys(("on", "only on", "just on", "during", "only during", "only at", "just at", "only when",
                     "just when", "only while", "while saying", "while she says", "while he says", "while they say",
                     "over", "only for", "just for", "for the words", "on the words", "on the word", "only",
                     "just"), Cue(bounded=True)),
    **dict.fromkeys(("between", "from"), Cue(between=True)),
}

NEGATIONS: dict[str, Negation] = {
    **dict.fromkeys(("not", "no", "never", "isn't", "aren't", "wasn't", "don't", "doesn't", "didn't", "without",
                     "nor", "not at all", "neither", "isn’t", "doesn’t", "don’t", "not a bit", "hardly any",
                     "nothing", "none", "free of", "devoid of", "lacking", "instead of", "rather than",
                     "not even", "won't", "can't", "cannot", "shouldn't", "mustn't"), Negation()),
    **dict.fromkeys(("no longer", "stops being", "stop being", "stopped being", "not any more", "no more",
                     "quits being", "gets over", "gets over her", "gets over his", "lets go of", "shakes off",
                     "shakes off the", "free from", "rid of", "gets rid of"),
                    Negation(cessation=True)),
    **dict.fromkeys(("anymore", "any more", "any longer"), Negation(cessation=True, prefix=False)),
}

COMPARATIVE_WORDS: dict[str, Comparative] = {
    "more": Comparative(1), "even more": Comparative(1), "less": Comparative(-1), "even less": Comparative(-1),
    "a little more": Comparative(1), "a bit more": Comparative(1), "much more": Comparative(1),
    "a little less": Comparative(-1), "a bit less": Comparative(-1), "much less": Comparative(-1),
    "stronger": Comparative(1), "weaker": Comparative(-1), "softer": Comparative(-1),
}

# Known words that carry no emotion: they are never reported as "not understood".
FILLERS = frozenset(
    """
    a an the and or but so yet to of in on at by for from with into onto as than like it its it's she he they we i
    you her his their them him me my your our this that these those there here who which what when where while
    whenever as if is are was were be been being am has have had do does did will would can could should may might
    voice tone face expression mood sounding sounds sound sound looks look looking seems seem seeming feels feel
    feeling felt speaker speaks speaking speak says say said saying talks talking tells reads reading delivery
    delivered word words line lines sentence part point moment time bit rest way through throughout all over again
    back still stays stay staying remains remain remaining keeps keep keeping just only mostly mainly also even
    somehow almost nearly quite overall whole entire very rather then slightly one something someone person
    character state mode manner hint touch trace note edge kind sort type level degree plus both either
    up out off away around about little same simultaneously together once mixed mix blend combination while
    delivers delivering performance performs played plays acts acting actor actress scene text phrase phrases
    every each whole entire sort too but also somewhat how much many more most less least really very
    eyes smile mouth brows brow eyebrows lips gaze look looks head gesture gestures tone tones speech speaks
    someone somebody person man woman girl boy guy lady kid child mother father friend
    """.split()
) | frozenset(
    ("until the end", "till the end", "to the end", "through to the end", "all the way to the end",
     "right to the end", "until the very end", "to the very end", "at the same time", "all at the same time",
     "the rest", "the rest of it", "for the rest", "the rest of the way", "for the rest of it", "again",
     "once more", "once again", "back to", "goes back to", "comes back", "returns to", "returning to", "at once",
     "all at once", "at the same moment", "simultaneously", "both at once", "in one", "combined with", "mixed with")
)
