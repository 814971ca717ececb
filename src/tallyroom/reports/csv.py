"""CSV: one row per candidate per stage (plus non-transferable and loss rows)."""

from __future__ import annotations

import csv
import io

from tallyroom.errors import printable
from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord

COLUMNS = [
    "source",
    "method",
    "stage",
    "action",
    "subjects",
    "candidate",
    "transfer",
    "total",
    "status",
    "reason",
]


#: a cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell (a name, a file name, an action) a spreadsheet shows as text.

    OWASP's guidance on CSV injection: a cell beginning ``=``, ``+``, ``-``, ``@``, tab or
    carriage return is prefixed with a single quote, so ``=HYPERLINK(...)`` as a
    candidate's name is shown, not run.  Numbers are written as numbers (a negative
    transfer keeps its sign) and never pass through here.  Control and bidirectional
    characters (a file name with U+202E in it) are shown escaped, as in messages, so that
    a cell cannot reorder what a reader of the sheet sees.
    """
    value = printable(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def rows(record: CountRecord, header: bool = True) -> str:
    places = record.display_places
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(COLUMNS)
    status = {n: "continuing" for n in record.candidates}
    for n in record.withdrawn:
        status[n] = "withdrawn"
    for s in record.stages:
        for n in s.elected:
            status[n] = "elected"
        for n in s.excluded:
            status[n] = "excluded"
        common = [
            text_cell(record.source),
            text_cell(record.method),
            s.number,
            text_cell(s.action),
            text_cell("; ".join(s.subjects)),
        ]
        # why a candidate was elected (the test met) or excluded at this stage
        why: dict[str, list[str]] = {}
        for e in s.events:
            if e.reason and e.kind in ("elected", "excluded"):
                why.setdefault(e.candidate, []).append(e.reason)
        for n in record.candidates:
            if n not in s.totals:
                continue
            w.writerow(
                common
                + [
                    text_cell(n),
                    format_decimal(s.transfers.get(n, 0), places),
                    format_decimal(s.totals[n], places),
                    status[n],
                    text_cell("; ".join(why.get(n, ()))),
                ]
            )
        if s.totals:
            nt = format_decimal(s.exhausted, places)
            w.writerow(common + ["(non-transferable)", "", nt, "", ""])
            w.writerow(common + ["(rounding loss)", "", format_decimal(s.loss, places), "", ""])
    return buf.getvalue()
