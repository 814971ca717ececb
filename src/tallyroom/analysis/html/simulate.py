"""The page of ``tallyroom simulate``: the distribution of seats by group per rule over
the synthetic elections, and the seat share against the vote share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tallyroom.analysis.compare import ordered_groups
from tallyroom.analysis.html.charts import PALETTE
from tallyroom.analysis.html.compare import aggregate_article
from tallyroom.analysis.html.figures import page, table, two
from tallyroom.analysis.simulate import Simulation
from tallyroom.reports.html.kit import Charts, chart_text, charted_article, escape, section

_e = escape


def split_label(split: Mapping[str, int], groups: Sequence[str]) -> str:
    """A seat split in group order, e.g. ``A 2 – B 1 – C 0``."""
    return " – ".join(f"{g} {split.get(g, 0)}" for g in groups)


def simulate_report(sim: Simulation) -> str:
    """The report of ``tallyroom simulate``: the distribution of seats by group per rule
    and the seat share against the vote share."""
    prefix = "sim"
    charts = Charts(prefix)
    groups = ordered_groups(sim.total.first_preferences, sim.total.seats_by_method)
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
    splits = table(
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
            "marker": {"color": PALETTE[k % len(PALETTE)]},
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
        section(
            f"{prefix}-splits",
            "Distribution of seats by group, per rule",
            [
                splits,
                charts.add(
                    fig,
                    f"Bar chart of how many elections gave each seat split, per rule. {words}.",
                    "The number of elections in which each split of the seats between the "
                    "groups came out, a bar per rule. The figures are in the table above.",
                ),
                table("Mean seats per election", ["Rule", *groups], means, "means"),
            ],
        )
    )
    articles = [
        charted_article(prefix, f"{sim.elections} synthetic elections", body, charts),
        aggregate_article(sim.total, "total", "All synthetic elections added up", "scatter"),
    ]
    return page(f"Synthetic elections: the {sim.generator} generator", articles)
