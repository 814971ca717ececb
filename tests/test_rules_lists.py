"""Party lists against official seats: Czech Chamber 2017, Slovak National Council 2020."""

from __future__ import annotations

from pathlib import Path

import pytest

from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.ballots.votetable import read_votetable
from tallyroom.errors import BallotFileError
from tallyroom.rules import count
from tallyroom.rules.lists import count_table

DATA = Path(__file__).parent / "data" / "list-pr"


def test_czech_2017() -> None:
    # list-pr/EXPECTED.md (official, Czech Statistical Office): Act 247/1995 Coll.
    # ss. 48-50 -- 5 % national threshold, 200 seats to the 14 regions by the republic
    # quota and largest remainders, D'Hondt within each region.
    t = read_votetable(DATA / "cz_psp_2017.csv")
    r = count_table(t, "dhondt", 200, threshold="5%", apportionment="hare-lr")
    assert r.extra["seats"] == {
        "ANO": 78, "ODS": 25, "Piráti": 22, "SPD": 22, "ČSSD": 15,
        "KSČM": 15, "KDU-ČSL": 10, "TOP 09": 7, "STAN": 6,
    }  # fmt: skip
    assert r.extra["constituency_seats"]["Hlavní město Praha"] == {
        "ANO": 6, "ODS": 5, "Piráti": 5, "TOP 09": 3, "SPD": 1,
        "ČSSD": 1, "KSČM": 1, "KDU-ČSL": 1, "STAN": 1,
    }  # fmt: skip
    assert r.extra["constituency_seats"]["Karlovarský kraj"] == {"ANO": 3, "Piráti": 1, "SPD": 1}
    assert len(r.elected) == 200


@pytest.mark.parametrize("rounding", ["exact", "down", "up"])
def test_slovakia_2020(rounding: str) -> None:
    # Act 180/2014 Coll. s. 66: 5 % threshold, 7 % for coalitions of two or three parties,
    # 10 % for four or more; the republic electoral number = valid votes of the qualified
    # parties / 151 (Hagenbach-Bischoff), whole numbers of it, then largest remainders.
    # The official seats are the file's fourth column; the quota's rounding does not
    # change them here.
    t = read_votetable(DATA / "sk_nr_2020.csv")
    r = count(
        t.profile(150),
        "droop-lr",
        threshold="5%",
        coalition_thresholds={2: "7%", 4: "10%"},
        quota="hagenbach-bischoff",
        quota_rounding=rounding,
    )
    r.check_balance()
    assert r.stages[0].extra["seats"] == dict(t.official_seats)
    assert r.notes and "Progresívne Slovensko-SPOLU" in r.notes[0]


def _parties(votes: dict[str, int], seats: int) -> Profile:
    e = Election(tuple(Candidate(p) for p in votes), seats)
    return Profile.build(e, [((i,), v) for i, v in enumerate(votes.values())])


def test_divisor_methods_textbook() -> None:
    # Worked by hand, 7 seats, votes 53,000 / 24,000 / 23,000.  D'Hondt: the seven
    # largest of 53000, 26500, 24000, 23000, 17667, 13250, 12000 -> 4/2/1.  Sainte-Lague:
    # 53000, 24000, 23000, 17667, 10600, 8000, 7667 -> 3/2/2.  Modified (1.4): 37857,
    # 17667, 17143, 16429, 10600, 8000, 7667 -> 3/2/2.  Hare quota 14285.7: whole quotas
    # 3/1/1, remainders 10143 (A), 9714 (B) > 8714 (C) -> 4/2/1.
    p = _parties({"A": 53000, "B": 24000, "C": 23000}, 7)
    assert count(p, "dhondt").stages[0].extra["seats"] == {"A": 4, "B": 2, "C": 1}
    assert count(p, "sainte-lague").stages[0].extra["seats"] == {"A": 3, "B": 2, "C": 2}
    assert count(p, "hare-lr").stages[0].extra["seats"] == {"A": 4, "B": 2, "C": 1}
    assert count(p, "modified-sainte-lague").stages[0].extra["seats"] == {"A": 3, "B": 2, "C": 2}


def test_bad_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("party;X;Y\nA;10;x\n", encoding="utf-8")
    with pytest.raises(BallotFileError, match="bad.csv:2:3"):
        read_votetable(bad)


@pytest.mark.parametrize(
    "threshold",
    [
        "9" * 1000,  # the fuzzer's find: the refusal quoted all thousand digits
        "1e1000000000",  # Fraction would build 10**1000000000 before any check
        "5/00",
        "banana",
    ],
)
def test_a_threshold_that_is_no_share_is_refused_on_one_short_line(threshold: str) -> None:
    from tallyroom.errors import RuleError

    p = _parties({"A": 50, "B": 30, "C": 20}, 3)
    with pytest.raises(RuleError) as err:
        count(p, "sainte-lague", threshold=threshold)
    message = str(err.value)
    assert "threshold must be a number or a percentage" in message
    assert len(message) < 300 and "\n" not in message
    # a share written plainly still counts: 25% keeps A (50) and B (30) only; Sainte-Lague
    # quotients 50, 30, 16.7 -> A 2, B 1 (worked by hand)
    r = count(p, "sainte-lague", threshold="25%")
    assert r.stages[0].extra["seats"] == {"A": 2, "B": 1, "C": 0}
