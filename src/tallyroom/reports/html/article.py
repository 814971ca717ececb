"""The report of a count, put together: the declaration of result first (the election's
name, each candidate's votes, share, result and stage, the quota or threshold, the valid
poll and rejected papers, and in words why anyone was elected below the quota), then the
stage table (whole on screen, in blocks of stages on paper), the charts, the ties, the
rule's natural views, and, collapsed, how it was counted (the rule text, every option in
words with its name, the file's name and SHA-256).  Many counts of one council make one
page that opens with a summary of who was elected where and the parties' totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from tallyroom.record import CountRecord
from tallyroom.reports.council import council
from tallyroom.reports.html.charts import (
    bar_figure,
    bar_label,
    journey_figure,
    sankey_figure,
    sankey_label,
)
from tallyroom.reports.html.kit import Charts, document, escape, script_json
from tallyroom.reports.html.tables import (
    cell,
    declaration_table,
    kv_table,
    natural_view,
    printed_stage_tables,
    rich,
    stage_table,
)
from tallyroom.reports.html.words import (
    below_quota_in_words,
    elected_in_words,
    election_details,
    election_name,
    figure_places,
    final_round_in_words,
    fmt,
    fmt_count,
    is_rounds,
    journeys_in_words,
    option_in_words,
    other_decisions_in_words,
    percent,
    stage_in_words,
    stage_name,
    stage_word,
    threshold_word,
    tie_in_words,
)
from tallyroom.reports.json import EXACT_PLACES

_e = escape


def _arith(record: CountRecord) -> str:
    desc = record.options.get("arithmetic_description")
    if desc:
        return str(desc)
    if record.places is None:
        if figure_places(record) == 0:
            return "exact (every figure is a whole number)"
        return f"exact rationals (shown to {EXACT_PLACES} decimal places)"
    return f"{record.places} decimal places"


def _option_rows(options: Mapping[str, Any], places: int) -> str:
    rows = []
    for k, v in options.items():
        value = "none" if v is None else cell(v, places)
        rows.append(
            f'<tr><th scope="row">{_e(option_in_words(k))}</th><td>{_e(value)}</td>'
            f"<td><code>{_e(k)}</code></td></tr>"
        )
    return "".join(rows)


def _how_it_was_counted(record: CountRecord, prefix: str, places: int) -> str:
    from tallyroom import __version__

    facts = [
        ("Rule", f"{record.title} ({record.method})"),
        ("Rule text", record.rule_text),
        ("Arithmetic", _arith(record)),
        ("tallyroom version", __version__),
        ("Ballot file", record.source or "(not given)"),
        ("Ballot file SHA-256", record.source_sha256 or "(not known)"),
    ]
    if record.election_file:
        facts += [
            ("Election file", record.election_file),
            ("Election file SHA-256", record.election_file_sha256),
        ]
    if record.preset:
        facts.append(("Preset", record.preset))
    out = [
        f'<details class="how" id="{prefix}-how"><summary>How it was counted: the rule, '
        "its options and the ballot file</summary>",
        f"<p>Counted under {_e(record.title)}, as {_e(record.rule_text)} provides.</p>",
        kv_table("The count", facts),
    ]
    for caption, opts in (
        ("Options of the rule", record.options),
        ("How ballot papers were read", record.ballot_rules),
    ):
        if opts:
            out.append(
                f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(caption)}">'
                f'<table class="kv options"><caption>{_e(caption)}</caption><thead><tr>'
                '<th scope="col">Option</th><th scope="col">Value</th>'
                '<th scope="col">Name in tallyroom</th></tr></thead><tbody>'
                f"{_option_rows(opts, places)}</tbody></table></div>"
            )
    out.append("</details>")
    return "\n".join(out)


def _elected_in_order(record: CountRecord) -> str:
    """The elected in the order of election, each with the stage and the test met (the
    quota, a 5.4.9(b) threshold, the last places...): what the rule says made them win."""
    why = record.election_reasons()
    if not record.elected or not why:
        return ""
    word = stage_word(record)
    out = ["<p>Elected, in order, with the test each met:</p><ol class=elected>"]
    for n in record.elected:
        at = ""
        if n in why:
            stage, reason = why[n]
            at = f" ({word} {stage})" + (f": {reason}" if reason else "")
        out.append(f"<li>{_e(n)}{_e(at)}</li>")
    out.append("</ol>")
    return "".join(out)


def _declaration(record: CountRecord, prefix: str, places: int) -> str:
    word = threshold_word(record)
    out = [f'<section class="declaration" aria-labelledby="{prefix}-result">']
    out.append(f'<h3 id="{prefix}-result">Declaration of result</h3>')
    seats = f"{record.seats} seat" + ("s" if record.seats != 1 else "")
    elected = elected_in_words(record)
    out.append(
        f'<p class="summary"><strong>Elected: {_e(elected)}</strong> '
        f"({_e(seats)} to fill; counted under {_e(record.title)}).</p>"
    )
    facts = [("Valid poll", fmt_count(record.valid, places))]
    rejected = sum((Fraction(v) for v in record.invalid.values()), Fraction(0))
    facts.append(("Rejected papers", fmt_count(rejected, places)))
    facts += [(f"Rejected: {k}", fmt_count(v, places)) for k, v in record.invalid.items()]
    facts.append(("Ballot papers read", fmt_count(record.ballots_read, places)))
    if record.quota is not None:
        facts.append(("Quota", fmt(record.quota, places)))
    elif is_rounds(record):
        first = record.stages[0].quota
        if first is not None:
            facts.append((f"Majority threshold ({stage_word(record)} 1)", fmt(first, places)))
        if record.stages[-1].quota is not None and len(record.stages) > 1:
            facts.append(
                (
                    f"Majority threshold (final {stage_word(record)})",
                    fmt(record.stages[-1].quota, places),
                )
            )
    if record.withdrawn:
        facts.append(("Withdrawn candidates", ", ".join(record.withdrawn)))
    out.append(kv_table("The poll", facts, "kv poll"))
    out.append(declaration_table(record, places))
    out.append(_elected_in_order(record))
    sentences = below_quota_in_words(record, places)
    final = final_round_in_words(record, places)
    if final:
        sentences.append(final)
    for s in sentences:
        out.append(f"<p>{_e(s)}</p>")
    decisions = other_decisions_in_words(record)
    if decisions:
        out.append("<h4>Decisions made to meet the rules on seats</h4><ul class=decisions>")
        out += [f"<li>{_e(d)}</li>" for d in decisions]
        out.append("</ul>")
    del word
    out.append("</section>")
    return "\n".join(out)


def article(record: CountRecord, number: int, *, heading: str = "") -> tuple[str, dict[str, Any]]:
    """One count's section of the page, and the data its script draws; ``heading`` (else
    the election's name) heads it.  The input's digest is the record's own."""
    places = figure_places(record)
    prefix = f"c{number}"
    charts = Charts(prefix)
    word = stage_word(record)
    threshold = threshold_word(record)
    out: list[str] = []
    out.append(
        f'<article class="count" id="{prefix}" aria-labelledby="{prefix}-h" '
        f'data-sha256="{_e(record.source_sha256 or "not known")}" '
        f'data-election="{_e(election_name(record))}">'
    )
    out.append(f'<h2 id="{prefix}-h">{_e(heading or election_name(record))}</h2>')
    details = election_details(record)
    if details:
        out.append(f'<p class="election">{_e(details)}</p>')

    out.append(_declaration(record, prefix, places))
    out.append(_how_it_was_counted(record, prefix, places))

    data: dict[str, Any] = {"stages": [], "charts": charts.items}
    counted = [i for i, s in enumerate(record.stages) if s.totals]

    if counted:
        out.append(
            f'<section class="stage-section" aria-labelledby="{prefix}-stages">'
            f'<h3 id="{prefix}-stages">{word.capitalize()} by {word}</h3>'
        )
        out.append(
            f"<p>Each candidate's transfer at a {word} (signed) and total at its end. "
            "Non-transferable votes and the rounding loss are cumulative; the total row "
            "adds them to the candidates' votes and equals the valid poll.</p>"
            if not is_rounds(record)
            else "<p>Each candidate's votes in each round. Papers that no longer rank a "
            "continuing candidate are non-transferable; the total row adds them to the "
            "candidates' votes and equals the valid poll.</p>"
        )
        out.append("<ol class=stage-list>")
        for i in range(len(record.stages)):
            out.append(f"<li>{_e(stage_in_words(record, i, places, detail=False))}</li>")
        out.append("</ol>")
        out.append(stage_table(record, places, f"{word.capitalize()} by {word}"))
        out.append(printed_stage_tables(record, places))
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
            f'<option value="{k}">{word.capitalize()} {record.stages[i].number}: '
            f"{_e(stage_name(record, record.stages[i]))}</option>"
            for k, i in enumerate(counted)
        )
        out.append(
            f'<section class="stage-explorer" aria-labelledby="{prefix}-charts">'
            f'<h3 id="{prefix}-charts">Charts of each {word}</h3>'
            f'<div class="controls"><button type="button" class="prev" '
            f'aria-controls="{prefix}-bar">Previous {word}</button>'
            f'<label for="{prefix}-pick">{word.capitalize()}</label>'
            f'<select id="{prefix}-pick" aria-controls="{prefix}-bar">{options}</select>'
            f'<button type="button" class="next" aria-controls="{prefix}-bar">Next {word}'
            "</button></div>"
            f'<p class="words" aria-live="polite" id="{prefix}-words"></p>'
            f'<figure class="chart-figure"><div class="chart bar" id="{prefix}-bar" '
            f'role="img" aria-label=""></div><figcaption>Votes at the end of the chosen {word}; '
            f"the dashed line is the {threshold}. Elected candidates are green, excluded grey, "
            f"the candidate whose votes move at this {word} orange; each bar's label says so "
            f"in words. The figures are in the {word} table.</figcaption></figure>"
            f'<figure class="chart-figure sankey-figure"><div class="chart sankey" '
            f'id="{prefix}-sankey" role="img" aria-label=""></div><figcaption>Where the '
            f"votes went at the chosen {word}: from the candidate whose votes were transferred "
            "to those who received them, to non-transferable and to rounding loss."
            "</figcaption></figure>"
            f'<p class="no-flow" hidden>No votes move at this {word}.</p>'
            f'<p class="narrow-note">On a narrow screen the flow diagram gives way to the '
            f"sentence above; every figure is in the {word} table.</p>"
            "</section>"
        )

        if len(counted) > 1:
            out.append(
                f'<section class="journey" aria-labelledby="{prefix}-journey">'
                f'<h3 id="{prefix}-journey">Each candidate\'s journey</h3>'
            )
            words = journeys_in_words(record, places)
            out.append(
                charts.add(
                    journey_figure(record, places),
                    f"Line chart of each candidate's votes across the {word}s. " + " ".join(words),
                    f"Each candidate's votes at the end of each {word}, each line in its own "
                    f"colour and symbol; the dashed line is the {threshold}. The "
                    f"same journeys in words follow, and every figure is in the {word} table.",
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
    with_views = [s for s in record.stages if any(rich(v) for v in s.extra.values())]
    # many stages with their own tables (a party list's constituencies): each collapsed,
    # tables only -- the record-wide views above chart the totals
    folded = len(with_views) > 3
    stage_charts: Charts = _NoCharts(prefix) if folded else charts
    for s in with_views:
        richer = {k: v for k, v in s.extra.items() if rich(v)}
        name = f"{word.capitalize()} {s.number}: {_e(stage_name(record, s))}"
        views.append(f"<details><summary>{name}</summary>" if folded else f"<h4>{name}</h4>")
        if not s.totals:  # else the scalars are in the stage's sentence
            for key, value in s.extra.items():
                if not rich(value):
                    views.append(natural_view(key, value, record, places, stage_charts, 5))
        for key, value in richer.items():
            views.append(natural_view(key, value, record, places, stage_charts, 5))
        if folded:
            views.append("</details>")
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
    out.append(f'<p class="footer-id">{_e(election_name(record))} · ')
    out.append(f"SHA-256 of the ballot file: {_e(record.source_sha256 or 'not known')}</p>")
    out.append(f'<script type="application/json" class="tallyroom-data">{script_json(data)}')
    out.append("</script></article>")
    return "\n".join(out), data


class _NoCharts(Charts):
    """Draws nothing: for views whose figures are in their tables and charted elsewhere."""

    def add(self, figure: dict[str, Any], label: str, caption: str, cls: str = "") -> str:
        return ""


# --------------------------------------------------------------------------- a council


def council_summary(
    records: Sequence[CountRecord], party_of: Mapping[str, str] | None = None
) -> str:
    """Who was elected where, and each party's first-preference votes and seats, with the
    Gallagher index of the whole council (computed in :mod:`tallyroom.reports.council`)."""
    c = council(records, party_of)
    rows = []
    for k, w in enumerate(c.wards, 1):
        elected = "".join(
            f"<li>{_e(e.name)}"
            + (f" ({_e(fmt_count(e.votes, w.places))})" if e.votes is not None else "")
            + "</li>"
            for e in w.elected
        )
        rows.append(
            f'<tr role="row"><th scope="row" role="rowheader"><a href="#c{k}">{_e(w.name)}</a>'
            f'</th><td class="num" role="cell">{w.seats}</td><td role="cell">'
            f'<ul class="plain">{elected}</ul></td>'
            f'<td class="num" role="cell">{_e(fmt_count(w.valid, w.places))}</td></tr>'
        )
    out = ['<section class="council" aria-labelledby="summary-h" id="summary">']
    out.append('<h2 id="summary-h">Summary of the results</h2>')
    total_seats = c.seats
    out.append(
        f"<p>{len(records)} elections, {total_seats} seats. Each election's name leads to "
        "its declaration and stage table below.</p>"
    )
    cap = "Who was elected where"
    out.append(
        f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(cap)}">'
        # explicit table roles: on a phone the rows are laid out as grids (report.css)
        f'<table class="wards" role="table"><caption>{_e(cap)}</caption>'
        '<thead role="rowgroup"><tr role="row">'
        '<th scope="col" role="columnheader">Election</th>'
        '<th scope="col" role="columnheader">Seats</th>'
        '<th scope="col" role="columnheader">Elected (first-preference votes)</th>'
        '<th scope="col" role="columnheader">Valid poll</th></tr></thead>'
        '<tbody role="rowgroup">' + "".join(rows) + "</tbody></table></div>"
    )
    places = c.places
    v_total = c.votes

    def party_row(name: str, figures: list[str]) -> str:
        cells = "".join(f'<td class="num" role="cell">{_e(f)}</td>' for f in figures)
        return f'<tr role="row"><th scope="row" role="rowheader">{_e(name)}</th>{cells}</tr>'

    prow = "".join(
        party_row(
            p.party,
            [
                str(p.candidates),
                fmt_count(p.votes, places),
                percent(p.votes, v_total),
                str(p.seats),
                percent(p.seats, total_seats),
            ],
        )
        for p in c.parties
    )
    total = party_row(
        "Total",
        [str(c.candidates), fmt_count(v_total, places), "100.0%", str(total_seats), "100.0%"],
    )
    heads = ["Party", "Candidates", "First-preference votes", "Vote share", "Seats", "Seat share"]
    cap = "Parties: first-preference votes and seats"
    out.append(
        f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(cap)}">'
        # explicit table roles: on a phone the rows are laid out as grids (report.css)
        f'<table class="parties" role="table"><caption>{_e(cap)}</caption>'
        '<thead role="rowgroup"><tr role="row">'
        + "".join(f'<th scope="col" role="columnheader">{h}</th>' for h in heads)
        + '</tr></thead><tbody role="rowgroup">'
        + prow
        + f'</tbody><tfoot role="rowgroup">{total}</tfoot></table></div>'
    )
    out.append(
        f'<p class="gallagher">Gallagher index of disproportionality (first-preference vote '
        f"shares against seat shares): <strong>{c.gallagher}</strong>.</p>"
    )
    out.append(
        "<p>A party is read from the candidates' party attribute where the ballot file or a "
        "<code>--candidates</code> file gives one, else from the brackets at the end of the "
        "name, as Scottish ballot files write it.</p>"
    )
    out.append("</section>")
    return "\n".join(out)


def page(
    records: Sequence[CountRecord],
    title: str | None = None,
    *,
    party_of: Mapping[str, str] | None = None,
    charts: bool = True,
    extra_css: str = "",
) -> str:
    """The whole report for one or more counts, as one self-contained HTML document.

    Several counts make one page that opens with their summary (who was elected where,
    the parties' totals); plotly.js is in it once (not at all without ``charts``: a page
    made for paper by a renderer that runs no script)."""
    if not records:
        raise ValueError("no count to report")
    articles = []
    for k, r in enumerate(records):
        # a page of one count has the election's name as its h1: the article says what it is
        head = f"Result of the count ({r.title})" if len(records) == 1 else ""
        articles.append(article(r, k + 1, heading=head)[0])
    if len(records) == 1:
        r = records[0]
        name = election_name(r)
        heading = title or name
        browser_title = title or f"{name}: result ({r.title})"
        body = "\n".join(articles)
        nav = ""
    else:
        orgs = {r.organisation for r in records}
        org = orgs.pop() if len(orgs) == 1 else ""
        heading = title or (
            f"{org}: results of {len(records)} elections"
            if org
            else f"Results of {len(records)} elections"
        )
        browser_title = heading
        nav = (
            '<nav aria-label="Elections"><ul>'
            + '<li><a href="#summary">Summary</a></li>'
            + "".join(
                f'<li><a href="#c{k + 1}">{_e(election_name(r))}</a></li>'
                for k, r in enumerate(records)
            )
            + "</ul></nav>"
        )
        body = council_summary(records, party_of) + "\n" + "\n".join(articles)
    return document(
        browser_title, body, heading=heading, nav=nav, charts=charts, extra_css=extra_css
    )


def report(record: CountRecord) -> str:
    """The HTML report of one count."""
    return page([record])
