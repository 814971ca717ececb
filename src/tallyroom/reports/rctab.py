"""RCTab's detailed report layout (``*_expected_detailed_report.json``), as a pure function
of a count record, so that an RCTab user can set tallyroom's count beside RCTab's.

Per round: ``tally`` (each continuing candidate's votes), ``threshold``, and
``tallyResults`` naming who is eliminated and elected in the round, with the votes the
elimination moves in the next round (``transfers``, exhausted votes under "exhausted") when
one candidate is eliminated.  RCTab names an eliminated candidate in the round it decides so;
tallyroom's STV rules record an exclusion at the stage its papers move, so their exclusions
are reported one round earlier here.  What RCTab reports and tallyroom does not record --
the inactive ballots split by reason (``inactiveBallots``) -- is left out rather than
guessed.  Numbers are decimal strings (an exact ratio when they do not end).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from tallyroom.errors import RuleError
from tallyroom.record import CountRecord

UWI = "Undeclared Write-ins"

#: rules whose stages name an exclusion where it is decided (as RCTab does)
DECIDED_AT = ("irv", "bottoms-up", "multi-pass-irv")


def _num(x: Any) -> str:
    f = Fraction(x)
    if f.denominator == 1:
        return str(f.numerator)
    d = f.denominator
    places = 0
    while d % 10 and places < 40:
        if d % 2 == 0:
            d //= 2
        elif d % 5 == 0:
            d //= 5
        else:
            return f"{f.numerator}/{f.denominator}"
        places += 1
    while f * 10**places != int(f * 10**places):
        places += 1
    scaled = int(f * 10**places)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def detailed_report(
    record: CountRecord,
    *,
    generated_by: str = "tallyroom",
    part: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The record in RCTab's detailed-report JSON layout (``jsonFormatVersion`` 1).

    ``part``: ("precinct" or "batch", its name) for a record of one precinct's or batch's
    papers through the contest's rounds (``tallyroom.rctab.tabulate_part``): RCTab's
    per-precinct and per-batch report, its ``config`` naming the part."""
    shift = 0 if record.method in DECIDED_AT else 1
    stages = record.stages
    results = []
    for k, st in enumerate(stages):
        at = k + shift
        out = list(stages[at].excluded) if at < len(stages) else []
        moved = stages[k + 1].transfers if k + 1 < len(stages) else {}
        tally_results: list[dict[str, Any]] = []
        for x in sorted(out):
            transfers: dict[str, str] = {}
            if len(out) == 1 and k + 1 < len(stages):
                transfers = {c: _num(v) for c, v in sorted(moved.items()) if v > 0}
                gone = stages[k + 1].exhausted - st.exhausted
                if gone:
                    transfers["exhausted"] = _num(gone)
            tally_results.append({"eliminated": x, "transfers": transfers})
        # RCTab's report names the candidates elected in one round by name
        tally_results += [{"elected": w, "transfers": {}} for w in sorted(st.elected)]
        results.append(
            {
                "round": k + 1,
                "tally": {c: _num(v) for c, v in sorted(st.totals.items())},
                "tallyResults": tally_results,
                "threshold": _num(st.quota) if st.quota is not None else "",
            }
        )
    final = next((s.quota for s in reversed(stages) if s.quota is not None), None)
    config = {
        "contest": record.election_title,
        "date": record.date,
        "generatedBy": generated_by,
        "jurisdiction": record.organisation,
        "office": record.office,
    }
    if part is not None:
        config[part[0]] = part[1]
    return {
        "config": dict(sorted(config.items())),
        "jsonFormatVersion": "1",
        "results": results,
        "summary": {
            "finalThreshold": _num(final) if final is not None else "",
            "numCandidates": len(record.candidates),
            "numWinners": record.seats,
            "totalNumBallots": _num(record.ballots_read),
            "undervotes": int(record.invalid.get("blank", 0)),
        },
    }


def dumps(record: CountRecord) -> str:
    return json.dumps(detailed_report(record), indent=2, ensure_ascii=False) + "\n"


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: over UTF-16 code units, ``h = 31 * h + c`` in 32 bits."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def java_hash_set_order(names: Sequence[str]) -> list[str]:
    """The iteration order of ``new HashSet<>(names)`` (RCTab keeps candidates in hash
    sets and maps): by bucket (the spread hash
    ``h ^ (h >>> 16)`` masked to the table size), then in the order the names came."""
    size = 16
    while size < int(len(names) / 0.75) + 1:
        size *= 2

    def bucket(n: str) -> int:
        h = java_string_hash(n)
        return (h ^ (h >> 16)) & (size - 1)

    return sorted(names, key=bucket)  # sorted() is stable: ties keep the given order


#: the rules whose rounds RCTab's detailed CSV lays out as tallyroom records them
CSV_RULES = ("irv", "bottoms-up", "minneapolis-stv")


def _pct(votes: Fraction, total: Fraction) -> str:
    """RCTab's "% of vote": votes / total to 7 significant digits (Java's DECIMAL32,
    half-even), truncated at hundredths of a percent, printed as a Java double."""
    import decimal

    ctx = decimal.Context(prec=7, rounding=decimal.ROUND_HALF_EVEN)
    q = ctx.divide(
        decimal.Decimal(votes.numerator) * total.denominator,
        decimal.Decimal(total.numerator) * votes.denominator,
    )
    hundredths = int(q.scaleb(4))  # intValue(): toward zero
    return f"{hundredths / 100.0!r}%"


def pass_record(record: CountRecord, k: int) -> CountRecord:
    """Pass ``k`` (1, 2 ...) of a multi-pass-irv record as a record of its own: its rounds
    numbered from 1, its winner, its ties, one seat, the earlier passes' winners left out
    (RCTab writes a report per pass: ``<name>_<k>_expected_detailed_report``)."""
    from dataclasses import replace

    if record.method != "multi-pass-irv":
        raise RuleError(f"{record.method} is not a multi-pass count")
    mine = [st for st in record.stages if st.extra.get("pass") == k]
    if not mine:
        raise RuleError(f"the count has no pass {k}")
    before = mine[0].number - 1
    earlier = [w for st in record.stages if st.extra.get("pass", k) < k for w in st.elected]
    return replace(
        record,
        seats=1,
        stages=tuple(replace(st, number=st.number - before) for st in mine),
        elected=tuple(w for st in mine for w in st.elected),
        ties=tuple(
            replace(t, stage=t.stage - before)
            for t in record.ties
            if mine[0].number <= t.stage <= mine[-1].number
        ),
        withdrawn=(*record.withdrawn, *earlier),
        extra={**dict(record.extra), "pass": k},
    )


def detailed_csv(
    record: CountRecord,
    *,
    part: tuple[str, str] | None = None,
    contest: CountRecord | None = None,
) -> str:
    """The record in RCTab's detailed-report CSV layout (``CSV Format Version`` 1), for the
    single-winner (``irv``) and bottoms-up counts.  The four rows of inactive ballots by
    reason (overvotes, skipped rankings, exhausted choices, repeated rankings) are left
    out: tallyroom does not record why a paper became inactive; their total is written.

    ``part`` ("precinct" or "batch", its name) and ``contest`` (the whole count): a record of
    one precinct's or batch's papers (``tallyroom.rctab.tabulate_part``) laid out as RCTab's
    per-precinct (per-batch) CSV: the part named where the final threshold stands, the
    decisions marked "†" as the whole contest's (with its tie-break marks), the
    candidates in the contest's order, no threshold row."""
    import csv
    import io

    multi_pass = record.method == "multi-pass-irv"
    if multi_pass and "pass" not in record.extra:
        raise RuleError(
            "rctab-csv lays out a multi-pass count one pass at a time, as RCTab writes a "
            "report per pass (tallyroom.reports.rctab.pass_record)"
        )
    if record.method not in CSV_RULES and not multi_pass:
        raise RuleError(
            f"rctab-csv lays out {', '.join(CSV_RULES)} counts; {record.method} is not one "
            "(rctab-json lays out every count)"
        )
    stages = record.stages
    n = len(stages)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    winners = [x for st in stages for x in sorted(st.elected)]
    final = stages[-1].quota if stages else None
    pct_mode = record.options.get("percentage") not in (None, "")
    single = record.method == "irv"
    stv = record.method == "minneapolis-stv"
    w.writerow(["Contest Information"])
    w.writerow(["Generated By", "tallyroom"])
    w.writerow(["CSV Format Version", "1"])
    w.writerow(["Type of Election", "Single-Winner" if single else "Multi-Winner"])
    w.writerow(["Contest", record.election_title])
    w.writerow(["Jurisdiction", record.organisation])
    w.writerow(["Office", record.office])
    w.writerow(["Date", record.date])
    w.writerow(["Winner(s)", ", ".join(winners)])
    if part is not None:
        w.writerow([part[0].title(), part[1]])
    else:
        w.writerow(["Final Threshold", _num(final) if final is not None else ""])
    w.writerow([])
    blank = Fraction(record.invalid.get("blank", 0))
    w.writerow(["Contest Summary"])
    w.writerow(
        [
            "Number to be Elected",
            f"All candidates over the {record.options['percentage']}% threshold"
            if pct_mode
            else str(record.seats),
        ]
    )
    # RCTab counts the candidates not excluded (config.getNumCandidates)
    w.writerow(["Number of Candidates", len(record.candidates) - len(record.withdrawn)])
    w.writerow(["Total Number of Ballots", _num(record.ballots_read)])
    w.writerow(["Number of Undervotes (No Rankings)", _num(blank)])
    w.writerow([])
    head = ["Rounds"]
    for k in range(1, n + 1):
        head += [f"Round {k} Votes", "% of vote", "transfer"]
    w.writerow(head)
    # a decision a tie-break made is marked "*": the candidate it excluded, or the winner
    # of a tie of the last two (RCTab's "selecting a winner")
    # (STV: the ties for exclusion, and for election when one is elected a round; the
    # order in which candidates elected together are recorded, or their surpluses moved,
    # is no decision of RCTab's)
    one = record.options.get("elect_per_stage") == "one"
    ties = [
        t
        for t in record.ties
        if not stv or t.purpose == "exclusion" or (one and t.purpose == "order of election")
    ]
    out_by_tie = {(t.stage, t.chosen) for t in ties}
    in_tie = {(t.stage, x) for t in ties for x in t.tied}
    dagger = "" if part is None else "\u2020"

    def action(names: Sequence[str], k: int, marked: set[tuple[int, str]]) -> str:
        return "; ".join(
            x + ("*" if (k, x) in marked or (stv and (k + 1, x) in marked) else "")
            for x in sorted(names)
        )

    # RCTab names a candidate eliminated in the round it decides so; tallyroom's STV
    # stages, at the stage their papers move (the next)
    out_at = [
        (stages[k + 1].excluded if k + 1 < n else ()) if stv else st.excluded
        for k, st in enumerate(stages)
    ]
    w.writerow(
        [
            "Eliminated" + dagger,
            *(
                c
                for st, out_k in zip(stages, out_at)
                for c in (action(out_k, st.number, out_by_tie), "", "")
            ),
        ]
    )
    w.writerow(
        [
            "Elected" + dagger,
            *(c for st in stages for c in (action(st.elected, st.number, in_tie), "", "")),
        ]
    )
    whole = contest if contest is not None else record
    first = whole.stages[0].totals if whole.stages else {}
    # RCTab's order: by round 1's votes, most first, the write-ins last; candidates with
    # equal votes as a Java HashMap of their names iterates them
    order = sorted(
        java_hash_set_order([c for c in record.candidates if c in first]),
        key=lambda c: (c == UWI, -Fraction(first[c])),
    )
    active = [sum((Fraction(v) for v in st.totals.values()), Fraction(0)) for st in stages]
    loss = [Fraction(st.loss) for st in stages] if stv else [Fraction(0)] * n
    # STV: a surplus moved in the last round, when no candidate continues to take it, is
    # RCTab's "Final Round Surplus", still counted among the active ballots
    final_surplus: Fraction | None = None
    if stv and n >= 2 and stages[-1].action == "surplus":
        final_surplus = Fraction(stages[-1].exhausted) - Fraction(stages[-2].exhausted)
        active[-1] += final_surplus
    # the "% of vote" divisor: round 1's votes for bottoms-up to a number of seats, STV and
    # with doesFirstRoundDetermineThreshold, else the round's own
    fixed = (
        stv
        or multi_pass
        or bool(record.options.get("first_round_threshold"))
        or (record.method == "bottoms-up" and not pct_mode)
    )
    for c in order:
        row = [c]
        for k, st in enumerate(stages):
            v = Fraction(st.totals.get(c, 0))
            nxt = Fraction(stages[k + 1].totals.get(c, 0)) if k + 1 < n else v
            total = active[0] if fixed else active[k]
            row += [_num(v), _pct(v, total) if total else "", _num(nxt - v)]
        w.writerow(row)
    w.writerow(["Active Ballots", *(c for a in active for c in (_num(a), "", ""))])
    if part is None:
        w.writerow(
            [
                "Current Round Threshold",
                *(
                    c
                    for st in stages
                    for c in (_num(st.quota) if st.quota is not None else "", "", "")
                ),
            ]
        )
    inactive = [Fraction(record.ballots_read) - blank - a - x for a, x in zip(active, loss)]
    row = ["Inactive Ballots Total"]
    for k, x in enumerate(inactive):
        row += [_num(x), "", _num(inactive[k + 1] - x) if k + 1 < n else "0"]
    w.writerow(row)
    if stv:
        if any(loss):
            # what the surplus fractions' rounding left with no candidate (tallyroom's loss)
            w.writerow(["Residual surplus", *(c for x in loss for c in (_num(x), "", ""))])
        cells = [""] * (3 * n)
        if final_surplus is not None:
            cells[-3] = _num(final_surplus)
        w.writerow(["Final Round Surplus", *cells])
    if part is not None:
        w.writerow([])
        w.writerow(
            [
                "\u2020Elect/Eliminate decisions are from the full contest. All other results "
                f"on this report are at the {part[0]} level."
            ]
        )
    if ties:
        w.writerow([])
        w.writerow(["*Tie resolved in accordance with election law"])
    return out.getvalue()
