"""The approval layout: a header row of candidate names, one row per paper, ``1`` or ``X``
for an approved candidate and a blank (or ``0``) for one not approved, with optional id and
weight columns.  Gives ``Profile(kind="approval")``, each ballot a sorted tuple of candidate
indices; a paper approving no one is blank (invalid)."""

from __future__ import annotations

import csv as _csv
from collections.abc import Iterator
from typing import TextIO

from tallyroom.ballots.formats.csv.rows import (
    ID_COLUMNS,
    WEIGHT_COLUMNS,
    Record,
    check_seats,
    no_extra_fields,
    norm,
    row_weight,
    weight_column,
    whole_weights,
)
from tallyroom.ballots.formats.textio import check_name, shown
from tallyroom.ballots.model import BLANK, BallotRules, Candidate, Election, Profile, Weight
from tallyroom.errors import BallotFileError

APPROVED_MARKS = frozenset({"1", "x"})
NOT_APPROVED_MARKS = frozenset({"", "0"})


def read(
    header: Record, records: Iterator[Record], name: str, rules: BallotRules, seats: int
) -> Profile:
    """The approval profile of an approval CSV whose header row is ``header``."""
    wcol = weight_column(header, name)
    cand_cols: list[int] = []
    names: list[str] = []
    name_keys: dict[str, str] = {}
    for i, h in enumerate(header.cells):
        n = norm(h)
        if not n or i == wcol or n in ID_COLUMNS:
            continue
        nm = h.strip()
        if nm in names:
            raise BallotFileError(
                name,
                header.line,
                header.col(i),
                f"the candidate {nm!r} a second time",
                "one column per candidate",
            )
        check_name(nm, name_keys, name, header.line, header.col(i))
        names.append(nm)
        cand_cols.append(i)
    if not names:
        raise BallotFileError(
            name,
            header.line,
            1,
            "no candidate column in the header",
            "a header row naming the candidates (an approval CSV)",
        )
    width = len(header.cells)
    raw: dict[tuple, Weight] = {}
    for rec in records:
        no_extra_fields(rec, width, name)
        cells = rec.cells
        approved: list[int] = []
        for c, i in enumerate(cand_cols):
            t = cells[i].strip() if i < len(cells) else ""
            low = t.casefold()
            if low in APPROVED_MARKS:
                approved.append(c)
            elif low not in NOT_APPROVED_MARKS:
                raise BallotFileError(
                    name,
                    rec.line,
                    rec.col(i),
                    f"{shown(t)} in the column of {names[c]!r}",
                    "1 or X for an approved candidate, blank or 0 for one not approved",
                )
        w: Weight = 1
        if wcol is not None:
            w = row_weight(rec, wcol, header, name)
        key = tuple(approved)
        raw[key] = raw.get(key, 0) + w
    check_seats(name, seats, len(names))
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    invalid: dict[str, Weight] = {}
    ballots: list[tuple[tuple, Weight]] = []
    for b, w in raw.items():
        if b:
            ballots.append((b, w))
        else:
            invalid[BLANK] = invalid.get(BLANK, 0) + w
    return Profile.build(
        election, ballots, kind="approval", invalid=invalid, rules=rules, source=name
    )


def write_approval_csv(profile: Profile, out: TextIO) -> None:
    """Write an approval profile: a column per candidate, ``1`` marks, a ``Weight`` column."""
    if profile.kind != "approval":
        raise ValueError("an approval CSV holds approval ballots only")
    weights = whole_weights(profile)
    names = profile.election.names
    for nm in names:
        if norm(nm) in WEIGHT_COLUMNS | ID_COLUMNS or not nm.strip():
            raise ValueError(f"a candidate named {nm!r} cannot be a column of an approval CSV")
    w = _csv.writer(out, lineterminator="\n")
    w.writerow([*names, "Weight"])
    for ballot, weight in zip(profile.ballots, weights):
        marks = set(ballot)
        w.writerow(["1" if i in marks else "" for i in range(len(names))] + [weight])
