"""The one preference matrix (``ballots/arrays.py``): what the engines' array paths start
from, whether the fast reader made it or it is built from the tuples."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tallyroom.ballots.formats.blt import read_blt_careful, read_blt_fast
from tallyroom.ballots.model import Candidate, Election, Profile

WARD = Path(__file__).parent / "data" / "scotland" / "ballots" / "aberdeen_2017_ward1.blt"


def _election(n: int) -> Election:
    return Election(candidates=tuple(Candidate(c) for c in "ABCD"[:n]), seats=1)


def test_built_from_the_tuples_once() -> None:
    # worked by hand: A>C, B, a blank paper; each row padded with -1 to the longest
    # ranking plus one column
    p = Profile.build(_election(3), [((0, 2), 3), ((1,), 2), ((), 1)])
    m = p.preference_matrix
    assert m.dtype == np.int32
    assert m.tolist() == [[0, 2, -1], [1, -1, -1], [-1, -1, -1]]
    assert p.preference_matrix is m  # kept on the profile


def test_none_where_a_matrix_cannot_hold_the_ballots() -> None:
    equal = Profile.build(_election(3), [(((0, 1), 2), 1)])  # A=B, then C
    assert equal.preference_matrix is None
    approval = Profile.build(_election(3), [((0, 1), 1)], kind="approval")
    assert approval.preference_matrix is None
    assert Profile.build(_election(2), []).preference_matrix.shape == (0, 1)


def test_the_fast_readers_matrix_is_the_one_built_from_the_tuples() -> None:
    fast = read_blt_fast(WARD)
    assert fast.arrays is not None and fast.preference_matrix is fast.arrays[0]
    careful = read_blt_careful(WARD)
    assert careful.arrays is None
    assert np.array_equal(careful.preference_matrix, fast.preference_matrix)
