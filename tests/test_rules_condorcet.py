"""Condorcet and positional rules: published worked examples and the Condorcet property."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.rules import count
from tallyroom.rules.condorcet import CONDORCET_CONSISTENT, condorcet_winner, pairwise


def _profile(rows, seats: int = 1) -> Profile:  # noqa: ANN001
    names = sorted({c for b, _ in rows for c in b})
    e = Election(tuple(Candidate(n) for n in names), seats)
    return Profile.build(e, [(tuple(names.index(c) for c in b), w) for b, w in rows])


# Schulze, "A new monotonic, clone-independent, reversal symmetric, and
# Condorcet-consistent single-winner election method", Social Choice and Welfare 36
# (2011) 267-303, section 3.1 (example 1; also the worked example of the Wikipedia
# article "Schulze method"): 45 voters, winner E, order E > A > C > B > D.
SCHULZE_45 = [
    ("ACBED", 5),
    ("ADECB", 5),
    ("BEDAC", 8),
    ("CABED", 3),
    ("CAEBD", 7),
    ("CBADE", 2),
    ("DCEBA", 7),
    ("EBADC", 8),
]


def test_schulze_example() -> None:
    r = count(_profile(SCHULZE_45), "schulze")
    assert r.elected == ("E",)
    assert r.stages[0].extra["order_of_finish"] == ("E", "A", "C", "B", "D")
    m = r.extra["pairwise"]
    # the published pairwise matrix: d[A,B] = 20, d[B,A] = 25; d[E,D] = 31 ...
    assert (m["A"]["B"], m["B"]["A"], m["E"]["D"], m["D"]["E"]) == (20, 25, 31, 14)
    assert r.extra["condorcet_winner"] is None  # a cycle, so the Smith set has all five
    assert len(r.extra["smith_set"]) == 5
    # the strongest paths of the paper: p[E,A] = 25 ... p[A,E] = 24 (E beats A)
    p = r.stages[0].extra["strongest_paths"]
    assert (p["E"]["A"], p["A"]["E"]) == (25, 24)


# Tennessee capital (Wikipedia "Condorcet method", "Borda count", "Copeland's method",
# "Minimax Condorcet method", "Ranked pairs"): Nashville is the Condorcet winner;
# Borda totals Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107.
TENNESSEE = [
    (("Memphis", "Nashville", "Chattanooga", "Knoxville"), 42),
    (("Nashville", "Chattanooga", "Knoxville", "Memphis"), 26),
    (("Chattanooga", "Knoxville", "Nashville", "Memphis"), 15),
    (("Knoxville", "Chattanooga", "Nashville", "Memphis"), 17),
]


@pytest.mark.parametrize("rule", [*CONDORCET_CONSISTENT, "borda", "dowdall"])
def test_tennessee(rule: str) -> None:
    r = count(_profile(TENNESSEE), rule)
    assert r.elected == ("Nashville",)
    assert r.extra["condorcet_winner"] == "Nashville"


def test_tennessee_borda_points() -> None:
    r = count(_profile(TENNESSEE), "borda")
    assert r.stages[0].extra["scores"] == {
        "Nashville": 194,
        "Chattanooga": 173,
        "Memphis": 126,
        "Knoxville": 107,
    }
    d = count(_profile(TENNESSEE), "dowdall").stages[0].extra["scores"]
    assert d["Nashville"] == 26 + Fraction(42, 2) + Fraction(32, 3)
    # the Condorcet loser of the example is Memphis (ranked last by 58 %)
    assert count(_profile(TENNESSEE), "condorcet").stages[0].extra["condorcet_loser"] == "Memphis"


def test_no_condorcet_winner_is_noted() -> None:
    cycle = _profile([("ABC", 1), ("BCA", 1), ("CAB", 1)])
    r = count(cycle, "condorcet")
    assert r.elected == () and "no Condorcet winner" in r.notes[0]
    assert set(count(cycle, "smith-set").extra["smith_set"]) == {"A", "B", "C"}
    rp = count(cycle, "ranked-pairs", seed=5)
    assert len(rp.elected) == 1 and rp.ties  # equal majorities: tie-breaking ranking by lot


def test_equal_rankings_count_neither_way() -> None:
    e = Election((Candidate("A"), Candidate("B"), Candidate("C")), 1)
    p = Profile.build(e, [(((0, 1), 2), 3), ((2, 0), 1)])
    m, _ = pairwise(p)
    assert m["A"]["B"] == 1 and m["B"]["A"] == 0 and m["A"]["C"] == 3


@st.composite
def ranked_profiles(draw: st.DrawFn) -> Profile:
    n = draw(st.integers(2, 5))
    names = [f"c{i}" for i in range(n)]
    rows = draw(
        st.lists(
            st.tuples(st.permutations(range(n)), st.integers(0, n), st.integers(1, 9)),
            min_size=1,
            max_size=12,
        )
    )
    e = Election(tuple(Candidate(x) for x in names), 1)
    return Profile.build(e, [(tuple(p[: max(1, k)]), w) for p, k, w in rows])


@settings(max_examples=150, deadline=None)
@given(ranked_profiles())
def test_condorcet_winner_elected_by_every_condorcet_method(p: Profile) -> None:
    m, live = pairwise(p)
    cw = condorcet_winner(m, live)
    if cw is None:
        return
    for rule in CONDORCET_CONSISTENT:
        assert count(p, rule).elected == (cw,), rule
