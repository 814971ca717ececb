"""ES&S cast-vote records (Excel), as exported by ES&S tabulators and used by RCTab.

One row per ballot (or per group of identical ballots with a ``COUNT`` column): an
optional precinct column, then one column per rank holding a candidate's name, the
overvote label (``overvote``), the skipped-rank label (``undervote``) or the
undeclared-write-in label (``UWI``, counted for a candidate "Undeclared Write-ins").
Column and label choices follow RCTab's ``cvrFileSources`` settings
(``config_file_documentation.txt``); the defaults are those of the Minneapolis exports.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tallyroom.ballots.formats.rctab_cvr import OVERVOTE_NAME, CvrRecord
from tallyroom.ballots.model import (
    NEVER_ELECTED,
    OVERVOTE,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

UWI_NAME = "Undeclared Write-ins"
#: a cell longer than this is not a name, a label or a count
MAX_CELL = 10_000
#: the rows of an Excel worksheet
EXCEL_ROWS = 1_048_576
#: a workbook may unpack to MAX_RATIO times its size (real CVRs: 5 to 20); past
#: MAX_INFLATED bytes only
MAX_RATIO = 100
MAX_INFLATED = 64 << 20
#: RCTab's name for the papers of an ES&S CVR with no precinct (its precinct reports:
#: missing_precinct_example) and, by the same pattern, with no batch
MISSING_PRECINCT = "missing_precinct_id"
MISSING_BATCH = "missing_batch_id"


def _check_zip(name: str, path: str) -> None:
    """Refuse, before openpyxl inflates anything, a workbook whose parts would take more
    memory than the file's size justifies (a 1 MB file holding a 1 GB cell)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except FileNotFoundError:
        raise BallotFileError(
            name, None, None, "no such file", "a readable ES&S .xlsx file"
        ) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise BallotFileError(
            name, None, None, f"not an Excel workbook ({type(e).__name__})", "an ES&S .xlsx file"
        ) from None
    packed = os.path.getsize(path)
    inflated = sum(i.file_size for i in infos)
    if inflated > MAX_INFLATED and inflated > MAX_RATIO * packed:
        raise BallotFileError(
            name,
            None,
            None,
            f"{inflated:,} bytes once unpacked from {packed:,}",
            f"a workbook that unpacks to at most {MAX_RATIO} times its size",
        )


def read_ess(
    path: str | os.PathLike[str],
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    candidates: Sequence[str] | None = None,
    first_vote_column: int = 2,
    first_vote_row: int = 2,
    max_rankings: int | None = None,
    overvote_label: str = "overvote",
    skipped_label: str = "undervote",
    uwi_label: str = "UWI",
    count_column: str = "COUNT",
    aliases: Mapping[str, str] | None = None,
    treat_blank_as_undeclared_write_in: bool = False,
    overvote_delimiter: str | None = None,
    source: str | None = None,
    records: list[CvrRecord] | None = None,
    record_source: str = "",
    precinct_column: int | None = None,
    batch_column: int | None = None,
    precincts: dict[str, dict[tuple, Weight]] | None = None,
    batches: dict[str, dict[tuple, Weight]] | None = None,
) -> Profile:
    """Read an ES&S ``.xlsx`` CVR.  Columns and rows are numbered from 1, as RCTab does.

    ``max_rankings`` reads that many rank columns from ``first_vote_column`` (RCTab's
    ``maxRankingsAllowed``); without it the ranks run to the count column (its header
    matched without regard to case: Minneapolis 2017 heads it "Count") or the last column.
    ``aliases`` maps a name or code in the file to the candidate's name (RCTab's
    ``candidates[].aliases``).  Every ``<row>`` element below the header is a paper (one
    with no mark is blank, as RCTab counts it); rows missing between two elements, or up to
    a ``dimension`` that claims row 1,048,576, are not.

    ``records``: a list filled with each row as read (:class:`CvrRecord`, RCTab's id
    ``<file name>-<n>`` for the n-th paper), for RCTab's conversions; ``record_source`` is
    the file path the records name (the configuration's).

    ``precincts`` and ``batches``, when given, are filled with each precinct's (batch's)
    papers as read, marks as the profile's ballots before the ballot rules, keyed by the
    cell of ``precinct_column`` (``batch_column``); a paper with no precinct is under
    :data:`MISSING_PRECINCT` (RCTab's name for it, as its precinct reports show), one with
    no batch under :data:`MISSING_BATCH`.
    """
    name = source or os.fspath(path)
    for label, col in (("precinct column", precinct_column), ("batch column", batch_column)):
        if col is not None and (isinstance(col, bool) or not isinstance(col, int) or col < 1):
            raise BallotFileError(name, None, None, f"{label} {col!r}", f"a {label} of 1 or more")
    for label, value in (
        ("first vote column", first_vote_column),
        ("first vote row", first_vote_row),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BallotFileError(name, None, None, f"{label} {value!r}", f"a {label} of 1 or more")
    if max_rankings is not None and (isinstance(max_rankings, bool) or max_rankings < 1):
        raise BallotFileError(
            name, None, None, f"max rankings {max_rankings!r}", "a number of ranks of 1 or more"
        )
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise BallotFileError(name, None, None, "no Excel reader installed", "openpyxl") from None
    _check_zip(name, os.fspath(path))
    # openpyxl prints some complaints (a bad style index) on standard output, where they
    # would corrupt a result sheet or JSON written there: they go to standard error
    with contextlib.redirect_stdout(sys.stderr):
        return _open_and_read(
            name,
            path,
            openpyxl,
            rules,
            seats,
            candidates,
            first_vote_column,
            first_vote_row,
            max_rankings,
            overvote_label,
            skipped_label,
            uwi_label,
            count_column,
            aliases,
            treat_blank_as_undeclared_write_in,
            overvote_delimiter,
            records,
            record_source or name,
            (
                (precinct_column, precincts, MISSING_PRECINCT),
                (batch_column, batches, MISSING_BATCH),
            ),
        )


def _open_and_read(
    name: str,
    path: Any,
    openpyxl: Any,
    rules: BallotRules,
    seats: int,
    candidates: Sequence[str] | None,
    first_vote_column: int,
    first_vote_row: int,
    max_rankings: int | None,
    overvote_label: str,
    skipped_label: str,
    uwi_label: str,
    count_column: str,
    aliases: Mapping[str, str] | None,
    treat_blank_as_undeclared_write_in: bool,
    overvote_delimiter: str | None,
    records: list[CvrRecord] | None = None,
    record_source: str = "",
    parts: Sequence[tuple[int | None, dict[str, dict[tuple, Weight]] | None, str]] = (),
) -> Profile:
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
    try:
        return _read_sheet(
            name,
            wb,
            rules,
            seats,
            candidates,
            first_vote_column,
            first_vote_row,
            max_rankings,
            overvote_label,
            skipped_label,
            uwi_label,
            count_column,
            dict(aliases or {}),
            treat_blank_as_undeclared_write_in,
            overvote_delimiter,
            records,
            record_source,
            parts,
        )
    except BallotFileError:
        raise
    except Exception as e:  # noqa: BLE001 - openpyxl's ParseError, IndexError, ValueError...
        raise BallotFileError(
            name,
            None,
            None,
            f"a damaged worksheet ({type(e).__name__}: {str(e)[:80]})",
            "an ES&S .xlsx cast-vote record",
        ) from None
    finally:
        wb.close()


def _read_sheet(
    name: str,
    wb: Any,
    rules: BallotRules,
    seats: int,
    candidates: Sequence[str] | None,
    first_vote_column: int,
    first_vote_row: int,
    max_rankings: int | None,
    overvote_label: str,
    skipped_label: str,
    uwi_label: str,
    count_column: str,
    aliases: dict[str, str],
    treat_blank_as_undeclared_write_in: bool,
    overvote_delimiter: str | None,
    records: list[CvrRecord] | None = None,
    record_source: str = "",
    parts: Sequence[tuple[int | None, dict[str, dict[tuple, Weight]] | None, str]] = (),
) -> Profile:
    if not wb.worksheets:
        raise BallotFileError(name, None, None, "a workbook with no sheet", "one worksheet")
    ws = wb.worksheets[0]
    # the declared dimension is not trusted: rows are as wide as their cells, no wider
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    index: dict[str, int] = {}
    names: list[str] = list(candidates or [])
    for i, n in enumerate(names):
        index[n] = i
    raw: dict[tuple, Weight] = {}
    # (paper number, marks, precinct, batch) for ``records``
    pending: list[tuple[int, tuple, str, str]] = []

    def _index(text: str, r: int, col: int) -> int:
        text = aliases.get(text, text)
        cand = UWI_NAME if text == uwi_label else text
        if cand not in index:
            if candidates is not None and cand != UWI_NAME:
                raise BallotFileError(
                    name,
                    r,
                    col,
                    repr(text[:80]),
                    "one of the declared candidates: " + ", ".join(candidates),
                )
            index[cand] = len(names)
            names.append(cand)
        return index[cand]

    start = first_vote_column - 1
    rank_cols: slice | None = None
    count_at: int | None = None
    seen = header_rows = 0  # <row> elements read as papers, and before them
    for r, row in enumerate(ws.iter_rows(values_only=True), 1):
        if r > EXCEL_ROWS:
            # openpyxl yields an empty row for each row number skipped: a row numbered
            # 10^9 in a 7 KB file was a billion of them (minutes); Excel stops here
            raise BallotFileError(
                name, r, None, f"a row numbered past {EXCEL_ROWS:,}", "Excel's rows at most"
            )
        if r < first_vote_row:
            if r == first_vote_row - 1:
                header = [str(c).strip().casefold() if c is not None else "" for c in row]
                if count_column.casefold() in header:
                    count_at = header.index(count_column.casefold())
                stop = count_at if count_at is not None and count_at >= start else None
                if max_rankings is not None:
                    stop = start + max_rankings
                rank_cols = slice(start, stop)
            header_rows += isinstance(row, tuple)
            continue
        if rank_cols is None:
            rank_cols = slice(start, None if max_rankings is None else start + max_rankings)
        if not isinstance(row, tuple):
            # openpyxl fills a gap between two <row> elements with a shared list, a row
            # element (even one with no cell) is a tuple.  RCTab (Apache POI) sees only the
            # row elements: a sheet holding rows 1-18 and 1048575-1048576 has 19 papers,
            # three of them blank (first_round_determines_threshold_test), not 1,048,575.
            continue
        weight: Weight = 1
        if count_at is not None:
            value = row[count_at] if count_at < len(row) else None
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise BallotFileError(
                    name,
                    r,
                    count_at + 1,
                    repr(value),
                    f"a whole number of ballots (1 or more) in the {count_column} column",
                )
            weight = value
        marks: list[Preference | None] = []
        cells = row[rank_cols]
        if max_rankings is not None and len(cells) < max_rankings:
            cells = tuple(cells) + (None,) * (max_rankings - len(cells))
        for col, cell in enumerate(cells, first_vote_column):
            text = "" if cell is None else str(cell).strip()
            if len(text) > MAX_CELL:
                raise BallotFileError(
                    name, r, col, f"a cell of {len(text):,} characters", f"at most {MAX_CELL:,}"
                )
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
        # trailing blank ranks say nothing (rows are as wide as their last cell)
        while marks and marks[-1] is None:
            marks.pop()
        key = tuple(marks)
        raw[key] = raw.get(key, 0) + weight
        found: list[str] = []
        for col_number, into, missing in parts:
            if col_number is None:
                found.append("")
                continue
            value = row[col_number - 1] if col_number - 1 < len(row) else None
            where = ("" if value is None else str(value).strip()) or missing
            found.append(where)
            if into is not None:
                tally = into.setdefault(where, {})
                tally[key] = tally.get(key, 0) + weight
        seen += 1
        if records is not None:
            if weight != 1:
                raise BallotFileError(
                    name, r, (count_at or 0) + 1, f"{weight} papers in one row", "one paper a row"
                )
            pending.append((seen, key, (found + [""])[0], (found + ["", ""])[1]))
    if seen + header_rows != _row_elements(ws):
        raise BallotFileError(
            name,
            None,
            None,
            f"{_row_elements(ws):,} <row> elements in the worksheet, of which openpyxl reads "
            f"{seen + header_rows:,} (rows numbered out of order?)",
            "rows numbered in ascending order, each read once",
        )
    if records is not None:
        file_name = os.path.basename(name)
        for number, key, precinct, batch in pending:
            records.append(
                CvrRecord(
                    source=record_source,
                    provider="ess",
                    record_id=f"{file_name}-{number}",
                    precinct=precinct,
                    batch_id=batch,
                    ranks=_record_ranks(key, names),
                    uwi_label="" if uwi_label.startswith("\0") else uwi_label,
                )
            )
    return _finish(name, names, raw, rules, seats)


def _record_ranks(key: tuple, names: Sequence[str]) -> dict[int, tuple[str, ...]]:
    """A paper's marks as names per rank (an explicit overvote as RCTab's "overvote")."""
    out: dict[int, tuple[str, ...]] = {}
    for k, m in enumerate(key, 1):
        if m is None:
            continue
        if m == OVERVOTE:
            out[k] = (OVERVOTE_NAME,)
        elif isinstance(m, tuple):
            out[k] = tuple(names[c] for c in m)
        else:
            out[k] = (names[m],)
    return out


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def _row_elements(ws: Any) -> int:
    """The ``<row>`` elements of the worksheet's XML, counted apart from openpyxl, which
    drops without a word a row numbered below the one before it (15 papers read as 9).
    Markup in cell text is escaped, so every ``<row`` is an element."""
    if not hasattr(ws, "_get_source"):  # pragma: no cover - openpyxl's read-only sheet
        return -1
    n, tail = 0, b""
    with ws._get_source() as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            n += len(_ROW_TAG.findall(data))
            # a tag cut at the chunk's end is counted with the next chunk
            cut = data.rfind(b"<")
            tail = data[cut:] if cut >= 0 and len(data) - cut < 64 else b""
            if tail:
                n -= len(_ROW_TAG.findall(tail))
    return n + len(_ROW_TAG.findall(tail))


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
    # the write-ins placeholder collects votes but can never be elected (RCTab)
    never = {NEVER_ELECTED: "yes"}
    election = Election(
        candidates=tuple(Candidate(n, never if n == UWI_NAME else {}) for n in names), seats=seats
    )
    return Profile.from_marks(election, raw, rules, source=name)


# -- the registry's entry (tallyroom.ballots.formats) ------------------------------------------
def sniff(head: bytes) -> bool:
    """An Excel workbook (a zip holding ``xl/``)."""
    return head.startswith(b"PK\x03\x04") and b"xl/" in head


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_ess` as the registry calls every reader (a path: ``needs_path``)."""
    return read_ess(source, options.ballot_rules, seats=options.seats or 1)  # type: ignore[arg-type]
