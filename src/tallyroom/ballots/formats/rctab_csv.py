"""RCTab's generic CSV cast-vote records: a header row naming the candidates, a row per
paper, and in each candidate's column the rank the voter gave them (blank: not ranked).

The columns before ``first_vote_column`` (numbered from 1, RCTab's
``firstVoteColumnIndex``) hold an id, a precinct, a batch ...; the papers start at
``first_vote_row`` (``firstVoteRowIndex``; 2 below a header).  A column headed with the
undeclared-write-in label counts for "Undeclared Write-ins".  Two candidates at one rank are
an overvote.  A rank past ``max_rankings`` is refused (RCTab refuses the file), as is a cell
that is not a rank, each with its line and column.

:func:`write_rctab_csv` writes a profile in this layout (RCTab's "rctab CSV" CVR, as its
``convert`` writes it): ``ballot_id`` then a column per candidate.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, BinaryIO, TextIO

from tallyroom.ballots.formats._ranks import count, display, marks_by_rank, open_binary
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import BallotFileError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

UWI_NAME = "Undeclared Write-ins"
MAX_CELL = 10_000
MAX_RANK = 10_000


def read_rctab_csv(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    first_vote_column: int = 2,
    first_vote_row: int = 2,
    max_rankings: int | None = None,
    aliases: Mapping[str, str] | None = None,
    uwi_label: str | None = None,
    precinct_column: int | None = None,
    precincts: dict[str, dict[tuple, int]] | None = None,
    batch_column: int | None = None,
    batches: dict[str, dict[tuple, int]] | None = None,
) -> Profile:
    """Read an RCTab generic CSV (see the module's description).

    ``precincts`` and ``batches``, when given, are filled with each precinct's (batch's)
    papers, keyed by the cell of ``precinct_column`` (``batch_column``); an empty cell is
    RCTab's "no precinct id" ("no batch id"), as its reports name it (generic_csv_test)."""
    name = display(path)
    for label, value in (
        ("first vote column", first_vote_column),
        ("first vote row", first_vote_row),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < 2 - (label == "first vote column")
        ):
            raise BallotFileError(
                name, None, None, f"{label} {value!r}", f"a {label} of 1 or more (row: 2 or more)"
            )
    alias = dict(aliases or {})
    raw_stream = open_binary(path, name, "an RCTab CSV")
    raw: dict[tuple, int] = {}
    with raw_stream, io.TextIOWrapper(raw_stream, encoding="utf-8-sig", newline="") as text:
        csv.field_size_limit(MAX_CELL)
        reader = csv.reader(text)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                raise BallotFileError(
                    name, None, None, "an empty file", "a header row of candidates"
                )
            first = first_vote_column - 1
            if first >= len(header):
                raise BallotFileError(
                    name,
                    1,
                    None,
                    f"{len(header)} columns",
                    f"candidates from column {first_vote_column}",
                )
            names: list[str] = []
            index: dict[str, int] = {}
            cols: list[int] = []
            for col in range(first, len(header)):
                h = header[col].strip()
                if not h:
                    raise BallotFileError(
                        name, 1, col + 1, "an empty header cell", "a candidate's name"
                    )
                cand = UWI_NAME if uwi_label and h == uwi_label else alias.get(h, h)
                if cand in index:
                    raise BallotFileError(name, 1, col + 1, f"{h!r} again", "each candidate once")
                index[cand] = len(names)
                names.append(cand)
                cols.append(col)
            for row in reader:
                line = reader.line_num
                if line < first_vote_row or not any(c.strip() for c in row):
                    continue
                by_rank: dict[int, list[int]] = {}
                for k, col in enumerate(cols):
                    cell = row[col].strip() if col < len(row) else ""
                    if not cell:
                        continue
                    if not cell.isdigit() or len(cell) > 6 or not 1 <= int(cell) <= MAX_RANK:
                        raise BallotFileError(
                            name, line, col + 1, repr(cell)[:40], "a rank (1, 2, 3 ...) or blank"
                        )
                    r = int(cell)
                    if max_rankings is not None and r > max_rankings:
                        raise BallotFileError(
                            name,
                            line,
                            col + 1,
                            f"rank {r}",
                            f"a rank of at most {max_rankings} (the rankings allowed)",
                        )
                    by_rank.setdefault(r, []).append(k)
                key = marks_by_rank(by_rank, None)
                count(raw, key)
                for col_number, into, missing in (
                    (precinct_column, precincts, "no precinct id"),
                    (batch_column, batches, "no batch id"),
                ):
                    if into is None or col_number is None:
                        continue
                    where = row[col_number - 1].strip() if col_number - 1 < len(row) else ""
                    count(into.setdefault(where or missing, {}), key)
        except csv.Error as e:
            raise BallotFileError(name, reader.line_num, None, str(e)[:100], "a CSV row") from None
        except UnicodeDecodeError:
            raise BallotFileError(
                name, line + 1, None, "bytes that are not UTF-8", "UTF-8"
            ) from None
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=name)


def write_rctab_csv(profile: Profile, out: TextIO) -> None:
    """A profile as an RCTab generic CSV: ``ballot_id``, then a column per candidate holding
    the rank; a paper of weight w is written w times (the format has no weights), and a
    blank paper as a row without ranks.  Other invalid papers are not written (as in the
    other writers: their marks are not kept in a profile)."""
    names = profile.election.names
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["ballot_id", *names])
    n = 0
    for ballot, weight in zip(profile.ballots, profile.weights):
        if weight != int(weight) or weight < 0:
            raise ValueError(f"weight {weight}: RCTab CSV holds whole papers only")
        cells = [""] * len(names)
        for r, pref in enumerate(ballot, 1):
            for c in pref if isinstance(pref, tuple) else (pref,):
                cells[c] = str(r)
        for _ in range(int(weight)):
            n += 1
            w.writerow([str(n), *cells])
    blank = profile.invalid.get("blank", 0)
    for _ in range(int(blank)):  # a blank paper is a row with no rank
        n += 1
        w.writerow([str(n)] + [""] * len(names))


# -- the registry's entry (tallyroom.ballots.formats) ------------------------------------------
def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_rctab_csv` as the registry calls every reader (1 seat when none is given)."""
    return read_rctab_csv(source, options.ballot_rules, seats=options.seats or 1)
