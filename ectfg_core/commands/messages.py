"""Input errors worded for the command line: the core names the value at fault in its own words (InputError.field);
the CLI turns that into its flag and points at the command's help."""

from __future__ import annotations

from ectfg_core.errors import InputError

# Core field -> the flag that sets it, where the two are not simply "--" + the field with dashes.
_FLAGS: dict[str, str] = {}
# Fields no flag sets as such (a plan or track arrives in a file): their messages stand as they are.
_NO_FLAG = frozenset({"plan", "track"})


def for_cli(err: InputError, command: str) -> str:
    """One line for `ectfg <command>`: the message with the flag that holds the value at fault, and where help is."""
    message = str(err)
    field = getattr(err, "field", None)
    if not field or field in _NO_FLAG:
        return message
    flag = _FLAGS.get(field, "--" + field.replace("_", "-"))
    spoken = field.replace("_", " ")
    if message.startswith(spoken + " "):  # "fps 500 is out of range" -> "--fps 500 is out of range"
        message = flag + message[len(spoken):]
    else:
        message = f"{flag}: {message}"
    return f"{message} (see `ectfg {command} --help`)"
