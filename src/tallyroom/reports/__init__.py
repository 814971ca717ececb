"""Reports: pure functions of a :class:`~tallyroom.record.CountRecord`.

``render(record, fmt)`` returns the text of a report in one of :data:`FORMATS`.
"""

from __future__ import annotations

from collections.abc import Sequence

from tallyroom.record import CountRecord

FORMATS = ("text", "json", "jsonl", "csv", "html")


def render(records: Sequence[CountRecord], fmt: str) -> str:
    """Render one or more records (several for ``jsonl``, or sheets one after another).

    ``html`` makes one self-contained page holding every count (plotly is imported only
    for it).
    """
    if fmt == "html":
        from tallyroom.reports import html as html_report

        return html_report.page(records)
    if fmt in ("json", "jsonl"):
        from tallyroom.reports import json as json_report

        if fmt == "jsonl":
            return "".join(json_report.dumps(r) + "\n" for r in records)
        if len(records) == 1:
            return json_report.dumps(records[0], indent=2) + "\n"
        return "[\n" + ",\n".join(json_report.dumps(r, indent=2) for r in records) + "\n]\n"
    if fmt == "csv":
        from tallyroom.reports import csv as csv_report

        return "".join(csv_report.rows(r, header=(i == 0)) for i, r in enumerate(records))
    if fmt == "text":
        from tallyroom.reports import text as text_report

        return "\n".join(text_report.sheet(r) for r in records)
    if fmt == "rctab-json":
        from tallyroom.reports import rctab as rctab_report

        if len(records) == 1:
            return rctab_report.dumps(records[0])
        return "[\n" + ",\n".join(rctab_report.dumps(r).rstrip() for r in records) + "\n]\n"
    raise ValueError(f"unknown report format {fmt!r}")
