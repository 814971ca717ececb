"""The charts of the analysis pages: seat shares against first-preference shares, as
grouped bars and as a scatter plot with the line of proportionality.  They receive floats
for drawing only; their labels carry the strings of the tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tallyroom.analysis.compare import ordered_groups
from tallyroom.analysis.html.figures import pct
from tallyroom.analysis.indices import shares
from tallyroom.reports.html.kit import chart_text, colours

#: the colours of the rules, in order (the first preferences are grey)
PALETTE = colours(40)


def share_bars(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]], title: str
) -> tuple[dict[str, Any], str]:
    """Grouped bars per group: first-preference share, then each rule's seat share."""
    fp = shares(first)
    groups = ordered_groups(first, seats_by)
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
                    "color": "#555555" if k == 0 else PALETTE[(k - 1) % len(PALETTE)],
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
    groups = ordered_groups(first, seats_by)
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
                "marker": {"size": 11, "color": PALETTE[k % len(PALETTE)], "symbol": k % 24},
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
