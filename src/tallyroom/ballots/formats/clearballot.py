"""Clear Ballot ClearVote cast-vote records (CSV, the "2.1 RCV" layout), as RCTab reads them.

Ten fixed columns (``RowNumber, BoxID, BoxPosition, BallotID, PrecinctID, BallotStyleID,
PrecinctStyleName, ScanComputerName, Status, Remade``), then a column per choice and rank,
headed ``Choice_<id>_<n>:<contest>:<rank>:<vote rule>:<choice>:<party>``; a row is a paper,
``1`` where the voter marked that choice at that rank and ``0`` where not.  Cells are read
as CSV (a contest name may hold a quoted comma).  The file is streamed a row at a time and
identical papers merged; a malformed header or cell is refused with its line and column.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, BinaryIO

from tallyroom.ballots.formats._ranks import (
    OVERVOTE_MARK,
    count,
    display,
    marks_by_rank,
    open_binary,
)
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import BallotFileError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

UWI_NAME = "Undeclared Write-ins"
FIXED = (
    "RowNumber",
    "BoxID",
    "BoxPosition",
    "BallotID",
    "PrecinctID",
    "BallotStyleID",
    "PrecinctStyleName",
    "ScanComputerName",
    "Status",
    "Remade",
)
EXPECTED_HEADER = "Choice_<id>_<n>:<contest>:<rank>:<vote rule>:<choice>:<party>"
MAX_CELL = 10_000


def read_clearballot(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    contest: str | None = None,
    max_rankings: int | None = None,
    aliases: Mapping[str, str] | None = None,
    uwi_label: str | None = None,
    overvote_label: str | None = None,
    precincts: dict[str, dict[tuple, int]] | None = None,
) -> Profile:
    """Read a Clear Ballot CSV for one contest (without ``contest`` the file must hold
    one).  A rank past ``max_rankings`` in the header is refused, as RCTab refuses it."""
    name = display(path)
    alias = dict(aliases or {})
    raw_stream = open_binary(path, name, "a Clear Ballot CSV")
    with raw_stream, io.TextIOWrapper(raw_stream, encoding="utf-8-sig", newline="") as text:
        csv.field_size_limit(MAX_CELL)
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as e:
            raise BallotFileError(name, 1, None, str(e)[:100], "a CSV header row") from None
        if header is None:
            raise BallotFileError(name, None, None, "an empty file", "a Clear Ballot CSV header")
        if tuple(h.strip() for h in header[: len(FIXED)]) != FIXED:
            raise BallotFileError(
                name, 1, 1, ",".join(header[: len(FIXED)])[:120], "the columns " + ",".join(FIXED)
            )
        choices: list[tuple[int, str, int, str]] = []  # column, contest, rank, choice
        for col in range(len(FIXED), len(header)):
            fields = header[col].split(":")
            if len(fields) != 6 or not fields[0].startswith("Choice_"):
                raise BallotFileError(name, 1, col + 1, repr(header[col])[:80], EXPECTED_HEADER)
            if not fields[2].isdigit() or not 1 <= int(fields[2]) <= 10_000:
                raise BallotFileError(
                    name, 1, col + 1, f"rank {fields[2]!r}", "a rank of 1 or more"
                )
            choices.append((col, fields[1], int(fields[2]), fields[4]))
        contests = list(dict.fromkeys(c for _, c, _, _ in choices))
        wanted = contest if contest is not None else (contests[0] if len(contests) == 1 else None)
        if wanted not in contests:
            found = (
                f"no contest {contest!r}" if contest is not None else f"{len(contests)} contests"
            )
            raise BallotFileError(
                name, 1, None, found, "one contest named, of: " + "; ".join(contests)[:250]
            )
        names: list[str] = []
        index: dict[str, int] = {}
        columns: list[tuple[int, int, int]] = []  # column, rank, candidate
        for col, ct, rank, choice in choices:
            if ct != wanted:
                continue
            if max_rankings is not None and rank > max_rankings:
                raise BallotFileError(
                    name,
                    1,
                    col + 1,
                    f"rank {rank} in the header",
                    f"ranks up to the {max_rankings} allowed (maxRankingsAllowed)",
                )
            if overvote_label is not None and choice == overvote_label:
                columns.append((col, rank, OVERVOTE_MARK))
                continue
            cand = UWI_NAME if uwi_label is not None and choice == uwi_label else choice
            cand = alias.get(cand, cand)
            if cand not in index:
                index[cand] = len(names)
                names.append(cand)
            columns.append((col, rank, index[cand]))
        raw: dict[tuple, int] = {}
        line = 1
        width = len(header)
        try:
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != width:
                    raise BallotFileError(
                        name, line, None, f"{len(row)} cells", f"{width} cells, as the header"
                    )
                by_rank: dict[int, list[int]] = {}
                for col, rank, at in columns:
                    cell = row[col].strip()
                    if cell == "1":
                        by_rank.setdefault(rank, []).append(at)
                    elif cell not in ("0", ""):
                        raise BallotFileError(name, line, col + 1, repr(cell)[:40], "1 or 0")
                key = marks_by_rank(by_rank, None)
                count(raw, key)
                if precincts is not None:
                    count(precincts.setdefault(row[4].strip(), {}), key)
        except csv.Error as e:
            raise BallotFileError(name, reader.line_num, None, str(e)[:100], "a CSV row") from None
        except UnicodeDecodeError:
            raise BallotFileError(
                name, line + 1, None, "bytes that are not UTF-8", "UTF-8"
            ) from None
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=name)


def sniff(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").lstrip(b'"').startswith(b"RowNumber") and b"Choice_" in head


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_clearballot` as the registry calls every reader (1 seat when none is given; the
    contest named, if any)."""
    return read_clearballot(
        source,
        options.ballot_rules,
        seats=options.seats or 1,
        contest=options.contest,
    )
