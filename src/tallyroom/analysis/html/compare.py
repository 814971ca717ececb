"""The page of ``tallyroom compare``: for each election the winners under each rule, the
seats by group against first preferences and the indices, and the same added up over
all the elections."""

from __future__ import annotations

from collections.abc import Sequence

from tallyroom.analysis.compare import Aggregate, Comparison
from tallyroom.analysis.html.charts import share_bars, share_scatter
from tallyroom.analysis.html.figures import INDEX_NOTE, group_table, index_table, page, whole
from tallyroom.reports.html.kit import Charts, charted_article, escape, scroll_region, section

_e = escape


def winners_table(c: Comparison) -> str:
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


def comparison_article(c: Comparison, prefix: str) -> str:
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
    body.append(section(f"{prefix}-winners", "Winners under each rule", [winners_table(c)]))
    fig, label = share_bars(c.first_preferences, seats_by, "Seat share against first preferences")
    body.append(
        section(
            f"{prefix}-groups",
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
        section(
            f"{prefix}-indices",
            "Proportionality",
            [
                index_table((o.method, o.indices, o.represented) for o in ok),
                f"<p>{_e(INDEX_NOTE)}</p>",
            ],
        )
    )
    return charted_article(prefix, c.title or c.source or "Election", body, charts)


def aggregate_article(a: Aggregate, prefix: str, title: str, chart: str = "bars") -> str:
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
        section(
            f"{prefix}-groups",
            "Seats by group against first preferences",
            [
                group_table(a.first_preferences, seats_by, "Seats by group, all elections"),
                charts.add(fig, label, caption),
            ],
        )
    )
    body.append(
        section(
            f"{prefix}-indices",
            "Proportionality (over all seats)",
            [
                index_table((m, a.indices[m], a.represented.get(m)) for m in a.seats_by_method),
                f"<p>{_e(INDEX_NOTE)}</p>",
            ],
        )
    )
    return charted_article(prefix, title, body, charts)


def compare_report(
    comparisons: Sequence[Comparison], total: Aggregate | None = None, each: bool = True
) -> str:
    """The report of ``tallyroom compare``: each comparison (when ``each``) and the total."""
    articles = []
    if each:
        articles += [comparison_article(c, f"c{k + 1}") for k, c in enumerate(comparisons)]
    if total is not None:
        articles.append(
            aggregate_article(total, "total", f"All {total.elections} elections added up")
        )
    if len(comparisons) == 1:
        c = comparisons[0]
        heading = f"The same ballots under many rules: {c.title or c.source}"
    else:
        heading = f"The same ballots under many rules: {len(comparisons)} elections"
    return page(heading, articles)
