"""The charts of a count, as plotly figures: a bar chart per stage with the quota line,
the flow of each transfer (a Sankey diagram), each candidate's journey.

Figures receive floats for drawing only (:func:`~tallyroom.reports.html.kit.drawable`:
scaled by a power of ten, said on the axis, when a figure is too large for a float) and
show the exact strings in their labels.  Every text plotly draws goes through
:func:`~tallyroom.reports.html.kit.chart_text`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from tallyroom.record import CountRecord
from tallyroom.reports.html.kit import (
    CONTINUING,
    ELECTED,
    EXCLUDED,
    EXHAUSTED,
    MOVING,
    chart_text,
    colours,
    drawable,
)
from tallyroom.reports.html.words import (
    LOSS,
    NON_TRANSFERABLE,
    fmt,
    quota_at,
    stage_changes,
    stage_in_words,
    stage_name,
    stage_word,
    statuses,
    threshold_word,
)


def _unit(power: int) -> str:
    return "votes" if power == 0 else f"votes (× 10^{power})"


def bar_figure(record: CountRecord, index: int, places: int) -> dict[str, Any]:
    """One stage's totals as horizontal bars (candidates in ballot order), with the quota."""
    s = record.stages[index]
    status = statuses(record)[index]
    names = [n for n in record.candidates if n in s.totals]
    totals = [Fraction(s.totals[n]) for n in names]
    moving = set(s.subjects)
    cols = []
    labels = []
    for n, v in zip(names, totals):
        st = status.get(n, "continuing")
        colour = {"elected": ELECTED, "excluded": EXCLUDED, "withdrawn": EXCLUDED}.get(
            st, CONTINUING
        )
        if n in moving and st != "excluded":
            colour = MOVING
        cols.append(colour)
        labels.append(fmt(v, places) + ("" if st == "continuing" else f" {st}"))
    quota = quota_at(record, s)
    drawn, power = drawable(totals + ([quota] if quota is not None else []))
    xs = drawn[: len(totals)]
    top = max(drawn + [1.0])
    word = stage_word(record).capitalize()
    layout: dict[str, Any] = {
        "title": {"text": chart_text(f"{word} {s.number}: {stage_name(record, s)}")},
        "xaxis": {"title": {"text": _unit(power)}, "range": [0, top * 1.3], "fixedrange": True},
        "yaxis": {"autorange": "reversed", "automargin": True, "fixedrange": True},
        "height": max(260, 60 + 28 * len(names)),
        "margin": {"l": 10, "r": 20, "t": 50, "b": 50},
        "showlegend": False,
        "font": {"size": 13},
    }
    if quota is not None:
        qx = drawn[-1]
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": qx,
                "x1": qx,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#000000", "width": 2, "dash": "dash"},
            }
        ]
        layout["annotations"] = [
            {
                "x": qx,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "text": chart_text(f"{threshold_word(record)} {fmt(quota, places)}"),
                "showarrow": False,
            }
        ]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [chart_text(n) for n in names],
                "x": xs,
                "text": [chart_text(t) for t in labels],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": "%{y}: %{text}<extra></extra>",
                "marker": {"color": cols},
            }
        ],
        "layout": layout,
    }


def bar_label(record: CountRecord, index: int, places: int) -> str:
    s = record.stages[index]
    quota = quota_at(record, s)
    status = statuses(record)[index]
    items = [
        f"{n} {fmt(s.totals[n], places)}"
        + ("" if status.get(n) == "continuing" else f" ({status.get(n)})")
        for n in record.candidates
        if n in s.totals
    ]
    q = f" The {threshold_word(record)} is {fmt(quota, places)}." if quota is not None else ""
    word = stage_word(record)
    return f"Bar chart of the votes at the end of {word} {s.number}.{q} " + "; ".join(items) + "."


def sankey_figure(record: CountRecord, index: int, places: int) -> dict[str, Any] | None:
    """The flow of one stage's transfer: from the candidates whose votes moved to those
    who received them, the non-transferable papers and the rounding loss.  None when no
    votes moved."""
    s = record.stages[index]
    changes = stage_changes(record, index)
    if not changes or index == 0:
        return None
    sources = [(n, -v) for n, v in changes.items() if v < 0]
    targets = [(n, v) for n, v in changes.items() if v > 0]
    prev = record.stages[index - 1]
    nt = Fraction(s.exhausted) - Fraction(prev.exhausted)
    loss = Fraction(s.loss) - Fraction(prev.loss)
    if nt > 0:
        targets.append((NON_TRANSFERABLE, nt))
    elif nt < 0:
        sources.append((NON_TRANSFERABLE, -nt))
    if loss > 0:
        targets.append((LOSS, loss))
    elif loss < 0:
        sources.append((LOSS + " (gain)", -loss))
    if not sources or not targets:
        return None
    labels: list[str] = []
    cols: list[str] = []
    for n, v in sources:
        labels.append(f"{n} −{fmt(v, places)}")
        cols.append(MOVING)
    hub = None
    if len(sources) > 1:
        hub = len(labels)
        labels.append("votes moved")
        cols.append("#666666")
    first_target = len(labels)
    for n, v in targets:
        labels.append(f"{n} +{fmt(v, places)}")
        cols.append(EXHAUSTED if n in (NON_TRANSFERABLE, LOSS) else CONTINUING)
    src: list[int] = []
    dst: list[int] = []
    amounts: list[Fraction] = []
    text: list[str] = []
    if hub is None:
        for j, (_n, v) in enumerate(targets):
            src.append(0)
            dst.append(first_target + j)
            amounts.append(v)
            text.append(fmt(v, places))
    else:
        for i, (_n, v) in enumerate(sources):
            src.append(i)
            dst.append(hub)
            amounts.append(v)
            text.append(fmt(v, places))
        for j, (_n, v) in enumerate(targets):
            src.append(hub)
            dst.append(first_target + j)
            amounts.append(v)
            text.append(fmt(v, places))
    val, _power = drawable(amounts)
    word = stage_word(record).capitalize()
    return {
        "data": [
            {
                "type": "sankey",
                "arrangement": "snap",
                "valueformat": ".5~f",
                "node": {
                    "label": [chart_text(x) for x in labels],
                    "color": cols,
                    "pad": 12,
                    "thickness": 16,
                    "hovertemplate": "%{label}<extra></extra>",
                },
                "link": {
                    "source": src,
                    "target": dst,
                    "value": val,
                    "customdata": text,
                    "hovertemplate": "%{source.label} → %{target.label}: %{customdata}"
                    "<extra></extra>",
                    "color": "rgba(0,114,178,0.35)",
                },
            }
        ],
        "layout": {
            "title": {"text": chart_text(f"{word} {s.number}: where the votes went")},
            "height": max(300, 40 + 26 * len(targets)),
            "margin": {"l": 10, "r": 10, "t": 50, "b": 20},
            "font": {"size": 13},
        },
    }


def sankey_label(record: CountRecord, index: int, places: int) -> str:
    s = record.stages[index]
    word = stage_word(record)
    return f"Flow diagram of the transfer at {word} {s.number}. " + stage_in_words(
        record, index, places
    )


def journey_figure(record: CountRecord, places: int) -> dict[str, Any]:
    """Each candidate's votes across the stages, one line each (each its own colour and
    symbol, none repeated), with the quota."""
    stages = [s for s in record.stages if s.totals]
    quotas = [quota_at(record, s) for s in stages]
    every = [Fraction(v) for s in stages for v in s.totals.values()]
    every += [q for q in quotas if q is not None]
    _, power = drawable(every)
    scale = Fraction(10) ** power
    shown = [n for n in record.candidates if any(n in s.totals for s in stages)]
    palette = colours(len(shown))
    traces = []
    for k, n in enumerate(shown):
        xs = [s.number for s in stages if n in s.totals]
        ys = [Fraction(s.totals[n]) for s in stages if n in s.totals]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": chart_text(n),
                "x": xs,
                "y": [float(v / scale) for v in ys],
                "customdata": [fmt(v, places) for v in ys],
                "hovertemplate": chart_text(n) + "<br>%{x}: %{customdata}<extra></extra>",
                "line": {"color": palette[k], "width": 2},
                "marker": {"symbol": k % 24, "size": 7},
            }
        )
    word = stage_word(record)
    threshold = threshold_word(record)
    layout: dict[str, Any] = {
        "title": {"text": f"Each candidate's votes, {word} by {word}"},
        "xaxis": {
            "title": {"text": word},
            "tickmode": "array",
            "tickvals": [s.number for s in stages],
            "fixedrange": True,
        },
        "yaxis": {"title": {"text": _unit(power)}, "rangemode": "tozero", "fixedrange": True},
        "height": 460 + 10 * max(0, len(traces) - 12),
        "margin": {"l": 60, "r": 10, "t": 50, "b": 50},
        "legend": {"font": {"size": 11}},
        "font": {"size": 13},
    }
    if any(q is not None for q in quotas):
        # the quota as a dashed line: it moves from stage to stage under some rules (the
        # majority of continuing papers in IRV, a recomputed quota in Meek STV)
        xs = [s.number for s, q in zip(stages, quotas) if q is not None]
        qs = [q for q in quotas if q is not None]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": threshold,
                "x": xs,
                "y": [float(q / scale) for q in qs],
                "customdata": [fmt(q, places) for q in qs],
                "hovertemplate": f"{threshold} at {word} " + "%{x}: %{customdata}<extra></extra>",
                "line": {"color": "#000000", "width": 2, "dash": "dash"},
            }
        )
    return {"data": traces, "layout": layout}
