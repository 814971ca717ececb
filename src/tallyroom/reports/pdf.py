"""The result sheet as PDF, for A4: the HTML report's print layout rendered by WeasyPrint
(``tallyroom[pdf]``; Debian's Pango underneath), without its charts (they need a script).

Page 1 holds the election's name and the declaration of result; the stage table follows in
blocks of stages with the candidates' names repeated, every stage on paper; each page's
footer gives the election's name, the ballot file's SHA-256 and the page number.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from tallyroom.errors import TallyroomError
from tallyroom.record import CountRecord

# WeasyPrint reads the print rules of report.css; these add what only a paged renderer
# does (running strings in the page margins) and drop what needs a script.
PAPER_CSS = """
.chart-figure, .stage-explorer, .no-flow, .narrow-note, .by { display: none !important; }
.journey ul { margin-top: 0; }
article.count { string-set: election attr(data-election), sha attr(data-sha256); }
@page {
  size: A4;
  margin: 14mm 12mm 18mm;
  @bottom-left {
    content: string(election) " \\2014  SHA-256 of the ballot file: " string(sha);
    font: 6.5pt sans-serif; color: #555; width: 75%;
  }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; }
}
"""


class PDFUnavailable(TallyroomError):
    """WeasyPrint (``tallyroom[pdf]``) or the Pango library it draws with is missing."""


def pdf(records: Sequence[CountRecord], *, party_of: Mapping[str, str] | None = None) -> bytes:
    """The sheets of ``records`` as one PDF document."""
    from tallyroom.reports.html import page

    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # OSError: Pango's shared library is missing
        raise PDFUnavailable(
            f"PDF output needs WeasyPrint and Pango: pip install 'tallyroom[pdf]' ({e})"
        ) from None
    html = page(records, party_of=party_of, charts=False, extra_css=PAPER_CSS)
    # the stylesheet is shared with browsers: WeasyPrint's notes on the screen-only rules it
    # skips (sticky headers, phone widths) are not the user's concern
    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        data: bytes = HTML(string=html).write_pdf()
    finally:
        log.setLevel(level)
    return data
