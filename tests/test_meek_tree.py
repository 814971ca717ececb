"""The prefix-tree Meek/Warren distribution gives exactly the per-paper one's integers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.reports import json as json_report
from tallyroom.rules import count
from tallyroom.rules.stv.meek import MeekOptions, MeekSTV
from tallyroom.rules.ties import tie_breaker_for

DROOP = Path(__file__).parent / "data" / "droop" / "blt"

#: every fixed-arithmetic combination of the options the Meek presets (meek-stv, meek-1987,
#: warren-stv) and the Droop comparisons use, with both roundings
COMBOS = [
    dict(variant=v, keep_rounding=r, pass_on=p, places=places)
    for v in ("meek", "warren")
    for r in ("up", "down")
    for p in ("remainder", "complement")
    for places in (9, 3)
]


@st.composite
def profiles(draw, max_candidates: int = 7, max_ballots: int = 30) -> Profile:  # noqa: ANN001
    n = draw(st.integers(2, max_candidates))
    names = tuple(Candidate(f"C{i}") for i in range(n))
    ballots = draw(
        st.lists(
            st.tuples(
                st.permutations(range(n)).flatmap(
                    lambda p: st.integers(0, len(p)).map(lambda k: tuple(p[:k]))
                ),
                st.integers(1, 1000),
            ),
            min_size=1,
            max_size=max_ballots,
        )
    )
    return Profile.build(Election(names, 1), ballots)


def _counter(profile: Profile, **options: object) -> MeekSTV:
    o = MeekOptions(arithmetic="fixed").with_options(**options)
    ties = tie_breaker_for(profile.election.names, (), default="lot", seed=1)
    return MeekSTV(profile, o, method="test", title="test", rule_text="", tie_breaker=ties)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=profiles(), data=st.data(), combo=st.sampled_from(COMBOS))
def test_tree_equals_per_paper(profile: Profile, data: st.DataObject, combo: dict) -> None:
    m = _counter(profile, **combo)
    S = m.scale
    n = len(profile.election.names)
    special = st.sampled_from([0, S, 1, S - 1, S // 2, S // 3])
    for _ in range(4):
        kf = data.draw(st.lists(st.one_of(special, st.integers(0, S)), min_size=n, max_size=n))
        tree = m._prefix_tree()
        assert tree is not None
        assert m._distribute_tree(kf, tree) == m._distribute_papers(kf)
        assert m._distribute(kf) == m._distribute_papers(kf)


@pytest.mark.parametrize("combo", COMBOS[::2])
def test_many_candidates_sorted_without_key(combo: dict) -> None:
    # 20 candidates ranked in full: (20 + 1)^21 does not fit int64, so the rankings are
    # sorted column by column instead of by a single key
    rng = random.Random(7)
    n = 20
    ballots = []
    for _ in range(300):
        order = rng.sample(range(n), n)
        ballots.append((tuple(order[: rng.choice([0, 1, 2, 5, n, n])]), rng.randint(1, 50)))
    p = Profile.build(Election(tuple(Candidate(f"C{i}") for i in range(n)), 3), ballots)
    m = _counter(p, **combo)
    assert (n + 1) ** m.arrays.prefs.shape[1] >= 2**63
    S = m.scale
    for _ in range(20):
        kf = [rng.choice([0, S, rng.randint(0, S)]) for _ in range(n)]
        assert m._distribute(kf) == m._distribute_papers(kf)
    assert m._prefix_tree() is not None


def test_out_of_range_keep_factor_uses_per_paper() -> None:
    p = Profile.build(
        Election(tuple(Candidate(c) for c in "ABC"), 1), [((0, 1), 3), ((1, 2, 0), 2), ((), 1)]
    )
    m = _counter(p)
    kf = [m.scale + 5, m.scale // 2, 0]
    assert m._distribute(kf) == m._distribute_papers(kf)


def test_overflow_bound_falls_back() -> None:
    p = Profile.build(Election(tuple(Candidate(c) for c in "AB"), 1), [((0, 1), 2**40), ((1,), 1)])
    m = _counter(p)
    assert m._prefix_tree() is None
    kf = [m.scale // 2, m.scale]
    assert m._distribute(kf) == m._distribute_papers(kf)


def _json_both(profile: Profile, method: str, monkeypatch: pytest.MonkeyPatch, **opts: object):  # type: ignore[no-untyped-def]
    order = list(profile.election.names)
    tree = json_report.dumps(count(profile, method, tie_order=order, **opts))
    with monkeypatch.context() as mp:
        mp.setattr(MeekSTV, "_prefix_tree", lambda self: None)
        papers = json_report.dumps(count(profile, method, tie_order=order, **opts))
    return tree, papers


@pytest.mark.parametrize("name", ["42.blt", "513.blt", "M135.blt", "SC.blt", "SCw.blt"])
@pytest.mark.parametrize(
    ("method", "opts"),
    [
        ("meek-stv", {}),
        (
            "meek-stv",
            {"pass_on": "remainder", "omega_places": 6, "tie_within_surplus": True},
        ),
        ("meek-1987", {"arithmetic": "fixed", "quota_form": "places-plus-unit"}),
        ("warren-stv", {"arithmetic": "fixed", "quota_form": "places-plus-unit"}),
        ("meek-stv", {"keep_rounding": "down"}),
    ],
)
def test_whole_count_identical(
    name: str, method: str, opts: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    blts = list(DROOP.rglob(name))
    assert blts
    profile = read_blt(blts[0])
    tree, papers = _json_both(profile, method, monkeypatch, **opts)
    assert tree == papers
