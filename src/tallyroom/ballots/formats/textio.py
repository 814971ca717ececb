"""Reading text ballot files line by line, safely.

Shared by the text readers: bounded line length (a 2 GB file of garbage with no newline
fails at once, in bounded memory), refusal of binary data, UTF-8 with a Latin-1 fallback
(some council exports are not UTF-8), and line numbers for error messages.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from collections.abc import Iterator
from typing import BinaryIO

from tallyroom.ballots.model import NAME_EXPECTED, Profile, name_key, name_problem
from tallyroom.errors import BallotFileError, printable


def first_binary(head: bytes) -> int:
    """The index of the first byte of ``head`` that no text file holds (a control character
    other than tab, newline, form feed and carriage return), or -1."""
    for i, b in enumerate(head):
        if b < 32 and b not in (9, 10, 12, 13):
            return i
    return -1


def first_content_line(head: bytes) -> str:
    """The first line of ``head`` that is neither blank nor a ``#`` comment, stripped ("" if
    none is among the first 200): what a sniffer looks at."""
    for raw in head.split(b"\n")[:200]:
        text = raw.decode("utf-8", "replace").lstrip("\ufeff").strip()
        if text and not text.startswith("#"):
            return text
    return ""


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 (hex) of a file, read in blocks (ballot files can be large)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def with_file_digest(profile: Profile, path: str | os.PathLike[str]) -> Profile:
    """``profile`` with the digest of the file it was read from (when it has none yet), so
    that the count's record names its input without the file."""
    if profile.source_sha256:
        return profile
    try:
        digest = file_sha256(path)
    except OSError:
        return profile
    return dataclasses.replace(profile, source_sha256=digest)


MAX_LINE = 1 << 20  # 1 MiB: no real ballot line comes near it
#: the longest number a file may hold: Python converts text of at most 4,300 digits to a
#: whole number (``sys.get_int_max_str_digits``, CVE-2020-10735); no weight comes near it
MAX_DIGITS = 4300
_LONG_NUMBER = re.compile(b"[0-9]{" + str(MAX_DIGITS + 1).encode() + b"}")
_LONG_NUMBER_TEXT = re.compile(f"[0-9]{{{MAX_DIGITS + 1}}}", re.ASCII)
LONG_NUMBER_EXPECTED = (
    f"numbers of at most {MAX_DIGITS:,} digits (the limit on converting text to a whole number)"
)

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
        if len(raw) > MAX_DIGITS and (m := _LONG_NUMBER.search(raw)) is not None:
            raise BallotFileError(
                name,
                lineno,
                m.start() + 1,
                f"a number of more than {MAX_DIGITS:,} digits",
                LONG_NUMBER_EXPECTED,
            )
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield lineno, decode_line(raw.rstrip(b"\r\n"), name, lineno)


def check_digits(text: str, name: str) -> None:
    """Refuse a whole text holding a number too long to convert, at its line and column."""
    if len(text) > MAX_DIGITS and (m := _LONG_NUMBER_TEXT.search(text)) is not None:
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        raise BallotFileError(
            name, line, col, f"a number of more than {MAX_DIGITS:,} digits", LONG_NUMBER_EXPECTED
        )


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


#: the largest side file (candidates, constraints) read whole
MAX_SIDE_FILE = 16 << 20


def read_text_file(path: str, what: str) -> str:
    """A small text file (a candidates or constraints file) read whole as UTF-8.

    Refused on one line: missing, too big, binary, or not UTF-8 (naming the line and column
    of the first byte that is not).
    """
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SIDE_FILE + 1)
    except FileNotFoundError:
        raise BallotFileError(path, None, None, "no such file", what) from None
    except IsADirectoryError:
        raise BallotFileError(path, None, None, "a directory", what) from None
    except PermissionError:
        raise BallotFileError(path, None, None, "no permission to read", what) from None
    if len(data) > MAX_SIDE_FILE:
        raise BallotFileError(path, None, None, f"a file over {MAX_SIDE_FILE >> 20} MiB", what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise BallotFileError(
            path, line, col, f"a byte that is not UTF-8 (0x{data[e.start]:02x})", what
        ) from None
    if "\x00" in text:
        at = text.index("\x00")
        line = text.count("\n", 0, at) + 1
        raise BallotFileError(path, line, None, "binary data (byte 0x00)", what)
    return text
