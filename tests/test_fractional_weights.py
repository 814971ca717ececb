"""Papers of fractional weight (a weighted roll, a BLT weight such as 2.5) in a fixed-point
Gregory count: the value a transfer's rounding drops is the rounding loss, at an exclusion
as at a surplus, and the books balance at every stage.

Worked by hand (Scottish STV: SSI 2007/42 rr. 46-52; five decimal places, values rounded
down), four candidates for two seats:

    A C D  x 2.5        B      x 4
    A C B  x 3.5        D      x 7.5
    A B    x 3          C      x 1

Valid poll 21.5; quota floor(21.5 / 3) + 1 = 8 (r. 46).
Stage 1: A 9 (elected, surplus 1), B 4, C 1, D 7.5.
Stage 2, A's surplus (r. 48(3)): each paper at 1 x 1 / 9 = 0.11111. C's sub-parcel weighs
    2.5 + 3.5 = 6: 0.66666; B's weighs 3: 0.33333; 0.99999 moved, loss 0.00001.
    A 8, B 4.33333, C 1.66666, D 7.5.
Stage 3, C excluded (r. 50): the paper C (1 at 1.00000) exhausts; the papers A C D go to D
    at 2.5 x 0.11111 = 0.277775, rounded down 0.27777, the papers A C B to B at
    3.5 x 0.11111 = 0.388885, rounded down 0.38888: 0.66665 of C's 0.66666 moves, the
    rounding loses 0.00001 more (loss 0.00002). B 4.72221, D 7.77777, exhausted 1.
    8 + 4.72221 + 7.77777 + 1 + 0.00002 = 21.5.
Stage 4, B excluded: all B's papers exhaust (4 + 0.33333 + 0.38888); D, the one candidate
    left for the one seat, is elected (r. 52): A and D.
Before the fix the exclusion's dropped 0.00001 was nowhere in the books, and the count
stopped with "the books do not balance" (found by the service's weighted rolls)."""

from __future__ import annotations

from fractions import Fraction

import tallyroom
from tallyroom.ballots.model import Candidate, Election, Profile


def _profile() -> Profile:
    names = ["A", "B", "C", "D"]
    e = Election(candidates=tuple(Candidate(n) for n in names), seats=2, title="weights")
    A, B, C, D = range(4)
    return Profile.build(
        e,
        [
            ((A, C, D), Fraction(5, 2)),
            ((A, C, B), Fraction(7, 2)),
            ((A, B), 3),
            ((B,), 4),
            ((D,), Fraction(15, 2)),
            ((C,), 1),
        ],
    )


def test_an_exclusion_of_fractional_papers_puts_its_rounding_in_the_loss_row() -> None:
    r = tallyroom.count(_profile(), "scottish-stv")
    assert r.elected == ("A", "D")
    assert r.quota == 8
    s = {st.number: st for st in r.stages}
    F = Fraction
    assert dict(s[2].totals) == {
        "A": F("8"),
        "B": F("4.33333"),
        "C": F("1.66666"),
        "D": F("7.5"),
    }
    assert s[2].loss == F("0.00001")
    assert dict(s[3].totals) == {
        "A": F("8"),
        "B": F("4.72221"),
        "C": F("0"),
        "D": F("7.77777"),
    }
    assert s[3].exhausted == F("1")
    assert s[3].loss == F("0.00002")
