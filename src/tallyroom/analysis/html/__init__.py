"""Self-contained HTML reports for ``compare``, ``simulate`` and ``demo nec2016``.

The page is built like the report of a count (:mod:`tallyroom.reports.html`): plotly.js
and the stylesheet embedded once, a Content Security Policy forbidding any network
access, each chart in a ``<figure>`` with a text alternative and a caption, and every
figure a chart draws also in a real ``<table>`` with a caption and scoped headers.

Shares and indices are floats (they describe a result; they are never part of a count).
What is shown is always a string at fixed places -- shares in per cent to one place,
indices and mean seats to two, as in the text output -- and charts receive floats for
drawing only.  Their labels carry the same strings as the tables.

The modules, by responsibility: :mod:`.figures` (figures as strings, and the tables),
:mod:`.charts`, and a module per page -- :mod:`.compare`, :mod:`.simulate`, :mod:`.demo`;
the page shell (document, articles, sections, charts) is the page kit's
(:mod:`tallyroom.reports.html.kit`).
"""

from __future__ import annotations

from tallyroom.analysis.html.charts import share_bars, share_scatter
from tallyroom.analysis.html.compare import compare_report
from tallyroom.analysis.html.demo import SYNTHETIC, demo_report
from tallyroom.analysis.html.figures import (
    FIGURE,
    INDEX_HEADERS,
    INDEX_NOTE,
    group_table,
    index_table,
    page,
    pct,
    two,
    whole,
)
from tallyroom.analysis.html.simulate import simulate_report, split_label

__all__ = [
    "FIGURE",
    "INDEX_HEADERS",
    "INDEX_NOTE",
    "SYNTHETIC",
    "compare_report",
    "demo_report",
    "group_table",
    "index_table",
    "page",
    "pct",
    "share_bars",
    "share_scatter",
    "simulate_report",
    "split_label",
    "two",
    "whole",
]
