"""Exceptions raised by tallyroom.

All are subclasses of :class:`TallyroomError`; the command line prints their message on one
line and exits non-zero, never with a traceback::

    TallyroomError
    ├── BallotFileError      a file could not be read (file, line, column, found, expected)
    ├── ElectionError        an impossible election (more seats than candidates, unknown name)
    ├── RuleError            an unknown rule or option, or options that contradict each other
    └── CountError           the count itself failed a check (books did not balance)
"""

from __future__ import annotations


class TallyroomError(Exception):
    """Base of every error tallyroom raises on purpose."""


class BallotFileError(TallyroomError):
    """A ballot file that cannot be read, with where and why."""

    def __init__(
        self,
        path: str,
        line: int | None,
        column: int | None,
        found: str,
        expected: str,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.found = found
        self.expected = expected
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: found {found}; expected {expected}")


class ElectionError(TallyroomError):
    """An election that cannot be counted as asked."""


class RuleError(TallyroomError):
    """An unknown counting rule or option, or contradictory options."""


class CountError(TallyroomError):
    """A count that failed one of its own checks; this is a bug, please report it."""
