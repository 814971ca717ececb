"""Ballots in CSV files, in four layouts.

* **wide** -- a header row, then one row per paper, one column per rank::

      Rank 1,Rank 2,Rank 3,Weight
      Amy,Bob,,2
      Chuck,$OVERVOTE,Amy,1

  Rank columns are found by their header (``Rank 1``, ``Ranking_2``, ``Choice 3``,
  ``3rd choice``, ``Preference 4``, ``5``) and taken in the order of their numbers.  An
  optional ``weight`` (or ``count``, ``votes``, ``n``) column gives how many papers the row
  stands for; other columns (ballot ids, precincts) are passed over.
* **long** -- one row per mark, ``ballot_id,rank,choice`` (the ranked.vote normalized
  layout); a ballot's rows must be together, in any rank order.  Two rows with the same rank
  are an overvote of those candidates.
* **approval** -- a header row of candidate names, one row per paper, ``1`` or ``X`` for an
  approved candidate and a blank (or ``0``) for one not approved; optional id and weight
  columns as above.  Gives ``Profile(kind="approval")``, each ballot a sorted tuple of
  candidate indices.
* **votekit** -- the rank profile CSV of VoteKit (``VoteKit RankProfile`` on its first line,
  candidates as ``(NAME:PREFIX)``, each rank a set of prefixes such as ``{'JOH'}``).

In rank cells, a blank or ``$UNDERVOTE`` (also ``undervote``, ``skipped``) is a skipped rank
and ``$OVERVOTE`` (also ``overvote``) an overvote at that rank; the :class:`BallotRules`
decide, as the paper is read, how far such a paper counts (:func:`clean_ranking`).

Candidate order: where the file has a candidate list (approval header, VoteKit
``Candidates`` row) that order is kept; otherwise (wide and long layouts) candidates are
numbered in order of first appearance in the file, unless the caller passes
``candidates=[...]`` (then a name not in the list is an error).

Weights must be whole numbers of papers (``2`` and ``2.0`` are taken, ``2.5`` is not).
CSV has no seats: the caller gives them (default 1).  The delimiter is a comma, or a
semicolon or tab when the header row has no comma.

The modules, by layout: :mod:`.wide`, :mod:`.long`, :mod:`.approval`, :mod:`.votekit`,
each a reader of the records after the header (and that layout's writer), on
:mod:`.rows`, what they share (records with their lines and columns, marks, weights,
candidate names).  This module picks the layout (:func:`csv_kind`) and is the one entry:
:func:`read_csv`, its four layout readers, and the registry's :func:`read_source` and
sniffers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol, TextIO

from tallyroom.ballots.formats.csv import approval, long, votekit, wide
from tallyroom.ballots.formats.csv.approval import (
    APPROVED_MARKS,
    NOT_APPROVED_MARKS,
    write_approval_csv,
)
from tallyroom.ballots.formats.csv.long import write_long_csv
from tallyroom.ballots.formats.csv.rows import (
    ID_COLUMNS,
    OVERVOTE_MARKS,
    SKIPPED_MARKS,
    WEIGHT_COLUMNS,
    Record,
    records,
)
from tallyroom.ballots.formats.csv.wide import write_wide_csv
from tallyroom.ballots.formats.textio import first_binary, open_binary, shown
from tallyroom.ballots.model import BallotRules, Profile
from tallyroom.errors import BallotFileError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

__all__ = [
    "APPROVED_MARKS",
    "ID_COLUMNS",
    "KINDS",
    "LAYOUTS",
    "NOT_APPROVED_MARKS",
    "OVERVOTE_MARKS",
    "SKIPPED_MARKS",
    "WEIGHT_COLUMNS",
    "CsvKind",
    "LayoutReader",
    "csv_kind",
    "read_approval_csv",
    "read_csv",
    "read_long_csv",
    "read_source",
    "read_votekit_csv",
    "read_wide_csv",
    "sniff",
    "sniff_votekit",
    "write_approval_csv",
    "write_csv",
    "write_long_csv",
    "write_wide_csv",
]

CsvKind = Literal["wide", "long", "approval", "votekit"]
KINDS: tuple[CsvKind, ...] = ("wide", "long", "approval", "votekit")


# -- which layout -----------------------------------------------------------------------------
def csv_kind(header: Sequence[str]) -> CsvKind:
    """The CSV layout a file's first record shows."""
    if header and header[0].strip() == "VoteKit RankProfile":
        return "votekit"
    if all(long.has_columns(header).values()):
        return "long"
    if wide.is_rank_header(header):
        return "wide"
    return "approval"


def _not_a_damaged_long_header(header: Record, name: str) -> None:
    """A long CSV whose header lost one of its three columns is refused, not read as wide."""
    has = long.has_columns(header.cells)
    if sum(has.values()) == 2 and not wide.is_rank_header(header.cells):
        missing = next(k for k, v in has.items() if not v)
        raise BallotFileError(
            name,
            header.line,
            1,
            f"the header {shown(','.join(header.cells), 60)}, with no {missing} column",
            "a long CSV's header ballot_id,rank,choice (or name the layout)",
        )


def read_csv(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    kind: CsvKind | None = None,
    candidates: Sequence[str] | None = None,
    source: str | None = None,
) -> Profile:
    """Read a CSV ballot file, of the given ``kind`` or the one its header shows."""
    stream, name = open_binary(path)
    name = source or name
    try:
        recs = records(stream, name)
        first = next(recs, None)
        if first is None:
            raise BallotFileError(
                name, None, None, "an empty file", "a CSV ballot file with a header row"
            )
        chosen = kind or csv_kind(first.cells)
        if kind is None and chosen != "long":
            _not_a_damaged_long_header(first, name)
        if candidates is not None and chosen in ("approval", "votekit"):
            # before: the names given were dropped without a word
            raise ValueError(
                f"candidates= fixes the names of a wide or long CSV; {name} is read as the "
                f"{chosen} layout, which names its candidates in its header"
            )
        if chosen == "wide":
            return wide.read(first, recs, name, rules, seats, candidates)
        if chosen == "long":
            return long.read(first, recs, name, rules, seats, candidates)
        if chosen == "approval":
            return approval.read(first, recs, name, rules, seats)
        if chosen == "votekit":
            return votekit.read(first, recs, name, rules, seats)
        raise ValueError(f"unknown CSV kind {chosen!r}; kinds are: {', '.join(KINDS)}")
    finally:
        if not hasattr(path, "read"):
            stream.close()


class LayoutReader(Protocol):
    """The signature of :func:`read_wide_csv` and the other readers of one layout."""

    def __call__(
        self,
        path: str | os.PathLike[str] | BinaryIO,
        rules: BallotRules = ...,
        *,
        seats: int = 1,
        candidates: Sequence[str] | None = None,
        source: str | None = None,
    ) -> Profile: ...


def _layout(kind: CsvKind, doc: str) -> LayoutReader:
    """The reader of one layout: :func:`read_csv` with ``kind`` fixed (``path, rules, *,
    seats, candidates, source``; ``candidates`` for the wide and long layouts only)."""

    def reader(
        path: str | os.PathLike[str] | BinaryIO,
        rules: BallotRules = BallotRules(),
        *,
        seats: int = 1,
        candidates: Sequence[str] | None = None,
        source: str | None = None,
    ) -> Profile:
        return read_csv(path, rules, seats=seats, kind=kind, candidates=candidates, source=source)

    reader.__name__ = reader.__qualname__ = f"read_{kind}_csv"
    reader.__doc__ = doc
    return reader


read_wide_csv = _layout(
    "wide", "Read a wide CSV: a header row, one row per paper, one column per rank."
)
read_long_csv = _layout("long", "Read a long CSV: ``ballot_id,rank,choice``, one row per mark.")
read_approval_csv = _layout(
    "approval",
    "Read an approval CSV: a column per candidate, ``1``/``X`` marks, one row per paper.",
)
read_votekit_csv = _layout(
    "votekit", "Read a VoteKit rank profile CSV (``PreferenceProfile.to_csv``)."
)


# -- the registry's entry (tallyroom.ballots.formats) ------------------------------------------
#: each registered CSV format's layout (None: from the header row, :func:`csv_kind`)
LAYOUTS: dict[str, CsvKind | None] = {
    "csv": None,
    "csv-wide": "wide",
    "csv-long": "long",
    "csv-approval": "approval",
    "votekit-csv": "votekit",
}


def sniff(head: bytes) -> bool:
    """Text whose first line holds a comma, semicolon or tab."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return first_binary(head) < 0 and any(d in first for d in (b",", b";", b"\t"))


def sniff_votekit(head: bytes) -> bool:
    """VoteKit's ``PreferenceProfile.to_csv`` output."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"VoteKit RankProfile")


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_csv` as the registry calls every reader: the layout is the registered
    format's (:data:`LAYOUTS`), 1 seat when none is given."""
    return read_csv(
        source, options.ballot_rules, seats=options.seats or 1, kind=LAYOUTS[options.format]
    )


def write_csv(profile: Profile, out: TextIO) -> None:
    """The ``csv`` format's writer: approval ballots as marks, ranked ones a column per rank."""
    if profile.kind == "approval":
        write_approval_csv(profile, out)
    else:
        write_wide_csv(profile, out)
