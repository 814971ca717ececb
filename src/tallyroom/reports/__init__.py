"""Reports: pure functions of a :class:`~tallyroom.record.CountRecord`.

``render(record, fmt)`` returns the text of a report in one of :data:`FORMATS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tallyroom.record import CountRecord

FORMATS = ("text", "json", "jsonl", "csv", "html")


def render(
    records: Sequence[CountRecord], fmt: str, *, party_of: Mapping[str, str] | None = None
) -> str:
    """Render one or more records (several for ``jsonl``; a list for ``json``; sheets one
    after another for ``text``).

    ``html`` makes one self-contained page holding every count (plotly is imported only
    for it); several counts (a council's wards) open with a summary of who was elected
    where and each party's votes and seats, the party taken from ``party_of`` (candidate
    name to party) or else from the brackets that end a name.  So do ``text`` (the
    summary's sheet before the wards' sheets) and ``csv`` (one table: the summary's rows,
    then every ward's stage rows, each row's ``table`` column saying which it is;
    :mod:`tallyroom.reports.council`).
    """
    if fmt == "html":
        from tallyroom.reports import html as html_report

        return html_report.page(records, party_of=party_of)
    if fmt in ("json", "jsonl"):
        from tallyroom.reports import json as json_report

        if fmt == "jsonl":
            return "".join(json_report.dumps(r) + "\n" for r in records)
        if len(records) == 1:
            return json_report.dumps(records[0], indent=2) + "\n"
        return "[\n" + ",\n".join(json_report.dumps(r, indent=2) for r in records) + "\n]\n"
    if fmt == "csv":
        from tallyroom.reports import csv as csv_report

        if len(records) > 1:
            from tallyroom.reports import council

            return council.rows(records, party_of)
        return "".join(csv_report.rows(r) for r in records)
    if fmt == "text":
        from tallyroom.reports import text as text_report

        sheets = [text_report.sheet(r) for r in records]
        if len(records) > 1:
            from tallyroom.reports import council

            sheets.insert(0, council.text(records, party_of))
        return "\n".join(sheets)
    if fmt == "rctab-json":
        from tallyroom.reports import rctab as rctab_report

        if len(records) == 1:
            return rctab_report.dumps(records[0])
        return "[\n" + ",\n".join(rctab_report.dumps(r).rstrip() for r in records) + "\n]\n"
    raise ValueError(f"unknown report format {fmt!r}")
