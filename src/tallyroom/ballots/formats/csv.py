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
"""

from __future__ import annotations

import ast
import csv as _csv
import os
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol, TextIO

from tallyroom.ballots.formats.textio import (
    check_name,
    first_binary,
    lines,
    open_binary,
    shown,
)
from tallyroom.ballots.model import (
    BLANK,
    OVERVOTE,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError, ElectionError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

CsvKind = Literal["wide", "long", "approval", "votekit"]
KINDS: tuple[CsvKind, ...] = ("wide", "long", "approval", "votekit")

SKIPPED_MARKS = frozenset({"", "$undervote", "undervote", "skipped", "$skipped", "$skip"})
OVERVOTE_MARKS = frozenset({"$overvote", "overvote"})
APPROVED_MARKS = frozenset({"1", "x"})
NOT_APPROVED_MARKS = frozenset({"", "0"})

WEIGHT_COLUMNS = frozenset(
    {"weight", "count", "votes", "ballots", "n", "number", "multiplicity", "frequency"}
)
ID_COLUMNS = frozenset(
    {
        "id",
        "ballot",
        "ballot_id",
        "ballot id",
        "ballotid",
        "voter",
        "voter_id",
        "voter id",
        "voterid",
        "cvr_id",
        "record_id",
        "row",
        "rownumber",
        "row_number",
    }
)
_LONG_BALLOT = frozenset(
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
_LONG_RANK = frozenset({"rank", "ranking", "preference", "pref", "rank_number", "choice_number"})
_LONG_CHOICE = frozenset({"choice", "candidate", "cand", "selection", "name"})

_RANK_HEADER = re.compile(
    r"(?:rank(?:ing)?|choice|pref(?:erence)?|vote)\s*[_#.\-]?\s*(\d+)"
    r"|#?(\d+)\s*(?:st|nd|rd|th)?(?:\s*[_\-]?\s*(?:rank(?:ing)?|choice|pref(?:erence)?))?",
    re.IGNORECASE,
)
_WHOLE = re.compile(r"[0-9]+(?:\.0*)?")
_NUMBERISH = re.compile(r"[0-9]*\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+/[0-9]+")
_VOTEKIT_CANDIDATE = re.compile(r"\((.*):([^:]*)\)$", re.DOTALL)


# -- reading CSV records safely -------------------------------------------------------------
class _Record:
    __slots__ = ("line", "cells", "cols")

    def __init__(self, line: int, cells: list[str], cols: list[int | None]) -> None:
        self.line = line
        self.cells = cells
        self.cols = cols

    def col(self, i: int) -> int | None:
        return self.cols[i] if i < len(self.cols) else None


def _field_columns(text: str, delimiter: str) -> list[int | None]:
    """1-based character column where each field of a one-line record starts."""
    cols: list[int | None] = [1]
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif ch == delimiter and not in_quote:
            cols.append(i + 2)
    return cols


def _records(stream: BinaryIO, name: str) -> Iterator[_Record]:
    """CSV records with the line (and columns) where they start; empty lines are skipped."""
    src = lines(stream, name)
    first: tuple[int, str] | None = None
    for item in src:
        if item[1].strip():
            first = item
            break
    if first is None:
        return
    head = first[1]
    delimiter = "," if "," in head else ";" if ";" in head else "\t" if "\t" in head else ","
    physical: list[tuple[int, str]] = []

    def feed() -> Iterator[str]:
        assert first is not None
        physical.append(first)
        yield first[1] + "\n"
        for item in src:
            physical.append(item)
            yield item[1] + "\n"

    reader = _csv.reader(feed(), delimiter=delimiter)
    while True:
        physical.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _csv.Error as err:
            start = physical[0][0] if physical else None
            if "field larger than field limit" in str(err):
                found = f"a field longer than {_csv.field_size_limit():,} characters (a quote that never closes?)"
            else:
                found = f"a malformed CSV record ({err})"
            raise BallotFileError(name, start, None, found, "a CSV record") from None
        if not row:
            continue  # an empty line
        if len(physical) == 1:
            cols = _field_columns(physical[0][1], delimiter)
        else:
            # a quoted cell across line ends: no ballot cell holds a newline (names are
            # one line), and a quote that opens by mistake would swallow the rows after it
            raise BallotFileError(
                name,
                physical[0][0] if physical else None,
                None,
                f"a quoted cell running over {len(physical)} lines (a quote that never closes?)",
                "one record per line",
            )
        yield _Record(physical[0][0] if physical else 0, row, cols)


def _weight(cell: str, name: str, line: int, col: int | None, column: str) -> int:
    t = cell.strip()
    if _WHOLE.fullmatch(t):
        n = int(t.split(".")[0])
        if n == 0:
            raise BallotFileError(
                name, line, col, f"weight 0 in column {column!r}", "a weight of at least 1"
            )
        return n
    if t.startswith("-"):
        found = f"a negative weight {shown(t)}"
    elif _NUMBERISH.fullmatch(t):
        found = f"a fractional weight {shown(t)}"
    elif not t:
        found = "an empty weight"
    else:
        found = shown(t)
    raise BallotFileError(
        name, line, col, f"{found} in column {column!r}", "a whole number of papers (1, 2, 3 ...)"
    )


class _Candidates:
    """Candidate names to indices: fixed by the caller, or numbered as they appear."""

    def __init__(self, name: str, fixed: Sequence[str] | None) -> None:
        self.name = name
        self.fixed = fixed is not None
        self.names: list[str] = list(fixed or ())
        self.index: dict[str, int] = {}
        self.keys: dict[str, str] = {}
        for i, n in enumerate(self.names):
            if n in self.index:
                raise ElectionError(f"candidate names must be unique; repeated: {n}")
            self.index[n] = i

    def get(self, text: str, line: int, col: int | None) -> int:
        i = self.index.get(text)
        if i is not None:
            return i
        if self.fixed:
            raise BallotFileError(
                self.name,
                line,
                col,
                f"the name {shown(text)}",
                "one of the candidates given: " + ", ".join(self.names),
            )
        check_name(text, self.keys, self.name, line, col)
        self.index[text] = len(self.names)
        self.names.append(text)
        return self.index[text]


def _mark(cell: str, cands: _Candidates, line: int, col: int | None) -> Preference | None:
    t = cell.strip()
    low = t.casefold()
    if low in SKIPPED_MARKS:
        return None
    if low in OVERVOTE_MARKS:
        return OVERVOTE
    return cands.get(t, line, col)


def _finish(
    name: str,
    raw: dict[tuple, Weight],
    names: Sequence[str],
    rules: BallotRules,
    seats: int,
    *,
    keep_equal: bool = False,
    title: str = "",
) -> Profile:
    if not names:
        raise BallotFileError(
            name, None, None, "no candidate in the file", "at least one candidate"
        )
    _check_seats(name, seats, len(names))
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats, title=title)
    return Profile.from_marks(election, raw, rules, source=name, keep_equal=keep_equal)


def _check_seats(name: str, seats: int, ncand: int) -> None:
    if seats > ncand:
        raise ElectionError(
            f"{name}: {seats} seats for {ncand} candidates; "
            "there cannot be more seats than candidates"
        )


def _norm(header: str) -> str:
    return " ".join(header.strip().casefold().split())


# -- which layout -----------------------------------------------------------------------------
def csv_kind(header: Sequence[str]) -> CsvKind:
    """The CSV layout a file's first record shows."""
    if header and header[0].strip() == "VoteKit RankProfile":
        return "votekit"
    cols = {_norm(h) for h in header}
    if cols & _LONG_BALLOT and cols & _LONG_RANK and cols & _LONG_CHOICE:
        return "long"
    if any(_RANK_HEADER.fullmatch(h.strip()) for h in header if h.strip()):
        return "wide"
    return "approval"


def _not_a_damaged_long_header(header: _Record, name: str) -> None:
    """A long CSV whose header lost one of its three columns is refused, not read as wide."""
    cols = {_norm(h) for h in header.cells}
    has = {
        "ballot id": bool(cols & _LONG_BALLOT),
        "rank": bool(cols & _LONG_RANK),
        "choice": bool(cols & _LONG_CHOICE),
    }
    if sum(has.values()) == 2 and not any(_RANK_HEADER.fullmatch(h.strip()) for h in header.cells):
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
        records = _records(stream, name)
        first = next(records, None)
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
            return _read_wide(first, records, name, rules, seats, candidates)
        if chosen == "long":
            return _read_long(first, records, name, rules, seats, candidates)
        if chosen == "approval":
            return _read_approval(first, records, name, rules, seats)
        if chosen == "votekit":
            return _read_votekit(first, records, name, rules, seats)
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


# -- wide -------------------------------------------------------------------------------------
def _weight_column(header: _Record, name: str) -> int | None:
    found = [i for i, h in enumerate(header.cells) if _norm(h) in WEIGHT_COLUMNS]
    if len(found) > 1:
        raise BallotFileError(
            name,
            header.line,
            header.col(found[1]),
            f"a second weight column {header.cells[found[1]]!r}",
            "at most one weight column",
        )
    return found[0] if found else None


def _read_wide(
    header: _Record,
    records: Iterator[_Record],
    name: str,
    rules: BallotRules,
    seats: int,
    fixed: Sequence[str] | None,
) -> Profile:
    ranks: dict[int, int] = {}
    for i, h in enumerate(header.cells):
        m = _RANK_HEADER.fullmatch(h.strip())
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
    wcol = _weight_column(header, name)
    for i, h in enumerate(header.cells):
        # a column this reader would not read: refused, not dropped with what it holds
        if i not in ranks.values() and i != wcol and h.strip() and _norm(h) not in ID_COLUMNS:
            raise BallotFileError(
                name,
                header.line,
                header.col(i),
                f"the column {shown(h.strip())}, which is not a rank, weight or id column",
                "rank columns such as 'Rank 1,Rank 2', an optional weight column and id "
                "columns (ballot_id ...)",
            )
    width = len(header.cells)
    cands = _Candidates(name, fixed)
    raw: dict[tuple, Weight] = {}
    for rec in records:
        cells = rec.cells
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            extra = next(i for i in range(width, len(cells)) if cells[i].strip())
            raise BallotFileError(
                name,
                rec.line,
                rec.col(extra),
                f"{len(cells)} fields",
                f"at most {width}, as in the header row",
            )
        marks = tuple(
            _mark(cells[i] if i < len(cells) else "", cands, rec.line, rec.col(i))
            for i in rank_cols
        )
        w: Weight = 1
        if wcol is not None:
            w = _weight(
                cells[wcol] if wcol < len(cells) else "",
                name,
                rec.line,
                rec.col(wcol),
                header.cells[wcol],
            )
        raw[marks] = raw.get(marks, 0) + w
    return _finish(name, raw, cands.names, rules, seats)


# -- long -------------------------------------------------------------------------------------
def _read_long(
    header: _Record,
    records: Iterator[_Record],
    name: str,
    rules: BallotRules,
    seats: int,
    fixed: Sequence[str] | None,
) -> Profile:
    cols = [_norm(h) for h in header.cells]

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

    bcol = find(_LONG_BALLOT, "ballot id")
    rcol = find(_LONG_RANK, "rank")
    ccol = find(_LONG_CHOICE, "choice")
    wcol = _weight_column(header, name)
    need = max(bcol, rcol, ccol)
    cands = _Candidates(name, fixed)
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
                weight = _weight(
                    cells[wcol] if wcol < len(cells) else "",
                    name,
                    rec.line,
                    rec.col(wcol),
                    header.cells[wcol],
                )
        elif wcol is not None:
            w = _weight(
                cells[wcol] if wcol < len(cells) else "",
                name,
                rec.line,
                rec.col(wcol),
                header.cells[wcol],
            )
            if w != weight:
                raise BallotFileError(
                    name,
                    rec.line,
                    rec.col(wcol),
                    f"weight {w} for ballot {shown(bid)}",
                    f"the weight {weight} given on line {current_line} for the same ballot",
                )
        ranks.setdefault(rank, []).append(_mark(cells[ccol], cands, rec.line, rec.col(ccol)))
    finish()
    return _finish(name, raw, cands.names, rules, seats)


# -- approval ---------------------------------------------------------------------------------
def _read_approval(
    header: _Record, records: Iterator[_Record], name: str, rules: BallotRules, seats: int
) -> Profile:
    wcol = _weight_column(header, name)
    cand_cols: list[int] = []
    names: list[str] = []
    name_keys: dict[str, str] = {}
    for i, h in enumerate(header.cells):
        n = _norm(h)
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
        cells = rec.cells
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            extra = next(i for i in range(width, len(cells)) if cells[i].strip())
            raise BallotFileError(
                name,
                rec.line,
                rec.col(extra),
                f"{len(cells)} fields",
                f"at most {width}, as in the header row",
            )
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
            w = _weight(
                cells[wcol] if wcol < len(cells) else "",
                name,
                rec.line,
                rec.col(wcol),
                header.cells[wcol],
            )
        key = tuple(approved)
        raw[key] = raw.get(key, 0) + w
    _check_seats(name, seats, len(names))
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


# -- VoteKit ----------------------------------------------------------------------------------
def _read_votekit(
    first: _Record, records: Iterator[_Record], name: str, rules: BallotRules, seats: int
) -> Profile:
    expected_rows = [
        "VoteKit RankProfile",
        "Candidates",
        None,
        "Max Ranking Length",
        None,
        "Includes Voter Set",
        None,
        None,
    ]
    head: list[_Record] = [first]
    for rec in records:
        head.append(rec)
        if len(head) == len(expected_rows) + 1:
            break
    if len(head) < len(expected_rows) + 1:
        raise BallotFileError(
            name,
            head[-1].line + 1,
            None,
            "the end of the file",
            "the VoteKit header rows and the column names row",
        )
    for rec, want in zip(head, expected_rows):
        if want is not None and [c.strip() for c in rec.cells] != [want]:
            raise BallotFileError(
                name,
                rec.line,
                1,
                shown(",".join(rec.cells)),
                f"{want!r} (a VoteKit rank profile CSV)",
            )
    # candidates: (NAME:PREFIX)
    cand_rec = head[2]
    names: list[str] = []
    name_keys: dict[str, str] = {}
    prefixes: dict[str, int] = {}
    for i, cell in enumerate(cand_rec.cells):
        m = _VOTEKIT_CANDIDATE.fullmatch(cell.strip())
        if m is None:
            raise BallotFileError(
                name, cand_rec.line, cand_rec.col(i), shown(cell), "a candidate as (NAME:PREFIX)"
            )
        nm, prefix = m.group(1), m.group(2)
        if nm in names or prefix in prefixes:
            raise BallotFileError(
                name,
                cand_rec.line,
                cand_rec.col(i),
                f"the candidate {cell!r} a second time",
                "a different name and prefix for each candidate",
            )
        check_name(nm, name_keys, name, cand_rec.line, cand_rec.col(i))
        prefixes[prefix] = len(names)
        names.append(nm)
    length_rec = head[4]
    length_text = length_rec.cells[0].strip()
    if not (length_text.isascii() and length_text.isdigit()):
        raise BallotFileError(
            name,
            length_rec.line,
            1,
            shown(length_text),
            "the maximum ranking length (a whole number)",
        )
    voter_set = head[6].cells[0].strip()
    if voter_set not in ("True", "False"):
        raise BallotFileError(name, head[6].line, 1, shown(voter_set), "True or False")
    cols = head[8]
    if len(length_text) > 9 or int(length_text) > len(cols.cells):
        # the columns are bounded by the file: never build more names than the row holds
        raise BallotFileError(
            name,
            length_rec.line,
            1,
            f"a maximum ranking length of {shown(length_text)}",
            f"at most the {len(cols.cells)} columns of line {cols.line} "
            "(one Ranking_i column per rank)",
        )
    length = int(length_text)
    want_cols = [f"Ranking_{i + 1}" for i in range(length)] + ["&", "Weight", "&"]
    if voter_set == "True":
        want_cols.append("Voter Set")
    if [c.strip() for c in cols.cells] != want_cols:
        raise BallotFileError(
            name,
            cols.line,
            1,
            shown(",".join(cols.cells), 60),
            "the column names " + ",".join(want_cols),
        )

    cache: dict[str, Preference | None] = {}

    def rank_cell(text: str, line: int, col: int | None) -> Preference | None:
        t = text.strip()
        if t in cache:
            return cache[t]
        if t in ("", "{}"):
            mark: Preference | None = None
        else:
            try:
                value = ast.literal_eval(t) if len(t) < 10_000 else None
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                value = None
            if not isinstance(value, (set, frozenset)) or not all(
                isinstance(v, str) for v in value
            ):
                raise BallotFileError(
                    name, line, col, shown(t), "a set of candidate prefixes such as {'JOH'}"
                )
            unknown = [v for v in value if v not in prefixes]
            if unknown:
                raise BallotFileError(
                    name,
                    line,
                    col,
                    f"the prefix {unknown[0]!r}",
                    "one of the prefixes in the Candidates row: " + ", ".join(prefixes),
                )
            group = tuple(sorted(prefixes[v] for v in value))
            mark = group[0] if len(group) == 1 else group
        cache[t] = mark
        return mark

    raw: dict[tuple, Weight] = {}
    for rec in records:
        cells = rec.cells
        if (
            len(cells) < length + 3
            or cells[length].strip() != "&"
            or cells[length + 2].strip() != "&"
        ):
            raise BallotFileError(
                name,
                rec.line,
                None,
                shown(",".join(cells), 60),
                f"{length} ranking cells, '&', the weight, '&'",
            )
        marks = tuple(rank_cell(cells[i], rec.line, rec.col(i)) for i in range(length))
        w = _weight(cells[length + 1], name, rec.line, rec.col(length + 1), "Weight")
        raw[marks] = raw.get(marks, 0) + w
    # VoteKit's equal rankings are the voter's (or generator's) statement: kept equal
    return _finish(name, raw, names, rules, seats, keep_equal=True)


# -- writing ----------------------------------------------------------------------------------
def _whole_weights(profile: Profile) -> list[int]:
    out: list[int] = []
    for w in profile.weights:
        if isinstance(w, int) or w.denominator == 1:
            out.append(int(w))
        else:
            raise ValueError(f"CSV weights are whole numbers; this profile has a weight {w}")
    return out


def _strict_ballots(profile: Profile, what: str) -> None:
    if profile.kind != "ranked":
        raise ValueError(f"a {what} CSV holds ranked ballots; use the approval CSV")
    if not profile.is_strict:
        raise ValueError(
            f"a {what} CSV cannot hold equal rankings; write JSON, BLT or PrefLib instead"
        )


def write_wide_csv(profile: Profile, out: TextIO) -> None:
    """Write a ranked profile as a wide CSV: ``Rank 1..k`` columns and a ``Weight`` column.

    Candidates who appear on no ballot are not in the file, and a reader numbers candidates
    by first appearance; invalid papers are not written.
    """
    _strict_ballots(profile, "wide")
    weights = _whole_weights(profile)
    names = profile.election.names
    k = max((len(b) for b in profile.ballots), default=1)
    w = _csv.writer(out, lineterminator="\n")
    w.writerow([f"Rank {i}" for i in range(1, k + 1)] + ["Weight"])
    for ballot, weight in zip(profile.ballots, weights):
        cells = [names[c] for c in ballot] + [""] * (k - len(ballot))
        w.writerow(cells + [weight])


def write_long_csv(profile: Profile, out: TextIO) -> None:
    """Write a ranked profile as a long CSV, ``ballot_id,rank,choice,weight``."""
    _strict_ballots(profile, "long")
    weights = _whole_weights(profile)
    names = profile.election.names
    w = _csv.writer(out, lineterminator="\n")
    w.writerow(["ballot_id", "rank", "choice", "weight"])
    for i, (ballot, weight) in enumerate(zip(profile.ballots, weights), 1):
        for r, c in enumerate(ballot, 1):
            w.writerow([i, r, names[c], weight])


def write_approval_csv(profile: Profile, out: TextIO) -> None:
    """Write an approval profile: a column per candidate, ``1`` marks, a ``Weight`` column."""
    if profile.kind != "approval":
        raise ValueError("an approval CSV holds approval ballots only")
    weights = _whole_weights(profile)
    names = profile.election.names
    for nm in names:
        if _norm(nm) in WEIGHT_COLUMNS | ID_COLUMNS or not nm.strip():
            raise ValueError(f"a candidate named {nm!r} cannot be a column of an approval CSV")
    w = _csv.writer(out, lineterminator="\n")
    w.writerow([*names, "Weight"])
    for ballot, weight in zip(profile.ballots, weights):
        marks = set(ballot)
        w.writerow(["1" if i in marks else "" for i in range(len(names))] + [weight])


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
