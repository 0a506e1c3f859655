"""The one error type of optsuite, and its two flavours: bad input files and bad parameters.

Every error that a user can fix raises an `OptsuiteError`; the CLI prints its message on one line and
exits with code 2. Anything else escaping a command is a bug (exit code 1).
"""

from __future__ import annotations


class OptsuiteError(Exception):
    """A problem the user can fix: the message says what was expected, what was found, and how to fix it."""


class InputError(OptsuiteError):
    """A problem in an input file, located by file, line and field where those are known."""

    def __init__(self, path, message: str, *, line: int | None = None, field: str | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append("<stdin>" if self.path == "-" else self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(str(self.field))
        prefix = ", ".join(where)
        return f"{prefix}: {self.detail}" if prefix else self.detail


class ParameterError(OptsuiteError):
    """An invalid parameter value; `name` is the Python keyword (the CLI shows it as --name)."""

    def __init__(self, name: str, message: str):
        self.name = name
        self.detail = message
        super().__init__(f"{self.option}: {message}")

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


class ResourceError(OptsuiteError):
    """The problem does not fit this machine (e.g. an n x n matrix larger than the available memory)."""
