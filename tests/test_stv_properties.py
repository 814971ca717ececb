"""Properties every STV count must have, on random profiles (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.rules import count

GREGORY = ["scottish-stv", "ers97-stv", "wigm-stv", "dail-stv", "minneapolis-stv"]
MEEK = ["meek-stv", "meek-1987", "warren-stv"]
ALL = GREGORY + MEEK


@st.composite
def profiles(draw, max_candidates: int = 6, max_ballots: int = 12) -> Profile:  # noqa: ANN001
    n = draw(st.integers(2, max_candidates))
    seats = draw(st.integers(1, n - 1))
    names = tuple(Candidate(f"C{i}") for i in range(n))
    ballots = draw(
        st.lists(
            st.tuples(
                st.permutations(range(n)).flatmap(
                    lambda p: st.integers(1, len(p)).map(lambda k: tuple(p[:k]))
                ),
                st.integers(1, 40),
            ),
            min_size=1,
            max_size=max_ballots,
        )
    )
    return Profile.build(Election(names, seats), ballots)


settings.register_profile(
    "stv",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("stv")


@given(profiles(), st.sampled_from(ALL))
def test_books_balance_and_seats_fill(p: Profile, method: str) -> None:
    r = count(p, method)
    r.check_balance()  # candidate totals + exhausted + loss = valid poll, every stage
    for s in r.stages:
        assert sum(s.totals.values(), Fraction(0)) + s.exhausted + s.loss == p.valid
    # seats are filled, or fewer only when candidates run out (and the record says so)
    assert len(r.elected) == p.election.seats or any("ran out" in n for n in r.notes)
    assert len(set(r.elected)) == len(r.elected)
    assert set(r.elected) <= set(p.election.names)


@given(profiles(), st.sampled_from(GREGORY))
def test_an_excluded_candidate_is_never_elected(p: Profile, method: str) -> None:
    r = count(p, method)
    excluded = {n for s in r.stages for n in s.excluded}
    assert not excluded & set(r.elected)


@given(
    profiles(),
    st.sampled_from([m for m in ALL if m != "dail-stv"]),
    st.randoms(use_true_random=False),
)
def test_relabelling_does_not_change_winners_without_ties(p: Profile, method: str, rnd) -> None:  # noqa: ANN001
    # (dail-stv is left out: which papers its random sample draws depends on their order)
    r = count(p, method)
    assume(not r.ties)
    n = len(p.election.candidates)
    perm = list(range(n))
    rnd.shuffle(perm)  # old index -> new index
    names = [None] * n
    for old, new in enumerate(perm):
        names[new] = p.election.candidates[old]
    q = Profile.build(
        Election(tuple(names), p.election.seats),
        [(tuple(perm[c] for c in b), w) for b, w in zip(p.ballots, p.weights)],
    )
    r2 = count(q, method)
    assume(not r2.ties)
    assert set(r2.elected) == set(r.elected)


def _near_tie(r, gap: Fraction) -> bool:  # noqa: ANN001
    for s in r.stages:
        vals = sorted(set(s.totals.values()))
        if any(b - a < gap for a, b in zip(vals, vals[1:])):
            return True
        if s.quota is not None and any(abs(v - s.quota) < gap for v in vals):
            return True
    return False


@given(profiles())
def test_exact_and_fixed_arithmetic_agree_without_near_ties(p: Profile) -> None:
    fixed = count(p, "scottish-stv")
    exact = count(p, "scottish-stv", arithmetic="exact")
    assume(not fixed.ties and not exact.ties)
    assume(not _near_tie(exact, Fraction(1, 100)))
    assert set(fixed.elected) == set(exact.elected)


@given(
    profiles(), st.sampled_from(["scottish-stv", "ers97-stv", "wigm-stv", "meek-stv", "dail-stv"])
)
def test_one_seat_stv_is_irv(p: Profile, method: str) -> None:
    """With one seat there are no surpluses to share: STV is the alternative vote."""
    one = p.with_election(p.election.with_changes(seats=1))
    stv = count(one, method)
    irv = count(one, "irv")
    assume(not stv.ties and not irv.ties)
    # bulk exclusion (ERS97, Dáil) removes only candidates who could not have won
    assert stv.elected == irv.elected
