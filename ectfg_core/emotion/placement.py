"""Drafts -> keyframes over the words: where each described emotion starts, ends and how it is reached.

1. Places the description states are resolved first: quotes from the text ("at 'the door'", "after 'sorry'" = from
   the word after the quote, "on/during 'x'" = only those words, "between 'a' and 'b'"), proportions and counts
   ("for the first half", "the last two words", "towards the end" = the last third), "starts" (word 0),
   "halfway" (the middle), "slowly ... by the end" (reached at the last word).
2. Phrases without a place share the room between placed ones evenly, in the order they were described; a
   phrase that follows a bounded one ("angry for the first half, then calm") starts where it ends.
3. Layers are painted over the words: the base (neutral, or what the description says holds "throughout"), then
   the phrases in order, then the bounded ones (narrower over wider, later over earlier; conflicts.py rule 3).
   Where a bounded phrase ends, what lies under it resumes.
4. Each change of painted phrase becomes a keyframe, reached suddenly, gradually or by the default short
   cross-fade as the phrase says; curve.py interpolates them into one target per word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ectfg_core.emotion import conflicts
from ectfg_core.emotion.curve import no_word_of_its_own
from ectfg_core.emotion.drafting import UNDERTONE, Draft, baseline
from ectfg_core.text import tokenize
from ectfg_core.types.description import Keyframe, emotion_distribution, mixture_of
from ectfg_core.types.emotion import EMOTIONS

# Words over which an unqualified change ("happy, then sad") cross-fades, centred on the boundary.
DEFAULT_SPAN = 2.0
# Into and out of a bounded accent ("angry on 'the money'") the change is quicker, or a short accent never peaks.
ACCENT_SPAN = 1.0
BRIEF_SHARE = 0.15  # "briefly angry" with no quote: this share of the words (1 to 3 words)


def place_keyframes(drafts: list[Draft], words: Sequence[str], warnings: list[str]) -> list[Keyframe]:
    undertones = [d for d in drafts if d.undertone]
    if len(undertones) < len(drafts):
        drafts = [d for d in drafts if not d.undertone]
    else:
        undertones = []  # only an undertone: it is the emotion
    return _with_undertones(_place(drafts, words, warnings), undertones)


def _with_undertones(keyframes: list[Keyframe], undertones: Sequence[Draft]) -> list[Keyframe]:
    """ "sad, with anger underneath": every keyframe gets a share of the undertone; labels stay."""
    for under in undertones:
        tint = emotion_distribution(under.emotion, under.mixture)
        for key in keyframes:
            key.mixture = mixture_of((1 - UNDERTONE) * key.distribution() + UNDERTONE * tint)
            # A stronger undertone lifts the intensity by its share; a weaker one never lowers it.
            key.intensity = round(max(key.intensity, UNDERTONE * under.intensity + (1 - UNDERTONE) * key.intensity), 4)
            key.implied = False
    return keyframes


def _place(drafts: list[Draft], words: Sequence[str], warnings: list[str]) -> list[Keyframe]:
    n = len(words)
    base, sequence = _split_base(drafts, warnings)
    if not sequence:
        return [_keyframe(base, 0.0, None)]
    last = float(max(n - 1, 0))
    _resolve_places(sequence, words, n, last, warnings)
    # "ends sad" belongs after everything else even when said first.
    sequence = sorted(sequence, key=lambda d: d.fixed is None and d.position == "end")
    first = sequence[0]
    if first.fixed is None:
        if first.position != "end" and first.transition is None:
            first.fixed = 0.0
        else:  # "ends sad", "slowly becomes angry": it changes from the base
            sequence.insert(0, _copy_at(base, 0.0))
    _spread(sequence, n, last)
    _close_brief(sequence, n)
    ordered = sorted(sequence, key=lambda d: d.fixed or 0.0)
    moved = next((a for a, b in zip(ordered, sequence) if a is not b), None)
    if moved is not None and moved.source:
        warnings.append(f'"{moved.source}" is anchored earlier in the text than the phrase described before it; '
                        "the phrases were put in the order of the text")
    return _keyframes(_paint(base, ordered, max(n, 1), warnings))


# --- the base: neutral, or what holds "throughout" -----------------------------------------------------------------


def _split_base(drafts: Sequence[Draft], warnings: list[str]) -> tuple[Draft, list[Draft]]:
    everywhere = [d for d in drafts if d.everywhere]
    rest = [d for d in drafts if not d.everywhere]
    if not everywhere:
        return baseline(), rest
    if len(everywhere) == 1:
        return everywhere[0], rest
    named = [(d.emotion, d.intensity, d.source) for d in everywhere]
    keep, dropped = conflicts.keep_compatible(named)
    for kept_source, dropped_source in dropped:
        warnings.append(conflicts.simultaneous_warning(f"{kept_source}; {dropped_source}", kept_source, dropped_source))
    kept = [everywhere[i] for i in keep]
    weights = np.sum([emotion_distribution(d.emotion, d.mixture) * d.intensity for d in kept], axis=0)
    merged = _copy_at(max(kept, key=lambda d: d.intensity), None)
    merged.emotion = EMOTIONS[int(np.argmax(weights))]
    merged.mixture = mixture_of(weights / float(weights.sum()))
    merged.source = "; ".join(d.source for d in kept)
    return merged, rest


def _copy_at(draft: Draft, fixed: float | None) -> Draft:
    return Draft(draft.emotion, draft.intensity, draft.mixture, None, draft.source, implied=draft.implied, fixed=fixed)


# --- places ----------------------------------------------------------------------------------------------------------


def _resolve_places(drafts: Sequence[Draft], words: Sequence[str], n: int, last: float, warnings: list[str]) -> None:
    """Positions that the description states: quotes, proportions, "starts", "halfway", "slowly ... by the end"."""
    normalized = [_normalize(w) for w in words]
    search_from = 0
    for index, draft in enumerate(drafts):
        if draft.anchors:
            found = _find(draft.anchors[0], normalized, search_from)
            if found is None:
                warnings.append(
                    f'the quoted words "{draft.anchors[0]}" are not in the text, so "{draft.source}" was placed by its '
                    "order in the description; quote words exactly as they appear in the text"
                )
                draft.bounded = draft.between = False
            else:
                search_from = found[0]
                _place_quote(draft, found, normalized, last, warnings)
                continue
        if draft.place is not None:
            draft.fixed, draft.end = draft.place.resolve(n)
        elif draft.position == "start" and index == 0:  # later, "starts crying" means "begins to", not "at word 0"
            draft.fixed = 0.0
        elif draft.position == "middle":
            draft.fixed = last / 2
        elif draft.position == "end" and draft.transition == "gradual":
            draft.fixed = last


def _place_quote(draft: Draft, found: tuple[int, int], words: Sequence[str], last: float, warnings: list[str]) -> None:
    first, final = found
    if draft.between:
        second = _find(draft.anchors[1], words, final + 1) or _find(draft.anchors[1], words, 0)
        if second is None or second[1] < first:
            warnings.append(f'the quoted words "{draft.anchors[1]}" are not in the text after "{draft.anchors[0]}", '
                            f'so "{draft.source}" starts at "{draft.anchors[0]}" and goes on')
        else:
            draft.fixed, draft.end = float(first), float(second[1] + 1)
            return
    if draft.anchor_after:
        draft.fixed = float(min(final + 1, last))
    elif draft.bounded or draft.brief:
        draft.fixed, draft.end = float(first), float(final + 1)
    else:
        draft.fixed = float(first)


def _spread(drafts: Sequence[Draft], n: int, last: float) -> None:
    """Unplaced phrases share the room between placed ones evenly, in the order they were described."""
    i = 1
    while i < len(drafts):
        if drafts[i].fixed is not None:
            i += 1
            continue
        j = i
        while j < len(drafts) and drafts[j].fixed is None:
            j += 1
        before = drafts[i - 1]
        bounded_left = before.end is not None
        left = before.end if before.end is not None else (before.fixed or 0.0)
        run = list(drafts[i:j])
        if j < len(drafts):
            right = drafts[j].fixed or 0.0
        elif run[-1].transition == "gradual" and not run[-1].brief:
            run[-1].fixed = max(last, left)  # "... slowly becomes furious": reached at the last word
            right = run.pop().fixed or 0.0
        else:
            right = float(n)  # the last phrase owns the last share of the words
        right = max(right, left)
        for k, draft in enumerate(run):
            if bounded_left:  # "angry for the first half, then calm": calm starts where the half ends
                draft.fixed = left + k * (right - left) / len(run)
            else:
                draft.fixed = left + (k + 1) * (right - left) / (len(run) + 1)
            draft.fixed = _split_word(draft.fixed, drafts[i - 1 + k], draft)
        i = j


def _split_word(position: float, before: Draft, after: Draft) -> float:
    """A boundary through the middle of a word (5 words in two halves) gives that word to the stronger emotion,
    so that "calm, then suddenly terrified" and "terrified, then suddenly calm" mirror exactly on any length."""
    if abs(position - round(position - 0.5) - 0.5) > 1e-9:
        return position
    return position - 0.5 if after.intensity > before.intensity else position + 0.5


def _close_brief(drafts: Sequence[Draft], n: int) -> None:
    length = float(min(3, max(1, round(n * BRIEF_SHARE))))
    for draft in drafts:
        if draft.brief and draft.end is None and draft.fixed is not None:
            start = float(round(draft.fixed))
            draft.fixed, draft.end = start, min(start + length, float(max(n, 1)))


# --- painting layers and reading keyframes off them ------------------------------------------------------------------


def _paint(base: Draft, ordered: Sequence[Draft], length: int, warnings: list[str]) -> list[tuple[float, Draft]]:
    """(start, draft) for each stretch of words owned by one draft, in order."""
    layers: list[tuple[float, float, Draft]] = [(0.0, float(length), base)]
    free = [d for d in ordered if d.end is None]
    for k, draft in enumerate(free):
        stop = free[k + 1].fixed if k + 1 < len(free) else float(length)
        begin = draft.fixed or 0.0
        index = ordered.index(draft)
        if draft.transition == "gradual" and index > 0 and ordered[index - 1].end is not None:
            # "furious at the start, calmer by the end": the calming begins where the start ends.
            begin = min(begin, ordered[index - 1].end or begin)
        layers.append((begin, max(stop or 0.0, draft.fixed or 0.0), draft))
    bounded = [d for d in ordered if d.end is not None]
    for a, b in zip(bounded, bounded[1:]):
        if (a.fixed, a.end) == (b.fixed, b.end) and a.source and b.source:
            warnings.append(f'"{a.source}" and "{b.source}" are placed on the same words; "{b.source}" (described '
                            "later) was used there")
    # Wider first, so narrower places paint over them; the stable sort keeps later over earlier for equal widths.
    for draft in sorted(bounded, key=lambda d: -((d.end or 0.0) - (d.fixed or 0.0))):
        layers.append((draft.fixed or 0.0, draft.end or 0.0, draft))
    cuts = sorted({min(max(x, 0.0), float(length)) for a, b, _ in layers for x in (a, b)})
    stretches: list[tuple[float, Draft]] = []
    for a, b in zip(cuts, cuts[1:]):
        if b <= a:
            continue
        middle = (a + b) / 2
        owner = next(d for s, e, d in reversed(layers) if s <= middle < e)
        if not stretches or stretches[-1][1] is not owner:
            stretches.append((a, owner))
    painted = {id(d) for _, d in stretches}
    for draft in ordered:
        if draft.source and id(draft) not in painted and not any(d.source == draft.source for _, d in stretches):
            warnings.append(no_word_of_its_own(draft.source, length))
    return stretches or [(0.0, base)]


def _keyframes(stretches: Sequence[tuple[float, Draft]]) -> list[Keyframe]:
    keyframes: list[Keyframe] = []
    for k, (start, draft) in enumerate(stretches):
        if k == 0:
            keyframes.append(_keyframe(draft, 0.0 if start <= 0 else start, draft.transition))
            continue
        previous = stretches[k - 1][1]
        entering = draft.fixed is not None and abs(start - draft.fixed) < 1e-9
        if entering:
            keyframes.append(_entry(draft, start))
        elif draft.fixed is not None and draft.fixed > start and draft.transition == "gradual":
            key = _keyframe(draft, draft.fixed, "gradual", draft.fixed - start)  # reached at its place, from `start`
            key.transition, key.span, key.align = "gradual", draft.fixed - start, "end"
            keyframes.append(key)
        else:  # what lay under a bounded phrase resumes after it: as abruptly as the phrase came, or a cross-fade
            exit_span = DEFAULT_SPAN if previous.transition == "gradual" else ACCENT_SPAN
            keyframes.append(_keyframe(draft, start, "sudden" if previous.transition == "sudden" else None, exit_span))
    return keyframes


def _entry(draft: Draft, start: float) -> Keyframe:
    if draft.transition == "gradual" and draft.end is not None:
        # "slowly angry over the last third": the change starts at the place and takes half of it.
        width = float(min(max(2.0, ((draft.end or start) - start) / 2), max((draft.end or start) - start, 1.0)))
        key = _keyframe(draft, start + width / 2, "gradual")
        key.span = width
        return key
    key = _keyframe(draft, start, draft.transition, ACCENT_SPAN if draft.end is not None else DEFAULT_SPAN)
    if draft.anchors and not draft.anchor_after and key.span is not None:
        key.align = "end"  # "angry at 'the money'": angry in full on "the money", the change just before it
    return key


def _keyframe(draft: Draft, position: float, transition: str | None, span: float = DEFAULT_SPAN) -> Keyframe:
    if transition == "sudden":
        kind, span_or_none = "sudden", None
    elif transition == "gradual":
        kind, span_or_none = "gradual", None
    else:
        kind, span_or_none = "gradual", span
    return Keyframe(
        position=round(position, 4),
        emotion=draft.emotion,
        intensity=round(draft.intensity, 4),
        transition=kind,
        mixture=draft.mixture,
        source=draft.source,
        span=span_or_none,
        implied=draft.implied,
        anchored=bool(draft.anchors),
    )


# --- quotes ----------------------------------------------------------------------------------------------------------


def _normalize(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word.lower().replace("’", "'"))


def _find(quote: str, words: Sequence[str], search_from: int) -> tuple[int, int] | None:
    """First and last word index of the quote in the text, preferring matches after the previous anchor."""
    target = [w for w in (_normalize(t.text) for t in tokenize(quote)) if w]
    if not target:
        return None
    for begin in (search_from, 0):
        for i in range(begin, len(words) - len(target) + 1):
            if list(words[i : i + len(target)]) == target:
                return i, i + len(target) - 1
    return None
