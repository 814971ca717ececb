"""Plurality family: the NEC 2016 block vote (official totals), and the rules' own texts."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import pytest

from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.errors import RuleError
from tallyroom.rules import count

NEC = Path(__file__).parent / "data" / "nec" / "2016_clp_section.csv"


def nec_2016() -> tuple[Profile, dict[str, int], list[str]]:
    """A ballot file whose block-vote totals equal the published 2016 totals.

    Built greedily: each weighted ballot marks the (up to) six candidates with the most
    votes still to place, with the weight of the smallest of them, so no ballot marks
    more than six and every candidate's marks add up to the published total.
    """
    with open(NEC, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    published = {r["candidate"]: int(r["votes"]) for r in rows}
    winners = [r["candidate"] for r in rows if r["elected"] == "yes"]
    names = list(published)
    left = dict(published)
    ballots: list[tuple[tuple[int, ...], int]] = []
    while any(left.values()):
        top = sorted((n for n in names if left[n] > 0), key=lambda n: -left[n])[:6]
        w = min(left[n] for n in top)
        ballots.append((tuple(sorted(names.index(n) for n in top)), w))
        for n in top:
            left[n] -= w
    e = Election(tuple(Candidate(n, {"slate": r["slate"]}) for n, r in zip(names, rows)), 6)
    return Profile.build(e, ballots, kind="approval", source=str(NEC)), published, winners


def test_nec_2016_block_vote() -> None:
    # LabourList, August 2016: the six Centre-Left Grassroots Alliance candidates elected
    p, published, winners = nec_2016()
    assert all(len(b) <= 6 for b in p.ballots)
    r = count(p, "block-vote")
    assert r.stages[0].extra["scores"] == {n: Fraction(v) for n, v in published.items()}
    assert sum(published.values()) == 1_000_421
    assert set(r.elected) == set(winners) and len(r.elected) == 6
    assert r.elected[0] == "Ann Black"  # 100,999, the most votes


def _profile(rows, seats=1, kind="ranked"):  # noqa: ANN001, ANN202
    names = sorted({c for b, _ in rows for c in b})
    e = Election(tuple(Candidate(n) for n in names), seats)
    conv = (
        (lambda b: tuple(sorted(names.index(c) for c in b)))
        if kind == "approval"
        else (lambda b: tuple(names.index(c) for c in b))
    )
    return Profile.build(e, [(conv(b), w) for b, w in rows], kind=kind)


def test_block_vote_from_rankings_takes_top_k() -> None:
    p = _profile([("ABC", 5), ("CBA", 4), ("DAB", 3)], seats=2)
    r = count(p, "block-vote")
    # top two of each ranking: A 8, B 9, C 4, D 3
    assert r.elected == ("B", "A")


def test_block_vote_voids_too_many_marks() -> None:
    p = _profile([("AB", 3), ("ABC", 2), ("C", 1)], seats=2, kind="approval")
    r = count(p, "block-vote")
    assert r.invalid == {"too many marks": 2}
    assert r.valid == 4


def test_fptp_snv_limited_cumulative() -> None:
    p = _profile([("A", 4), ("B", 3), ("C", 2)])
    fptp = count(p, "fptp")
    assert fptp.elected == ("A",)
    fptp.check_balance()
    p3 = _profile([("AB", 5), ("C", 4), ("DE", 3), ("A", 1)], seats=3, kind="approval")
    assert count(p3, "snv").invalid == {"too many marks": 8}
    lim = count(p3, "limited-vote")  # two votes each for three seats
    assert set(lim.elected) == {"A", "B", "C"}
    cum = count(p3, "cumulative-vote")
    # Illinois 1870: 3 votes, shared equally: A 7.5+3, B 7.5, C 12, D 4.5, E 4.5
    assert cum.stages[0].extra["scores"]["A"] == Fraction(21, 2)
    assert cum.elected == ("C", "A", "B")
    with pytest.raises(RuleError, match="fewer votes"):
        count(p3, "limited-vote", votes=3)


@pytest.mark.parametrize("rule", ["block-vote", "limited-vote", "cumulative-vote"])
def test_votes_given_as_none_means_the_rule_s_default(rule: str) -> None:
    # the fuzzer's find: `--option votes=` (an optional whole number left empty) reached
    # int(None) and ended in a TypeError; empty, like "none", means the rule's default
    from tallyroom.rules import get

    rule_ = get(rule)
    assert rule_.parse_options(["votes= "]) == {"votes": None}
    p = _profile([("ABC", 5), ("CBA", 4), ("DAB", 3)], seats=2)
    assert count(p, rule, votes=None).elected == count(p, rule).elected
