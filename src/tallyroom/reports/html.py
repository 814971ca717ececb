"""The self-contained HTML report: one file that opens offline and can be archived.

The page holds the rule and all its options, the tallyroom version, the input's SHA-256,
the ballot accounting, the stage table (a real ``<table>``), a bar chart per stage with
the quota line, the flow of each transfer (a Sankey diagram), each candidate's journey,
every tie in plain words, and, for rules that are not STV, the views their records hold
(a pairwise matrix, a committee's steps, list seats) -- picked from what the record
holds, not from the rule's name.

Every figure shown is a decimal string made by :func:`tallyroom.numbers.format_decimal`
at the places of the JSON contract, so the page and ``result.json`` agree digit for
digit.  Charts are drawn by plotly.js, embedded whole in the page (no CDN); they receive
floats for drawing only, and show the exact strings in their labels.  A Content Security
Policy forbids the page any network access.  Each chart sits in a ``<figure>`` with a text
alternative; the tables carry every figure the charts draw.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from importlib import resources
from typing import Any

from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord, Stage, TieBreak
from tallyroom.reports.json import EXACT_PLACES

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito), and
# never carry meaning alone: every chart label also says the status in words.
ELECTED = "#009E73"
EXCLUDED = "#999999"
CONTINUING = "#0072B2"
MOVING = "#D55E00"
EXHAUSTED = "#CC79A7"
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)

NON_TRANSFERABLE = "Non-transferable"
MAX_NAMED = 8  # recipients named in a stage's sentence before "and N others"
LOSS = "Rounding loss"


# --------------------------------------------------------------------------- numbers


def figure_places(record: CountRecord) -> int:
    """Decimals shown for votes: the rule's own; for a count in exact rationals, none when
    every vote figure is whole (papers, as in IRV rounds), else the JSON contract's places."""
    if record.places is not None:
        return record.places
    values: list[Fraction | int] = []
    for s in record.stages:
        values += [*s.totals.values(), *s.transfers.values(), s.exhausted, s.loss]
    return 0 if all(Fraction(v).denominator == 1 for v in values) else EXACT_PLACES


def fmt(x: Fraction | int, places: int) -> str:
    """A figure at ``places``; at 0 places (a count of whole papers) a value that is not
    whole -- a threshold of half the papers -- keeps the decimals it needs, up to the
    JSON contract's, so that nothing shown is rounded away."""
    f = Fraction(x)
    if places == 0 and f.denominator != 1:
        return format_decimal(f, EXACT_PLACES).rstrip("0")
    return format_decimal(f, places)


def fmt_signed(x: Fraction | int, places: int) -> str:
    """A change: "+62.07214", "-690.00000", and "" for no change."""
    if x == 0:
        return ""
    s = format_decimal(Fraction(x), places)
    return s if s.startswith("-") else "+" + s


def fmt_count(x: Fraction | int, places: int) -> str:
    """Papers: a whole number when whole (as the JSON contract writes them)."""
    f = Fraction(x)
    return str(f.numerator) if f.denominator == 1 else format_decimal(f, places)


def _draw(x: Fraction | int) -> float:
    """A float for plotly to draw with; never shown as a figure."""
    return float(x)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------- the record


def transfers_shown(stage: Stage) -> bool:
    """Whether the stage table gives this stage a transfer column.

    The first stage's "transfers" are the first preferences themselves: shown once.
    """
    return bool(stage.transfers) and dict(stage.transfers) != dict(stage.totals)


def stage_changes(record: CountRecord, index: int) -> dict[str, Fraction]:
    """The change each candidate's votes made at a stage.

    ``Stage.transfers`` when the rule recorded them, else the difference from the previous
    stage's totals (rules that record only their rounds' totals).
    """
    s = record.stages[index]
    if s.transfers and index > 0:
        return {n: Fraction(v) for n, v in s.transfers.items()}
    if index == 0 or not s.totals:
        return {}
    prev = record.stages[index - 1].totals
    names = list(dict.fromkeys([*prev, *s.totals]))
    return {
        n: Fraction(s.totals.get(n, 0)) - Fraction(prev.get(n, 0))
        for n in names
        if Fraction(s.totals.get(n, 0)) != Fraction(prev.get(n, 0))
    }


def statuses(record: CountRecord) -> list[dict[str, str]]:
    """Each candidate's status at the end of each stage: continuing, elected, excluded, withdrawn."""
    status = {n: "continuing" for n in record.candidates}
    for n in record.withdrawn:
        status[n] = "withdrawn"
    out = []
    for s in record.stages:
        for n in s.elected:
            status[n] = "elected"
        for n in s.excluded:
            status[n] = "excluded"
        out.append(dict(status))
    return out


def tie_in_words(t: TieBreak) -> str:
    """A tie and how it was broken, as a sentence a member can follow."""
    from tallyroom.reports.text import tie_in_words as words

    return words(t)


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def stage_in_words(record: CountRecord, index: int, places: int, detail: bool = True) -> str:
    """What happened at a stage, in a sentence or two; ``detail`` names every recipient
    (up to :data:`MAX_NAMED`), else only the candidates whose votes moved."""
    s = record.stages[index]
    parts = [f"Stage {s.number}: {s.description or s.action}."]
    changes = stage_changes(record, index)
    if s.transfer_value is not None and s.action == "surplus":
        parts.append(f"Transfer value {fmt(s.transfer_value, places)}.")
    gains = sorted(((n, v) for n, v in changes.items() if v > 0), key=lambda x: -x[1])
    losses = [(n, v) for n, v in changes.items() if v < 0]
    if losses:
        moved = "Votes moved from " + _join([f"{n} ({fmt(-v, places)})" for n, v in losses])
        if detail and gains:
            named = [f"{n} (+{fmt(v, places)})" for n, v in gains[:MAX_NAMED]]
            rest = gains[MAX_NAMED:]
            if rest:
                others = sum((v for _, v in rest), Fraction(0))
                named.append(f"{len(rest)} others (+{fmt(others, places)} together)")
            moved += " to " + _join(named)
        parts.append(moved + ".")
    if index > 0:
        nt = Fraction(s.exhausted) - Fraction(record.stages[index - 1].exhausted)
        if nt:
            parts.append(f"Non-transferable: {fmt_signed(nt, places)}.")
    if s.elected:
        parts.append(f"Elected: {_join(s.elected)}.")
    if s.excluded and s.action != "exclusion":
        parts.append(f"Excluded: {_join(s.excluded)}.")
    for e in s.events:
        if e.kind not in ("elected", "excluded"):
            parts.append(f"{e.candidate}: {e.kind}{' (' + e.reason + ')' if e.reason else ''}.")
    for k, v in s.extra.items():
        if not _rich(v):
            parts.append(f"{_title(k)}: {_cell(v, places)}.")
    return " ".join(parts)


# --------------------------------------------------------------------------- charts


def _quota_of(record: CountRecord, s: Stage) -> Fraction | None:
    q = s.quota if s.quota is not None else record.quota
    return None if q is None else Fraction(q)


def bar_figure(record: CountRecord, index: int, places: int) -> dict[str, Any]:
    """One stage's totals as horizontal bars (candidates in ballot order), with the quota."""
    s = record.stages[index]
    status = statuses(record)[index]
    names = [n for n in record.candidates if n in s.totals]
    totals = [Fraction(s.totals[n]) for n in names]
    moving = set(s.subjects)
    colours = []
    labels = []
    for n, v in zip(names, totals):
        st = status.get(n, "continuing")
        colour = {"elected": ELECTED, "excluded": EXCLUDED, "withdrawn": EXCLUDED}.get(
            st, CONTINUING
        )
        if n in moving and st != "excluded":
            colour = MOVING
        colours.append(colour)
        labels.append(fmt(v, places) + ("" if st == "continuing" else f" {st}"))
    quota = _quota_of(record, s)
    top = max([_draw(v) for v in totals] + ([_draw(quota)] if quota is not None else []) + [1.0])
    layout: dict[str, Any] = {
        "title": {"text": _e(f"Stage {s.number}: {s.description or s.action}")},
        "xaxis": {"title": {"text": "votes"}, "range": [0, top * 1.3], "fixedrange": True},
        "yaxis": {"autorange": "reversed", "automargin": True, "fixedrange": True},
        "height": max(260, 60 + 28 * len(names)),
        "margin": {"l": 10, "r": 20, "t": 50, "b": 50},
        "showlegend": False,
        "font": {"size": 13},
    }
    if quota is not None:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": _draw(quota),
                "x1": _draw(quota),
                "y0": 0,
                "y1": 1,
                "line": {"color": "#000000", "width": 2, "dash": "dash"},
            }
        ]
        layout["annotations"] = [
            {
                "x": _draw(quota),
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "text": _e(f"quota {fmt(quota, places)}"),
                "showarrow": False,
            }
        ]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [_e(n) for n in names],
                "x": [_draw(v) for v in totals],
                "text": [_e(t) for t in labels],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": "%{y}: %{text}<extra></extra>",
                "marker": {"color": colours},
            }
        ],
        "layout": layout,
    }


def bar_label(record: CountRecord, index: int, places: int) -> str:
    s = record.stages[index]
    quota = _quota_of(record, s)
    status = statuses(record)[index]
    items = [
        f"{n} {fmt(s.totals[n], places)}"
        + ("" if status.get(n) == "continuing" else f" ({status.get(n)})")
        for n in record.candidates
        if n in s.totals
    ]
    q = f" The quota is {fmt(quota, places)}." if quota is not None else ""
    return f"Bar chart of the votes at the end of stage {s.number}.{q} " + "; ".join(items) + "."


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
    colours: list[str] = []
    for n, v in sources:
        labels.append(f"{n} −{fmt(v, places)}")
        colours.append(MOVING)
    hub = None
    if len(sources) > 1:
        hub = len(labels)
        labels.append("votes moved")
        colours.append("#666666")
    first_target = len(labels)
    for n, v in targets:
        labels.append(f"{n} +{fmt(v, places)}")
        colours.append(EXHAUSTED if n in (NON_TRANSFERABLE, LOSS) else CONTINUING)
    src: list[int] = []
    dst: list[int] = []
    val: list[float] = []
    text: list[str] = []
    if hub is None:
        for j, (_n, v) in enumerate(targets):
            src.append(0)
            dst.append(first_target + j)
            val.append(_draw(v))
            text.append(fmt(v, places))
    else:
        for i, (_n, v) in enumerate(sources):
            src.append(i)
            dst.append(hub)
            val.append(_draw(v))
            text.append(fmt(v, places))
        for j, (_n, v) in enumerate(targets):
            src.append(hub)
            dst.append(first_target + j)
            val.append(_draw(v))
            text.append(fmt(v, places))
    return {
        "data": [
            {
                "type": "sankey",
                "arrangement": "snap",
                "valueformat": ".5~f",
                "node": {
                    "label": [_e(x) for x in labels],
                    "color": colours,
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
            "title": {"text": _e(f"Stage {s.number}: where the votes went")},
            "height": max(300, 40 + 26 * len(targets)),
            "margin": {"l": 10, "r": 10, "t": 50, "b": 20},
            "font": {"size": 13},
        },
    }


def sankey_label(record: CountRecord, index: int, places: int) -> str:
    s = record.stages[index]
    return f"Flow diagram of the transfer at stage {s.number}. " + stage_in_words(
        record, index, places
    )


def journey_figure(record: CountRecord, places: int) -> dict[str, Any]:
    """Each candidate's votes across the stages, one line each, with the quota."""
    stages = [s for s in record.stages if s.totals]
    traces = []
    for k, n in enumerate(record.candidates):
        xs = [s.number for s in stages if n in s.totals]
        ys = [Fraction(s.totals[n]) for s in stages if n in s.totals]
        if not xs:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _e(n),
                "x": xs,
                "y": [_draw(v) for v in ys],
                "customdata": [fmt(v, places) for v in ys],
                "hovertemplate": _e(n) + "<br>stage %{x}: %{customdata}<extra></extra>",
                "line": {"color": PALETTE[k % len(PALETTE)], "width": 2},
                "marker": {"symbol": k % 24},
            }
        )
    layout: dict[str, Any] = {
        "title": {"text": "Each candidate's votes, stage by stage"},
        "xaxis": {
            "title": {"text": "stage"},
            "tickmode": "array",
            "tickvals": [s.number for s in stages],
            "fixedrange": True,
        },
        "yaxis": {"title": {"text": "votes"}, "rangemode": "tozero", "fixedrange": True},
        "height": 460 + 10 * max(0, len(traces) - 12),
        "margin": {"l": 60, "r": 10, "t": 50, "b": 50},
        "legend": {"font": {"size": 11}},
        "font": {"size": 13},
    }
    quotas = [_quota_of(record, s) for s in stages]
    if any(q is not None for q in quotas):
        # the quota as a dashed line: it moves from stage to stage under some rules (the
        # majority of continuing papers in IRV, a recomputed quota in Meek STV)
        xs = [s.number for s, q in zip(stages, quotas) if q is not None]
        qs = [q for q in quotas if q is not None]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "quota",
                "x": xs,
                "y": [_draw(q) for q in qs],
                "customdata": [fmt(q, places) for q in qs],
                "hovertemplate": "quota at stage %{x}: %{customdata}<extra></extra>",
                "line": {"color": "#000000", "width": 2, "dash": "dash"},
            }
        )
    return {"data": traces, "layout": layout}


def journeys_in_words(record: CountRecord, places: int) -> list[str]:
    """One sentence per candidate: where they started, and how their count ended."""
    stages = [s for s in record.stages if s.totals]
    out = []
    for n in record.candidates:
        if n in record.withdrawn:
            out.append(f"{n} withdrew before the count.")
            continue
        seen = [s for s in stages if n in s.totals]
        if not seen:
            continue
        first = Fraction(seen[0].totals[n])
        sentence = f"{n} had {fmt(first, places)} votes at stage {seen[0].number}"
        elected_at = next((s for s in stages if n in s.elected), None)
        excluded_at = next((s for s in stages if n in s.excluded), None)
        if elected_at is not None:
            sentence += (
                f"; elected at stage {elected_at.number} with "
                f"{fmt(elected_at.totals.get(n, 0), places)}"
            )
        elif excluded_at is not None:
            before = stages.index(excluded_at) - 1
            at = stages[before].totals.get(n, 0) if before >= 0 else excluded_at.totals.get(n, 0)
            sentence += f"; excluded at stage {excluded_at.number} with {fmt(at, places)}"
        else:
            last = seen[-1]
            sentence += f"; {fmt(last.totals[n], places)} at the last stage ({last.number})" + (
                ", elected" if n in record.elected else ", not elected"
            )
        out.append(sentence + ".")
    return out


# --------------------------------------------------------------------------- natural views


def _is_number(v: object) -> bool:
    return isinstance(v, int | Fraction) and not isinstance(v, bool)


def _cell(v: object, places: int) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Fraction):
        return fmt_count(v, places)
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ", ".join(_cell(x, places) for x in v)
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {_cell(x, places)}" for k, x in v.items())
    return str(v)


def _title(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


class _Charts:
    """Collects the figures a page draws; each gets a unique element id."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[dict[str, Any]] = []

    def add(self, figure: dict[str, Any], label: str, caption: str) -> str:
        cid = f"{self.prefix}-chart-{len(self.items) + 1}"
        self.items.append({"id": cid, "figure": figure})
        return (
            f'<figure class="chart-figure"><div class="chart" id="{cid}" role="img" '
            f'aria-label="{_e(label)}"></div><figcaption>{_e(caption)}</figcaption></figure>'
        )


def natural_view(
    key: str, value: Any, record: CountRecord, places: int, charts: _Charts, level: int = 3
) -> str:
    """Render one ``extra`` entry by its shape: a matrix, a name-to-number table, a list of
    rows, a list, or a single value."""
    h = f"h{min(level, 6)}"
    title = _title(key)
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
        rows = [str(k) for k in value]
        cols = list(dict.fromkeys(str(c) for v in value.values() for c in v))
        numeric = all(_is_number(x) for v in value.values() for x in v.values())
        out = [_scroll_open(title)]
        out.append(f"<table><caption>{_e(title)}</caption><thead><tr><td></td>")
        out += [f'<th scope="col">{_e(c)}</th>' for c in cols]
        out.append("</tr></thead><tbody>")
        for r in rows:
            inner = value[r]
            out.append(f'<tr><th scope="row">{_e(r)}</th>')
            for c in cols:
                v = inner.get(c, inner.get(_key_like(inner, c)))
                out.append(f'<td class="num">{_e(_cell(v, places))}</td>')
            out.append("</tr>")
        out.append("</tbody></table></div>")
        if numeric and len(rows) > 1 and len(cols) > 1:
            z = [[_draw(value[r].get(c, 0) or 0) for c in cols] for r in rows]
            text = [[_cell(value[r].get(c, ""), places) for c in cols] for r in rows]
            fig = {
                "data": [
                    {
                        "type": "heatmap",
                        "x": [_e(c) for c in cols],
                        "y": [_e(r) for r in rows],
                        "z": z,
                        "text": text,
                        "texttemplate": "%{text}",
                        "hovertemplate": "%{y} over %{x}: %{text}<extra></extra>",
                        "colorscale": "Blues",
                        "showscale": False,
                    }
                ],
                "layout": {
                    "title": {"text": _e(title)},
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
        numeric = all(_is_number(v) for v in value.values())
        elected = set(record.elected)
        out = [_scroll_open(title)]
        out.append(
            f'<table><caption>{_e(title)}</caption><thead><tr><th scope="col">Name</th>'
            f'<th scope="col">Value</th></tr></thead><tbody>'
        )
        for k, v in value.items():
            cls = ' class="num"' if _is_number(v) else ""
            tag = '<span class="tag">elected</span>' if k in elected else ""
            out.append(
                f'<tr><th scope="row">{_e(k)}</th><td{cls}>{_e(_cell(v, places))}{tag}</td></tr>'
            )
        out.append("</tbody></table></div>")
        if numeric and len(value) > 1:
            names = [str(k) for k in value]
            vals = list(value.values())
            fig = {
                "data": [
                    {
                        "type": "bar",
                        "orientation": "h",
                        "y": [_e(n) for n in names],
                        "x": [_draw(v) for v in vals],
                        "text": [
                            _cell(v, places) + (" elected" if n in elected else "")
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
                    "title": {"text": _e(title)},
                    "yaxis": {"autorange": "reversed", "automargin": True},
                    "height": max(240, 60 + 28 * len(names)),
                    "margin": {"l": 10, "r": 40, "t": 50, "b": 40},
                },
            }
            out.append(
                charts.add(
                    fig,
                    f"Bar chart of {title.lower()}: "
                    + "; ".join(
                        f"{n} {_cell(v, places)}" + (" (elected)" if n in elected else "")
                        for n, v in zip(names, vals)
                    ),
                    f"{title}, as in the table above"
                    + ("; elected candidates in green, labelled 'elected'." if elected else "."),
                )
            )
        return "\n".join(out)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        cols = list(dict.fromkeys(str(c) for v in value for c in v))
        out = [_scroll_open(title)]
        out.append(f"<table><caption>{_e(title)}</caption><thead><tr>")
        out += [f'<th scope="col">{_e(_title(c))}</th>' for c in cols]
        out.append("</tr></thead><tbody>")
        for row in value:
            out.append("<tr>")
            for c in cols:
                v = row.get(c)
                cls = ' class="num"' if _is_number(v) else ""
                out.append(f"<td{cls}>{_e(_cell(v, places))}</td>")
            out.append("</tr>")
        out.append("</tbody></table></div>")
        return "\n".join(out)
    if isinstance(value, list | tuple):
        items = "".join(f"<li>{_e(_cell(v, places))}</li>" for v in value)
        return f"<{h}>{_e(title)}</{h}><ul>{items}</ul>" if items else ""
    return f"<p><strong>{_e(title)}:</strong> {_e(_cell(value, places))}</p>"


def _key_like(inner: Mapping[Any, Any], c: str) -> Any:
    for k in inner:
        if str(k) == c:
            return k
    return c


def _scroll_open(label: str) -> str:
    # A wide table scrolls inside its own region, reachable and scrollable by keyboard.
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(label)}">'


def _rich(v: Any) -> bool:
    return isinstance(v, Mapping | list | tuple)


# --------------------------------------------------------------------------- the page


def _asset(name: str) -> str:
    return resources.files("tallyroom.reports").joinpath("assets", name).read_text("utf-8")


def _plotly_js() -> str:
    # imported only here: `tallyroom count` in text or JSON never loads plotly
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def stage_table(record: CountRecord, places: int, caption: str = "Stage by stage") -> str:
    """The stage table: a row per candidate, a column (or a transfer and a total) per stage."""
    stages = [s for s in record.stages if s.totals]
    if not stages:
        return ""
    status = statuses(record)
    index_of = {id(s): i for i, s in enumerate(record.stages)}
    show_t = [transfers_shown(s) for s in stages]
    out = [_scroll_open(caption)]
    out.append(f'<table class="stages"><caption>{_e(caption)}</caption><thead><tr>')
    out.append('<td rowspan="2"></td>' if any(show_t) else "<td></td>")
    for s, t in zip(stages, show_t):
        label = f"Stage {s.number}"
        title = _e(s.description or s.action)
        span = ' colspan="2"' if t else (' rowspan="2"' if any(show_t) else "")
        out.append(
            f'<th scope="colgroup"{span} abbr="{_e(label)}">{_e(label)}'
            f'<span class="sub"> {title}</span></th>'
        )
    out.append("</tr>")
    if any(show_t):
        out.append("<tr>")
        for t in show_t:
            if t:
                out.append('<th scope="col">Transfer</th><th scope="col">Total</th>')
        out.append("</tr>")
    out.append("</thead><tbody>")

    def row(label: str, cells: Iterable[tuple[str, str, str]], cls: str = "") -> None:
        c = f' class="{cls}"' if cls else ""
        out.append(f'<tr{c}><th scope="row">{_e(label)}</th>')
        for text, klass, tag in cells:
            k = f' class="num {klass}"' if klass else ' class="num"'
            t = f'<span class="tag">{_e(tag)}</span>' if tag else ""
            out.append(f"<td{k}>{_e(text)}{t}</td>")
        out.append("</tr>")

    for n in record.candidates:
        cells: list[tuple[str, str, str]] = []
        for s, t in zip(stages, show_t):
            i = index_of[id(s)]
            st = status[i].get(n, "continuing")
            tag = ""
            if n in s.elected:
                tag = "elected"
            elif n in s.excluded:
                tag = "excluded"
            if t:
                cells.append((fmt_signed(s.transfers.get(n, 0), places), "transfer", ""))
            total = fmt(s.totals[n], places) if n in s.totals else ""
            cells.append((total, "total " + st, tag))
        row(n, cells)
    # non-transferable, exhausted papers, loss, and the sum that must equal the valid poll
    for label, attr in ((NON_TRANSFERABLE, "exhausted"), (LOSS, "loss")):
        cells = []
        prev: Fraction | None = None
        for s, t in zip(stages, show_t):
            v = Fraction(getattr(s, attr))
            if t:
                cells.append((fmt_signed(v - prev, places) if prev is not None else "", "", ""))
            cells.append((fmt(v, places), "total", ""))
            prev = v
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
    if any(s.quota is not None for s in stages):
        cells = []
        for s, t in zip(stages, show_t):
            if t:
                cells.append(("", "", ""))
            cells.append((fmt(s.quota, places) if s.quota is not None else "", "total", ""))
        row("Quota", cells, "aux")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _kv_table(caption: str, items: Iterable[tuple[str, str]], cls: str = "kv") -> str:
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in items)
    return f'<table class="{cls}"><caption>{_e(caption)}</caption><tbody>{rows}</tbody></table>'


def _option_value(v: Any, places: int) -> str:
    if v is None:
        return "none"
    return _cell(v, places)


def article(record: CountRecord, number: int, source_hash: str | None) -> tuple[str, dict]:
    """One count's section of the page, and the data its script draws."""
    from tallyroom import __version__

    places = figure_places(record)
    prefix = f"c{number}"
    charts = _Charts(prefix)
    out: list[str] = []
    heading = record.title + (f" — {record.source}" if record.source else "")
    out.append(f'<article class="count" id="{prefix}" aria-labelledby="{prefix}-h">')
    out.append(f'<h2 id="{prefix}-h">{_e(heading)}</h2>')

    # the result first: what a member wants to know
    why = record.election_reasons()  # stage and the test met (issue 12; layout: h4)
    out.append(f'<section aria-labelledby="{prefix}-result"><h3 id="{prefix}-result">Result</h3>')
    seats = f"{record.seats} seat" + ("s" if record.seats != 1 else "")
    out.append(f"<p>{_e(seats)} to fill. Elected, in order:</p><ol class=elected>")
    for n in record.elected:
        at = f" (stage {why[n][0]})" + (f": {why[n][1]}" if why[n][1] else "") if n in why else ""
        out.append(f"<li>{_e(n)}{_e(at)}</li>")
    out.append("</ol>")
    if record.quota is not None:
        out.append(f"<p>Quota: <strong>{_e(fmt(record.quota, places))}</strong></p>")
    out.append("</section>")

    # how it was counted
    out.append(
        f'<section aria-labelledby="{prefix}-how"><h3 id="{prefix}-how">How it was counted</h3>'
    )
    facts = [
        ("Rule", f"{record.title} ({record.method})"),
        ("Rule text", record.rule_text),
        ("Arithmetic", _arith(record)),
        ("tallyroom version", __version__),
        ("Ballot file", record.source or "(not given)"),
        ("Ballot file SHA-256", source_hash or "(file not available when the report was made)"),
    ]
    out.append(_kv_table("The count", facts))
    papers = [
        ("Ballots read", fmt_count(record.ballots_read, places)),
        ("Valid", fmt_count(record.valid, places)),
    ]
    papers += [(f"Invalid: {k}", fmt_count(v, places)) for k, v in record.invalid.items()]
    if not record.invalid:
        papers.append(("Invalid", "0"))
    if record.withdrawn:
        papers.append(("Withdrawn candidates", ", ".join(record.withdrawn)))
    out.append(_kv_table("Ballot papers", papers, "kv papers"))
    if record.options:
        out.append(
            _kv_table(
                "Options of the rule",
                ((k, _option_value(v, places)) for k, v in record.options.items()),
                "kv options",
            )
        )
    if record.ballot_rules:
        out.append(
            _kv_table(
                "Ballot rules",
                ((k, _option_value(v, places)) for k, v in record.ballot_rules.items()),
                "kv options",
            )
        )
    out.append("</section>")

    data: dict[str, Any] = {"stages": [], "charts": charts.items}
    counted = [i for i, s in enumerate(record.stages) if s.totals]

    if counted:
        out.append(
            f'<section aria-labelledby="{prefix}-stages">'
            f'<h3 id="{prefix}-stages">Stage by stage</h3>'
        )
        out.append(
            "<p>Each candidate's transfer at a stage (signed) and total at its end. "
            "Non-transferable votes and the rounding loss are cumulative; the total row "
            "adds them to the candidates' votes and equals the valid poll.</p>"
        )
        out.append("<ol class=stage-list>")
        for i in range(len(record.stages)):
            out.append(f"<li>{_e(stage_in_words(record, i, places, detail=False))}</li>")
        out.append("</ol>")
        out.append(stage_table(record, places))
        out.append("</section>")

        # the stage explorer: one bar chart and one flow diagram, for the chosen stage
        for i in counted:
            sk = sankey_figure(record, i, places)
            data["stages"].append(
                {
                    "number": record.stages[i].number,
                    "bar": bar_figure(record, i, places),
                    "bar_label": bar_label(record, i, places),
                    "sankey": sk,
                    "sankey_label": sankey_label(record, i, places) if sk else "",
                    "words": stage_in_words(record, i, places),
                }
            )
        options = "".join(
            f'<option value="{k}">Stage {record.stages[i].number}: '
            f"{_e(record.stages[i].description or record.stages[i].action)}</option>"
            for k, i in enumerate(counted)
        )
        out.append(
            f'<section class="stage-explorer" aria-labelledby="{prefix}-charts">'
            f'<h3 id="{prefix}-charts">Charts of each stage</h3>'
            f'<div class="controls"><button type="button" class="prev" '
            f'aria-controls="{prefix}-bar">Previous stage</button>'
            f'<label for="{prefix}-pick">Stage</label>'
            f'<select id="{prefix}-pick" aria-controls="{prefix}-bar">{options}</select>'
            f'<button type="button" class="next" aria-controls="{prefix}-bar">Next stage'
            "</button></div>"
            f'<p class="words" aria-live="polite" id="{prefix}-words"></p>'
            f'<figure class="chart-figure"><div class="chart bar" id="{prefix}-bar" '
            f'role="img" aria-label=""></div><figcaption>Votes at the end of the chosen stage; '
            "the dashed line is the quota. Elected candidates are green, excluded grey, the "
            "candidate whose votes move at this stage orange; each bar's label says so in "
            "words. The figures are in the stage table.</figcaption></figure>"
            f'<figure class="chart-figure sankey-figure"><div class="chart sankey" '
            f'id="{prefix}-sankey" role="img" aria-label=""></div><figcaption>Where the '
            "votes went at the chosen stage: from the candidate whose votes were transferred "
            "to those who received them, to non-transferable and to rounding loss."
            "</figcaption></figure>"
            '<p class="no-flow" hidden>No votes move at this stage.</p>'
            "</section>"
        )

        if len(counted) > 1:
            out.append(
                f'<section aria-labelledby="{prefix}-journey">'
                f'<h3 id="{prefix}-journey">Each candidate\'s journey</h3>'
            )
            words = journeys_in_words(record, places)
            out.append(
                charts.add(
                    journey_figure(record, places),
                    "Line chart of each candidate's votes across the stages. " + " ".join(words),
                    "Each candidate's votes at the end of each stage; the dashed line is the "
                    "quota. The same journeys in words follow, and every figure is in the "
                    "stage table.",
                )
            )
            out.append("<ul class=journeys>")
            out += [f"<li>{_e(w)}</li>" for w in words]
            out.append("</ul></section>")

    # ties
    out.append(f'<section aria-labelledby="{prefix}-ties"><h3 id="{prefix}-ties">Ties</h3>')
    if record.ties:
        out.append("<ul class=ties>")
        out += [f"<li>{_e(tie_in_words(t))}</li>" for t in record.ties]
        out.append("</ul>")
    else:
        out.append("<p>No tie had to be broken.</p>")
    out.append("</section>")

    # what the record holds beyond the stages: the rule's natural view
    views: list[str] = []
    for key, value in record.extra.items():
        views.append(natural_view(key, value, record, places, charts, 4))
    for s in record.stages:
        rich = {k: v for k, v in s.extra.items() if _rich(v)}
        if rich:
            views.append(f"<h4>Stage {s.number}: {_e(s.description or s.action)}</h4>")
            if not s.totals:  # else the scalars are in the stage's sentence
                for key, value in s.extra.items():
                    if not _rich(value):
                        views.append(natural_view(key, value, record, places, charts, 5))
            for key, value in rich.items():
                views.append(natural_view(key, value, record, places, charts, 5))
    if views:
        out.append(
            f'<section aria-labelledby="{prefix}-more"><h3 id="{prefix}-more">'
            f"More from the count</h3>"
        )
        out += views
        out.append("</section>")

    if record.notes:
        out.append(f'<section aria-labelledby="{prefix}-notes"><h3 id="{prefix}-notes">Notes</h3>')
        out += [f"<p>{_e(n)}</p>" for n in record.notes]
        out.append("</section>")
    out.append(f'<script type="application/json" class="tallyroom-data">{_script_json(data)}')
    out.append("</script></article>")
    return "\n".join(out), data


def _arith(record: CountRecord) -> str:
    desc = record.options.get("arithmetic_description")
    if desc:
        return str(desc)
    if record.places is None:
        if figure_places(record) == 0:
            return "exact (every figure is a whole number)"
        return f"exact rationals (shown to {EXACT_PLACES} decimal places)"
    return f"{record.places} decimal places"


def page(records: Sequence[CountRecord], title: str | None = None) -> str:
    """The whole report for one or more counts, as one self-contained HTML document."""
    from tallyroom import __version__
    from tallyroom.reports.audit import source_sha256

    if not records:
        raise ValueError("no count to report")
    heading = title or (
        f"Result: {records[0].title}" if len(records) == 1 else f"Results of {len(records)} counts"
    )
    articles = [article(r, k + 1, source_sha256(r.source))[0] for k, r in enumerate(records)]
    nav = ""
    if len(records) > 1:
        nav = (
            '<nav aria-label="Counts"><ul>'
            + "".join(
                f'<li><a href="#c{k + 1}">{_e(r.source or r.title)}</a></li>'
                for k, r in enumerate(records)
            )
            + "</ul></nav>"
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="tallyroom {_e(__version__)}">\n'
        f"<title>{_e(heading)}</title>\n"
        f"<style>{_asset('report.css')}</style>\n"
        "</head><body>\n"
        '<a class="skip" href="#main">Skip to the result</a>\n'
        f'<header><h1>{_e(heading)}</h1><p class="by">Counted by tallyroom '
        f"{_e(__version__)}. This page works offline; its charts need JavaScript, and every "
        "figure they draw is also in the tables.</p></header>\n"
        f"{nav}"
        '<main id="main">\n'
        "<noscript><p>JavaScript is off: the charts are not drawn. Every figure is in the "
        "tables.</p></noscript>\n" + "\n".join(articles) + "\n</main>\n"
        f"<script>{_plotly_js()}</script>\n"
        f"<script>{_asset('report.js')}</script>\n"
        "</body></html>\n"
    )


def report(record: CountRecord) -> str:
    """The HTML report of one count."""
    return page([record])
