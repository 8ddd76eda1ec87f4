"""The --content option of `ectfg plan` and `ectfg generate`: how far the words of the text may move the plan."""

from __future__ import annotations

import argparse

# The core's default (ectfg_core.types.description.DEFAULT_CONTENT_AMOUNT), repeated so that building the parser stays light;
# tests/test_messages.py checks the two agree.
DEFAULT_CONTENT = 0.5


def add_content_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--content", type=content_amount, default=DEFAULT_CONTENT, metavar="X",
        help="how far the words of the text may move the emotion the description asks for: 0 = exactly the "
             f"description, 1 = the most; words of loss darken, words of delight lift (default {DEFAULT_CONTENT:g}). "
             "\"let the words colour it\" in the description lets them take the lead",
    )


def content_amount(text: str) -> float:
    """argparse type: a number from 0 to 1 (argparse names the flag in its one-line error)."""
    from ectfg_core.emotion.content import check_amount
    from ectfg_core.errors import InputError

    try:
        return check_amount(text)
    except InputError as err:
        message = str(err)
        raise argparse.ArgumentTypeError(message[len("content "):] if message.startswith("content ") else message) from None
