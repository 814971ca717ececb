"""The figures of the analysis pages: shares, indices and votes as strings at fixed
places (as the text output), and their tables -- the first column heading each row, the
other cells figures -- seats by group against first preferences, and the indices."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tallyroom.analysis.compare import ordered_groups
from tallyroom.analysis.indices import Proportionality, Represented, shares
from tallyroom.reports.html.kit import document, escape, scroll_region

_e = escape


def pct(x: float) -> str:
    """A share in per cent, one place (as the text output)."""
    return f"{x:.1f}"


def two(x: float) -> str:
    """An index or a mean, two places; the Sainte-Laguë index can be infinite."""
    return "∞" if math.isinf(x) else f"{x:.2f}"


def whole(x: float) -> str:
    """Votes or papers: a whole number with thousands separators; else two places."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


#: a cell holding a figure (right-aligned, tabular digits); other cells are text
FIGURE = re.compile(r"[-+]?[\d,]*\.?\d+%?|∞|-|[\d.]+–[\d.]+|[\d,]+ \([\d.]+%\)")


def table(
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


def group_table(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]], caption: str
) -> str:
    """A column per group; a row of first preferences (votes and share), then a row per
    rule with its seats and seat share -- narrow enough for a screen however many rules
    are compared."""
    fp = shares(first)
    groups = ordered_groups(first, seats_by)
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
    return table(caption, headers, rows, "groups")


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
    """A row per rule: its indices, and the shares of papers whose first choice won and
    that ranked a winner (``-`` where not known)."""
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
    return table(caption, INDEX_HEADERS, rows, "indices")


INDEX_NOTE = (
    "Indices set seats against first-preference shares: Gallagher least squares and "
    "Loosemore–Hanby in percentage points, the Sainte-Laguë index, and the effective "
    "numbers of parties (Laakso–Taagepera) of votes and of seats. “First choice elected”: "
    "papers whose first choice won; “ranked a winner”: papers ranking at least one winner."
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
