"""Self-contained HTML reports for ``compare``, ``simulate`` and ``demo nec2016``.

The page is built like the report of a count (:mod:`tallyroom.reports.html`): plotly.js
and the stylesheet embedded once, a Content Security Policy forbidding any network
access, each chart in a ``<figure>`` with a text alternative and a caption, and every
figure a chart draws also in a real ``<table>`` with a caption and scoped headers.

Shares and indices are floats (they describe a result; they are never part of a count).
What is shown is always a string at fixed places -- shares in per cent to one place,
indices and mean seats to two, as in the text output -- and charts receive floats for
drawing only.  Their labels carry the same strings as the tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tallyroom.analysis.compare import Aggregate, Comparison
from tallyroom.analysis.indices import Proportionality, Represented, shares
from tallyroom.analysis.nec2016 import DemoResult
from tallyroom.analysis.simulate import Simulation
from tallyroom.reports.html.kit import (
    Charts,
    chart_text,
    colours,
    document,
    escape,
    script_json,
    scroll_region,
)

_e = escape
_PAL = colours(40)

SYNTHETIC = (
    "The ballots in this report are synthetic. Only per-candidate totals were published; "
    "the electorates counted here were reconstructed so that the block vote of each gives "
    "those totals exactly. What they show is what each rule does given the assumptions "
    "below, not what happened."
)

# --------------------------------------------------------------------------- numbers


def pct(x: float) -> str:
    """A share in per cent, one place (as the text output)."""
    return f"{x:.1f}"


def two(x: float) -> str:
    """An index or a mean, two places; the Sainte-Laguë index can be infinite."""
    return "∞" if math.isinf(x) else f"{x:.2f}"


def whole(x: float) -> str:
    """Votes or papers: a whole number with thousands separators; else two places."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


# --------------------------------------------------------------------------- pieces


#: a cell holding a figure (right-aligned, tabular digits); other cells are text
FIGURE = re.compile(r"[-+]?[\d,]*\.?\d+%?|∞|-|[\d.]+–[\d.]+|[\d,]+ \([\d.]+%\)")


def _table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[tuple[str, Sequence[str]]],
    cls: str,
) -> str:
    """A table whose first column heads each row; the other cells are figures."""
    out = [scroll_region(caption)]
    out.append(f'<table class="{_e(cls)}"><caption>{_e(caption)}</caption><thead><tr>')
    out += [f'<th scope="col">{_e(h)}</th>' for h in headers]
    out.append("</tr></thead><tbody>")
    for head, cells in rows:
        out.append(f'<tr><th scope="row">{_e(head)}</th>')
        out += [
            f'<td class="num">{_e(c)}</td>' if FIGURE.fullmatch(c) else f"<td>{_e(c)}</td>"
            for c in cells
        ]
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _ordered_groups(first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]]) -> list:
    return sorted(
        set(first) | {g for s in seats_by.values() for g in s}, key=lambda g: -first.get(g, 0.0)
    )


def group_table(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]], caption: str
) -> str:
    """A column per group; a row of first preferences (votes and share), then a row per
    rule with its seats and seat share -- narrow enough for a screen however many rules
    are compared."""
    fp = shares(first)
    groups = _ordered_groups(first, seats_by)
    headers = ["Rule", *groups]
    rows = [
        (
            "First preferences",
            [f"{whole(first.get(g, 0.0))} ({pct(fp.get(g, 0.0))}%)" for g in groups],
        )
    ]
    for m, s in seats_by.items():
        sh = shares(s)
        rows.append(
            (
                f"{m} seats",
                [f"{s.get(g, 0)} ({pct(sh.get(g, 0.0))}%)" if s else "-" for g in groups],
            )
        )
    return _table(caption, headers, rows, "groups")


def share_bars(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]], title: str
) -> tuple[dict[str, Any], str]:
    """Grouped bars per group: first-preference share, then each rule's seat share."""
    fp = shares(first)
    groups = _ordered_groups(first, seats_by)
    series = [("first preferences", [fp.get(g, 0.0) for g in groups])]
    for m, s in seats_by.items():
        sh = shares(s)
        series.append((f"{m} seats", [sh.get(g, 0.0) for g in groups]))
    traces = []
    for k, (name, ys) in enumerate(series):
        traces.append(
            {
                "type": "bar",
                "name": chart_text(name),
                "x": [chart_text(g) for g in groups],
                "y": [float(y) for y in ys],
                "text": [pct(y) + "%" for y in ys],
                "textposition": "outside",
                # side by side, many bars' labels would overlap: they stand upright
                "textangle": -90 if len(series) > 3 else 0,
                "textfont": {"size": 10},
                "cliponaxis": False,
                "hovertemplate": chart_text(name) + " · %{x}: %{text}<extra></extra>",
                "marker": {
                    "color": "#555555" if k == 0 else _PAL[(k - 1) % len(_PAL)],
                    "pattern": {"shape": "/" if k == 0 else ""},
                },
            }
        )
    fig = {
        "data": traces,
        "layout": {
            "title": {"text": chart_text(title)},
            "barmode": "group",
            "xaxis": {"automargin": True, "fixedrange": True},
            "yaxis": {"title": {"text": "share (%)"}, "rangemode": "tozero", "fixedrange": True},
            "height": 440,
            "margin": {"l": 60, "r": 10, "t": 50, "b": 60},
            "legend": {"orientation": "h", "y": -0.2},
            "font": {"size": 13},
        },
    }
    words = "; ".join(
        f"{g}: first preferences {pct(fp.get(g, 0.0))}%, "
        + ", ".join(f"{m} {pct(shares(s).get(g, 0.0))}%" for m, s in seats_by.items())
        for g in groups
    )
    label = f"Bar chart of seat shares against first-preference shares by group. {words}."
    return fig, label


def share_scatter(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]], title: str
) -> tuple[dict[str, Any], str]:
    """Seat share (y) against first-preference share (x): a point per group and rule,
    with the line of perfect proportionality."""
    fp = shares(first)
    groups = _ordered_groups(first, seats_by)
    traces: list[dict[str, Any]] = []
    top = max([fp.get(g, 0.0) for g in groups] + [1.0])
    for k, (m, s) in enumerate(seats_by.items()):
        sh = shares(s)
        top = max([top, *sh.values()])
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": chart_text(m),
                "x": [float(fp.get(g, 0.0)) for g in groups],
                "y": [float(sh.get(g, 0.0)) for g in groups],
                "text": [chart_text(g) for g in groups],
                "textposition": "middle right",
                "customdata": [
                    f"vote share {pct(fp.get(g, 0.0))}%, seat share {pct(sh.get(g, 0.0))}%"
                    for g in groups
                ],
                "hovertemplate": chart_text(m) + " · %{text}: %{customdata}<extra></extra>",
                "marker": {"size": 11, "color": _PAL[k % len(_PAL)], "symbol": k % 24},
            }
        )
    edge = top * 1.1
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "seats = votes",
            "x": [0, float(edge)],
            "y": [0, float(edge)],
            "hoverinfo": "skip",
            "line": {"color": "#000000", "width": 1, "dash": "dash"},
        }
    )
    fig = {
        "data": traces,
        "layout": {
            "title": {"text": chart_text(title)},
            "xaxis": {
                "title": {"text": "first-preference share (%)"},
                "range": [0, float(edge)],
                "fixedrange": True,
            },
            "yaxis": {
                "title": {"text": "seat share (%)"},
                "range": [0, float(edge)],
                "fixedrange": True,
            },
            "height": 480,
            "margin": {"l": 60, "r": 10, "t": 50, "b": 60},
            "font": {"size": 13},
        },
    }
    words = "; ".join(
        f"{m}: "
        + ", ".join(
            f"{g} {pct(shares(s).get(g, 0.0))}% of seats for {pct(fp.get(g, 0.0))}% of votes"
            for g in groups
        )
        for m, s in seats_by.items()
    )
    label = (
        "Scatter plot of seat share against first-preference share, a point per group and "
        f"rule; the dashed diagonal is perfect proportionality. {words}."
    )
    return fig, label


INDEX_HEADERS = [
    "Rule",
    "Gallagher",
    "Loosemore–Hanby",
    "Sainte-Laguë",
    "ENP votes",
    "ENP seats",
    "First choice elected (%)",
    "Ranked a winner (%)",
]


def index_table(
    items: Iterable[tuple[str, Proportionality | None, Any]], caption: str = "Proportionality"
) -> str:
    rows = []
    for m, p, rep in items:
        if p is None:
            continue
        cells = [
            two(p.gallagher),
            two(p.loosemore_hanby),
            two(p.sainte_lague),
            two(p.enp_votes),
            two(p.enp_seats),
        ]
        if isinstance(rep, Represented):
            cells += [pct(100 * rep.first_choice_share), pct(100 * rep.ranked_a_winner_share)]
        elif rep:
            cells += [
                pct(100 * rep["first_choice_share"]),
                pct(100 * rep["ranked_a_winner_share"]),
            ]
        else:
            cells += ["-", "-"]
        rows.append((m, cells))
    return _table(caption, INDEX_HEADERS, rows, "indices")


INDEX_NOTE = (
    "Indices set seats against first-preference shares: Gallagher least squares and "
    "Loosemore–Hanby in percentage points, the Sainte-Laguë index, and the effective "
    "numbers of parties (Laakso–Taagepera) of votes and of seats. “First choice elected”: "
    "papers whose first choice won; “ranked a winner”: papers ranking at least one winner."
)


# --------------------------------------------------------------------------- the page


def _article(prefix: str, heading: str, body: list[str], charts: Charts) -> str:
    data = {"stages": [], "charts": charts.items}
    return (
        f'<article class="count" id="{prefix}" aria-labelledby="{prefix}-h">'
        f'<h2 id="{prefix}-h">{_e(heading)}</h2>\n'
        + "\n".join(body)
        + f'\n<script type="application/json" class="tallyroom-data">{script_json(data)}'
        "</script></article>"
    )


def _section(prefix: str, key: str, heading: str, body: Iterable[str]) -> str:
    sid = f"{prefix}-{key}"
    return (
        f'<section aria-labelledby="{sid}"><h3 id="{sid}">{_e(heading)}</h3>'
        + "\n".join(body)
        + "</section>"
    )


def page(heading: str, articles: Sequence[str], intro: str = "") -> str:
    """One self-contained HTML document holding ``articles``."""
    return document(
        heading,
        "\n".join(articles),
        intro=intro,
        extra_css="\n.synthetic { border: 3px solid #D55E00; padding: 0.6rem 0.9rem; "
        "font-weight: 600; }",
    )


# --------------------------------------------------------------------------- compare


def _winners_table(c: Comparison) -> str:
    """Winners side by side: a column per rule, a row per seat in order of election."""
    outs = list(c.outcomes)
    depth = max([len(o.elected) for o in outs] + [0])
    headers = ["", *(o.method + (" (single member)" if o.single_member else "") for o in outs)]
    caption = "Elected under each rule, in order of election"
    out = [scroll_region(caption)]
    out.append(f'<table class="winners"><caption>{_e(caption)}</caption><thead><tr>')
    out.append("<td></td>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in headers[1:]))
    out.append("</tr></thead><tbody>")
    for i in range(depth):
        out.append(f'<tr><th scope="row">Seat {i + 1}</th>')
        out += [
            f"<td>{_e(o.elected[i]) if i < len(o.elected) else ''}</td>"
            for o in outs
            if not o.error
        ]
        out.append("</tr>")
    errors = [o for o in outs if o.error]
    out.append("</tbody></table></div>")
    if errors:
        out.append("<ul class=errors>")
        out += [
            f"<li>{_e(o.method)} could not count these ballots: {_e(o.error)}</li>" for o in errors
        ]
        out.append("</ul>")
    return "".join(out)


def _comparison_article(c: Comparison, prefix: str) -> str:
    charts = Charts(prefix)
    ok = [o for o in c.outcomes if not o.error]
    seats_by = {o.method: dict(o.seats_by_group) for o in ok}
    body = [
        f"<p>{_e(c.seats)} seat(s); {_e(whole(c.papers))} valid papers. Source: "
        f"{_e(c.source or '(not given)')}.</p>"
    ]
    for o in c.outcomes:
        if o.single_member and c.seats != 1:
            body.append(
                f"<p>{_e(o.method)} fills one seat only: it is counted as if the election "
                "were for a single member.</p>"
            )
    body.append(_section(prefix, "winners", "Winners under each rule", [_winners_table(c)]))
    fig, label = share_bars(c.first_preferences, seats_by, "Seat share against first preferences")
    body.append(
        _section(
            prefix,
            "groups",
            "Seats by group against first preferences",
            [
                group_table(c.first_preferences, seats_by, "Seats by group"),
                charts.add(
                    fig,
                    label,
                    "Each group's share of first preferences (grey, hatched) beside its share "
                    "of the seats under each rule. The figures are in the table above.",
                ),
            ],
        )
    )
    body.append(
        _section(
            prefix,
            "indices",
            "Proportionality",
            [
                index_table((o.method, o.indices, o.represented) for o in ok),
                f"<p>{_e(INDEX_NOTE)}</p>",
            ],
        )
    )
    return _article(prefix, c.title or c.source or "Election", body, charts)


def _aggregate_article(a: Aggregate, prefix: str, title: str, chart: str = "bars") -> str:
    charts = Charts(prefix)
    body = [
        f"<p>{_e(a.elections)} elections, {_e(a.seats)} seats, {_e(whole(a.papers))} valid "
        "papers.</p>"
    ]
    notes = []
    for m, k in a.seats_filled.items():
        if a.single_member.get(m):
            notes.append(f"{m}: one member per election ({k} seats).")
        if a.errors.get(m):
            notes.append(f"{m}: {a.errors[m]} elections could not be counted.")
    if notes:
        body.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    seats_by = {m: dict(s) for m, s in a.seats_by_method.items()}
    if chart == "scatter":
        fig, label = share_scatter(a.first_preferences, seats_by, "Seat share against vote share")
        caption = (
            "Each group's seat share under each rule against its share of first "
            "preferences, over all the elections; points on the dashed diagonal are "
            "exactly proportional. The figures are in the table above."
        )
    else:
        fig, label = share_bars(
            a.first_preferences, seats_by, "Seat share against first preferences"
        )
        caption = (
            "Each group's share of first preferences (grey, hatched) beside its share of "
            "the seats under each rule, over all the elections. The figures are in the "
            "table above."
        )
    body.append(
        _section(
            prefix,
            "groups",
            "Seats by group against first preferences",
            [
                group_table(a.first_preferences, seats_by, "Seats by group, all elections"),
                charts.add(fig, label, caption),
            ],
        )
    )
    body.append(
        _section(
            prefix,
            "indices",
            "Proportionality (over all seats)",
            [
                index_table((m, a.indices[m], a.represented.get(m)) for m in a.seats_by_method),
                f"<p>{_e(INDEX_NOTE)}</p>",
            ],
        )
    )
    return _article(prefix, title, body, charts)


def compare_report(
    comparisons: Sequence[Comparison], total: Aggregate | None = None, each: bool = True
) -> str:
    """The report of ``tallyroom compare``: each comparison (when ``each``) and the total."""
    articles = []
    if each:
        articles += [_comparison_article(c, f"c{k + 1}") for k, c in enumerate(comparisons)]
    if total is not None:
        articles.append(
            _aggregate_article(total, "total", f"All {total.elections} elections added up")
        )
    if len(comparisons) == 1:
        c = comparisons[0]
        heading = f"The same ballots under many rules: {c.title or c.source}"
    else:
        heading = f"The same ballots under many rules: {len(comparisons)} elections"
    return page(heading, articles)


# --------------------------------------------------------------------------- simulate


def split_label(split: Mapping[str, int], groups: Sequence[str]) -> str:
    """A seat split in group order, e.g. ``A 2 – B 1 – C 0``."""
    return " – ".join(f"{g} {split.get(g, 0)}" for g in groups)


def simulate_report(sim: Simulation) -> str:
    """The report of ``tallyroom simulate``: the distribution of seats by group per rule
    and the seat share against the vote share."""
    prefix = "sim"
    charts = Charts(prefix)
    groups = _ordered_groups(sim.total.first_preferences, sim.total.seats_by_method)
    methods = list(sim.seat_splits)
    counts: dict[str, dict[str, int]] = {}
    for m, c in sim.seat_splits.items():
        for split, v in c.items():
            counts.setdefault(split_label(dict(split), groups), {})[m] = v
    labels = sorted(counts, key=lambda k: -sum(counts[k].values()))
    body = [
        f"<p>{_e(sim.elections)} synthetic elections drawn from the {_e(sim.generator)} "
        "generator (seeded: the same command gives the same page), each counted under every "
        "rule.</p>"
    ]
    table = _table(
        "Seat splits by group: number of elections with each split",
        ["Seats by group", *methods],
        ((lab, [str(counts[lab].get(m, 0)) for m in methods]) for lab in labels),
        "splits",
    )
    traces = [
        {
            "type": "bar",
            "name": chart_text(m),
            "x": [chart_text(lab) for lab in labels],
            "y": [counts[lab].get(m, 0) for lab in labels],
            "text": [str(counts[lab].get(m, 0)) for lab in labels],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": chart_text(m) + " · %{x}: %{text} elections<extra></extra>",
            "marker": {"color": _PAL[k % len(_PAL)]},
        }
        for k, m in enumerate(methods)
    ]
    fig = {
        "data": traces,
        "layout": {
            "title": {"text": "How often each seat split came out, per rule"},
            "barmode": "group",
            "xaxis": {"title": {"text": "seats by group"}, "automargin": True, "fixedrange": True},
            "yaxis": {"title": {"text": "elections"}, "rangemode": "tozero", "fixedrange": True},
            "height": 460,
            "margin": {"l": 60, "r": 10, "t": 50, "b": 60},
            "legend": {"orientation": "h", "y": -0.3},
            "font": {"size": 13},
        },
    }
    words = "; ".join(
        f"{m}: " + ", ".join(f"{lab} in {counts[lab][m]}" for lab in labels if m in counts[lab])
        for m in methods
    )
    # per rule and group: the mean number of seats and how often it won none
    means = []
    for m, c in sim.seat_splits.items():
        n = sum(c.values())
        cells = []
        for g in groups:
            total = sum(dict(split).get(g, 0) * v for split, v in c.items())
            cells.append(two(total / n) if n else "-")
        means.append((m, cells))
    body.append(
        _section(
            prefix,
            "splits",
            "Distribution of seats by group, per rule",
            [
                table,
                charts.add(
                    fig,
                    f"Bar chart of how many elections gave each seat split, per rule. {words}.",
                    "The number of elections in which each split of the seats between the "
                    "groups came out, a bar per rule. The figures are in the table above.",
                ),
                _table("Mean seats per election", ["Rule", *groups], means, "means"),
            ],
        )
    )
    articles = [
        _article(prefix, f"{sim.elections} synthetic elections", body, charts),
        _aggregate_article(sim.total, "total", "All synthetic elections added up", "scatter"),
    ]
    return page(f"Synthetic elections: the {sim.generator} generator", articles)


# --------------------------------------------------------------------------- demo


def demo_report(result: DemoResult) -> str:
    """The report of ``tallyroom demo nec2016``."""
    from tallyroom.analysis.nec2016 import _short

    prefix = "nec"
    charts = Charts(prefix)
    pub = result.published
    a = result.assumptions
    n = len(result.runs)
    slates = [_short(s) for s in result.slates]
    intro = f'<p class="synthetic" role="note">{_e(SYNTHETIC)}</p>\n'

    totals = _table(
        "Published totals (block vote, up to six X votes)",
        ["Candidate", "Slate", "Votes", "Elected"],
        (
            (name, [_short(pub.slates[name]), whole(v), "yes" if name in pub.winners else ""])
            for name, v in sorted(pub.totals.items(), key=lambda kv: -kv[1])
        ),
        "published",
    )
    exact = sum(r.exact for r in result.runs)
    block = "-".join(str(result.runs[0].seats["block-vote"].get(s, 0)) for s in result.slates)
    body = [
        _section(
            prefix,
            "published",
            "What was published",
            [
                totals,
                f"<p>The block vote of every reconstruction gives the published totals "
                f"exactly: {_e(exact)} of {_e(n)}, electing the published six "
                f"({_e(block)} by slate: {_e(', '.join(slates))}).</p>",
            ],
        )
    ]

    dists = {m: result.distribution(m) for m in a.methods}
    keys = sorted({k for d in dists.values() for k in d}, key=lambda k: k, reverse=True)
    labels = ["-".join(map(str, k)) for k in keys]
    headers = [f"Seats ({' – '.join(slates)})"]
    for m in a.methods:
        headers += [f"{m} reconstructions", f"{m} share (%)"]
    rows = []
    for k, lab in zip(keys, labels):
        cells = []
        for m in a.methods:
            v = dists[m].get(k, 0)
            cells += [str(v), pct(100 * v / n) if n else "-"]
        rows.append((lab, cells))
    dist_table = _table(
        "Seats per slate under each rule: how many reconstructions gave each split",
        headers,
        rows,
        "distribution",
    )
    traces = []
    for j, m in enumerate(a.methods):
        ys = [100 * dists[m].get(k, 0) / n if n else 0.0 for k in keys]
        traces.append(
            {
                "type": "bar",
                "name": chart_text(m),
                "x": [chart_text(lab) for lab in labels],
                "y": [float(y) for y in ys],
                "text": [pct(y) + "%" for y in ys],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": chart_text(m)
                + " · %{x}: %{text} of reconstructions<extra></extra>",
                "marker": {"color": _PAL[j % len(_PAL)]},
            }
        )
    fig = {
        "data": traces,
        "layout": {
            "title": {"text": "Seats per slate under each rule, across reconstructions"},
            "barmode": "group",
            "xaxis": {
                "title": {"text": f"seats ({' – '.join(slates)})"},
                "type": "category",
                "fixedrange": True,
            },
            "yaxis": {
                "title": {"text": "share of reconstructions (%)"},
                "range": [0, 115],
                "fixedrange": True,
            },
            "height": 440,
            "margin": {"l": 60, "r": 10, "t": 50, "b": 60},
            "legend": {"orientation": "h", "y": -0.25},
            "font": {"size": 13},
        },
    }
    words = "; ".join(
        f"{m}: "
        + ", ".join(
            f"{lab} in {pct(100 * dists[m][k] / n)}%"
            for k, lab in zip(keys, labels)
            if k in dists[m]
        )
        for m in a.methods
    )
    means = _table(
        "Mean seats per slate",
        ["Rule", *slates],
        ((m, [two(v) for v in result.mean_seats(m).values()]) for m in a.methods),
        "means",
    )
    body.append(
        _section(
            prefix,
            "seats",
            "Seats per slate under each rule",
            [
                dist_table,
                charts.add(
                    fig,
                    "Bar chart of the share of reconstructions giving each split of the six "
                    f"seats ({' – '.join(slates)}), a bar per rule. {words}.",
                    "The share of the synthetic electorates in which each split of the seats "
                    "came out, a bar per rule. The figures are in the table above.",
                ),
                means,
            ],
        )
    )

    drivers = []
    if "meek-stv" in a.methods:
        for label, key, lo_hi in (
            ("crossover", "crossover", a.crossover),
            ("unaligned share", "unaligned", a.unaligned),
            ("six-vote share", "full", a.full),
            ("independents' own bloc", "independents", a.independents),
        ):
            mid = (lo_hi[0] + lo_hi[1]) / 2
            for tag, rs in (
                ("below", [r for r in result.runs if getattr(r, key) < mid]),
                ("at or above", [r for r in result.runs if getattr(r, key) >= mid]),
            ):
                ms = result.mean_seats("meek-stv", rs)
                drivers.append(
                    (
                        f"{label} {tag} {mid:.2f}",
                        [str(len(rs)), *(two(ms[s]) if ms else "-" for s in result.slates)],
                    )
                )
    assumptions = [
        (
            "crossover",
            f"{a.crossover[0]:.2f}–{a.crossover[1]:.2f}",
            "the chance that a slate voter's mark for a fellow slate member goes to a "
            "candidate ranked among all the rest instead",
        ),
        (
            "unaligned",
            f"{a.unaligned[0]:.2f}–{a.unaligned[1]:.2f}",
            "the share of voters following no slate (ranking by popularity); the rest split "
            "by their slate's share of the marks",
        ),
        (
            "full",
            f"{a.full[0]:.2f}–{a.full[1]:.2f}",
            "the share using all six votes (the rest use 1–5)",
        ),
        (
            "independents",
            f"{a.independents[0]:.2f}–{a.independents[1]:.2f}",
            "how far the non-slate candidates' votes come from a bloc of their own supporters "
            "(1) rather than from unaligned voters (0)",
        ),
    ]
    body.append(
        _section(
            prefix,
            "assumptions",
            "The assumptions that drive the STV outcome",
            [
                f"<p>{_e(SYNTHETIC)}</p>",
                _table(
                    "Assumptions, drawn uniformly for each reconstruction",
                    ["Assumption", "Range", "Meaning"],
                    ((k, [r, t]) for k, r, t in assumptions),
                    "assumptions",
                ),
                "<p>Fixed: a voter's marks are ranked in the order the model drew them (own "
                "slate first, by popularity) and nobody ranks a seventh candidate. The STV "
                "result turns on these assumptions: how many members there were (the quota), "
                "how loyal slate voters were, and where the independents' and unaligned "
                "voters' papers go. The block vote does not: it always gives 6-0.</p>",
                _table(
                    "Mean seats under meek-stv, on either side of each range's midpoint",
                    ["Assumption", "Reconstructions", *slates],
                    drivers,
                    "drivers",
                )
                if drivers
                else "",
            ],
        )
    )
    voters = [r.voters for r in result.runs]
    uniq = [r.unique_ballots for r in result.runs]
    source = pub.source.split("Source: ")[-1].split("\n\n")[0].replace("\n", " ")
    body.append(
        _section(
            prefix,
            "source",
            "Source and run",
            [
                f"<p>Source of the totals: {_e(source)}</p>",
                f"<p>{_e(n)} reconstructions, seed {_e(a.seed)}; papers per electorate "
                f"{_e(whole(min(voters)))}–{_e(whole(max(voters)))}; unique ballots per "
                f"profile {_e(min(uniq))}–{_e(max(uniq))}.</p>"
                if n
                else "",
            ],
        )
    )
    articles = [_article(prefix, "Labour NEC 2016, constituency section: 6 seats", body, charts)]
    return page("Labour NEC 2016 under other rules (synthetic ballots)", articles, intro)
