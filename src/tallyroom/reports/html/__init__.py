"""The self-contained HTML report: one file that opens offline and can be archived.

The page opens with the election's name and the declaration of result (each candidate's
votes, share, result and stage; quota or threshold; valid poll and rejected papers), then
the stage table (a real ``<table>``; in blocks of stages with the names repeated when
printed), a bar chart per stage with the quota line, the flow of each transfer (a Sankey
diagram), each candidate's journey, every tie in plain words, and, for rules that are not
STV, the views their records hold (a pairwise matrix, a committee's steps, list seats) --
picked from what the record holds, not from the rule's name.  How it was counted (the rule
text, its options in words, the file and its SHA-256) is in a collapsed block.

Every figure shown is a decimal string made by :func:`tallyroom.numbers.format_decimal`
at the places of the JSON contract, so the page and ``result.json`` agree digit for
digit.  Charts are drawn by plotly.js, embedded once in the page (no CDN); they receive
floats for drawing only, and show the exact strings in their labels.  A Content Security
Policy forbids the page any network access.  Each chart sits in a ``<figure>`` with a text
alternative; the tables carry every figure the charts draw.

The modules, by responsibility: :mod:`.kit` (the page kit other pages share),
:mod:`.words` (figures and sentences), :mod:`.charts`, :mod:`.tables`, :mod:`.article`
(a count's section, the page, a council's summary).
"""

from __future__ import annotations

from tallyroom.reports.council import party_of_name
from tallyroom.reports.html.article import (
    article,
    council_summary,
    page,
    report,
)
from tallyroom.reports.html.charts import (
    bar_figure,
    bar_label,
    journey_figure,
    sankey_figure,
    sankey_label,
)
from tallyroom.reports.html.kit import CSP, PALETTE, Charts, chart_text, colours, document, escape
from tallyroom.reports.html.tables import declaration_table, natural_view, stage_table
from tallyroom.reports.html.words import (
    figure_places,
    fmt,
    fmt_count,
    fmt_signed,
    journeys_in_words,
    stage_changes,
    stage_in_words,
    statuses,
    tie_in_words,
    transfers_shown,
)

__all__ = [
    "CSP",
    "PALETTE",
    "Charts",
    "article",
    "bar_figure",
    "bar_label",
    "chart_text",
    "colours",
    "council_summary",
    "declaration_table",
    "document",
    "escape",
    "figure_places",
    "fmt",
    "fmt_count",
    "fmt_signed",
    "journey_figure",
    "journeys_in_words",
    "natural_view",
    "page",
    "party_of_name",
    "report",
    "sankey_figure",
    "sankey_label",
    "stage_changes",
    "stage_in_words",
    "stage_table",
    "statuses",
    "tie_in_words",
    "transfers_shown",
]
