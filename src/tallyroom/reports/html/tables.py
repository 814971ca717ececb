"""The tables of a count: the declaration of result, the stage table (whole on screen in a
scrolling region, and in blocks of stages with the names repeated for print), the key and
value tables, and the natural views of what a record holds beyond its stages (a pairwise
matrix, a committee's steps, list seats) -- picked by the value's shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from tallyroom.record import CountRecord, Stage
from tallyroom.reports.html.kit import (
    CONTINUING,
    ELECTED,
    Charts,
    chart_text,
    drawable,
    escape,
    scroll_region,
)
from tallyroom.reports.html.words import (
    LOSS,
    NON_TRANSFERABLE,
    fmt,
    fmt_count,
    fmt_signed,
    is_rounds,
    percent,
    seats_won,
    stage_name,
    stage_word,
    statuses,
    threshold_word,
    transfers_shown,
)

_e = escape

#: numeric columns in one printed block of the stage table (A4 portrait)
PRINT_COLUMNS = 8


def is_number(v: object) -> bool:
    return isinstance(v, int | Fraction) and not isinstance(v, bool)


def cell(v: object, places: int) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Fraction):
        return fmt_count(v, places)
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ", ".join(cell(x, places) for x in v)
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {cell(x, places)}" for k, x in v.items())
    return str(v)


def rich(v: Any) -> bool:
    return isinstance(v, Mapping | list | tuple)


def title_of(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def kv_table(caption: str, items: Iterable[tuple[str, str]], cls: str = "kv") -> str:
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in items)
    return f'<table class="{cls}"><caption>{_e(caption)}</caption><tbody>{rows}</tbody></table>'


# --------------------------------------------------------------------------- declaration


def first_votes(record: CountRecord) -> tuple[str, dict[str, Fraction]]:
    """What the declaration lists for each candidate: the first stage's votes (first
    preferences), else a single poll's scores; with the column's name."""
    for s in record.stages:
        if s.totals:
            label = "First preferences" if len(record.stages) > 1 else "Votes"
            return label, {n: Fraction(v) for n, v in s.totals.items()}
        scores = s.extra.get("scores")
        if isinstance(scores, Mapping) and all(is_number(v) for v in scores.values()):
            return "Votes", {str(n): Fraction(v) for n, v in scores.items()}
        break
    # a party list counted constituency by constituency: each party's votes in all of them
    parts = [s.extra["votes"] for s in record.stages if isinstance(s.extra.get("votes"), Mapping)]
    if parts and all(is_number(v) for p in parts for v in p.values()):
        summed: dict[str, Fraction] = {}
        for p in parts:
            for n, v in p.items():
                summed[str(n)] = summed.get(str(n), Fraction(0)) + Fraction(v)
        return "Votes", summed
    return "", {}


def _several_votes(record: CountRecord) -> bool:
    """Whether each paper may give several votes (a block vote's poll): shares are then
    of the papers, not of the votes."""
    return any(
        is_number(s.extra.get("votes_per_voter")) and s.extra["votes_per_voter"] > 1
        for s in record.stages
    )


def declaration_table(record: CountRecord, places: int) -> str:
    """Each candidate's votes, share, result and the stage it came at, in ballot order."""
    label, votes = first_votes(record)
    word = stage_word(record)
    at: dict[str, tuple[str, int]] = {}
    for s in record.stages:
        for n in s.elected:
            at.setdefault(n, ("Elected", s.number))
        for n in s.excluded:
            at.setdefault(n, ("Eliminated" if is_rounds(record) else "Excluded", s.number))
    passed = {e.candidate for s in record.stages for e in s.events if e.kind == "passed over"}
    won = seats_won(record)
    per_paper = _several_votes(record)
    total = Fraction(record.valid) if per_paper else sum(votes.values(), Fraction(0))
    share = "Share of papers" if per_paper else "Share"
    multi_stage = sum(1 for s in record.stages if s.totals) > 1
    who = "party" if won is not None else "candidate"
    shown = [label.lower(), share.lower()] if votes else []
    # the section's heading says "Declaration of result": the caption says what the table is
    caption = f"Each {who}'s " + (", ".join(shown) + " and result" if shown else "result")
    last = "Seats" if won is not None else f"At {word}" if multi_stage else ""
    columns = 2 * bool(votes) + 1 + bool(last)
    # explicit table roles: on a phone the rows are laid out as grids (report.css), which
    # some browsers take to mean the table is no longer one
    out = [
        scroll_region(caption),
        f'<table class="declaration cols-{columns}" role="table"><caption>{_e(caption)}</caption>',
    ]
    out.append(
        f'<thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">'
        f"{who.capitalize()}</th>"
    )
    if votes:
        out.append(
            f'<th scope="col" role="columnheader">{_e(label)}</th>'
            f'<th scope="col" role="columnheader">{share}</th>'
        )
    out.append('<th scope="col" role="columnheader">Result</th>')
    if last:
        out.append(f'<th scope="col" role="columnheader">{_e(last)}</th>')
    out.append('</tr></thead><tbody role="rowgroup">')
    for n in record.candidates:
        if n in record.withdrawn:
            status, number = "Withdrawn", None
        elif n in at:
            status, number = at[n]
        elif n in record.elected:
            status, number = "Elected", None
        else:
            status, number = "Not elected", None
        if n in passed and status == "Not elected":
            status = "Not elected: passed over to meet the rules on seats"
        cls = ' class="elected"' if status == "Elected" or (won or {}).get(n) else ""
        out.append(f'<tr{cls} role="row"><th scope="row" role="rowheader">{_e(n)}</th>')
        if votes:
            v = votes.get(n)
            out.append(
                f'<td class="num" role="cell">{_e(fmt(v, places)) if v is not None else ""}</td>'
            )
            out.append(
                f'<td class="num" role="cell">{_e(percent(v, total)) if v is not None else ""}</td>'
            )
        if won is not None:
            status = "Elected" if won.get(n) else "No seat"
        out.append(f'<td role="cell">{_e(status)}</td>')
        if won is not None:
            out.append(f'<td class="num" role="cell">{won.get(n, 0)}</td>')
        elif multi_stage:
            out.append(f'<td class="num" role="cell">{number if number is not None else ""}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


# --------------------------------------------------------------------------- stage table


def _blocks(stages: list[Stage], show_t: list[bool], columns: int) -> list[list[int]]:
    blocks: list[list[int]] = []
    cur: list[int] = []
    used = 0
    for i, t in enumerate(show_t):
        w = 2 if t else 1
        if cur and used + w > columns:
            blocks.append(cur)
            cur, used = [], 0
        cur.append(i)
        used += w
    if cur:
        blocks.append(cur)
    return blocks


def stage_table(
    record: CountRecord,
    places: int,
    caption: str = "Stage by stage",
    *,
    block: list[int] | None = None,
    cls: str = "stages",
) -> str:
    """The stage table: a row per candidate, a column (or a transfer and a total) per stage
    (``block``: only those of the counted stages, for a printed block)."""
    stages = [s for s in record.stages if s.totals]
    if not stages:
        return ""
    status = statuses(record)
    index_of = {id(s): i for i, s in enumerate(record.stages)}
    word = stage_word(record).capitalize()
    show_all = [transfers_shown(s) for s in stages]
    prev_of = {id(s): (stages[k - 1] if k else None) for k, s in enumerate(stages)}
    if block is not None:
        stages = [stages[k] for k in block]
        show_t = [show_all[k] for k in block]
    else:
        show_t = show_all
    out = [scroll_region(caption)] if block is None else ['<div class="block">']
    out.append(f'<table class="{cls}"><caption>{_e(caption)}</caption><thead><tr>')
    out.append('<td rowspan="2"></td>' if any(show_t) else "<td></td>")
    for s, t in zip(stages, show_t):
        label = f"{word} {s.number}"
        sub = _e(stage_name(record, s))
        span = ' colspan="2"' if t else (' rowspan="2"' if any(show_t) else "")
        out.append(
            f'<th scope="colgroup"{span} abbr="{_e(label)}">{_e(label)}'
            f'<span class="sub"> {sub}</span></th>'
        )
    out.append("</tr>")
    if any(show_t):
        out.append("<tr>")
        for t in show_t:
            if t:
                out.append('<th scope="col">Transfer</th><th scope="col">Total</th>')
        out.append("</tr>")
    out.append("</thead><tbody>")

    def row(label: str, cells: Iterable[tuple[str, str, str]], klass: str = "") -> None:
        c = f' class="{klass}"' if klass else ""
        out.append(f'<tr{c}><th scope="row">{_e(label)}</th>')
        for text, k, tag in cells:
            kk = f' class="num {k}"' if k else ' class="num"'
            t = f'<span class="tag">{_e(tag)}</span>' if tag else ""
            out.append(f"<td{kk}>{_e(text)}{t}</td>")
        out.append("</tr>")

    out_word = "eliminated" if is_rounds(record) else "excluded"
    for n in record.candidates:
        cells: list[tuple[str, str, str]] = []
        for s, t in zip(stages, show_t):
            i = index_of[id(s)]
            st = status[i].get(n, "continuing")
            tag = ""
            if n in s.elected:
                tag = "elected"
            elif n in s.excluded:
                tag = out_word
            if t:
                cells.append((fmt_signed(s.transfers.get(n, 0), places), "transfer", ""))
            total = fmt(s.totals[n], places) if n in s.totals else ""
            cells.append((total, "total " + st, tag))
        row(n, cells)
    # non-transferable, exhausted papers, loss, and the sum that must equal the valid poll
    for label, attr in ((NON_TRANSFERABLE, "exhausted"), (LOSS, "loss")):
        cells = []
        for s, t in zip(stages, show_t):
            v = Fraction(getattr(s, attr))
            p = prev_of[id(s)]
            if t:
                change = fmt_signed(v - Fraction(getattr(p, attr)), places) if p else ""
                cells.append((change, "", ""))
            cells.append((fmt(v, places), "total", ""))
        row(label, cells, "aux")
    cells = []
    for s, t in zip(stages, show_t):
        if t:
            cells.append(("", "", ""))
        cells.append((fmt_count(s.exhausted_papers, places), "total", ""))
    row("Exhausted papers", cells, "aux")
    cells = []
    for s, t in zip(stages, show_t):
        if t:
            cells.append(("", "", ""))
        books = sum((Fraction(v) for v in s.totals.values()), Fraction(0))
        books += Fraction(s.exhausted) + Fraction(s.loss)
        cells.append((fmt(books, places), "total", ""))
    row("Total", cells, "sum")
    if any(s.quota is not None for s in stages) or record.quota is not None:
        cells = []
        for s, t in zip(stages, show_t):
            if t:
                cells.append(("", "", ""))
            q = s.quota if s.quota is not None else record.quota
            cells.append((fmt(q, places) if q is not None else "", "total", ""))
        row(threshold_word(record).capitalize(), cells, "aux")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def printed_stage_tables(record: CountRecord, places: int) -> str:
    """The stage table for paper: blocks of stages narrow enough for A4, each repeating
    the candidates' names (shown only in print)."""
    stages = [s for s in record.stages if s.totals]
    if not stages:
        return ""
    blocks = _blocks(stages, [transfers_shown(s) for s in stages], PRINT_COLUMNS)
    word = stage_word(record).capitalize() + "s"
    out = ['<div class="print-only">']
    for b in blocks:
        first, last = stages[b[0]].number, stages[b[-1]].number
        span = f"{word} {first}–{last}" if first != last else f"{word[:-1]} {first}"
        out.append(
            stage_table(record, places, f"Stage by stage: {span}", block=b, cls="stages printed")
        )
    out.append("</div>")
    return "\n".join(out)


# --------------------------------------------------------------------------- natural views


def _key_like(inner: Mapping[Any, Any], c: str) -> Any:
    for k in inner:
        if str(k) == c:
            return k
    return c


def natural_view(
    key: str, value: Any, record: CountRecord, places: int, charts: Charts, level: int = 3
) -> str:
    """Render one ``extra`` entry by its shape: a matrix, a name-to-number table, a list of
    rows, a list, or a single value."""
    h = f"h{min(level, 6)}"
    title = title_of(key)
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
        rows = [str(k) for k in value]
        cols = list(dict.fromkeys(str(c) for v in value.values() for c in v))
        numeric = all(is_number(x) for v in value.values() for x in v.values())
        out = [scroll_region(title)]
        out.append(f"<table><caption>{_e(title)}</caption><thead><tr><td></td>")
        out += [f'<th scope="col">{_e(c)}</th>' for c in cols]
        out.append("</tr></thead><tbody>")
        for r in rows:
            inner = value[r]
            out.append(f'<tr><th scope="row">{_e(r)}</th>')
            for c in cols:
                v = inner.get(c, inner.get(_key_like(inner, c)))
                out.append(f'<td class="num">{_e(cell(v, places))}</td>')
            out.append("</tr>")
        out.append("</tbody></table></div>")
        if numeric and len(rows) > 1 and len(cols) > 1:
            flat, _ = drawable([value[r].get(c, 0) or 0 for r in rows for c in cols])
            z = [flat[i * len(cols) : (i + 1) * len(cols)] for i in range(len(rows))]
            text = [[cell(value[r].get(c, ""), places) for c in cols] for r in rows]
            fig = {
                "data": [
                    {
                        "type": "heatmap",
                        "x": [chart_text(c) for c in cols],
                        "y": [chart_text(r) for r in rows],
                        "z": z,
                        "text": text,
                        "texttemplate": "%{text}",
                        "hovertemplate": "%{y} over %{x}: %{text}<extra></extra>",
                        "colorscale": "Blues",
                        "showscale": False,
                    }
                ],
                "layout": {
                    "title": {"text": chart_text(title)},
                    "yaxis": {"autorange": "reversed", "automargin": True},
                    "xaxis": {"automargin": True, "side": "top"},
                    "height": max(300, 120 + 34 * len(rows)),
                    "margin": {"t": 90},
                },
            }
            out.append(
                charts.add(
                    fig,
                    f"Heat map of {title.lower()}: the same figures as the table above.",
                    f"{title}: each row's figure against each column (darker is larger).",
                )
            )
        return "\n".join(out)
    if isinstance(value, Mapping) and value:
        numeric = all(is_number(v) for v in value.values())
        elected = set(record.elected)
        out = [scroll_region(title)]
        out.append(
            f'<table><caption>{_e(title)}</caption><thead><tr><th scope="col">Name</th>'
            f'<th scope="col">Value</th></tr></thead><tbody>'
        )
        for k, v in value.items():
            klass = ' class="num"' if is_number(v) else ""
            tag = '<span class="tag">elected</span>' if k in elected else ""
            out.append(
                f'<tr><th scope="row">{_e(k)}</th><td{klass}>{_e(cell(v, places))}{tag}</td></tr>'
            )
        out.append("</tbody></table></div>")
        if numeric and len(value) > 1:
            names = [str(k) for k in value]
            vals = list(value.values())
            xs, power = drawable(vals)
            fig = {
                "data": [
                    {
                        "type": "bar",
                        "orientation": "h",
                        "y": [chart_text(n) for n in names],
                        "x": xs,
                        "text": [
                            chart_text(cell(v, places) + (" elected" if n in elected else ""))
                            for n, v in zip(names, vals)
                        ],
                        "textposition": "outside",
                        "cliponaxis": False,
                        "hovertemplate": "%{y}: %{text}<extra></extra>",
                        "marker": {
                            "color": [ELECTED if n in elected else CONTINUING for n in names]
                        },
                    }
                ],
                "layout": {
                    "title": {"text": chart_text(title)},
                    "yaxis": {"autorange": "reversed", "automargin": True},
                    "xaxis": {
                        "range": [0, max(xs + [1.0]) * 1.35],
                        "title": {"text": "" if not power else f"× 10^{power}"},
                    },
                    "height": max(240, 60 + 28 * len(names)),
                    "margin": {"l": 10, "r": 40, "t": 50, "b": 40},
                },
            }
            out.append(
                charts.add(
                    fig,
                    f"Bar chart of {title.lower()}: "
                    + "; ".join(
                        f"{n} {cell(v, places)}" + (" (elected)" if n in elected else "")
                        for n, v in zip(names, vals)
                    ),
                    f"{title}, as in the table above"
                    + ("; elected candidates in green, labelled 'elected'." if elected else "."),
                )
            )
        return "\n".join(out)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        cols = list(dict.fromkeys(str(c) for v in value for c in v))
        out = [scroll_region(title)]
        out.append(f"<table><caption>{_e(title)}</caption><thead><tr>")
        out += [f'<th scope="col">{_e(title_of(c))}</th>' for c in cols]
        out.append("</tr></thead><tbody>")
        for row in value:
            out.append("<tr>")
            for c in cols:
                v = row.get(c)
                klass = ' class="num"' if is_number(v) else ""
                out.append(f"<td{klass}>{_e(cell(v, places))}</td>")
            out.append("</tr>")
        out.append("</tbody></table></div>")
        return "\n".join(out)
    if isinstance(value, list | tuple):
        items = "".join(f"<li>{_e(cell(v, places))}</li>" for v in value)
        return f"<{h}>{_e(title)}</{h}><ul>{items}</ul>" if items else ""
    return f"<p><strong>{_e(title)}:</strong> {_e(cell(value, places))}</p>"
