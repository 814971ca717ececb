"""tallyroom: count the elections of membership organisations exactly.

The public surface::

    from tallyroom import read, count, Profile, Election, CountRecord

    profile = read("ward.blt")
    record = count(profile, "scottish-stv")
    print(record.elected)
"""

from __future__ import annotations

__version__ = "0.1.0"

from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import (
    BallotFileError,
    CountError,
    ElectionError,
    RuleError,
    TallyroomError,
)
from tallyroom.record import CountRecord, Event, Stage, TieBreak
from tallyroom.rules import count, get, rules


def read(path, format=None, **options):  # type: ignore[no-untyped-def]
    """Read a ballot file (format from the extension or the content); see ``tallyroom.ballots.formats``."""
    from tallyroom.ballots.formats import read as _read

    return _read(path, format, **options)


def load_result(source):  # type: ignore[no-untyped-def]
    """The :class:`CountRecord` of a ``tallyroom.result/1`` JSON file (a path, or an open
    text file): equal to the record the file was written from."""
    import os

    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8") as f:
            text = f.read()
    else:
        text = source.read()
    return CountRecord.from_json(text)


__all__ = [
    "BallotFileError",
    "BallotRules",
    "Candidate",
    "CountError",
    "CountRecord",
    "Election",
    "ElectionError",
    "Event",
    "Profile",
    "RuleError",
    "Stage",
    "TallyroomError",
    "TieBreak",
    "__version__",
    "count",
    "get",
    "load_result",
    "read",
    "rules",
]
