"""The page of ``tallyroom demo nec2016``: Labour's 2016 NEC block vote, reconstructed
from its published totals, counted under other rules."""

from __future__ import annotations

from tallyroom.analysis.html.charts import PALETTE
from tallyroom.analysis.html.figures import page, pct, table, two, whole
from tallyroom.analysis.nec2016 import DemoResult
from tallyroom.reports.html.kit import Charts, chart_text, charted_article, escape, section

_e = escape

SYNTHETIC = (
    "The ballots in this report are synthetic. Only per-candidate totals were published; "
    "the electorates counted here were reconstructed so that the block vote of each gives "
    "those totals exactly. What they show is what each rule does given the assumptions "
    "below, not what happened."
)


def demo_report(result: DemoResult) -> str:
    """The report of ``tallyroom demo nec2016``."""
    from tallyroom.analysis.nec2016 import _short

    prefix = "nec"
    charts = Charts(prefix)
    pub = result.published
    a = result.assumptions
    n = len(result.runs)
    slates = [_short(s) for s in result.slates]
    intro = f'<p class="synthetic" role="note">{_e(SYNTHETIC)}</p>\n'

    totals = table(
        "Published totals (block vote, up to six X votes)",
        ["Candidate", "Slate", "Votes", "Elected"],
        (
            (name, [_short(pub.slates[name]), whole(v), "yes" if name in pub.winners else ""])
            for name, v in sorted(pub.totals.items(), key=lambda kv: -kv[1])
        ),
        "published",
    )
    exact = sum(r.exact for r in result.runs)
    block = "-".join(str(result.runs[0].seats["block-vote"].get(s, 0)) for s in result.slates)
    body = [
        section(
            f"{prefix}-published",
            "What was published",
            [
                totals,
                f"<p>The block vote of every reconstruction gives the published totals "
                f"exactly: {_e(exact)} of {_e(n)}, electing the published six "
                f"({_e(block)} by slate: {_e(', '.join(slates))}).</p>",
            ],
        )
    ]

    dists = {m: result.distribution(m) for m in a.methods}
    keys = sorted({k for d in dists.values() for k in d}, key=lambda k: k, reverse=True)
    labels = ["-".join(map(str, k)) for k in keys]
    headers = [f"Seats ({' – '.join(slates)})"]
    for m in a.methods:
        headers += [f"{m} reconstructions", f"{m} share (%)"]
    rows = []
    for k, lab in zip(keys, labels):
        cells = []
        for m in a.methods:
            v = dists[m].get(k, 0)
            cells += [str(v), pct(100 * v / n) if n else "-"]
        rows.append((lab, cells))
    dist_table = table(
        "Seats per slate under each rule: how many reconstructions gave each split",
        headers,
        rows,
        "distribution",
    )
    traces = []
    for j, m in enumerate(a.methods):
        ys = [100 * dists[m].get(k, 0) / n if n else 0.0 for k in keys]
        traces.append(
            {
                "type": "bar",
                "name": chart_text(m),
                "x": [chart_text(lab) for lab in labels],
                "y": [float(y) for y in ys],
                "text": [pct(y) + "%" for y in ys],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": chart_text(m)
                + " · %{x}: %{text} of reconstructions<extra></extra>",
                "marker": {"color": PALETTE[j % len(PALETTE)]},
            }
        )
    fig = {
        "data": traces,
        "layout": {
            "title": {"text": "Seats per slate under each rule, across reconstructions"},
            "barmode": "group",
            "xaxis": {
                "title": {"text": f"seats ({' – '.join(slates)})"},
                "type": "category",
                "fixedrange": True,
            },
            "yaxis": {
                "title": {"text": "share of reconstructions (%)"},
                "range": [0, 115],
                "fixedrange": True,
            },
            "height": 440,
            "margin": {"l": 60, "r": 10, "t": 50, "b": 60},
            "legend": {"orientation": "h", "y": -0.25},
            "font": {"size": 13},
        },
    }
    words = "; ".join(
        f"{m}: "
        + ", ".join(
            f"{lab} in {pct(100 * dists[m][k] / n)}%"
            for k, lab in zip(keys, labels)
            if k in dists[m]
        )
        for m in a.methods
    )
    means = table(
        "Mean seats per slate",
        ["Rule", *slates],
        ((m, [two(v) for v in result.mean_seats(m).values()]) for m in a.methods),
        "means",
    )
    body.append(
        section(
            f"{prefix}-seats",
            "Seats per slate under each rule",
            [
                dist_table,
                charts.add(
                    fig,
                    "Bar chart of the share of reconstructions giving each split of the six "
                    f"seats ({' – '.join(slates)}), a bar per rule. {words}.",
                    "The share of the synthetic electorates in which each split of the seats "
                    "came out, a bar per rule. The figures are in the table above.",
                ),
                means,
            ],
        )
    )

    drivers = []
    if "meek-stv" in a.methods:
        for label, key, lo_hi in (
            ("crossover", "crossover", a.crossover),
            ("unaligned share", "unaligned", a.unaligned),
            ("six-vote share", "full", a.full),
            ("independents' own bloc", "independents", a.independents),
        ):
            mid = (lo_hi[0] + lo_hi[1]) / 2
            for tag, rs in (
                ("below", [r for r in result.runs if getattr(r, key) < mid]),
                ("at or above", [r for r in result.runs if getattr(r, key) >= mid]),
            ):
                ms = result.mean_seats("meek-stv", rs)
                drivers.append(
                    (
                        f"{label} {tag} {mid:.2f}",
                        [str(len(rs)), *(two(ms[s]) if ms else "-" for s in result.slates)],
                    )
                )
    assumptions = [
        (
            "crossover",
            f"{a.crossover[0]:.2f}–{a.crossover[1]:.2f}",
            "the chance that a slate voter's mark for a fellow slate member goes to a "
            "candidate ranked among all the rest instead",
        ),
        (
            "unaligned",
            f"{a.unaligned[0]:.2f}–{a.unaligned[1]:.2f}",
            "the share of voters following no slate (ranking by popularity); the rest split "
            "by their slate's share of the marks",
        ),
        (
            "full",
            f"{a.full[0]:.2f}–{a.full[1]:.2f}",
            "the share using all six votes (the rest use 1–5)",
        ),
        (
            "independents",
            f"{a.independents[0]:.2f}–{a.independents[1]:.2f}",
            "how far the non-slate candidates' votes come from a bloc of their own supporters "
            "(1) rather than from unaligned voters (0)",
        ),
    ]
    body.append(
        section(
            f"{prefix}-assumptions",
            "The assumptions that drive the STV outcome",
            [
                f"<p>{_e(SYNTHETIC)}</p>",
                table(
                    "Assumptions, drawn uniformly for each reconstruction",
                    ["Assumption", "Range", "Meaning"],
                    ((k, [r, t]) for k, r, t in assumptions),
                    "assumptions",
                ),
                "<p>Fixed: a voter's marks are ranked in the order the model drew them (own "
                "slate first, by popularity) and nobody ranks a seventh candidate. The STV "
                "result turns on these assumptions: how many members there were (the quota), "
                "how loyal slate voters were, and where the independents' and unaligned "
                "voters' papers go. The block vote does not: it always gives 6-0.</p>",
                table(
                    "Mean seats under meek-stv, on either side of each range's midpoint",
                    ["Assumption", "Reconstructions", *slates],
                    drivers,
                    "drivers",
                )
                if drivers
                else "",
            ],
        )
    )
    voters = [r.voters for r in result.runs]
    uniq = [r.unique_ballots for r in result.runs]
    source = pub.source.split("Source: ")[-1].split("\n\n")[0].replace("\n", " ")
    body.append(
        section(
            f"{prefix}-source",
            "Source and run",
            [
                f"<p>Source of the totals: {_e(source)}</p>",
                f"<p>{_e(n)} reconstructions, seed {_e(a.seed)}; papers per electorate "
                f"{_e(whole(min(voters)))}–{_e(whole(max(voters)))}; unique ballots per "
                f"profile {_e(min(uniq))}–{_e(max(uniq))}.</p>"
                if n
                else "",
            ],
        )
    )
    articles = [
        charted_article(prefix, "Labour NEC 2016, constituency section: 6 seats", body, charts)
    ]
    return page("Labour NEC 2016 under other rules (synthetic ballots)", articles, intro)
