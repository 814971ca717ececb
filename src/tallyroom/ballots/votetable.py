"""Party-list vote tables: votes per party per constituency, and a reader for the
``list-pr`` semicolon-separated tables (votelib's test data layout).

Layouts read by :func:`read_votetable`:

* ``party;<constituency>;<constituency>;...`` header, one row per party (Czech Chamber);
* ``<label>;<party>;<party>;...`` header, one row per constituency (New Zealand
  electorates), when the first header cell is not ``party``;
* no header, ``party;coalition;votes[;seats]`` rows: one national constituency, the
  coalition column holding 0 for a party and otherwise the number of parties in the
  coalition (1 is read as "a coalition of unknown size"), the optional last column the
  official seats (Slovak National Council).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from tallyroom.ballots.formats.textio import file_sha256
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.errors import BallotFileError

NATIONAL = "national"


@dataclass(frozen=True)
class VoteTable:
    parties: tuple[str, ...]
    constituencies: tuple[str, ...]
    votes: Mapping[tuple[str, str], int]  # (party, constituency) -> votes
    coalition: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    official_seats: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""
    #: the SHA-256 of the file as read (empty for a table built in memory)
    source_sha256: str = ""

    def party_totals(self) -> dict[str, int]:
        return {
            p: sum(self.votes.get((p, c), 0) for c in self.constituencies) for p in self.parties
        }

    def constituency_totals(self) -> dict[str, int]:
        return {
            c: sum(self.votes.get((p, c), 0) for p in self.parties) for c in self.constituencies
        }

    def in_constituency(self, constituency: str) -> dict[str, int]:
        return {p: self.votes.get((p, constituency), 0) for p in self.parties}

    def profile(self, seats: int, constituency: str | None = None) -> Profile:
        """The table (or one constituency of it) as a profile: one ballot per party, its
        weight the party's votes; coalition sizes ride on the candidates' attributes."""
        totals = self.party_totals() if constituency is None else self.in_constituency(constituency)
        cands = tuple(
            Candidate(p, {"coalition": str(self.coalition[p])} if self.coalition.get(p) else {})
            for p in self.parties
        )
        election = Election(candidates=cands, seats=seats, title=constituency or "")
        return Profile.build(
            election,
            [((i,), totals[p]) for i, p in enumerate(self.parties) if totals[p] > 0],
            source=self.source,
        )


def _int(text: str, path: str, line: int, col: int) -> int:
    t = text.strip().replace(" ", "")
    if t == "":
        return 0
    try:
        v = int(t)
    except ValueError:
        raise BallotFileError(path, line, col, repr(text), "a whole number of votes") from None
    if v < 0:
        raise BallotFileError(path, line, col, repr(text), "a number of votes, 0 or more")
    return v


def read_votetable(path: str | os.PathLike[str], *, delimiter: str = ";") -> VoteTable:
    """Read a vote table (the layouts above), with the digest of its file."""
    table = _read_votetable(os.fspath(path), delimiter)
    return replace(table, source_sha256=file_sha256(table.source))


def _read_votetable(name: str, delimiter: str) -> VoteTable:
    try:
        with open(name, encoding="utf-8") as f:
            rows = [line.rstrip("\r\n").split(delimiter) for line in f if line.strip()]
    except FileNotFoundError:
        raise BallotFileError(name, None, None, "no such file", "a vote table") from None
    except UnicodeDecodeError as e:
        raise BallotFileError(
            name, None, None, f"bytes that are not UTF-8 ({e.reason})", "a UTF-8 text file"
        ) from None
    if not rows:
        raise BallotFileError(name, None, None, "an empty file", "a vote table")
    first = rows[0]
    votes: dict[tuple[str, str], int] = {}
    if (
        len(first) >= 3
        and first[1].strip().isascii()
        and first[1].strip().isdigit()
        and first[2].strip().replace(" ", "").isascii()
        and first[2].strip().replace(" ", "").isdigit()
    ):
        parties: list[str] = []
        coalition: dict[str, int] = {}
        official: dict[str, int] = {}
        for ln, row in enumerate(rows, 1):
            if len(row) not in (3, 4):
                raise BallotFileError(
                    name, ln, None, f"{len(row)} fields", "party;coalition;votes[;seats]"
                )
            p = row[0].strip()
            parties.append(p)
            size = _int(row[1], name, ln, 2)
            if size:
                coalition[p] = size
            votes[(p, NATIONAL)] = _int(row[2], name, ln, 3)
            if len(row) == 4:
                official[p] = _int(row[3], name, ln, 4)
        return VoteTable(
            tuple(parties),
            (NATIONAL,),
            votes,
            MappingProxyType(coalition),
            MappingProxyType(official),
            name,
        )
    header = [h.strip() for h in first]
    body = rows[1:]
    if header[0].casefold() == "party":
        consts = tuple(header[1:])
        parties = []
        for ln, row in enumerate(body, 2):
            if len(row) != len(header):
                raise BallotFileError(
                    name, ln, None, f"{len(row)} fields", f"{len(header)} fields as in the header"
                )
            p = row[0].strip()
            parties.append(p)
            for j, c in enumerate(consts, 1):
                votes[(p, c)] = _int(row[j], name, ln, j + 1)
        return VoteTable(tuple(parties), consts, votes, source=name)
    parties = header[1:]
    consts_l: list[str] = []
    for ln, row in enumerate(body, 2):
        if len(row) != len(header):
            raise BallotFileError(
                name, ln, None, f"{len(row)} fields", f"{len(header)} fields as in the header"
            )
        c = row[0].strip()
        consts_l.append(c)
        for j, p in enumerate(parties, 1):
            votes[(p, c)] = _int(row[j], name, ln, j + 1)
    return VoteTable(tuple(parties), tuple(consts_l), votes, source=name)


# -- the registered reader ---------------------------------------------------------------------

_HEADLESS_ROW = re.compile(r"[^;\d][^;]*;\s*\d+\s*;\s*[\d ]+(;\s*\d+\s*)?")


def looks_like_votetable(head: bytes | str) -> bool:
    """Whether the first bytes of a file are a vote table: semicolon-separated, with a
    ``party;<constituency>...`` header, or ``party;coalition;votes[;seats]`` rows."""
    if isinstance(head, bytes):
        text = head.decode("utf-8", "replace")
    else:
        text = head
    lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines() if ln.strip()]
    if not lines or "," in lines[0] or "\t" in lines[0]:
        return False
    first = lines[0].split(";")
    if len(first) >= 2 and first[0].strip().casefold() == "party":
        return True
    rows = lines[:-1] if len(lines) > 1 else lines  # the last line may be cut short
    return all(_HEADLESS_ROW.fullmatch(ln) for ln in rows[:20])


def file_looks_like_votetable(path: str | os.PathLike[str]) -> bool:
    try:
        with open(path, "rb") as f:
            return looks_like_votetable(f.read(4096))
    except OSError:
        return False


def read_profile(source: Any, rules: Any = None, seats: int | None = None) -> Profile:
    """A vote table as a profile of its national totals (one ballot per party, weighted
    by its votes), for the registered list rules; a table of several constituencies is
    counted constituency by constituency by :func:`tallyroom.rules.lists.count_table`."""
    if not isinstance(source, str | os.PathLike):
        raise BallotFileError(
            str(getattr(source, "name", "<stream>")), None, None, "a stream", "a path"
        )
    table = read_votetable(source)
    if seats is None:
        raise BallotFileError(
            table.source, None, None, "no seat count (a vote table holds none)", "--seats N"
        )
    return table.profile(seats)


def read_seats_table(path: str | os.PathLike[str], *, delimiter: str = ";") -> dict[str, int]:
    """Seats per constituency: ``constituency;seats`` rows (a header row is allowed)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            rows = [line.rstrip("\r\n").split(delimiter) for line in f if line.strip()]
    except FileNotFoundError:
        raise BallotFileError(name, None, None, "no such file", "a seats table") from None
    except UnicodeDecodeError as e:
        raise BallotFileError(
            name, None, None, f"bytes that are not UTF-8 ({e.reason})", "a UTF-8 text file"
        ) from None
    out: dict[str, int] = {}
    for ln, row in enumerate(rows, 1):
        if len(row) != 2:
            raise BallotFileError(name, ln, None, f"{len(row)} fields", "constituency;seats")
        if ln == 1 and not row[1].strip().isdigit():
            continue  # a header
        c = row[0].strip()
        if c in out:
            raise BallotFileError(name, ln, 1, repr(c), "each constituency once")
        out[c] = _int(row[1], name, ln, 2)
    if not out:
        raise BallotFileError(name, None, None, "no rows", "constituency;seats rows")
    return out
