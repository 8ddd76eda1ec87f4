"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""


class InputError(ValueError):
    """Bad input from the user: the message names the problem and the fix."""


class ModelError(RuntimeError):
    """Missing or unusable weights or engine data: the message names the files expected and where."""
