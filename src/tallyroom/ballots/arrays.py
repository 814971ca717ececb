"""Ballots as numpy arrays: the one preference matrix, and the bound that keeps int64 sums
exact.

* :func:`preference_matrix`: a ranked profile's ballots as an int32 matrix, one row per
  unique ballot, candidate indices padded with -1 and at least one column of -1 at the end.
  The fast readers make it as they read (:attr:`Profile.arrays`); for any other profile it
  is built here from the tuples, once (:attr:`Profile.preference_matrix` keeps it).  The
  engines' array paths (the Gregory and Meek engines, the majority and plurality tallies)
  all start from it.
* :func:`use_arrays`: the one policy for when an engine counts on arrays (the profile carries
  them, or has many unique ballots; the threshold is each engine's, as measured for it),
  with the one context variable :data:`IMPLEMENTATION` that forces either way.
* :data:`LIMIT` and :func:`fits_int64`: a profile's whole weights are held as int64 by the
  fast readers, the sharded reader and the engines' array paths; every sum of them is exact
  as long as the total stays below :data:`LIMIT`.

numpy is imported only when a matrix is built.
"""

from __future__ import annotations

import contextvars
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from tallyroom.ballots.model import Profile

#: a total of weights below this cannot overflow an int64 sum
LIMIT = 2**62

#: "auto" (arrays for profiles that carry them or have at least the engine's number of
#: unique ballots), "numpy" (arrays whenever the ballots allow) or "python" (tuples and
#: lists): for tests and benchmarks; every engine's array path follows it
IMPLEMENTATION: contextvars.ContextVar[str] = contextvars.ContextVar(
    "array_implementation", default="auto"
)


def use_arrays(profile: Profile, small_unique: int) -> bool:
    """Whether an engine counts this profile on numpy arrays: when it carries them (a fast
    reader built them) or has at least ``small_unique`` unique ballots (below it plain
    Python costs less than importing numpy; each engine measured its own number), unless
    :data:`IMPLEMENTATION` forces one way."""
    how = IMPLEMENTATION.get()
    if how == "auto":
        return profile.arrays is not None or profile.unique >= small_unique
    if how in ("numpy", "python"):
        return how == "numpy"
    raise ValueError(f"unknown implementation {how!r}; use auto, numpy or python")


def fits_int64(w: np.ndarray) -> bool:
    """True when the int64 weights ``w`` are all non-negative and their total (worked out
    exactly, never by a sum that could wrap) is below :data:`LIMIT`."""
    if len(w) == 0:
        return True
    if int(w.min()) < 0:
        return False
    if int(w.max()) * len(w) < LIMIT:
        return True
    return int(w.sum(dtype=object)) < LIMIT


def preference_matrix(profile: Profile) -> np.ndarray | None:
    """The ranked profile's ballots as an int32 matrix padded with -1 (width: the longest
    ballot plus one), or None when a ballot holds anything but one candidate's number per
    preference (equal rankings, overvotes kept for RCTab) or the ballots are not ranked.

    The fast reader's matrix when the profile carries one; else built from the tuples.
    Use :attr:`Profile.preference_matrix`, which builds it once per profile."""
    nb = len(profile.ballots)
    if profile.arrays is not None:
        # built by a fast reader from the same ballots: strict, no repeats, whole weights
        prefs: np.ndarray = profile.arrays[0]
        if prefs.ndim == 2 and prefs.shape[1] and len(prefs) == nb:
            if not nb or not (prefs[:, -1] != -1).any():
                return prefs
    if profile.kind != "ranked":
        return None
    flat = list(chain.from_iterable(profile.ballots))
    if not all(issubclass(t, int) for t in set(map(type, flat))):
        return None  # equal rankings or overvotes (tuples)
    import numpy as np

    try:
        marks = np.array(flat, dtype=np.int64)
    except OverflowError:
        return None  # not a candidate's number
    del flat
    if len(marks) and (
        int(marks.min()) < 0 or int(marks.max()) >= len(profile.election.candidates)
    ):
        return None  # not a candidate's number
    lengths = np.fromiter(map(len, profile.ballots), dtype=np.int64, count=nb)
    width = int(lengths.max(initial=0)) + 1
    matrix = np.full((nb, width), -1, dtype=np.int32)
    # the first ``length`` cells of each row, in row order: the preferences, in ballot order
    matrix[np.arange(width) < lengths[:, None]] = marks
    return matrix
