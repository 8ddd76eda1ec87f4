"""Per-word emotion targets + the engine's word timings -> the EmotionPlan every later stage reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ectfg_core.emotion.description import parse_description
from ectfg_core.errors import InputError
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT, DescribedEmotion
from ectfg_core.types.emotion import EmotionPlan, WordEmotion


def build_plan(description: str, described: DescribedEmotion, timings: Sequence[Any]) -> EmotionPlan:
    """One WordEmotion per timed word. `timings` holds (word, start, end) tuples, or objects with those attributes
    (such as types.speech.WordTiming), in the same order as the words the description was parsed against."""
    if len(timings) != len(described.targets):
        raise InputError(
            f"got timings for {len(timings)} words but the emotion plan has {len(described.targets)}; "
            "pass one (word, start, end) per word of the text, in order"
        )
    words: list[WordEmotion] = []
    for timing, target in zip(timings, described.targets, strict=True):
        word, start, end = _unpack(timing)
        entry = WordEmotion(
            word=word,
            start=start,
            end=end,
            emotion=target.emotion,
            intensity=min(max(float(target.intensity), 0.0), 1.0),
            mixture=dict(target.mixture) if target.mixture else None,
        )
        entry.validate()
        words.append(entry)
    return EmotionPlan(words=words, warnings=list(described.warnings), description=str(description or ""),
                       content=getattr(described, "content", None), content_stance=getattr(described, "stance", None))


def plan_description(description: str, timings: Sequence[Any],
                     content_amount: float = DEFAULT_CONTENT_AMOUNT) -> tuple[EmotionPlan, DescribedEmotion]:
    """Parse the description against the timed words and build the plan in one step."""
    described = parse_description(description, [_unpack(t)[0] for t in timings], content_amount=content_amount)
    return build_plan(description, described, timings), described


def _unpack(timing: Any) -> tuple[str, float, float]:
    try:
        if hasattr(timing, "word"):
            return str(timing.word), float(timing.start), float(timing.end)
        word, start, end = timing
        return str(word), float(start), float(end)
    except (TypeError, ValueError):
        raise InputError(f"a word timing must be (word, start, end) with times in seconds; got {timing!r}") from None
