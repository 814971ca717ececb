"""The majority and plurality rules count the same from arrays as from tuples.

``rules/_tally.py`` tallies strict ranked ballots with whole weights on numpy arrays (big
profiles, and those a fast reader built as arrays) and everything else from the ballot
tuples.  Here every rule that uses it is counted both ways (forced by
``_tally.IMPLEMENTATION``) on random profiles and on real elections, and the two count
records must be identical: same winners, stages, totals, events, ties and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tallyroom.ballots.cdf import read_cdf_json
from tallyroom.ballots.formats.blt import read_blt_careful, read_blt_fast
from tallyroom.ballots.formats.ess import read_ess
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import TallyroomError
from tallyroom.reports.json import dumps
from tallyroom.rules import _tally, count
from test_rules_majority import BURLINGTON, RCTAB, RCTAB_SETS, read_long_csv

DATA = Path(__file__).parent / "data"
SCOTLAND = DATA / "scotland" / "ballots"
UWI = "Undeclared Write-ins"

SINGLE = ["irv", "supplementary-vote", "contingent-vote", "two-round", "coombs", "bucklin", "fptp"]
MULTI = ["block-vote", "snv", "limited-vote", "cumulative-vote"]


@contextmanager
def implementation(how: str) -> Iterator[None]:
    """Count on arrays ("numpy": whenever the ballots allow) or from tuples ("python")."""
    token = _tally.IMPLEMENTATION.set(how)
    try:
        yield
    finally:
        _tally.IMPLEMENTATION.reset(token)


def outcome(p: Profile, rule: str, **options: Any) -> tuple[str, Any]:
    """The JSON result and the record, or the error the count raised."""
    try:
        r = count(p, rule, **options)
    except TallyroomError as e:
        return f"{type(e).__name__}: {e}", None
    return dumps(r), r


def uses_arrays(p: Profile, rule: str, how: str = "numpy") -> bool:
    keep = rule in SINGLE and rule != "fptp"
    with implementation(how):
        return _tally.ranked(p, rule, keep_overvotes=keep)[1].arrays


def same_both_ways(p: Profile, rule: str, *, arrays: bool = True, **options: Any) -> str:
    """Count ``p`` on arrays and from tuples; the results must be identical."""
    assert uses_arrays(p, rule) is arrays
    assert not uses_arrays(p, rule, "python")
    with implementation("numpy"):
        fast, fast_record = outcome(p, rule, **options)
    with implementation("python"):
        slow, slow_record = outcome(p, rule, **options)
    assert fast == slow
    assert fast_record == slow_record
    return fast


# -- random profiles ---------------------------------------------------------------------
@st.composite
def profiles(draw: Any, max_candidates: int = 7, max_ballots: int = 14) -> Profile:
    n = draw(st.integers(1, max_candidates))
    names = [f"C{i}" for i in range(n)]
    if n > 1 and draw(st.booleans()):
        names[draw(st.integers(0, n - 1))] = UWI  # RCTab eliminates this one first
    rankings = st.permutations(range(n)).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda k: tuple(p[:k]))
    )
    ballots = draw(
        st.lists(
            st.tuples(rankings, st.integers(0, 30) | st.just(1)), min_size=0, max_size=max_ballots
        )
    )
    withdrawn = draw(st.sets(st.integers(0, n - 1), max_size=max(0, n - 1)))
    seats = draw(st.integers(1, n))
    e = Election(tuple(Candidate(x) for x in names), seats, withdrawn=frozenset(withdrawn))
    return Profile.build(e, ballots)


settings.register_profile(
    "arrays",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def single(p: Profile) -> Profile:
    return p.with_election(p.election.with_changes(seats=1))


TIES = st.sampled_from(
    [{}, {"seed": 3}, {"tie_fallback": "order"}, {"tie_fallback": "decision", "decisions": []}]
)


def _ties(p: Profile, tie: dict[str, Any]) -> dict[str, Any]:
    if tie.get("tie_fallback") == "order":
        return {"tie_fallback": "order", "tie_order": list(reversed(p.election.names))}
    return tie


@settings(settings.get_profile("arrays"))
@given(
    profiles(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["none", "backward", "forward"]),
    TIES,
)
def test_irv_random(
    p: Profile,
    batch: bool,
    rctab: bool,
    until_two: bool,
    first_round: bool,
    history: str,
    tie: dict[str, Any],
) -> None:
    p = single(p)
    same_both_ways(
        p,
        "irv",
        batch=batch,
        rctab=rctab,
        continue_until_two=until_two,
        first_round_threshold=first_round,
        tie_history=history,
        **_ties(p, tie),
    )


@settings(settings.get_profile("arrays"))
@given(profiles(), st.sampled_from(SINGLE), TIES, st.integers(2, 4))
def test_single_seat_rules_random(p: Profile, rule: str, tie: dict[str, Any], advance: int) -> None:
    p = single(p)
    options = _ties(p, tie) | ({"advance": advance} if rule == "two-round" else {})
    same_both_ways(p, rule, **options)


@settings(settings.get_profile("arrays"))
@given(profiles(), st.sampled_from(MULTI), st.integers(1, 8), st.booleans(), TIES)
def test_plurality_rules_random(
    p: Profile, rule: str, votes: int, default_votes: bool, tie: dict[str, Any]
) -> None:
    options = _ties(p, tie)
    if rule != "snv" and not default_votes:
        options["votes"] = votes
    same_both_ways(p, rule, **options)


@settings(settings.get_profile("arrays"))
@given(profiles(max_ballots=6), st.sampled_from(SINGLE + MULTI))
def test_whole_fractions_count_as_ints(p: Profile, rule: str) -> None:
    # Fraction weights take the tuples; whole ones must count as the same ints on arrays
    assume(p.ballots)
    if rule in SINGLE:
        p = single(p)
    as_fractions = Profile.build(
        p.election, [(b, Fraction(w)) for b, w in zip(p.ballots, p.weights)]
    )
    assert not uses_arrays(as_fractions, rule)
    with implementation("numpy"):
        fast, fast_record = outcome(p, rule)
        slow, slow_record = outcome(as_fractions, rule)
    assert fast_record == slow_record
    assert fast == slow


# -- which ballots take the arrays -------------------------------------------------------
def test_which_profiles_take_arrays() -> None:
    e = Election(tuple(Candidate(x) for x in "ABCD"), 1)
    assert uses_arrays(Profile.build(e, [((0, 1), 3), ((2,), 1)]), "irv")
    assert uses_arrays(Profile.build(e, [((0, 1), 3), ((), 1)]), "block-vote")
    # exact but not whole, or not plain ints: the tuples
    assert not uses_arrays(Profile.build(e, [((0, 1), Fraction(1, 3))]), "irv")
    assert not uses_arrays(Profile.build(e, [((0, 1), np.int64(2))]), "irv")
    # a candidate ranked twice (never from a reader, but a profile may be built so)
    assert not uses_arrays(Profile.build(e, [((0, 1, 0), 2)]), "irv")
    # a candidate number out of range
    assert not uses_arrays(Profile.build(e, [((0, 7), 2)]), "irv")
    # a total that an int64 sum could overflow
    assert not uses_arrays(Profile.build(e, [((0,), 2**61), ((1,), 2**61)]), "irv")
    # equal rankings: irv keeps them for RCTab's rule, the others resolve them first
    eimc = BallotRules(overvote="exhaust-if-multiple-continuing")
    tied = Profile.build(e, [((0, (1, 2), 3), 2), ((1,), 1)], rules=eimc)
    assert not uses_arrays(tied, "irv")
    skip = Profile.build(e, [((0, (1, 2), 3), 2), ((1,), 1)], rules=BallotRules(overvote="skip"))
    assert uses_arrays(skip, "irv") and uses_arrays(skip, "block-vote")
    approval = Profile.build(e, [((0, 1), 1)], kind="approval")
    with pytest.raises(TallyroomError, match="ranked ballots"):
        _tally.ranked(approval, "irv")


def test_auto_takes_arrays_for_big_or_prebuilt_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    e = Election(tuple(Candidate(x) for x in "ABCD"), 1)
    small = Profile.build(e, [((0, 1), 3), ((2,), 1), ((3, 2, 1), 2)])
    assert not uses_arrays(small, "irv", "auto")
    monkeypatch.setattr(_tally, "SMALL_UNIQUE", 3)
    assert uses_arrays(small, "irv", "auto") and uses_arrays(small, "block-vote", "auto")
    monkeypatch.setattr(_tally, "SMALL_UNIQUE", 4)
    assert not uses_arrays(small, "irv", "auto")
    # a profile a fast reader built as arrays is counted on them, however small
    fast = read_blt_fast(WARDS[0])
    assert fast.arrays is not None and 4 < fast.unique < 20_000
    monkeypatch.setattr(_tally, "SMALL_UNIQUE", 20_000)
    assert uses_arrays(fast, "irv", "auto") and uses_arrays(fast, "block-vote", "auto")


def test_duplicates_and_equal_rankings_count_the_same() -> None:
    e = Election(tuple(Candidate(x) for x in "ABCD"), 2)
    dup = Profile.build(e, [((0, 1, 0, 2), 4), ((1, 1, 3), 3), ((2, 3), 2), ((3,), 2)])
    for rule in MULTI:
        same_both_ways(dup, rule, arrays=False)
    for rule in SINGLE:
        same_both_ways(single(dup), rule, arrays=False)
    for overvote in ("exhaust", "skip"):
        tied = Profile.build(
            e,
            [((0, (1, 2), 3), 4), (((1, 3), 0), 3), ((2, 3), 2), ((3,), 2)],
            rules=BallotRules(overvote=overvote),  # type: ignore[arg-type]
        )
        for rule in MULTI:
            same_both_ways(tied, rule)
        for rule in SINGLE:
            same_both_ways(single(tied), rule)


# -- real elections ----------------------------------------------------------------------
@pytest.mark.parametrize("overvote", ["exhaust", "skip"])
def test_burlington_2009(overvote: str) -> None:
    p = read_long_csv(BURLINGTON, BallotRules(overvote=overvote))  # type: ignore[arg-type]
    for options in ({}, {"batch": True}, {"rctab": True, "tie_history": "backward"}):
        result = json.loads(same_both_ways(p, "irv", **options))
        assert result["elected"] == ["Bob Kiss"]
    for rule in SINGLE:
        same_both_ways(p, rule)
    three = p.with_election(p.election.with_changes(seats=3))
    for rule in MULTI:
        same_both_ways(three, rule)


@pytest.mark.parametrize(
    "name, overvote, count_column",
    [("2013_minneapolis_mayor", "exhaust", "COUNT"), ("2017_minneapolis_mayor", "skip", "Count")],
)
def test_minneapolis_mayor(name: str, overvote: str, count_column: str) -> None:
    rules = BallotRules(overvote=overvote, skipped_ranks=1)  # type: ignore[arg-type]
    p = read_ess(RCTAB / name / f"{name}_cvr.xlsx", rules, count_column=count_column)
    same_both_ways(p, "irv", batch=True, rctab=True)
    same_both_ways(p, "irv")
    for rule in ("supplementary-vote", "bucklin", "fptp"):
        same_both_ways(p, rule)
    same_both_ways(p.with_election(p.election.with_changes(seats=3)), "block-vote")


@pytest.mark.parametrize("name", RCTAB_SETS)
def test_rctab_sets(name: str) -> None:
    d = RCTAB / name
    cfg = json.loads((d / f"{name}_config.json").read_text())["rules"]
    # (the round-by-round rule, exhaustIfMultipleContinuing, keeps the tuples: its set is
    # test_rctab_overvote_rule_keeps_tuples)
    assert cfg["overvoteRule"] in ("exhaustImmediately", "alwaysSkipToNextRank")
    rules = BallotRules(
        overvote={"exhaustImmediately": "exhaust", "alwaysSkipToNextRank": "skip"}[
            cfg["overvoteRule"]
        ],  # type: ignore[arg-type]
        skipped_ranks=int(cfg["maxSkippedRanksAllowed"]),
        duplicates="exhaust" if cfg["exhaustOnDuplicateCandidate"] else "skip",
    )
    sources = json.loads((d / f"{name}_config.json").read_text())["cvrFileSources"]
    p = read_cdf_json(
        [d / s["filePath"] for s in sources], rules, max_rankings=int(cfg["maxRankingsAllowed"])
    )
    same_both_ways(p, "irv", rctab=True, batch=bool(cfg["batchElimination"]))
    for rule in SINGLE:
        same_both_ways(p, rule)


def test_rctab_overvote_rule_keeps_tuples() -> None:
    name = "test_set_overvote_delimiter"
    d = RCTAB / name
    cfg = json.loads((d / f"{name}_config.json").read_text())
    rules = BallotRules(overvote="exhaust-if-multiple-continuing", skipped_ranks=1)
    p = read_ess(
        d / cfg["cvrFileSources"][0]["filePath"],
        rules,
        overvote_delimiter=cfg["cvrFileSources"][0]["overvoteDelimiter"],
    )
    same_both_ways(p, "irv", arrays=False, rctab=True)


WARDS = sorted(SCOTLAND.glob("*_2017_ward*.blt"))[::40]


@pytest.mark.parametrize("path", WARDS, ids=lambda p: p.stem)
def test_scottish_wards(path: Path) -> None:
    # the careful reader (arrays built from the tuples) and the fast one (arrays from the
    # file) give the same profile; each counted from arrays equals the count from tuples
    careful = read_blt_careful(path)
    fast = read_blt_fast(path)
    assert careful.arrays is None and fast.arrays is not None
    seats = careful.election.seats
    for p in (careful, fast):
        for rule in MULTI:
            same_both_ways(p, rule)
        for rule in SINGLE:
            same_both_ways(single(p), rule)
        same_both_ways(single(p), "irv", batch=True, tie_history="forward")
        # withdrawn candidates are taken out of the arrays (the fast reader's too)
        gone = p.with_election(p.election.with_changes(withdrawn={0, 2}, seats=1))
        for rule in SINGLE:
            same_both_ways(gone, rule)
        gone = gone.with_election(gone.election.with_changes(seats=min(seats, 3)))
        for rule in MULTI:
            same_both_ways(gone, rule)
    assert outcome(careful, "block-vote")[0] == outcome(fast, "block-vote")[0].replace(
        str(fast.source), str(careful.source)
    )


# -- the tallies themselves --------------------------------------------------------------
@settings(settings.get_profile("arrays"))
@given(profiles(), st.data())
def test_tallies_agree(p: Profile, data: st.DataObject) -> None:
    # every question the rules ask, asked of both forms of the same ballots, including
    # questions no rule asks (a candidate coming back, the totals of excluded candidates)
    with implementation("numpy"):
        _, fast = _tally.ranked(p, "irv")
    with implementation("python"):
        _, slow = _tally.ranked(p, "irv")
    assert fast.arrays and not slow.arrays
    n = len(p.election.names)
    assert fast.depth == slow.depth
    for r in range(1, n + 2):
        assert fast.at_rank(r) == slow.at_rank(r)
    for k in range(0, n + 2):
        assert fast.marks(k) == slow.marks(k)
        cut_fast, cut_slow = fast.truncated(k), slow.truncated(k)
        assert cut_fast.tally(set(range(n))) == cut_slow.tally(set(range(n)))
    standing = set(range(n)) - p.election.withdrawn
    for _ in range(data.draw(st.integers(1, 6))):
        continuing = data.draw(st.sets(st.sampled_from(sorted(standing)))) if standing else set()
        assert fast.tally(continuing) == slow.tally(continuing)
        assert fast.last_places(continuing) == slow.last_places(continuing)
        for k in (1, 2):
            cut_fast, cut_slow = fast.truncated(k), slow.truncated(k)
            assert cut_fast.tally(continuing) == cut_slow.tally(continuing)
    # continuing candidates leaving one by one, as in a count
    continuing = set(standing)
    while continuing:
        assert fast.tally(continuing) == slow.tally(continuing)
        continuing.discard(data.draw(st.sampled_from(sorted(continuing))))
    assert fast.tally(continuing) == slow.tally(continuing)
