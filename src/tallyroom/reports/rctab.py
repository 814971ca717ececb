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
from fractions import Fraction
from typing import Any

from tallyroom.record import CountRecord

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


def detailed_report(record: CountRecord, *, generated_by: str = "tallyroom") -> dict[str, Any]:
    """The record in RCTab's detailed-report JSON layout (``jsonFormatVersion`` 1)."""
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
    return {
        "config": {
            "contest": record.election_title,
            "date": record.date,
            "generatedBy": generated_by,
            "jurisdiction": record.organisation,
            "office": record.office,
        },
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
