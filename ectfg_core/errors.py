"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""


class InputError(ValueError):
    """Bad input from the user: the message names the problem and the fix.

    `field` names the value at fault in the library's own words ("emotion", "content", "fps"), so that whoever
    called can point at it in theirs: the CLI adds its flag (--content), a node its input (`content`). The message
    itself stays free of either.
    """

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ModelError(RuntimeError):
    """Missing or unusable weights or engine data: the message names the files expected and where."""
