"""The stage sheet as an Excel workbook (openpyxl): a worksheet per count with the
declaration of result above the stage table (a transfer and a total column per stage).

A spreadsheet's numbers are binary floating point (openpyxl writes 16 significant
digits): the cells are formatted to show the count's places, at which each is the figure
of the JSON contract; the exact figures are in the JSON.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from tallyroom.record import CountRecord
from tallyroom.reports.html.tables import first_votes
from tallyroom.reports.html.words import (
    LOSS,
    NON_TRANSFERABLE,
    elected_in_words,
    election_details,
    election_name,
    figure_places,
    fmt,
    stage_name,
    stage_word,
    threshold_word,
    transfers_shown,
)

_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def _number(x: Fraction | int, places: int) -> Decimal:
    return Decimal(fmt(x, places))


def _text(s: str) -> str:
    # a name beginning = + - @ is text, never a formula (issue 13)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _sheet_title(name: str, used: set[str]) -> str:
    base = _UNSAFE.sub(" ", name).strip()[:28] or "Count"
    title, k = base, 2
    while title.casefold() in used:
        title = f"{base[:25]} {k}"
        k += 1
    used.add(title.casefold())
    return title


def workbook(records: Sequence[CountRecord]) -> bytes:
    """The workbook of ``records``, as the bytes of an .xlsx file."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for r in records:
        places = figure_places(r)
        numfmt = "0" if places == 0 else "0." + "0" * places
        ws = wb.create_sheet(_sheet_title(election_name(r), used))
        ws.append([_text(election_name(r))])
        ws["A1"].font = Font(bold=True, size=14)
        details = election_details(r)
        if details:
            ws.append([_text(details)])
        ws.append([f"Counted under {r.title} ({r.method}): {r.rule_text}"])
        ws.append(["Elected", _text(elected_in_words(r))])
        ws.append(["Seats", r.seats])
        ws.append(["Valid poll", _number(r.valid, 0)])
        for reason, papers in r.invalid.items():
            ws.append([f"Rejected: {reason}", _number(papers, 0)])
        if r.quota is not None:
            ws.append(["Quota", _number(r.quota, places)])
            ws.cell(ws.max_row, 2).number_format = numfmt
        ws.append(["Ballot file", r.source, "SHA-256", r.source_sha256])
        ws.append([])
        label, votes = first_votes(r)
        if votes:
            ws.append(["Candidate", label])
            for c in ws[ws.max_row]:
                c.font = bold
            for n in r.candidates:
                if n in votes:
                    ws.append([_text(n), _number(votes[n], places)])
                    ws.cell(ws.max_row, 2).number_format = numfmt
            ws.append([])
        stages = [s for s in r.stages if s.totals]
        if not stages:
            continue
        word = stage_word(r).capitalize()
        show = [transfers_shown(s) for s in stages]
        head = [""]
        sub = [""]
        for s, t in zip(stages, show):
            title = f"{word} {s.number}: {stage_name(r, s)}"
            head += [title, ""] if t else [title]
            sub += ["Transfer", "Total"] if t else ["Total"]
        ws.append(head)
        for c in ws[ws.max_row]:
            c.font = bold
        ws.append(sub)

        def row(label: str, values: list[Decimal | str | None], ws=ws, numfmt=numfmt) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
            ws.append([_text(label), *values])
            for c in ws[ws.max_row][1:]:
                if isinstance(c.value, Decimal):
                    c.number_format = numfmt

        for n in r.candidates:
            vals: list[Decimal | str | None] = []
            for s, t in zip(stages, show):
                if t:
                    v = s.transfers.get(n)
                    vals.append(_number(v, places) if v else None)
                vals.append(_number(s.totals[n], places) if n in s.totals else None)
            row(n, vals)
        prev = None
        for lab, attr in ((NON_TRANSFERABLE, "exhausted"), (LOSS, "loss")):
            vals = []
            prev = None
            for s, t in zip(stages, show):
                v = Fraction(getattr(s, attr))
                if t:
                    vals.append(
                        _number(v - prev, places) if prev is not None and v != prev else None
                    )
                vals.append(_number(v, places))
                prev = v
            row(lab, vals)
        vals = []
        for s, t in zip(stages, show):
            if t:
                vals.append(None)
            q = s.quota if s.quota is not None else r.quota
            vals.append(_number(q, places) if q is not None else None)
        row(threshold_word(r).capitalize(), vals)
        ws.column_dimensions["A"].width = (
            max([len(n) for n in r.candidates] + [len(NON_TRANSFERABLE)]) + 2
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
