"""ES&S cast-vote records (Excel), as exported by ES&S tabulators and used by RCTab.

One row per ballot (or per group of identical ballots with a ``COUNT`` column): an
optional precinct column, then one column per rank holding a candidate's name, the
overvote label (``overvote``), the skipped-rank label (``undervote``) or the
undeclared-write-in label (``UWI``, counted for a candidate "Undeclared Write-ins").
Column and label choices follow RCTab's ``cvrFileSources`` settings
(``config_file_documentation.txt``); the defaults are those of the Minneapolis exports.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tallyroom.ballots.model import (
    OVERVOTE,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError

UWI_NAME = "Undeclared Write-ins"


def read_ess(
    path: str | os.PathLike[str],
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    candidates: Sequence[str] | None = None,
    first_vote_column: int = 2,
    first_vote_row: int = 2,
    overvote_label: str = "overvote",
    skipped_label: str = "undervote",
    uwi_label: str = "UWI",
    count_column: str = "COUNT",
    treat_blank_as_undeclared_write_in: bool = False,
    overvote_delimiter: str | None = None,
    source: str | None = None,
) -> Profile:
    """Read an ES&S ``.xlsx`` CVR.  Columns and rows are numbered from 1, as RCTab does."""
    name = source or os.fspath(path)
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise BallotFileError(name, None, None, "no Excel reader installed", "openpyxl") from None
    try:
        wb = openpyxl.load_workbook(os.fspath(path), read_only=True, data_only=True)
    except FileNotFoundError:
        raise BallotFileError(
            name, None, None, "no such file", "a readable ES&S .xlsx file"
        ) from None
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise BallotFileError(
            name,
            None,
            None,
            f"not an Excel workbook ({type(e).__name__})",
            "an ES&S .xlsx cast-vote record",
        ) from None
    ws = wb.worksheets[0]
    index: dict[str, int] = {}
    names: list[str] = list(candidates or [])
    for i, n in enumerate(names):
        index[n] = i
    raw: dict[tuple, Weight] = {}

    def _index(text: str, r: int, col: int) -> int:
        cand = UWI_NAME if text == uwi_label else text
        if cand not in index:
            if candidates is not None and cand != UWI_NAME:
                raise BallotFileError(
                    name,
                    r,
                    col,
                    repr(text),
                    "one of the declared candidates: " + ", ".join(candidates),
                )
            index[cand] = len(names)
            names.append(cand)
        return index[cand]

    rank_cols: slice | None = None
    count_at: int | None = None
    for r, row in enumerate(ws.iter_rows(values_only=True), 1):
        if r < first_vote_row:
            if r == first_vote_row - 1:
                header = [str(c) if c is not None else "" for c in row]
                if count_column in header:
                    count_at = header.index(count_column)
                stop = count_at if count_at is not None else len(header)
                rank_cols = slice(first_vote_column - 1, stop)
            continue
        if rank_cols is None:
            rank_cols = slice(first_vote_column - 1, None)
        weight: Weight = 1
        if count_at is not None:
            value = row[count_at] if count_at < len(row) else None
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise BallotFileError(
                    name,
                    r,
                    count_at + 1,
                    repr(value),
                    "a whole number of ballots (1 or more) in the COUNT column",
                )
            weight = value
        marks: list[Preference | None] = []
        for col, cell in enumerate(row[rank_cols], first_vote_column):
            text = "" if cell is None else str(cell).strip()
            if text == "" and treat_blank_as_undeclared_write_in:
                # RCTab's treatBlankAsUndeclaredWriteIn: an empty cell is a write-in vote
                text = uwi_label
            if text == "" or text == skipped_label:
                marks.append(None)
            elif text == overvote_label:
                marks.append(OVERVOTE)
            elif overvote_delimiter and overvote_delimiter in text:
                # RCTab's overvoteDelimiter: the candidates of an overvote, named in one cell
                marks.append(
                    tuple(_index(part.strip(), r, col) for part in text.split(overvote_delimiter))
                )
            else:
                marks.append(_index(text, r, col))
        key = tuple(marks)
        raw[key] = raw.get(key, 0) + weight
    wb.close()
    return _finish(name, names, raw, rules, seats)


def _finish(
    name: str, names: list[str], raw: dict[tuple, Weight], rules: BallotRules, seats: int
) -> Profile:
    if not names:
        raise BallotFileError(
            name,
            None,
            None,
            "no candidate names in any ballot",
            "an ES&S cast-vote record with rankings",
        )
    if seats > len(names):
        raise BallotFileError(
            name,
            None,
            None,
            f"{seats} seats for {len(names)} candidates",
            "no more seats than candidates",
        )
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=name)
