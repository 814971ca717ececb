"""A candidate who can never be elected (``Candidate.electable``; attribute ``never-elected``):
RCTab's "Undeclared Write-ins", as a property of the candidate, not a name in a preset.

RCTab's rule (``Tabulator.identifyWinners`` and ``dropUndeclaredWriteIns``; its regression
sets ``uwi_cannot_win_test`` and ``multi_seat_uwi_test``, counted round by round against
RCTab's expected reports in ``tests/test_rctab_suite.py``): while the write-ins hold votes
nobody is elected, and they are eliminated first, on their own; with no votes they are
eliminated as any candidate is.  The small elections here are worked by hand from that rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tallyroom.audit import rerun, write_bundle
from tallyroom.ballots.model import NEVER_ELECTED, Candidate, Election, Profile
from tallyroom.errors import RuleError
from tallyroom.rctab import load_config
from tallyroom.rules import count

RCTAB = Path(__file__).parent / "data" / "rctab" / "test_data"
W = "Write-ins"


def profile(ballots: list[tuple[int, str]], seats: int = 1, never: bool = True) -> Profile:
    """Candidates A, B, C and W (the write-ins: never elected unless ``never`` is False);
    (papers, "AB") ranks A then B."""
    names = "ABCW"
    cands = tuple(
        Candidate(W if n == "W" else n, {NEVER_ELECTED: "yes"} if n == "W" and never else {})
        for n in names
    )
    return Profile.build(
        Election(cands, seats), [(tuple(names.index(c) for c in b), k) for k, b in ballots]
    )


# 9 papers: 3 "A", 1 "B", 5 "W" (the write-ins have a majority of first preferences).
# Round 1: A 3, B 1, C 0, W 5.  W holds votes: nobody is elected; W is eliminated alone,
#   its 5 papers exhaust.  Round 2: A 3, B 1, C 0 of 4 continuing: A has the majority.
UWI_CANNOT_WIN = [(3, "A"), (1, "B"), (5, "W")]


def test_irv_never_elects_the_write_ins_and_eliminates_them_first() -> None:
    r = count(profile(UWI_CANNOT_WIN), "irv", rctab=True)
    assert r.elected == ("A",)
    s1, s2 = r.stages
    assert s1.totals == {"A": 3, "B": 1, "C": 0, W: 5} and s1.quota == 5
    assert s1.elected == () and s1.excluded == (W,)
    assert s2.totals == {"A": 3, "B": 1, "C": 0} and s2.exhausted == 5 and s2.quota == 3
    assert s2.elected == ("A",)


def test_the_same_name_without_the_property_is_an_ordinary_candidate() -> None:
    r = count(profile(UWI_CANNOT_WIN, never=False), "irv", rctab=True)
    assert r.elected == (W,) and len(r.stages) == 1


def test_write_ins_without_votes_are_eliminated_as_anyone_is() -> None:
    # 3 "A", 2 "B A", 1 "C"; W has no votes, so it stops no election and is not taken first.
    # Round 1: A 3 of 6 is no majority.  Batch: W 0 < C 1, W + C = 1 < B 2, W + C + B = 3 is
    #   not < A 3: W and C go together (RCTab's 2015_portland_mayor does the same).
    # Round 2: A 3, B 2 (C's paper exhausts): A has the majority.
    r = count(profile([(3, "A"), (2, "BA"), (1, "C")]), "irv", batch=True, rctab=True)
    assert sorted(r.stages[0].excluded) == ["C", W]
    assert r.stages[0].events[0].reason.startswith("batch elimination")
    assert r.stages[1].totals == {"A": 3, "B": 2} and r.elected == ("A",)


def test_stv_never_elects_the_write_ins_and_takes_them_first() -> None:
    # 2 seats, minneapolis-stv (threshold floor(15 / 3) + 1 = 6).  Papers: 6 "A", 3 "B",
    # 2 "C", 4 "W".  Stage 1: A reaches 6 but W holds votes: nobody is elected.  Stage 2: W
    # excluded (its papers exhaust), A elected.  Stage 3: A's zero surplus.  Stage 4: C
    # excluded (exhausts), B the last candidate for the last seat.  Stage 5: RCTab's round
    # after an election (B has no surplus).  As multi_seat_uwi_test, round by round.
    p = profile([(6, "A"), (3, "B"), (2, "C"), (4, "W")], seats=2)
    r = count(p, "minneapolis-stv", tie_order=["A", "B", "C", W])
    assert r.elected == ("A", "B")
    assert [s.elected for s in r.stages] == [(), ("A",), (), ("B",), ()]
    assert [s.excluded for s in r.stages] == [(), (W,), (), ("C",), ()]
    assert r.stages[1].events[0].reason.startswith("can never be elected")
    # the name alone decides nothing: the same papers without the property elect A at once
    plain = count(
        profile([(6, "A"), (3, "B"), (2, "C"), (4, "W")], 2, never=False), "minneapolis-stv"
    )
    assert plain.stages[0].elected == ("A",)


def test_a_rule_that_cannot_leave_the_candidate_out_refuses() -> None:
    with pytest.raises(RuleError, match="can never be elected"):
        count(profile(UWI_CANNOT_WIN), "fptp")
    with pytest.raises(RuleError, match="can never be elected"):
        count(profile(UWI_CANNOT_WIN), "meek-stv")


def test_the_readers_mark_rctab_write_ins_and_an_audit_bundle_keeps_it(tmp_path: Path) -> None:
    contest = load_config(RCTAB / "uwi_cannot_win_test" / "uwi_cannot_win_test_config.json")
    cands = {c.name: c.electable for c in contest.profile.election.candidates}
    assert cands == {"A": True, "B": True, "Undeclared Write-ins": False}
    r = count(contest.profile, "irv", rctab=True)
    assert r.elected == ("A",)
    write_bundle(tmp_path, contest.profile, r, {"rctab": True})
    again = rerun(tmp_path)
    assert again.elected == ("A",) and again.stages == r.stages
