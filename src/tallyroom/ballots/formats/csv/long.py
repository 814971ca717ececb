"""The long layout: one row per mark, ``ballot_id,rank,choice`` (the ranked.vote normalized
layout), with an optional weight column; a ballot's rows must be together, in any rank
order, and two rows with the same rank are an overvote of those candidates."""

from __future__ import annotations

import csv as _csv
from collections.abc import Iterator, Sequence
from typing import TextIO

from tallyroom.ballots.formats.csv.rows import (
    Candidates,
    Record,
    mark_of,
    norm,
    ranked_profile,
    row_weight,
    strict_ballots,
    weight_column,
    whole_weights,
)
from tallyroom.ballots.formats.textio import shown
from tallyroom.ballots.model import OVERVOTE, BallotRules, Preference, Profile, Weight
from tallyroom.errors import BallotFileError

#: the names a long CSV's three columns go by (compared casefolded, spaces collapsed)
BALLOT_COLUMNS = frozenset(
    {
        "ballot_id",
        "ballot",
        "ballot id",
        "ballotid",
        "id",
        "voter",
        "voter_id",
        "voter id",
        "voterid",
        "cvr_id",
        "record_id",
    }
)
RANK_COLUMNS = frozenset({"rank", "ranking", "preference", "pref", "rank_number", "choice_number"})
CHOICE_COLUMNS = frozenset({"choice", "candidate", "cand", "selection", "name"})


def has_columns(header: Sequence[str]) -> dict[str, bool]:
    """Which of a long CSV's three columns (ballot id, rank, choice) a header row names."""
    cols = {norm(h) for h in header}
    return {
        "ballot id": bool(cols & BALLOT_COLUMNS),
        "rank": bool(cols & RANK_COLUMNS),
        "choice": bool(cols & CHOICE_COLUMNS),
    }


def read(
    header: Record,
    records: Iterator[Record],
    name: str,
    rules: BallotRules,
    seats: int,
    fixed: Sequence[str] | None,
) -> Profile:
    """The profile of a long CSV whose header row is ``header``."""
    cols = [norm(h) for h in header.cells]

    def find(names: frozenset[str], what: str) -> int:
        for i, c in enumerate(cols):
            if c in names:
                return i
        raise BallotFileError(
            name,
            header.line,
            1,
            f"the header {shown(','.join(header.cells), 60)}",
            f"a {what} column: the header ballot_id,rank,choice",
        )

    bcol = find(BALLOT_COLUMNS, "ballot id")
    rcol = find(RANK_COLUMNS, "rank")
    ccol = find(CHOICE_COLUMNS, "choice")
    wcol = weight_column(header, name)
    need = max(bcol, rcol, ccol)
    cands = Candidates(name, fixed)
    raw: dict[tuple, Weight] = {}
    done: set[str] = set()  # ids of finished ballots: a ballot's rows must be together
    current: str | None = None
    current_line = 0
    ranks: dict[int, list[Preference | None]] = {}
    weight: Weight = 1

    def finish() -> None:
        if current is None:
            return
        marks: list[Preference | None] = []
        for r in range(1, max(ranks) + 1):
            got = ranks.get(r, [None])
            named = [m for m in got if m is not None]
            if not named:
                marks.append(None)
            elif len(named) == 1:
                marks.append(named[0])
            elif any(m == OVERVOTE for m in named):
                marks.append(OVERVOTE)
            else:
                marks.append(tuple(dict.fromkeys(m for m in named if isinstance(m, int))))
        key = tuple(marks)
        raw[key] = raw.get(key, 0) + weight
        done.add(current)

    for rec in records:
        cells = rec.cells
        if len(cells) <= need:
            raise BallotFileError(
                name,
                rec.line,
                None,
                f"{len(cells)} field{'s' if len(cells) != 1 else ''}",
                f"{len(header.cells)} fields, as in the header row",
            )
        bid = cells[bcol].strip()
        if not bid:
            raise BallotFileError(
                name, rec.line, rec.col(bcol), "an empty ballot id", "a ballot id"
            )
        rank_text = cells[rcol].strip()
        # ASCII digits only: '²' is a digit to str.isdigit but not to int()
        if not (rank_text.isascii() and rank_text.isdigit()) or int(rank_text) < 1:
            raise BallotFileError(
                name,
                rec.line,
                rec.col(rcol),
                shown(rank_text) if rank_text else "an empty rank",
                "a rank number (1, 2, 3 ...)",
            )
        rank = int(rank_text)
        if rank > 10_000:
            raise BallotFileError(
                name, rec.line, rec.col(rcol), f"rank {rank}", "a rank number of at most 10000"
            )
        if bid != current:
            finish()
            if bid in done:
                raise BallotFileError(
                    name,
                    rec.line,
                    rec.col(bcol),
                    f"ballot {shown(bid)} again, after other ballots",
                    "all the rows of a ballot together",
                )
            current, current_line, ranks = bid, rec.line, {}
            weight = 1
            if wcol is not None:
                weight = row_weight(rec, wcol, header, name)
        elif wcol is not None:
            w = row_weight(rec, wcol, header, name)
            if w != weight:
                raise BallotFileError(
                    name,
                    rec.line,
                    rec.col(wcol),
                    f"weight {w} for ballot {shown(bid)}",
                    f"the weight {weight} given on line {current_line} for the same ballot",
                )
        ranks.setdefault(rank, []).append(mark_of(cells[ccol], cands, rec.line, rec.col(ccol)))
    finish()
    return ranked_profile(name, raw, cands.names, rules, seats)


def write_long_csv(profile: Profile, out: TextIO) -> None:
    """Write a ranked profile as a long CSV, ``ballot_id,rank,choice,weight``."""
    strict_ballots(profile, "long")
    weights = whole_weights(profile)
    names = profile.election.names
    w = _csv.writer(out, lineterminator="\n")
    w.writerow(["ballot_id", "rank", "choice", "weight"])
    for i, (ballot, weight) in enumerate(zip(profile.ballots, weights), 1):
        for r, c in enumerate(ballot, 1):
            w.writerow([i, r, names[c], weight])
