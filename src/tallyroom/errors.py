"""Exceptions raised by tallyroom.

All are subclasses of :class:`TallyroomError`; the command line prints their message on one
line and exits non-zero, never with a traceback::

    TallyroomError
    ├── BallotFileError      a file could not be read (file, line, column, found, expected)
    ├── ElectionFileError    an election file (TOML) that cannot be counted (file, key, found,
    │                        expected)
    ├── ElectionError        an impossible election (more seats than candidates, unknown name)
    ├── RuleError            an unknown rule or option, or options that contradict each other
    │   └── DecisionNeeded   a tie only the returning officer can decide, and no decision left
    ├── CountError           the count itself failed a check (books did not balance)
    └── RecordError          a count record (``tallyroom.result/1`` JSON) that cannot be read
"""

from __future__ import annotations

import unicodedata

#: the most characters a message quotes from its input (file name, token found, ...)
QUOTE_LIMIT = 200
#: the most characters of any message: a message is one line a person reads
MESSAGE_LIMIT = 1000
#: controls, format characters (bidi, zero-width), surrogates, line and paragraph separators
_UNPRINTABLE = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def printable(text: str, limit: int | None = None) -> str:
    """``text`` safe to print on one line: control and format characters (Unicode Cc and
    Cf: newlines, ESC, bidirectional overrides, zero-width characters) shown escaped as
    ``\\x1b`` or ``\\u202e``, and cut to ``limit`` characters with "..." when longer.

    A terminal or a log viewer must not be fooled by a message that quotes the input.
    """
    if not text.isprintable():
        out = []
        for ch in text:
            if ch.isprintable() or unicodedata.category(ch) not in _UNPRINTABLE:
                out.append(ch)
            else:
                n = ord(ch)
                out.append(
                    f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"
                )
        text = "".join(out)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return text


class TallyroomError(Exception):
    """Base of every error tallyroom raises on purpose.

    Its message is made one printable line (see :func:`printable`), at most
    :data:`MESSAGE_LIMIT` characters, whatever the input it quotes.
    """

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (printable(args[0], MESSAGE_LIMIT),)
        super().__init__(*args)


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
        where = printable(path, QUOTE_LIMIT)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(
            f"{where}: found {printable(found, QUOTE_LIMIT)}; "
            f"expected {printable(expected, QUOTE_LIMIT)}"
        )


class ElectionFileError(TallyroomError):
    """An election file (``election.toml``) that cannot be counted: the file, the key (or
    the line and column of a TOML syntax error), what was found and what was expected."""

    def __init__(
        self,
        path: str,
        key: str,
        found: str,
        expected: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = path
        self.key = key
        self.line = line
        self.column = column
        self.found = found
        self.expected = expected
        where = printable(path, QUOTE_LIMIT)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        if key:
            where += f": {printable(key, QUOTE_LIMIT)}"
        super().__init__(
            f"{where}: found {printable(found, QUOTE_LIMIT)}; "
            f"expected {printable(expected, QUOTE_LIMIT)}"
        )


class ElectionError(TallyroomError):
    """An election that cannot be counted as asked."""


class RuleError(TallyroomError):
    """An unknown counting rule or option, or contradictory options."""


class DecisionNeeded(RuleError):
    """A tie that falls to the returning officer's decision, with no decision given for it.

    A front end asks the returning officer to choose one of :attr:`tied`, then runs the
    count again with the decisions so far plus that one (ties are data: the count replays
    exactly).  ``stage`` is the stage at which the tie arose, ``purpose`` what it decides
    ("exclusion", "order of surpluses", "last seat", ...).
    """

    def __init__(self, stage: int, purpose: str, tied: tuple[str, ...]) -> None:
        self.stage = stage
        self.purpose = purpose
        self.tied = tuple(tied)
        super().__init__(
            f"stage {stage}: a tie for {purpose} between {', '.join(self.tied)} needs the "
            "returning officer's decision, and none is left among the decisions given"
        )


class CountError(TallyroomError):
    """A count that failed one of its own checks; this is a bug, please report it."""


class RecordError(TallyroomError):
    """A count record that cannot be read back (not a ``tallyroom.result/1`` document)."""
