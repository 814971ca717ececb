"""What every CSV layout shares: reading records safely (each with the line and columns it
starts at), the marks of a rank cell, whole-number weights, the weight and id columns,
candidate names numbered as they appear (or fixed by the caller), and making the profile
of ranked papers; for the writers, whole weights and strict rankings."""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from tallyroom.ballots.formats.textio import check_name, lines, shown
from tallyroom.ballots.model import (
    OVERVOTE,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError, ElectionError

SKIPPED_MARKS = frozenset({"", "$undervote", "undervote", "skipped", "$skipped", "$skip"})
OVERVOTE_MARKS = frozenset({"$overvote", "overvote"})

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

_WHOLE = re.compile(r"[0-9]+(?:\.0*)?")
_NUMBERISH = re.compile(r"[0-9]*\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+/[0-9]+")


# -- reading CSV records safely ------------------------------------------------------------
class Record:
    """One CSV record: the line it starts on, its cells, and the column each cell starts at."""

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


def records(stream: BinaryIO, name: str) -> Iterator[Record]:
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
        yield Record(physical[0][0] if physical else 0, row, cols)


def weight_of(cell: str, name: str, line: int, col: int | None, column: str) -> int:
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


class Candidates:
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


def mark_of(cell: str, cands: Candidates, line: int, col: int | None) -> Preference | None:
    """A rank cell's mark: a candidate's index, :data:`OVERVOTE`, or None (skipped)."""
    t = cell.strip()
    low = t.casefold()
    if low in SKIPPED_MARKS:
        return None
    if low in OVERVOTE_MARKS:
        return OVERVOTE
    return cands.get(t, line, col)


def ranked_profile(
    name: str,
    raw: dict[tuple, Weight],
    names: Sequence[str],
    rules: BallotRules,
    seats: int,
    *,
    keep_equal: bool = False,
    title: str = "",
) -> Profile:
    """The profile of ranked papers ``raw`` (marks -> papers), as :class:`BallotRules` read them."""
    if not names:
        raise BallotFileError(
            name, None, None, "no candidate in the file", "at least one candidate"
        )
    check_seats(name, seats, len(names))
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats, title=title)
    return Profile.from_marks(election, raw, rules, source=name, keep_equal=keep_equal)


def check_seats(name: str, seats: int, ncand: int) -> None:
    """Refuse more seats than candidates."""
    if seats > ncand:
        raise ElectionError(
            f"{name}: {seats} seats for {ncand} candidates; "
            "there cannot be more seats than candidates"
        )


def norm(header: str) -> str:
    """A header cell as compared with the column names: casefolded, spaces collapsed."""
    return " ".join(header.strip().casefold().split())


def no_extra_fields(rec: Record, width: int, name: str) -> None:
    """Refuse a record with a non-empty field beyond the header's ``width``."""
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


def weight_column(header: Record, name: str) -> int | None:
    """The index of the header's weight column (None: every row is one paper)."""
    found = [i for i, h in enumerate(header.cells) if norm(h) in WEIGHT_COLUMNS]
    if len(found) > 1:
        raise BallotFileError(
            name,
            header.line,
            header.col(found[1]),
            f"a second weight column {header.cells[found[1]]!r}",
            "at most one weight column",
        )
    return found[0] if found else None


def row_weight(rec: Record, wcol: int, header: Record, name: str) -> int:
    """The papers a row stands for, from its cell in the weight column (blank if missing)."""
    cells = rec.cells
    return weight_of(
        cells[wcol] if wcol < len(cells) else "",
        name,
        rec.line,
        rec.col(wcol),
        header.cells[wcol],
    )


# -- writing ----------------------------------------------------------------------------------
def whole_weights(profile: Profile) -> list[int]:
    """The profile's weights as whole numbers of papers (a fraction is refused)."""
    out: list[int] = []
    for w in profile.weights:
        if isinstance(w, int) or w.denominator == 1:
            out.append(int(w))
        else:
            raise ValueError(f"CSV weights are whole numbers; this profile has a weight {w}")
    return out


def strict_ballots(profile: Profile, what: str) -> None:
    """Refuse a profile a ranked CSV cannot hold: approval ballots, equal rankings."""
    if profile.kind != "ranked":
        raise ValueError(f"a {what} CSV holds ranked ballots; use the approval CSV")
    if not profile.is_strict:
        raise ValueError(
            f"a {what} CSV cannot hold equal rankings; write JSON, BLT or PrefLib instead"
        )
