"""The wide layout: a header row, then one row per paper, one column per rank (``Rank 1``,
``Ranking_2``, ``Choice 3``, ``3rd choice``, ``Preference 4``, ``5``), an optional weight
column and id columns passed over; any other column is refused."""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Iterator, Sequence
from typing import TextIO

from tallyroom.ballots.formats.csv.rows import (
    ID_COLUMNS,
    Candidates,
    Record,
    mark_of,
    no_extra_fields,
    norm,
    ranked_profile,
    row_weight,
    strict_ballots,
    weight_column,
    whole_weights,
)
from tallyroom.ballots.formats.textio import shown
from tallyroom.ballots.model import BallotRules, Profile, Weight
from tallyroom.errors import BallotFileError

#: the header of a rank column; its number is group 1 or 2
RANK_HEADER = re.compile(
    r"(?:rank(?:ing)?|choice|pref(?:erence)?|vote)\s*[_#.\-]?\s*(\d+)"
    r"|#?(\d+)\s*(?:st|nd|rd|th)?(?:\s*[_\-]?\s*(?:rank(?:ing)?|choice|pref(?:erence)?))?",
    re.IGNORECASE,
)


def is_rank_header(header: Sequence[str]) -> bool:
    """Whether any cell of a header row names a rank column."""
    return any(RANK_HEADER.fullmatch(h.strip()) for h in header if h.strip())


def read(
    header: Record,
    records: Iterator[Record],
    name: str,
    rules: BallotRules,
    seats: int,
    fixed: Sequence[str] | None,
) -> Profile:
    """The profile of a wide CSV whose header row is ``header``."""
    ranks: dict[int, int] = {}
    for i, h in enumerate(header.cells):
        m = RANK_HEADER.fullmatch(h.strip())
        if m:
            n = int(m.group(1) or m.group(2))
            if n in ranks:
                raise BallotFileError(
                    name,
                    header.line,
                    header.col(i),
                    f"a second column for rank {n} ({h!r})",
                    "one column per rank",
                )
            ranks[n] = i
    if not ranks:
        raise BallotFileError(
            name,
            header.line,
            1,
            f"the header {shown(','.join(header.cells), 60)}",
            "rank columns such as 'Rank 1,Rank 2,Rank 3' (a wide CSV ballot file)",
        )
    rank_cols = [ranks[n] for n in sorted(ranks)]
    wcol = weight_column(header, name)
    for i, h in enumerate(header.cells):
        # a column this reader would not read: refused, not dropped with what it holds
        if i not in ranks.values() and i != wcol and h.strip() and norm(h) not in ID_COLUMNS:
            raise BallotFileError(
                name,
                header.line,
                header.col(i),
                f"the column {shown(h.strip())}, which is not a rank, weight or id column",
                "rank columns such as 'Rank 1,Rank 2', an optional weight column and id "
                "columns (ballot_id ...)",
            )
    width = len(header.cells)
    cands = Candidates(name, fixed)
    raw: dict[tuple, Weight] = {}
    for rec in records:
        no_extra_fields(rec, width, name)
        cells = rec.cells
        marks = tuple(
            mark_of(cells[i] if i < len(cells) else "", cands, rec.line, rec.col(i))
            for i in rank_cols
        )
        w: Weight = 1
        if wcol is not None:
            w = row_weight(rec, wcol, header, name)
        raw[marks] = raw.get(marks, 0) + w
    return ranked_profile(name, raw, cands.names, rules, seats)


def write_wide_csv(profile: Profile, out: TextIO) -> None:
    """Write a ranked profile as a wide CSV: ``Rank 1..k`` columns and a ``Weight`` column.

    Candidates who appear on no ballot are not in the file, and a reader numbers candidates
    by first appearance; invalid papers are not written.
    """
    strict_ballots(profile, "wide")
    weights = whole_weights(profile)
    names = profile.election.names
    k = max((len(b) for b in profile.ballots), default=1)
    w = _csv.writer(out, lineterminator="\n")
    w.writerow([f"Rank {i}" for i in range(1, k + 1)] + ["Weight"])
    for ballot, weight in zip(profile.ballots, weights):
        cells = [names[c] for c in ballot] + [""] * (k - len(ballot))
        w.writerow(cells + [weight])
