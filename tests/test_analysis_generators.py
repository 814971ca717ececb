"""Generators do what they promise: seeded, reproducible, and the model's laws hold."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from tallyroom.analysis import generators as g
from tallyroom.analysis.nec2016 import published, reconstruct
from tallyroom.ballots.model import Candidate, Election
from tallyroom.rules import count


def _election(m: int = 4, seats: int = 1, slates: str | None = None) -> Election:
    names = "ABCDEFGHIJ"[:m]
    return Election(
        tuple(Candidate(n, {"slate": slates[i]} if slates else {}) for i, n in enumerate(names)),
        seats,
    )


def _first_shares(p) -> dict[str, float]:  # noqa: ANN001
    fp = p.first_preferences()
    total = sum(fp.values())
    return {k: v / total for k, v in fp.items()}


@pytest.mark.parametrize(
    "make",
    [
        lambda e, s: g.impartial_culture(e, 500, seed=s),
        lambda e, s: g.plackett_luce(e, 500, [4, 3, 2, 1], seed=s),
        lambda e, s: g.spatial(e, 500, dimensions=2, seed=s),
        lambda e, s: g.slate_voting(e, 500, {"x": 1, "y": 1}, seed=s),
        lambda e, s: g.bradley_terry(e, 500, seed=s),
    ],
)
def test_seeded_is_reproducible(make) -> None:  # noqa: ANN001
    e = _election(4, slates="xxyy")
    a, b, c = make(e, 7), make(e, 7), make(e, 8)
    assert (a.ballots, a.weights) == (b.ballots, b.weights)
    assert (a.ballots, a.weights) != (c.ballots, c.weights)
    assert a.valid == 500 and all(isinstance(w, int) for w in a.weights)


def test_plackett_luce_first_choices_converge_to_weights() -> None:
    p = g.plackett_luce(_election(4), 40_000, [4, 3, 2, 1], seed=1)
    shares = _first_shares(p)
    for name, w in zip("ABCD", [0.4, 0.3, 0.2, 0.1]):
        assert shares[name] == pytest.approx(w, abs=0.01)


def test_plackett_luce_pairs_follow_bradley_terry() -> None:
    # P(A before D) = 4 / (4 + 1) = 0.8; P(B before C) = 3 / 5 = 0.6
    p = g.plackett_luce(_election(4), 20_000, [4, 3, 2, 1], seed=2)
    n = sum(p.weights)
    ad = sum(w for b, w in zip(p.ballots, p.weights) if b.index(0) < b.index(3)) / n
    bc = sum(w for b, w in zip(p.ballots, p.weights) if b.index(1) < b.index(2)) / n
    assert ad == pytest.approx(0.8, abs=0.015)
    assert bc == pytest.approx(0.6, abs=0.015)


def test_impartial_culture_is_uniform_over_rankings() -> None:
    p = g.impartial_culture(_election(3), 60_000, seed=3)
    assert len(p.ballots) == 6  # every one of the 3! rankings appears
    for w in p.weights:
        assert w / 60_000 == pytest.approx(1 / 6, abs=0.01)


def test_cohesion_pulls_bloc_voters_to_their_slate() -> None:
    e = _election(4, slates="xxyy")
    # equal strengths, blocs x and y in 3:1, cohesion 9: a voter's first choice is on their
    # slate with probability 2*9 / (2*9 + 2) = 0.9, so x first = .75*.9 + .25*.1 = 0.7
    p = g.bradley_terry(e, 40_000, cohesion=9.0, bloc_shares={"x": 3, "y": 1}, seed=4)
    s = _first_shares(p)
    assert s["A"] + s["B"] == pytest.approx(0.7, abs=0.01)


def test_slate_voting_without_crossover_ranks_own_slate_first() -> None:
    e = _election(5, slates="xxxyy")
    p = g.slate_voting(e, 2_000, {"x": 1, "y": 1}, crossover=0.0, seed=5)
    for b in p.ballots:
        first_slate = "x" if b[0] < 3 else "y"
        size = 3 if first_slate == "x" else 2
        assert all((c < 3) == (first_slate == "x") for c in b[:size])
    crossed = g.slate_voting(e, 2_000, {"x": 1, "y": 1}, crossover=0.5, seed=5)
    assert crossed.unique > p.unique


def test_spatial_1d_is_single_peaked() -> None:
    e = _election(5)
    pos = [[0.0], [1.0], [2.0], [3.0], [4.0]]
    p = g.spatial(e, 3_000, dimensions=1, seed=6, candidate_positions=pos, voter_spread=2.0)
    for b in p.ballots:
        for k in range(1, 6):  # every top-k is an interval of the axis
            top = sorted(b[:k])
            assert top == list(range(top[0], top[0] + k))


def test_lengths_truncate_ballots() -> None:
    p = g.impartial_culture(_election(5), 1_000, seed=7, lengths=2)
    assert {len(b) for b in p.ballots} == {2}
    q = g.impartial_culture(_election(5), 1_000, seed=7, lengths={1: 0.5, 5: 0.5})
    assert {len(b) for b in q.ballots} == {1, 5}


def test_fit_block_vote_gives_totals_exactly() -> None:
    pub = published()
    for seed in range(5):
        fit = reconstruct(pub, seed, crossover=0.2, unaligned=0.1, full=0.7, sampled=400)
        assert g.block_marks(fit.profile, 6) == dict(pub.totals)
        assert all(len(b) <= 6 for b in fit.profile.ballots)
        assert fit.filler_papers < 0.02 * fit.voters
        r = count(fit.profile, "block-vote")
        assert set(r.elected) == set(pub.winners)


def test_fit_small_by_hand() -> None:
    e = _election(4, slates="xxyy")
    template = g.slate_voting(e, 200, {"x": 1, "y": 1}, seed=9, lengths=2)
    totals = {"A": 1000, "B": 900, "C": 700, "D": 333}
    fit = g.fit_block_vote(template, totals, 2)
    assert g.block_marks(fit.profile, 2) == totals
    assert all(isinstance(w, int) for w in fit.profile.weights)


def test_all_rankings_of_small_ic() -> None:
    p = g.impartial_culture(_election(3), 10_000, seed=10)
    assert set(p.ballots) == set(itertools.permutations(range(3)))
    assert Counter(len(b) for b in p.ballots) == {3: 6}
