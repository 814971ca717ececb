"""Proportionality indices against values worked by hand from the published formulas.

Gallagher, "Proportionality, disproportionality and electoral systems", Electoral Studies
10(1), 1991, 33-51 (least squares; the Sainte-Lague index); Loosemore and Hanby, British
Journal of Political Science 1(4), 1971, 467-477; Laakso and Taagepera, Comparative
Political Studies 12(1), 1979, 3-27.
"""

from __future__ import annotations

import math

import pytest

from tallyroom.analysis.indices import (
    effective_number,
    gallagher,
    loosemore_hanby,
    proportionality,
    represented_voters,
    sainte_lague_index,
)
from tallyroom.ballots.model import Candidate, Election, Profile

# UK general election 1983, shares in per cent as usually tabulated (Conservative, Labour,
# Alliance, others): votes 42.4 / 27.6 / 25.4 / 4.6, seats 61.1 / 32.2 / 3.5 / 3.2.
UK83_VOTES = {"Con": 42.4, "Lab": 27.6, "All": 25.4, "Oth": 4.6}
UK83_SEATS = {"Con": 61.1, "Lab": 32.2, "All": 3.5, "Oth": 3.2}


def test_gallagher_least_squares_uk_1983() -> None:
    # differences 18.7, 4.6, -21.9, -1.4; squares 349.69 + 21.16 + 479.61 + 1.96 = 852.42
    # LSq = sqrt(852.42 / 2) = sqrt(426.21) = 20.645...
    assert gallagher(UK83_VOTES, UK83_SEATS) == pytest.approx(math.sqrt(426.21), abs=1e-9)
    assert gallagher(UK83_VOTES, UK83_SEATS) == pytest.approx(20.645, abs=5e-4)


def test_loosemore_hanby_uk_1983() -> None:
    # D = (18.7 + 4.6 + 21.9 + 1.4) / 2 = 23.3
    assert loosemore_hanby(UK83_VOTES, UK83_SEATS) == pytest.approx(23.3, abs=1e-9)


def test_sainte_lague_index_uk_1983() -> None:
    # 18.7^2/42.4 + 4.6^2/27.6 + 21.9^2/25.4 + 1.4^2/4.6
    # = 8.2474 + 0.7667 + 18.8823 + 0.4261 = 28.3225
    assert sainte_lague_index(UK83_VOTES, UK83_SEATS) == pytest.approx(28.3225, abs=1e-3)


def test_effective_number_laakso_taagepera() -> None:
    # n equal parties: N = n; shares .4 .3 .2 .1: 1 / (.16+.09+.04+.01) = 1/.3 = 3.333...
    assert effective_number([1, 1, 1, 1, 1]) == pytest.approx(5.0)
    assert effective_number({"a": 40, "b": 30, "c": 20, "d": 10}) == pytest.approx(10 / 3)
    # a 75/25 split: 1 / (.5625 + .0625) = 1.6
    assert effective_number([75, 25]) == pytest.approx(1.6)
    # UK 1983 votes: 1 / (.179776 + .076176 + .064516 + .002116) = 1 / .322584 = 3.1000
    assert effective_number(UK83_VOTES) == pytest.approx(1 / 0.322584, abs=1e-6)


def test_indices_take_counts_and_missing_groups() -> None:
    # votes 60/40, seats 4 of 5 and 1 of 5 (80/20): LSq = sqrt((400+400)/2) = 20,
    # D = 20, SL = 400/60 + 400/40 = 16.667, ENP votes 1/.52, seats 1/.68
    p = proportionality({"A": 600, "B": 400}, {"A": 4, "B": 1})
    assert p.gallagher == pytest.approx(20.0)
    assert p.loosemore_hanby == pytest.approx(20.0)
    assert p.sainte_lague == pytest.approx(400 / 60 + 10)
    assert p.enp_votes == pytest.approx(1 / 0.52)
    assert p.enp_seats == pytest.approx(1 / 0.68)
    # a group with votes and no seats; a group with seats and no votes
    assert gallagher({"A": 1, "B": 1}, {"A": 2}) == pytest.approx(math.sqrt(0.5 * 2 * 50**2))
    assert sainte_lague_index({"A": 1}, {"A": 1, "B": 1}) == math.inf
    assert gallagher({"A": 1, "B": 3}, {"A": 1, "B": 3}) == 0.0


def test_represented_voters() -> None:
    e = Election(tuple(Candidate(n) for n in "ABCD"), 2)
    p = Profile.build(e, [((0, 1), 5), ((2, 0), 3), ((3,), 2), (((2, 3), 1), 1)])
    r = represented_voters(p, ["A", "B"])
    assert r.papers == 11
    assert r.first_choice_elected == 5  # only the A... papers
    assert r.ranked_a_winner == 9  # A B (5), C A (3), C=D A (1)
    assert r.first_choice_share == pytest.approx(5 / 11)
    assert represented_voters(p, ["A", "B"], depth=1).ranked_a_winner == 5
    assert represented_voters(p, ["C"]).first_choice_elected == 4  # C first, and C=D first
