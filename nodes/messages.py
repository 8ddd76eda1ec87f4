"""Input errors worded for the node: the core names the value at fault in its own words (InputError.field); the node
says which of its inputs holds it, so nothing in a node's message points at the command line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ectfg_core.errors import InputError


def for_node(err: InputError, node: str, inputs: Mapping[str, str]) -> InputError:
    """The same error, its message ending with the node input that holds the value at fault (when it has one)."""
    name = inputs.get(err.field or "")
    if name is None:
        return err
    return InputError(f"{err} (the `{name}` input of {node})", field=err.field)


@contextmanager
def naming_inputs(node: str, inputs: Mapping[str, str]) -> Iterator[None]:
    """Run core code; an InputError about one of `inputs` (core field -> node input name) comes out naming it."""
    try:
        yield
    except InputError as err:
        worded = for_node(err, node, inputs)
        if worded is err:
            raise
        raise worded from None
