"""The page kit: what every tallyroom HTML page shares -- the document shell with its
Content Security Policy, the stylesheet and script, plotly.js embedded once, escaping for
markup and for chart text, scrolling regions for wide tables, and the collector of charts.

The report of a count (:mod:`tallyroom.reports.html.article`) and the analysis pages
(:mod:`tallyroom.analysis.html`) are both built from it; the analysis pages' articles and
sections are the kit's (:func:`charted_article`, :func:`section`).
"""

from __future__ import annotations

import colorsys
import html
import json
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from importlib import resources
from typing import Any

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito), and
# never carry meaning alone: every chart label also says the status in words.
ELECTED = "#009E73"
EXCLUDED = "#999999"
CONTINUING = "#0072B2"
MOVING = "#D55E00"
EXHAUSTED = "#CC79A7"
#: Okabe-Ito first, then Paul Tol's "muted" scheme: 17 colours told apart by most readers
BASE_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
)
PALETTE = BASE_PALETTE

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def colours(n: int) -> list[str]:
    """``n`` colours, none repeated: the fixed palette, then hues spread by the golden
    angle at alternating lightness (charts also mark each line by symbol and label)."""
    out = list(BASE_PALETTE[:n])
    k = 0
    while len(out) < n:
        h = (k * 0.618033988749895) % 1.0
        light = (0.35, 0.55, 0.45)[k % 3]
        r, g, b = colorsys.hls_to_rgb(h, light, 0.65)
        c = f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"
        if c not in out:
            out.append(c)
        k += 1
    return out


def escape(text: object) -> str:
    """Text for HTML markup or an attribute value."""
    return html.escape(str(text), quote=True)


def chart_text(text: object) -> str:
    """Text for plotly to draw: plotly reads ``<``, ``>`` and ``&`` as its own markup, so
    those are escaped; quotes are not (plotly would show ``&quot;`` as typed)."""
    return html.escape(str(text), quote=False)


def drawable(values: Sequence[Fraction | int | float]) -> tuple[list[float], int]:
    """Floats for plotly to draw ``values`` with, never shown as figures, and the power of
    ten they were divided by (0 unless a value is too large for a float)."""
    big = max((abs(Fraction(v)) for v in values), default=Fraction(0))
    power = 0
    if big >= 10**300:
        power = len(str(math.floor(big))) - 300
    scale = Fraction(10) ** power
    return [float(Fraction(v) / scale) for v in values], power


def draw(x: Fraction | int) -> float:
    """One float to draw with (capped at the largest float; see :func:`drawable`)."""
    try:
        return float(x)
    except OverflowError:
        return math.copysign(1.7976931348623157e308, x)


def asset(name: str) -> str:
    """A file of ``tallyroom/reports/assets``: the stylesheet or the script."""
    return resources.files("tallyroom.reports").joinpath("assets", name).read_text("utf-8")


def plotly_js() -> str:
    """plotly.js, whole (imported only here: text and JSON reports never load plotly)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def scroll_region(label: str) -> str:
    """The opening of a region a wide table scrolls in, reachable by keyboard (close it
    with ``</div>``)."""
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{escape(label)}">'


class Charts:
    """Collects the figures a page draws; each gets a unique element id."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[dict[str, Any]] = []

    def add(self, figure: dict[str, Any], label: str, caption: str, cls: str = "") -> str:
        cid = f"{self.prefix}-chart-{len(self.items) + 1}"
        self.items.append({"id": cid, "figure": figure})
        extra = f" {cls}" if cls else ""
        return (
            f'<figure class="chart-figure{extra}"><div class="chart" id="{cid}" role="img" '
            f'aria-label="{escape(label)}"></div><figcaption>{escape(caption)}</figcaption>'
            "</figure>"
        )


def section(sid: str, heading: str, body: Iterable[str]) -> str:
    """A section of an article: ``heading`` as its ``h3`` (id ``sid``), then ``body``."""
    return (
        f'<section aria-labelledby="{sid}"><h3 id="{sid}">{escape(heading)}</h3>'
        + "\n".join(body)
        + "</section>"
    )


def charted_article(prefix: str, heading: str, body: Sequence[str], charts: Charts) -> str:
    """An article of a page that is not a count's (the analysis pages): ``heading`` as its
    ``h2``, ``body``, and the data of the ``charts`` it draws for the page's script."""
    data: dict[str, Any] = {"stages": [], "charts": charts.items}
    return (
        f'<article class="count" id="{prefix}" aria-labelledby="{prefix}-h">'
        f'<h2 id="{prefix}-h">{escape(heading)}</h2>\n'
        + "\n".join(body)
        + f'\n<script type="application/json" class="tallyroom-data">{script_json(data)}'
        "</script></article>"
    )


def document(
    title: str,
    body: str,
    *,
    heading: str | None = None,
    intro: str = "",
    nav: str = "",
    extra_css: str = "",
    charts: bool = True,
) -> str:
    """One self-contained HTML document: ``title`` in the browser's tab, ``heading`` (else
    the title) as its ``h1``, ``body`` inside ``<main>``; plotly.js is embedded once, and
    only when the page draws ``charts``."""
    from tallyroom import __version__

    scripts = ""
    if charts:
        scripts = f"<script>{plotly_js()}</script>\n<script>{asset('report.js')}</script>\n"
    note = (
        " This page works offline; its charts need JavaScript, and every figure they draw "
        "is also in the tables."
        if charts
        else " This page works offline."
    )
    noscript = (
        "<noscript><p>JavaScript is off: the charts are not drawn. Every figure is in the "
        "tables.</p></noscript>\n"
        if charts
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="tallyroom {escape(__version__)}">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{asset('report.css')}{extra_css}</style>\n"
        "</head><body>\n"
        '<a class="skip" href="#main">Skip to the result</a>\n'
        f"<header><h1>{escape(heading or title)}</h1>{intro}"
        f'<p class="by">Made by tallyroom {escape(__version__)}.{note}</p></header>\n'
        f"{nav}"
        '<main id="main">\n'
        f"{noscript}{body}\n</main>\n"
        f"{scripts}"
        "</body></html>\n"
    )
