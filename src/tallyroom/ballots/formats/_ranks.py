"""Shared by the cast-vote-record readers: a paper's marks, rank by rank, from the
(rank, candidate) pairs a record holds -- several candidates at a rank an overvote, a rank
with none a skipped rank, ranks past ``max_rankings`` left unread."""

from __future__ import annotations

import os
from typing import BinaryIO

from tallyroom.ballots.model import OVERVOTE, Preference
from tallyroom.errors import BallotFileError

#: the candidate index a reader gives to its file's explicit overvote label
OVERVOTE_MARK = -1


def display(p: object) -> str:
    """The name a reader gives its file in errors and as the profile's source."""
    if hasattr(p, "read"):
        return str(getattr(p, "name", "<stream>"))
    return str(os.fspath(p))  # type: ignore[call-overload]


def open_binary(path: object, name: str, expected: str) -> BinaryIO:
    """``path`` opened to read bytes (a stream as it is); a missing or unreadable file
    refused, naming it, with ``expected`` what a missing file should have been."""
    try:
        return path if hasattr(path, "read") else open(path, "rb")  # type: ignore[return-value,call-overload]
    except FileNotFoundError:
        raise BallotFileError(name, None, None, "no such file", expected) from None
    except OSError as e:
        raise BallotFileError(
            name, None, None, e.strerror or "unreadable", "a readable file"
        ) from None


def count(tally: dict[tuple, int], key: tuple) -> None:
    """One more paper marked ``key`` in ``tally`` (identical papers merged)."""
    tally[key] = tally.get(key, 0) + 1


def marks_by_rank(by_rank: dict[int, list[int]], max_rankings: int | None) -> tuple:
    top = max(by_rank, default=0)
    if max_rankings is not None:
        top = min(top, max_rankings)
    marks: list[Preference | None] = []
    for r in range(1, top + 1):
        got = by_rank.get(r)
        if not got:
            marks.append(None)
        elif OVERVOTE_MARK in got:
            marks.append(OVERVOTE)
        elif len(got) == 1:
            marks.append(got[0])
        else:
            marks.append(tuple(got))
    return tuple(marks)
