"""CSV: one row per candidate per stage (plus non-transferable and loss rows)."""

from __future__ import annotations

import csv
import io

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
]


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
        common = [record.source, record.method, s.number, s.action, "; ".join(s.subjects)]
        for n in record.candidates:
            if n not in s.totals:
                continue
            w.writerow(
                common
                + [
                    n,
                    format_decimal(s.transfers.get(n, 0), places),
                    format_decimal(s.totals[n], places),
                    status[n],
                ]
            )
        if s.totals:
            w.writerow(common + ["(non-transferable)", "", format_decimal(s.exhausted, places), ""])
            w.writerow(common + ["(rounding loss)", "", format_decimal(s.loss, places), ""])
    return buf.getvalue()
