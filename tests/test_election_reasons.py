"""Every sheet says which test each elected candidate met (issue 12): the quota, ERS97's
5.4.9(b) threshold below the quota, or the last places filled.

The elections are the hand-worked one of ``test_ers97_clauses.py`` (5.4.9 in turn: A on the
quota, B and C on the 5.4.9(b) threshold, worked from the rule text there) and Aberdeen 2017
ward 1 under the Scottish rules, whose official sheet
(``tests/data/scotland/official-2017/aberdeen_2017_ward1.expected.json``) elects Gill SAMARAI
at stage 6 below the quota (1317.90720 against 1322) because the continuing candidates were
then no more than the places left (rule 50 of the Scottish Local Government Elections Order
2007).
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.reports import render
from tallyroom.rules import count

EXAMPLES = Path(__file__).parent.parent / "src" / "tallyroom" / "examples"
OFFICIAL = Path(__file__).parent / "data" / "scotland" / "official-2017"

IN_TURN = {
    "A": (1, "reached the quota"),
    "B": (
        2,
        "reached the ERS97 5.4.9(b) threshold below the quota "
        "(total active vote 100 / (places unfilled 2 + 1) = 33.333333333)",
    ),
    "C": (
        2,
        "reached the ERS97 5.4.9(b) threshold below the quota "
        "(total active vote 61 / (places unfilled 1 + 1) = 30.5)",
    ),
}


def _in_turn():  # noqa: ANN202
    names = "ABCDE"
    election = Election(tuple(Candidate(n) for n in names), 3)
    papers = [(40, "A"), (39, "B"), (38, "C"), (23, "D"), (20, "E")]
    p = Profile.build(election, [(tuple(names.index(c) for c in b), n) for n, b in papers])
    return count(p, "ers97-stv")


def test_record_gives_each_election_its_stage_and_test() -> None:
    assert _in_turn().election_reasons() == IN_TURN


def test_text_sheet_says_the_test_met() -> None:
    text = render([_in_turn()], "text")
    flat = " ".join(text.split())  # the sheet wraps long lines
    for k, (name, (stage, why)) in enumerate(IN_TURN.items(), 1):
        assert f"{k}. {name} (stage {stage}): {why}" in flat


def test_csv_says_the_test_met_on_the_row_of_the_election() -> None:
    table = list(csv.DictReader(io.StringIO(render([_in_turn()], "csv"))))
    got = {
        r["candidate"]: (int(r["stage"]), r["reason"])
        for r in table
        if r["reason"] and r["status"] == "elected"
    }
    assert got == IN_TURN
    # an exclusion's row carries its reason too; other rows none
    (excl,) = [r for r in table if r["status"] == "excluded" and r["reason"]]
    assert (excl["stage"], excl["candidate"]) == ("2", "E")
    assert sum(1 for r in table if r["reason"]) == 4


def test_html_and_json_say_the_test_met() -> None:
    r = _in_turn()
    html = render([r], "html")
    for name, (stage, why) in IN_TURN.items():
        assert f"<li>{name} (stage {stage}): {why}</li>" in html
    doc = json.loads(render([r], "json"))
    got = {
        e["candidate"]: (s["number"], e["reason"])
        for s in doc["stages"]
        for e in s["events"]
        if e["kind"] == "elected"
    }
    assert got == IN_TURN


def test_scottish_last_places_reason_on_the_text_sheet() -> None:
    sheet = json.loads((OFFICIAL / "aberdeen_2017_ward1.expected.json").read_text())
    (at,) = [e["count"] for e in sheet["elected_in_order"] if e["name"] == "Gill SAMARAI (SNP)"]
    votes = Fraction(sheet["stages"][at - 1]["totals"]["Gill SAMARAI (SNP)"])
    assert (at, votes < sheet["quota"]) == (6, True)  # elected below the quota, officially
    r = count(read_blt(EXAMPLES / "aberdeen_2017_ward1.blt"), "scottish-stv")
    why = r.election_reasons()
    stage, reason = why["Gill SAMARAI (SNP)"]
    assert stage == at
    assert reason.startswith("last places filled")
    assert why["Avril MACKENZIE (Con)"] == (1, "reached the quota")
    flat = " ".join(render([r], "text").split())
    assert f"4. Gill SAMARAI (SNP) (stage 6): {reason}" in flat
