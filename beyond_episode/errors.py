"""The one error type the suite raises for bad input: its message is a single line."""

from inspect_ai._util.error import PrerequisiteError


class BepError(PrerequisiteError):
    """A user-facing error. ``bep`` and ``inspect eval`` both print its one line, no traceback.

    It derives from Inspect's ``PrerequisiteError`` so that Inspect's own command line, too,
    shows the message alone when a task rejects its arguments.
    """

    def __init__(self, message: str) -> None:
        line = " ".join(str(message).split())
        super().__init__(line)
        Exception.__init__(self, line)

    def __str__(self) -> str:
        return str(self.message)
