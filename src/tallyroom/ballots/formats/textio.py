"""Reading text ballot files line by line, safely.

Shared by the text readers: bounded line length (a 2 GB file of garbage with no newline
fails at once, in bounded memory), refusal of binary data, UTF-8 with a Latin-1 fallback
(some council exports are not UTF-8), and line numbers for error messages.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import BinaryIO

from tallyroom.ballots.model import NAME_EXPECTED, name_key, name_problem
from tallyroom.errors import BallotFileError, printable

MAX_LINE = 1 << 20  # 1 MiB: no real ballot line comes near it

_CONTROL = (
    bytes(range(0, 32))
    .replace(b"\t", b"")
    .replace(b"\n", b"")
    .replace(b"\r", b"")
    .replace(b"\x0c", b"")
)
_CONTROL_TABLE = bytes.maketrans(b"", b"")


def open_binary(path: str | os.PathLike[str] | BinaryIO) -> tuple[BinaryIO, str]:
    """Open a path (or take an open binary stream) and return it with its display name."""
    if hasattr(path, "read"):
        stream = path  # type: ignore[assignment]
        name = str(getattr(stream, "name", "<stream>"))
        if isinstance(stream, io.TextIOBase):
            # a text stream: read it back as UTF-8 bytes
            stream = io.BytesIO(stream.read().encode("utf-8"))  # type: ignore[union-attr]
        return stream, name  # type: ignore[return-value]
    name = os.fspath(path)
    try:
        return open(name, "rb"), name  # noqa: SIM115
    except FileNotFoundError:
        raise BallotFileError(name, None, None, "no such file", "a readable ballot file") from None
    except IsADirectoryError:
        raise BallotFileError(name, None, None, "a directory", "a ballot file") from None
    except PermissionError:
        raise BallotFileError(
            name, None, None, "no permission to read", "a readable ballot file"
        ) from None


def decode_line(raw: bytes, name: str, lineno: int) -> str:
    """Decode one line, refusing binary data with the line and column of the first bad byte."""
    bad = raw.translate(_CONTROL_TABLE, _CONTROL)
    if len(bad) != len(raw):
        for col, byte in enumerate(raw, 1):
            if bytes([byte]) in _CONTROL:
                raise BallotFileError(
                    name, lineno, col, f"binary data (byte 0x{byte:02x})", "a text file"
                )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text without line ending)``; a first-line BOM is dropped."""
    buffered = stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream)  # type: ignore[arg-type, type-var]
    lineno = 0
    while True:
        raw = buffered.readline(MAX_LINE + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            raise BallotFileError(
                name, lineno, None, "a line longer than 1 MiB", "a ballot file of ordinary lines"
            )
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield lineno, decode_line(raw.rstrip(b"\r\n"), name, lineno)


def shown(token: str, limit: int = 40) -> str:
    """A token as quoted in an error message, shortened if long, controls escaped."""
    if len(token) > limit:
        token = token[:limit] + "..."
    return repr(token) if token.isprintable() else "'" + printable(token) + "'"


def check_name(nm: str, keys: dict[str, str], path: str, line: int | None, col: int | None) -> None:
    """Refuse, at its line, a candidate name that is not one line of printable text or that
    a reader could not tell from one met before (``keys``: name key -> name, updated)."""
    problem = name_problem(nm)
    if problem is not None:
        raise BallotFileError(path, line, col, problem, NAME_EXPECTED)
    other = keys.setdefault(name_key(nm), nm)
    if other != nm:
        raise BallotFileError(
            path,
            line,
            col,
            f"the candidate name '{printable(nm, 80)}', which differs from "
            f"'{printable(other, 80)}' only in case or Unicode form",
            NAME_EXPECTED,
        )
