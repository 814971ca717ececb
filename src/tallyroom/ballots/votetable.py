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
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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
    name = os.fspath(path)
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
