"""The STV presets against official results and hand-worked examples from the rule texts."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.ballots.formats.ess import read_ess
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import ElectionError, RuleError
from tallyroom.rules import count
from tallyroom.rules.stv.countback import countback

DATA = Path(__file__).parent / "data"
F = Fraction


def profile(names: str, seats: int, ballots: list[tuple[int, str]]) -> Profile:
    """A profile from compact ballots: (papers, "ABC") ranks A, then B, then C."""
    election = Election(tuple(Candidate(n) for n in names), seats)
    return Profile.build(election, [(tuple(names.index(c) for c in b), n) for n, b in ballots])


def totals(record, stage: int) -> dict[str, Fraction]:  # noqa: ANN001
    return dict(record.stages[stage - 1].totals)


# -- Minneapolis 2013 Park Board: the official result, round by round -----------------------
def test_minneapolis_park_board_2013_round_by_round() -> None:
    base = DATA / "rctab" / "test_data"
    config = json.loads(
        (base / "2013_minneapolis_park" / "2013_minneapolis_park_config.json").read_text()
    )
    rules = config["rules"]
    # the config's ballot rules: overvotes skipped to the next rank, at most 2 skipped ranks,
    # repeated candidates skipped
    assert rules["overvoteRule"] == "alwaysSkipToNextRank"
    ballot_rules = BallotRules(
        overvote="skip", skipped_ranks=int(rules["maxSkippedRanksAllowed"]), duplicates="skip"
    )
    p = read_ess(base / "_shared" / "2013_minneapolis_park_cvr.xlsx", ballot_rules, seats=3)
    expected = json.loads(
        (
            base / "2013_minneapolis_park" / "2013_minneapolis_park_expected_detailed_report.json"
        ).read_text()
    )
    record = count(p, "minneapolis-stv")
    assert record.elected == ("JOHN ERWIN", "ANNIE YOUNG", "MEG FORNEY")
    assert record.quota == 14866
    assert len(record.stages) == len(expected["results"]) == 11
    for rnd, stage in zip(expected["results"], record.stages):
        assert Fraction(rnd["threshold"]) == stage.quota
        for name, tally in rnd["tally"].items():
            assert stage.totals[name] == Fraction(tally), (rnd["round"], name)
    # RCTab counts papers with marks but no valid ranking (67) as inactive in round 1; we
    # count them invalid ("no valid preference"), so the inactive figures differ by 67
    assert p.invalid["no valid preference"] == 67
    assert record.stages[2].exhausted + 67 == Fraction(
        expected["results"][2]["inactiveBallots"]["exhaustedChoices"]
    )
    # the final round's surplus: 177.5192 transferred (to nobody left), 0.4808 lost
    assert record.stages[-1].loss == Fraction("0.4808")


# -- Dáil: Dublin North 2002 ----------------------------------------------------------------
def test_dail_dublin_north_2002_official_winners() -> None:
    p = read_blt(DATA / "ireland" / "dublin_north_2002.blt")
    record = count(p, "dail-stv", seed=2002)
    official = {"Trevor Sargent", "Sean Ryan", "Jim Glennon", "G.V. Wright"}
    assert {
        " ".join(n.split()[:-1]) if n.split()[-1] in ("G.P.", "Lab", "F.F.") else n
        for n in record.elected
    } == official
    # the sample is recorded with its seed and replays exactly
    samples = [s.extra["sample"] for s in record.stages if "sample" in s.extra]
    assert samples and all(s["seed"] == 2002 for s in samples)
    again = count(p, "dail-stv", seed=2002)
    assert [s.totals for s in again.stages] == [s.totals for s in record.stages]
    # whole votes throughout
    assert all(v.denominator == 1 for s in record.stages for v in s.totals.values())


@pytest.mark.parametrize("seed", [1, 7, 99])
def test_dail_winners_do_not_depend_on_the_draw_here(seed: int) -> None:
    p = read_blt(DATA / "ireland" / "dublin_north_2002.blt")
    assert (
        len(set(count(p, "dail-stv", seed=seed).elected) & {"Trevor Sargent G.P.", "Sean Ryan Lab"})
        == 2
    )


# -- ERS97: each clause that differs, worked by hand ------------------------------------------
def test_ers97_quota_rounding_5_1_6() -> None:
    # 100 / 3 = 33.333...: remainder dropped and 0.01 added -> 33.34
    p = profile("AB", 2, [(60, "A"), (40, "B")])
    assert count(p, "ers97-stv").quota == F("33.34")
    # 99 / 3 = 33 exactly: the quota is 33.00
    p = profile("AB", 2, [(60, "A"), (39, "B")])
    assert count(p, "ers97-stv").quota == 33


def test_ers97_deferred_surplus_5_2_2() -> None:
    # valid 100, 2 seats, quota 33.34.  Stage 1: A 40 (elected), B 30, C 20, D 10.
    # A's surplus 6.66 does not exceed the gap between the two lowest (C 20 - D 10 = 10),
    # so it is deferred (5.2.2(a)) and D is excluded: D's 10 papers go to B, who reaches
    # 40 >= 33.34 and fills the second place.  A's surplus is never transferred.
    p = profile("ABCD", 2, [(40, "AC"), (30, "B"), (20, "C"), (10, "DB")])
    r = count(p, "ers97-stv")
    assert r.elected == ("A", "B")
    assert [s.action for s in r.stages] == ["first preferences", "exclusion"]
    assert totals(r, 2) == {"A": 40, "B": 40, "C": 20, "D": 0}
    # the Scottish rule never defers: A's surplus goes to C first
    s = count(p, "scottish-stv")
    assert [st.action for st in s.stages][:2] == ["first preferences", "surplus"]


def test_ers97_bulk_exclusion_last_parcel_and_transfer_value_5_2_5_5_3() -> None:
    # valid 90, 2 seats: quota 90/3 = 30.00 exactly.
    # Stage 1: A 25, B 24, C 18, D 14, E 5, F 4.  Nobody elected, no surplus.
    # 5.2.5: F 4 <= E 5, and F + E = 9 <= D 14, but F + E + D = 23 > C 18: F and E are
    # excluded together.  Stage 2: F's 4 papers to C (22), E's 1 "E D" paper to D (15),
    # E's 4 "E" papers are non-transferable: 4.  5.4.8: nobody elected yet, so the quota is
    # recalculated: (90 - 4) / 3 = 28.666.. -> 28.67.
    # Stage 3: D (15) is excluded: 13 "D B A" and 1 "D B" papers to B (38), the "E D" paper
    # is non-transferable (5 in all); quota (90 - 5) / 3 = 28.333.. -> 28.34; B 38 elected.
    # Stage 4: B's surplus 38 - 28.34 = 9.66 arose from transfers, so only the last batch
    # (the 14 papers from D) is examined (5.3.2); 13 are transferable, to A, worth 13 > 9.66,
    # so the transfer value is 9.66 / 13 = 0.743.. -> 0.74 (5.3.7); A gets 13 x 0.74 = 9.62
    # (5.3.8) and reaches 34.62; the 0.04 dropped is non-transferable (5.3.9): 5.04 in all.
    p = profile(
        "ABCDEF",
        2,
        [(25, "A"), (24, "B"), (18, "CA"), (13, "DBA"), (1, "DB"), (1, "ED"), (4, "E"), (4, "FC")],
    )
    r = count(p, "ers97-stv")
    assert r.elected == ("B", "A")
    s2, s3, s4 = r.stages[1], r.stages[2], r.stages[3]
    assert s2.action == "exclusion" and set(s2.excluded) == {"E", "F"}
    assert totals(r, 2) == {"A": 25, "B": 24, "C": 22, "D": 15, "E": 0, "F": 0}
    assert s2.exhausted == 4 and s2.quota == F("28.67")
    assert s3.excluded == ("D",) and s3.elected == ("B",)
    assert s3.quota == F("28.34") and s3.totals["B"] == 38 and s3.exhausted == 5
    assert s4.action == "surplus" and s4.subjects == ("B",)
    assert s4.transfer_value == F("0.74")
    assert s4.totals["A"] == F("34.62") and s4.totals["B"] == F("28.34")
    assert s4.exhausted == F("5.04") and s4.loss == 0


def test_ers97_exclusion_in_batches_by_value_5_4() -> None:
    # 3 seats, valid 149, quota 149/4 = 37.25.
    # Stage 1: A 40 (elected, surplus 2.75), B 24, C 23, E 22, F 21, D 19.
    #   5.2.2: the two lowest differ by 2 < 2.75, and no group of two or more could be
    #   excluded together (D + F = 40 > E 22): the surplus is transferred.
    # Stage 2: A's 40 papers; the 30 "A D" are transferable, worth 30 > 2.75, so the transfer
    #   value is 2.75 / 30 = 0.0916.. -> 0.09; D gets 30 x 0.09 = 2.70 (21.70); the 0.05
    #   dropped is non-transferable.
    # Stage 3: F (21) is excluded alone; 21 papers non-transferable (21.05).
    # Stage 4: D (21.70) is excluded.  D's papers go in batches by value, highest first
    #   (5.4.1): the 19 "D B" papers at 1.00 make B 43 >= 37.25: B is elected (5.4.9).
    # Stage 5: the second batch, 30 papers at 0.09, is still transferred (5.4.10-11): they
    #   have no next preference, 2.70 non-transferable (23.75).
    # Stage 6: B's surplus 5.75 from the last batch received (the 19 papers of stage 4): none
    #   is transferable, so it is all non-transferable (29.50).  C (23) now holds at least
    #   the total active vote 45 / (1 + 1) = 22.5 and is elected (5.1.7(b)).
    p = profile(
        "ABCDEF",
        3,
        [(30, "AD"), (10, "A"), (24, "B"), (23, "C"), (19, "DB"), (22, "E"), (21, "F")],
    )
    r = count(p, "ers97-stv")
    assert r.elected == ("A", "B", "C")
    assert r.stages[1].transfer_value == F("0.09") and r.stages[1].totals["D"] == F("21.70")
    assert r.stages[1].exhausted == F("0.05")
    assert r.stages[2].excluded == ("F",) and r.stages[2].exhausted == F("21.05")
    s4, s5, s6 = r.stages[3], r.stages[4], r.stages[5]
    assert s4.excluded == ("D",) and s4.transfer_value == 1 and s4.elected == ("B",)
    assert s4.totals["B"] == 43 and "batch 1 of 2" in s4.description
    assert s5.transfer_value == F("0.09") and s5.exhausted == F("23.75") and s5.elected == ()
    assert s5.totals["B"] == 43
    assert s6.action == "surplus" and s6.subjects == ("B",) and s6.exhausted == F("29.50")
    assert s6.totals == {"A": F("37.25"), "B": F("37.25"), "C": 23, "D": 0, "E": 22, "F": 0}
    assert s6.elected == ("C",)


def test_ers97_ties_look_forward_5_2_5() -> None:
    # 1 seat, valid 57, quota 57/2 = 28.50.
    # Stage 1: A 19, B 17, C 6, D 8, E 4, F 3.  Exclude F (F 3 <= E 4; F + E = 7 > C 6).
    # Stage 2: F's 3 papers to C: C 9, D 8.  Exclude E (E 4 <= D 8; E + D = 12 > C 9).
    # Stage 3: E's "E D" paper to D: C 9, D 9 -- tied for exclusion.
    # ERS97 looks forward: at stage 1, C had 6 and D had 8, so C is excluded.  The Scottish
    # rule looks back to the most recent stage at which they differed (stage 2: C 9, D 8)
    # and would exclude D.
    p = profile(
        "ABCDEF",
        1,
        [(19, "A"), (17, "B"), (6, "CB"), (8, "DA"), (1, "ED"), (3, "E"), (3, "FC")],
    )
    r = count(p, "ers97-stv")
    tie = [t for t in r.ties if t.purpose == "exclusion"]
    assert tie and tie[0].chosen == "C" and set(tie[0].tied) == {"C", "D"}
    assert "stage 1" in tie[0].evidence
    assert r.elected == ("A",)
    back = count(p, "ers97-stv", tie_history="backward")
    assert [t.chosen for t in back.ties if t.purpose == "exclusion"][0] == "D"


# -- withdrawals, countback, ties as data ---------------------------------------------------
def test_withdrawn_candidate_papers_go_to_next_preference() -> None:
    p = profile("ABC", 1, [(5, "AB"), (4, "B"), (3, "CA")])
    e = p.election
    r = count(p.with_election(e.with_changes(withdrawn={0})), "scottish-stv")
    assert r.withdrawn == ("A",)
    assert totals(r, 1) == {"A": 0, "B": 9, "C": 3}
    assert r.elected == ("B",)


def test_countback_fills_the_vacancy_and_keeps_the_others() -> None:
    # 3 seats.  A, B, C are elected; when B leaves, the count is re-run without B: B's
    # papers go to D, who is elected, while A and C stay.
    p = profile("ABCDE", 3, [(30, "A"), (25, "BD"), (22, "C"), (15, "DB"), (8, "E")])
    original = count(p, "scottish-stv")
    assert set(original.elected) == {"A", "B", "C"}
    r = countback(p, "scottish-stv", "B")
    assert r.extra["countback"]["filled_by"] == "D"
    assert set(r.elected) == {"A", "C", "D"}
    assert "B" in r.withdrawn
    with pytest.raises(ElectionError):
        countback(p, "scottish-stv", "E")


def test_ties_by_lot_are_recorded_and_replayable() -> None:
    p = profile("ABC", 1, [(4, "A"), (4, "B"), (4, "C")])
    a = count(p, "scottish-stv", seed=5)
    b = count(p, "scottish-stv", seed=5)
    assert a.elected == b.elected
    assert a.ties and a.ties[0].method == "by lot" and "seed 5" in a.ties[0].evidence


def test_returning_officer_decision_as_data() -> None:
    p = profile("ABC", 1, [(4, "A"), (4, "B"), (4, "C")])
    r = count(p, "scottish-stv", tie_fallback="decision", decisions=["B", "A"])
    assert r.ties[0].method == "returning officer's decision"
    assert r.ties[0].chosen == "B"
    with pytest.raises(RuleError, match="decision"):
        count(p, "scottish-stv", tie_fallback="decision", decisions=[])


def test_unknown_option_is_refused() -> None:
    p = profile("AB", 1, [(3, "A"), (2, "B")])
    with pytest.raises(RuleError, match="unknown option.*quota_rule"):
        count(p, "scottish-stv", quota_rule="hare")
    with pytest.raises(RuleError, match="cannot be"):
        count(p, "scottish-stv", surplus="magic")


def test_more_seats_than_standing_candidates() -> None:
    p = profile("ABC", 2, [(3, "A"), (2, "B")])
    with pytest.raises(ElectionError):
        count(p.with_election(p.election.with_changes(withdrawn={0, 1})), "scottish-stv")
    # elect-all (RCTab with numberOfWinners above the candidates), worked by hand: 4 seats,
    # A 5, B 3, C 2 papers: quota floor(10 / 5) + 1 = 3; A and B reach it, C (2) is elected
    # as the candidates left are fewer than the places unfilled; the count ends at stage 1
    # with no surplus moved and one seat empty.
    q = profile("ABC", 4, [(5, "A"), (3, "B"), (2, "C")])
    with pytest.raises(ElectionError, match="4 seats but only 3"):
        count(q, "minneapolis-stv")
    r = count(q, "minneapolis-stv", more_seats_than_candidates="elect-all")
    assert r.quota == 3 and len(r.stages) == 1
    assert r.elected == ("A", "B", "C") and r.stages[0].elected == ("A", "B", "C")
    assert r.notes == ("only 3 of 4 seats filled: candidates ran out",)
    r.check_balance()


def test_meek_stv_and_droop_prf_differ_on_a_true_tie() -> None:
    """Voting matters 12 ('The computational accuracy using the Meek algorithm'): X, Y and Z
    are tied exactly, and only rounding separates them.  NZ Schedule 1A compares the votes as
    computed and excludes Z, the lowest by 1e-7; the PRF reference rule treats candidates
    within the total surplus as tied and breaks the tie by order (X).  Both follow their text."""
    p = read_blt(DATA / "droop" / "blt" / "SC-Vm-12.blt")
    order = list(p.election.names)
    nz = count(p, "meek-stv", tie_order=order)
    assert nz.stages[1].excluded == ("Z",)
    prf = count(
        p,
        "meek-stv",
        tie_order=order,
        pass_on="remainder",
        omega_places=6,
        tie_within_surplus=True,
        tie_history="none",
    )
    assert prf.stages[1].excluded == ("X",)


def test_exact_meek_finishes_when_quota_shrinks_towards_zero() -> None:
    # 6 candidates, 5 seats, one ballot C0 > C4 of weight 2: once both are elected every
    # iteration lowers the quota and the keep factors together; exact keep factors used to
    # grow without bound and the count never finished.
    p = profile("ABCDEF", 5, [(2, "AE")])
    r = count(p, "meek-1987")
    assert r.elected[:2] == ("A", "E") and len(r.elected) == 5


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("test_set_multi_winner_whole_threshold", {}),
        # nonIntegerWinningThreshold: votes / (seats + 1) plus 0.0001, elected on reaching it
        ("test_set_multi_winner_fractional_threshold", {"quota_form": "places-plus-unit"}),
    ],
)
def test_rctab_multi_winner_sets(name: str, changes: dict) -> None:
    """RCTab's multi-winner test sets: two candidates elected in one round have their
    surpluses transferred together in the next (multiWinnerAllowMultipleWinnersPerRound)."""
    from tallyroom.ballots.cdf import read_cdf_json

    d = DATA / "rctab" / "test_data" / name
    config = json.loads((d / f"{name}_config.json").read_text())
    rules = config["rules"]
    assert rules["winnerElectionMode"] == "multiWinnerAllowMultipleWinnersPerRound"
    assert (
        rules["overvoteRule"] == "alwaysSkipToNextRank"
        and rules["decimalPlacesForVoteArithmetic"] == "4"
    )
    ballot_rules = BallotRules(overvote="skip", skipped_ranks=int(rules["maxSkippedRanksAllowed"]))
    p = read_cdf_json(
        d / f"{name}_cvr.json",
        ballot_rules,
        seats=int(rules["numberOfWinners"]),
        max_rankings=int(rules["maxRankingsAllowed"]),
    )
    # tiebreakMode useCandidateOrder: the order of the config's candidate list
    order = [c["name"] for c in config["candidates"]]
    r = count(p, "minneapolis-stv", tie_order=order, **changes)
    expected = json.loads((d / f"{name}_expected_detailed_report.json").read_text())
    assert len(r.stages) == len(expected["results"])
    for rnd, stage in zip(expected["results"], r.stages):
        assert Fraction(rnd["threshold"]) == stage.quota
        for cand, tally in rnd["tally"].items():
            assert stage.totals[cand] == Fraction(tally), (rnd["round"], cand)
    winners = {
        t["elected"] for rnd in expected["results"] for t in rnd["tallyResults"] if "elected" in t
    }
    assert set(r.elected) == winners and len(winners) == 3
    assert r.stages[-1].subjects == ("Candidate A Name", "Candidate B Name")


def test_rctab_one_winner_per_round() -> None:
    """RCTab's multiWinnerAllowOnlyOneWinnerPerRound: A, B and C all reach the threshold in
    round 1, but only one is elected per round (ties by the config's candidate order); the
    final surplus, once the seats are filled, goes to no one."""
    name = "test_set_allow_only_one_winner_per_round"
    d = DATA / "rctab" / "test_data" / name
    config = json.loads((d / f"{name}_config.json").read_text())
    rules = config["rules"]
    assert rules["winnerElectionMode"] == "multiWinnerAllowOnlyOneWinnerPerRound"
    assert rules["nonIntegerWinningThreshold"] is True
    ballot_rules = BallotRules(overvote="skip", skipped_ranks=int(rules["maxSkippedRanksAllowed"]))
    p = read_ess(d / f"{name}_cvr.xlsx", ballot_rules, seats=int(rules["numberOfWinners"]))
    order = [c["name"] for c in config["candidates"]]
    r = count(
        p, "minneapolis-stv", tie_order=order, quota_form="places-plus-unit", elect_per_stage="one"
    )
    expected = json.loads((d / f"{name}_expected_detailed_report.json").read_text())
    assert len(r.stages) == len(expected["results"])
    for rnd, stage in zip(expected["results"], r.stages):
        assert Fraction(rnd["threshold"]) == stage.quota
        for cand, tally in rnd["tally"].items():
            assert stage.totals[cand] == Fraction(tally), (rnd["round"], cand)
        assert list(stage.elected) == [t["elected"] for t in rnd["tallyResults"] if "elected" in t]


def test_whole_round_up_quota() -> None:
    # RCTab's whole Hare threshold, ceil(V / S), worked by hand: 10 papers, 3 seats: 10 / 3
    # rounded up is 4 (floor would give 3); 9 papers: exactly 3 (floor + 1 would give 4).
    for papers, quota in ((10, 4), (9, 3)):
        p = profile("ABCD", 3, [(papers - 3, "A"), (1, "B"), (1, "C"), (1, "D")])
        r = count(p, "minneapolis-stv", quota="hare", quota_form="whole-round-up")
        assert r.quota == quota
