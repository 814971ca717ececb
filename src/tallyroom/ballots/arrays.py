"""Ballots as numpy arrays: the bound that keeps their int64 sums exact.

A profile's whole weights are held as int64 by the fast readers, the sharded reader and the
engines' array paths; every sum of them is exact as long as the total stays below
:data:`LIMIT`.  numpy is not imported here: the arrays come from the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: a total of weights below this cannot overflow an int64 sum
LIMIT = 2**62


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
