"""How long reading a description takes: `python -m ectfg_core.emotion.bench` prints milliseconds per parse.

Figures only; nothing here asserts a speed. Parsing runs once per generation, before speech; the target is well
under 10 ms for a sentence or two of text.
"""

from __future__ import annotations

import time

from ectfg_core.emotion.content_lexicon import builtin
from ectfg_core.emotion.description import parse_description
from ectfg_core.text import tokenize

SHORT = "I can't believe you did that. After everything we went through, you just took the money and left."
DESCRIPTIONS = (
    "happy",
    "starts calm, slowly becomes furious at 'the money', then breaks down towards the end",
    "sad throughout, with anger underneath, briefly surprised at 'took the money'",
    "not angry, just tired; angry for the last third!!",
)


def measure(repeats: int = 200) -> list[tuple[str, int, float]]:
    """(description, words, milliseconds per parse) for typical and long inputs."""
    started = time.perf_counter()
    builtin.cache_clear()
    builtin()
    rows = [("(loading the built-in content lexicon)", 0, (time.perf_counter() - started) * 1000)]
    for text, times in ((SHORT, repeats), (SHORT * 9, max(repeats // 10, 1)), (SHORT * 50, max(repeats // 50, 1))):
        words = [t.text for t in tokenize(text)]
        for description in DESCRIPTIONS:
            started = time.perf_counter()
            for _ in range(times):
                parse_description(description, words)
            rows.append((description, len(words), (time.perf_counter() - started) * 1000 / times))
    return rows


def main() -> None:
    print(f"{'words':>6} {'ms/parse':>9}  description")
    for description, words, ms in measure():
        print(f"{words:>6} {ms:9.2f}  {description}")


if __name__ == "__main__":
    main()
