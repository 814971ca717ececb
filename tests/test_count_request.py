"""The count request: withdrawals, attributes, constraints, countback, ballot rules and tie
rules in one typed call (``run_count``) that the CLI, ``compare`` and a service all use; tie
options that contradict each other are refused up front; a returning officer's decision is
a typed :class:`DecisionNeeded`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tallyroom.ballots.formats import read
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.cli import main
from tallyroom.errors import DecisionNeeded, ElectionError, RuleError, TallyroomError
from tallyroom.rules import count
from tallyroom.rules.constraints import parse_constraint
from tallyroom.rules.request import CountRequest, TieRules, run_count

DATA = Path(__file__).parent / "data"
WARD = DATA / "scotland" / "ballots" / "aberdeen_2017_ward1.blt"


def profile(names: str, seats: int, ballots: list[tuple[int, str]]) -> Profile:
    election = Election(tuple(Candidate(n) for n in names), seats)
    return Profile.build(election, [(tuple(names.index(c) for c in b), n) for n, b in ballots])


#: a three-way tie for the one seat, and no earlier stage to separate them
TIED = profile("ABC", 1, [(4, "A"), (4, "B"), (4, "C")])
#: no tie at all
CLEAR = profile("ABC", 1, [(5, "A"), (4, "B"), (3, "C")])


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


# -- the request does what the CLI used to do by hand --------------------------------------
def test_withdrawal_as_the_file_would_have_it() -> None:
    p = read(WARD)
    name = p.election.names[2]
    by_hand = count(p.with_election(p.election.with_changes(withdrawn={2})), "scottish-stv", seed=3)
    asked = run_count(p, CountRequest("scottish-stv", withdrawn=(name,), ties=TieRules(seed=3)))
    assert asked == by_hand
    assert asked.withdrawn == (name,)


def test_attributes_and_constraints_as_objects() -> None:
    p = profile("ABCD", 2, [(10, "AB"), (9, "BA"), (8, "CD"), (2, "DC")])
    request = CountRequest(
        "block-vote",
        attributes={"A": {"gender": "man"}, "B": {"gender": "man"}, "C": {"gender": "woman"}},
        constraints=(parse_constraint("gender=woman:min=1"),),
    )
    r = run_count(p, request)
    assert "C" in r.elected and len(r.elected) == 2
    assert r.options["constraints"] == ("gender=woman:min=1",)
    assert request.given()["constraints"] == ["gender=woman:min=1"]


def test_countback() -> None:
    p = read(WARD)
    first = count(p, "scottish-stv")
    departed = first.elected[0]
    r = run_count(p, CountRequest("scottish-stv", countback=departed))
    assert departed not in r.elected and r.extra["countback"]["vacated_by"] == departed


def test_ballot_rules_must_match_the_profile() -> None:
    with pytest.raises(RuleError, match="ballot rules"):
        run_count(CLEAR, CountRequest("irv", ballot_rules=BallotRules(duplicates="exhaust")))
    assert run_count(CLEAR, CountRequest("irv", ballot_rules=BallotRules())).elected == ("A",)


def test_tie_options_are_not_rule_options() -> None:
    with pytest.raises(RuleError, match="tie rules"):
        CountRequest("irv", options={"seed": 4})


def test_compare_uses_the_request() -> None:
    from tallyroom.analysis.compare import compare

    c = compare(TIED, ["irv", "fptp"], options={"irv": {"seed": 9}})
    assert [o.method for o in c.outcomes] == ["irv", "fptp"]
    assert c.outcomes[0].elected == count(TIED, "irv", seed=9).elected


# -- tie options that contradict each other: refused before counting (issue 13) -------------
def test_decisions_need_the_decision_fallback() -> None:
    with pytest.raises(RuleError, match="decision"):
        TieRules(decisions=("A",))
    with pytest.raises(RuleError, match="decision"):
        TieRules(fallback="lot", decisions=("A",))
    # the library call refuses it too, though no tie happens
    with pytest.raises(RuleError, match="decision"):
        count(CLEAR, "irv", decisions=["A"])


def test_tie_order_only_with_the_order_fallback() -> None:
    with pytest.raises(RuleError, match="tie order"):
        TieRules(fallback="lot", order=("A", "B", "C"))
    with pytest.raises(RuleError, match="tie order"):
        count(CLEAR, "scottish-stv", tie_fallback="lot", tie_order=["A", "B", "C"])
    # without a fallback, an order means "order"
    r = count(TIED, "scottish-stv", tie_order=["B", "A", "C"])
    assert r.ties[0].method == "given order"


def test_unknown_names_in_the_tie_order_found_before_any_tie() -> None:
    with pytest.raises(ElectionError, match="'Zed'"):
        count(CLEAR, "irv", tie_order=["A", "Zed", "B", "C"])
    with pytest.raises(ElectionError, match="'Zed'"):
        run_count(CLEAR, CountRequest("irv", ties=TieRules(order=("A", "Zed"))))
    with pytest.raises(ElectionError, match="'Zed'"):
        run_count(
            CLEAR, CountRequest("irv", ties=TieRules(fallback="decision", decisions=("Zed",)))
        )
    with pytest.raises(RuleError, match="more than once"):
        count(CLEAR, "irv", tie_order=["A", "B", "A", "C"])


def test_names_in_the_request_are_matched_as_the_election_spells_them() -> None:
    r = run_count(TIED, CountRequest("scottish-stv", ties=TieRules(order=("b", "a", "c"))))
    assert r.ties[0].chosen in ("A", "B", "C") and r.ties[0].method == "given order"


def test_cli_refuses_conflicting_tie_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "count", WARD, "-m", "scottish-stv", "--decision", "X")
    assert code == 2 and not out and "decision" in err and "Traceback" not in err
    code, out, err = run(
        capsys, "count", WARD, "-m", "irv", "--tie-break", "lot", "--tie-order", "A,B"
    )
    assert code == 2 and not out and "tie order" in err
    names = read(WARD).election.names
    order = ",".join((*names[:-1], "Nobody At All"))
    code, out, err = run(capsys, "count", WARD, "-m", "scottish-stv", "--tie-order", order)
    assert code == 2 and not out and "'Nobody At All'" in err


# -- a returning officer's decision, typed ---------------------------------------------------
def test_decision_needed_is_typed_and_replayable() -> None:
    with pytest.raises(DecisionNeeded) as e:
        count(TIED, "scottish-stv", tie_fallback="decision")
    need = e.value
    assert isinstance(need, RuleError) and isinstance(need, TallyroomError)
    assert need.tied == ("A", "B", "C") and need.stage >= 1 and need.purpose
    assert "--" not in str(need)  # no command-line words in a library error
    # the service asks, then replays with the answers so far, until no tie is left open
    decisions = [need.tied[1]]
    while True:
        try:
            r = count(TIED, "scottish-stv", tie_fallback="decision", decisions=decisions)
            break
        except DecisionNeeded as again:
            assert again.stage > need.stage
            decisions.append(again.tied[0])
    asked = [t for t in r.ties if t.method == "returning officer's decision"]
    assert [t.chosen for t in asked] == decisions and decisions[0] == "B"


def test_cli_says_how_to_give_the_decision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blt = tmp_path / "tied.blt"
    blt.write_text('3 1\n4 1 0\n4 2 0\n4 3 0\n0\n"A"\n"B"\n"C"\n"Tied"\n')
    code, out, err = run(capsys, "count", blt, "-m", "scottish-stv", "--tie-break", "decision")
    assert code == 2 and "--decision NAME" in err and "A, B, C" in err


# -- -o onto the ballot file (issue 13) ----------------------------------------------------
def test_output_onto_the_ballot_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blt = tmp_path / "ward.blt"
    blt.write_bytes(WARD.read_bytes())
    code, out, err = run(capsys, "count", blt, "-m", "scottish-stv", "-o", blt)
    assert code == 2 and "destroy" in err
    assert blt.read_bytes() == WARD.read_bytes()
