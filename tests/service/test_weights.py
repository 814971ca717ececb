"""Vote weights (issue 16: a co-operative or a union whose members hold different numbers
of votes): the roll's weight column, exact from the file to the count, never a float.

The hand-worked election below (a 1-seat instant-runoff Chair and a yes/no motion) is
built so that the weights decide it:

====== ====== ===================== ========
member weight  Chair (preferences)   Motion
====== ====== ===================== ========
M1     5      Ash, Birch            yes
M2     2.5    Birch                 no
M3     2.5    Birch, Ash            no
M4     1      Cedar, Birch          no
M5     1.5    Cedar, Ash            no
M6     3      (does not vote)
====== ====== ===================== ========

Chair, weighted: first preferences Ash 5, Birch 2.5 + 2.5 = 5, Cedar 1 + 1.5 = 5/2; Cedar
is excluded, M4's 1 goes to Birch and M5's 3/2 to Ash: Ash 13/2, Birch 6, and Ash is
elected (13/2 of the 25/2 cast). One member one vote would have elected Birch (Ash 1,
Birch 2, Cedar 2: Ash excluded first, M1 to Birch, Birch 3 to Cedar's 2).
Motion: yes 5, no 2.5 + 2.5 + 1 + 1.5 = 15/2.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select

from tallyroom.cli import main as cli_main
from tallyroom.service import core, schema

from .conftest import admin_of, emailed_codes, spec

CHAIR = {"title": "Chair", "rule": "irv", "candidates": ["Ash", "Birch", "Cedar"]}
MOTION = {"title": "Motion", "rule": "fptp", "ballot_type": "yesno"}
ROLL = """number,name,email,shares
M1,One,m1@example.org,5
M2,Two,m2@example.org,2.5
M3,Three,m3@example.org,2.50
M4,Four,m4@example.org,1
M5,Five,m5@example.org,1.5
M6,Six,m6@example.org,003
"""
VOTES = {  # member: (Chair: {candidate index: preference}, Motion: [0] yes / [1] no)
    "m1": ({"0": 1, "1": 2}, [0]),
    "m2": ({"1": 1}, [1]),
    "m3": ({"1": 1, "0": 2}, [1]),
    "m4": ({"2": 1, "1": 2}, [1]),
    "m5": ({"2": 1, "0": 2}, [1]),
}


def _weighted(svc, contests=(CHAIR, MOTION)):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(list(contests)) | {"weighted": True})
    core.import_roll(svc, a, eid, ROLL, {"weight": "shares"})
    return a, eid


def test_the_weights_decide_the_count_exactly(svc, tmp_path: Path):
    a, eid = _weighted(svc)
    cert = core.open_election(svc, a, eid)
    assert cert["weights"] == {
        "total": "15.5",  # 5 + 2.5 + 2.5 + 1 + 1.5 + 3
        "slots_by_weight": {"1": 1, "1.5": 1, "2.5": 2, "3": 1, "5": 1},
        "slots_with_a_weight_no_other_holds": 4,  # 1, 1.5, 3 and 5
    }
    core.run_due_jobs(svc)
    codes = emailed_codes(svc.outbox)
    chair, motion = (c["id"] for c in core.election_info(svc, a, eid)["contests"])
    for who, (ranking, yesno) in VOTES.items():
        slot = core.enter_code(svc, eid, codes[f"{who}@example.org"])
        core.cast(svc, eid, slot["slot"], slot["issue"], {chair: ranking, motion: yesno})
    core.close_election(svc, a, eid)

    got = {r["title"]: r for r in core.result(svc, eid)}
    rec = json.loads(got["Chair"]["record_json"])
    assert got["Chair"]["elected"] == ["Ash"]
    totals = [s["totals"] for s in rec["stages"]]
    as_fractions = [{k: Fraction(v) for k, v in t.items() if Fraction(v)} for t in totals]
    assert as_fractions[0] == {"Ash": 5, "Birch": 5, "Cedar": Fraction(5, 2)}
    assert as_fractions[-1] == {"Ash": Fraction(13, 2), "Birch": 6}
    assert Fraction(got["Chair"]["valid"]) == Fraction(25, 2)
    assert got["Motion"]["elected"] == ["No"]
    mrec = json.loads(got["Motion"]["record_json"])
    assert {k: Fraction(v) for k, v in mrec["stages"][0]["totals"].items()} == {
        "Yes": 5,
        "No": Fraction(15, 2),
    }

    # the published BLT holds the weights exactly and recounts to the same result
    blt = tmp_path / "chair.blt"
    blt.write_text(got["Chair"]["blt"])
    assert "2.5 2 0" in got["Chair"]["blt"]  # M2's paper: Birch, weight 2.5
    out = tmp_path / "recount.json"
    with pytest.raises(SystemExit) as done:
        cli_main(["count", str(blt), "--method", "irv", "--format", "json", "-o", str(out)])
    assert done.value.code == 0
    recount = json.loads(out.read_text())
    recount = recount[0] if isinstance(recount, list) else recount
    assert recount["elected"] == ["Ash"]
    assert [s["totals"] for s in recount["stages"]] == totals

    rep = core.scrutineer_report(svc, a, eid)
    assert rep["election"]["weighted"] is True
    assert rep["roll_certificate"]["weights"]["total"] == "15.5"
    assert rep["papers_in_ballot_box"] == 5 and rep["slots_marked_voted"] == 5


def test_the_box_keeps_the_weight_and_nothing_else_of_the_voter(svc):
    a, eid = _weighted(svc, (MOTION,))
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    codes = emailed_codes(svc.outbox)
    (motion,) = (c["id"] for c in core.election_info(svc, a, eid)["contests"])
    for who in ("m2", "m5"):
        slot = core.enter_code(svc, eid, codes[f"{who}@example.org"])
        core.cast(svc, eid, slot["slot"], slot["issue"], {motion: [1]})
    with svc.engine.begin() as conn:
        rows = conn.execute(select(schema.ballot)).all()
    assert sorted(r.weight for r in rows) == ["1.5", "2.5"]
    assert set(rows[0]._mapping) == {"id", "contest_id", "tracker", "content", "weight"}


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1/3", "line 3, column shares: '1/3' is not a weight; expected a whole number or a decimal such as 2.5"),
        ("0", "line 3, column shares: a weight of 0; leave a member who may not vote off the roll"),
        ("-2", "line 3, column shares: '-2' is not a weight"),
        ("2e3", "line 3, column shares: '2e3' is not a weight"),
        ("", "line 3, column shares: member M2 has no weight"),
    ],
)  # fmt: skip
def test_a_bad_weight_is_refused_with_its_line(svc, cell, message):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec([MOTION]) | {"weighted": True})
    roll = f"number,name,shares\nM1,One,1\nM2,Two,{cell}\n"
    with pytest.raises(core.RollError) as err:
        core.import_roll(svc, a, eid, roll, {"weight": "shares"})
    assert err.value.errors[0].startswith(message)


def test_a_weighted_election_needs_the_column_and_one_vote_each_refuses_weights(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec([MOTION]) | {"weighted": True})
    with pytest.raises(core.RollError, match="no column 'weight' for the member's vote weight"):
        core.import_roll(svc, a, eid, "number,name\nM1,One\n")
    plain = core.create_election(svc, a, spec([MOTION]))
    with pytest.raises(core.RollError, match="line 3, column weight: weight 2, but this election"):
        core.import_roll(svc, a, plain, "number,name,weight\nM1,One,1\nM2,Two,2\n")
    # weights of 1 (or blank) in an unweighted election are one vote each: taken
    got = core.import_roll(svc, a, plain, "number,name,weight\nM1,One,1\nM2,Two,\n")
    assert got["eligible"] == 2
    with pytest.raises(core.ServiceError, match="weighted: expected true or false"):
        core.create_election(svc, a, spec([MOTION]) | {"weighted": "yes"})


def test_a_rule_that_counts_whole_weights_only_is_refused_at_the_opening(svc):
    a, eid = _weighted(svc, ({"title": "Board", "rule": "meek-stv", "seats": 1,
                              "candidates": ["Ash", "Birch", "Cedar"]},))  # fmt: skip
    with pytest.raises(core.ServiceError) as err:
        core.open_election(svc, a, eid)
    assert str(err.value).startswith(
        "contest 'Board' cannot be counted with the roll's weights: meek-stv"
    )
    assert core.election_info(svc, a, eid)["state"] == "draft"


def test_a_sealed_election_refuses_weights_at_the_opening(svc):
    from tallyroom.service import sealed

    a, eid = _weighted(svc)
    with svc.engine.begin() as conn:  # as sealed.seal records it (the trustees' part aside)
        conn.execute(
            sealed.sealed_election.insert().values(
                election_id=eid, grp="Ed25519", board_seed="0" * 64, scrutineer_key="0" * 64
            )
        )
    with pytest.raises(core.ServiceError, match="a sealed election cannot carry vote weights"):
        core.open_election(svc, a, eid)


def test_an_unweighted_roll_hashes_as_before(svc):
    """The weight enters the roll's canonical hash only where the roll has one."""
    import hashlib

    a = admin_of(svc)
    eid = core.create_election(svc, a, spec([MOTION]))
    core.import_roll(svc, a, eid, "number,name\nM1,One\n")
    cert = core.open_election(svc, a, eid)
    fields = ("number", "name", "email", "address", "joined_on", "paid_until", "status",
              "section", "region", "birth_date")  # fmt: skip
    line = {f: None for f in fields} | {"number": "M1", "name": "One", "eligible": True}
    want = hashlib.sha256(
        json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    ).hexdigest()
    assert cert["roll_sha256"] == want


def test_the_form_makes_a_weighted_election(svc):
    from .test_admin_form import GOOD, post, signed_in

    a = admin_of(svc)
    client = signed_in(svc, a)
    r = post(client, GOOD | {"weighted": "1"})
    assert r.status_code == 200 and "election created" in r.text, r.text
    eid = str(r.url).rsplit("/", 1)[1].split("?")[0]
    assert core.election_info(svc, a, eid)["weighted"] is True
    r = post(client, GOOD)
    eid = str(r.url).rsplit("/", 1)[1].split("?")[0]
    assert core.election_info(svc, a, eid)["weighted"] is False


def test_x_votes_and_their_invalid_papers_are_weighed_too():
    """An X-vote for one: [Ann] at 2.5, [Bob] at 1, a blank at 3 and [Ann, Bob] (too many
    marks) at 1.5. Worked by hand: Ann 5/2, Bob 1; invalid: blank 3, too many marks 3/2."""
    import tallyroom

    contest = {
        "title": "Treasurer",
        "seats": 1,
        "ballot_type": "x",
        "max_marks": 1,
        "candidates": [{"name": "Ann"}, {"name": "Bob"}],
        "options": {},
        "constraints": [],
    }
    weights = [core.weight_of(w) for w in ("2.5", "1", "3", "1.5")]
    profile = core.profile_of(contest, [[0], [1], [], [0, 1]], weights=weights)
    assert dict(profile.invalid) == {"blank": 3, "more marks than votes allowed": Fraction(3, 2)}
    record = tallyroom.count(profile, "fptp")
    assert dict(record.stages[0].totals) == {"Ann": Fraction(5, 2), "Bob": 1}
    assert record.elected == ("Ann",)


def test_the_ballot_tells_the_voter_their_weight(svc):
    from fastapi.testclient import TestClient

    from tallyroom.service.web import create_app

    from .conftest import csrf_of

    a, eid = _weighted(svc, (MOTION,))
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    codes = emailed_codes(svc.outbox)
    client = TestClient(create_app(svc, run_jobs=False))
    for who, says in (("m2", "your paper counts 2.5 votes."), ("m4", "your paper counts 1 vote.")):
        page = client.get(f"/e/{eid}/vote")
        r = client.post(
            f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": codes[f"{who}@example.org"]}
        )
        assert says in r.text, r.text


def test_the_admin_page_states_the_weights(svc):
    from .test_admin_form import signed_in

    a, eid = _weighted(svc, (MOTION,))
    client = signed_in(svc, a)
    assert "the roll's <code>weight</code> column gives each" in client.get(f"/admin/e/{eid}").text
    core.open_election(svc, a, eid)
    page = client.get(f"/admin/e/{eid}").text
    assert "Weighted votes: 15.5 in all; 4 voting papers carry a weight no other holds" in page
