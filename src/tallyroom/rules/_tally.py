"""Tallies of ranked ballots for the majority and plurality rules, on arrays when it pays.

:func:`ranked` gives a rule a profile's strict ranked ballots, withdrawn candidates taken
out, in one of two forms with the same questions (:class:`Ranked`): papers at each
ballot's first continuing preference, papers at a given rank, the marks of a ballot's
first ``k`` preferences, last places.  Both answer with the same exact numbers, as
Python ints or Fractions, so a count's record is identical whichever is used; only time
and memory differ (``tests/test_rules_arrays.py`` checks it).

* :class:`ArrayRanked`: numpy arrays, preferences as an int32 matrix padded with -1 and
  whole weights as int64; sums are ``np.add.at`` on int64, never floats.  Only for
  ballots in which every preference is one candidate (no equal ranking, no overvote kept
  for RCTab's exhaust-if-multiple-continuing), no candidate is repeated and every weight
  is a non-negative whole number with a total below 2**62, so that no sum can overflow.
* :class:`TupleRanked`: the tuples of :func:`~tallyroom.rules._support.ranked_ballots`,
  walked in Python: any ballots at all (Fraction or Decimal weights, equal rankings).

Which one a count uses: arrays when the profile already carries them (a fast reader built
them) or has at least :data:`SMALL_UNIQUE` unique ballots, and the ballots allow it;
tuples otherwise, so that a small count does not pay for importing numpy
(:func:`~tallyroom.ballots.arrays.use_arrays`, the policy every array engine follows).  The
context variable :data:`IMPLEMENTATION` (the one of :mod:`tallyroom.ballots.arrays`) can
force either ("numpy" still leaves to the tuples the ballots that arrays cannot hold
exactly).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from tallyroom.ballots.arrays import IMPLEMENTATION as IMPLEMENTATION  # re-exported (tests)
from tallyroom.ballots.arrays import LIMIT, fits_int64, use_arrays
from tallyroom.ballots.model import Preference, Profile
from tallyroom.rules._support import Score, ranked_ballots

if TYPE_CHECKING:
    import numpy as np

#: below this many unique ballots the tuples cost less than importing numpy (some 60 ms);
#: once it is loaded the arrays are quicker from a few hundred unique ballots up (IRV with
#: 12 candidates: 20,000 unique ballots 65 ms from tuples, 28 ms on arrays)
SMALL_UNIQUE = 20_000


Ballots = Sequence[tuple[Sequence[Preference], Score]]


class Ranked(Protocol):
    """What the majority and plurality rules ask of ranked ballots."""

    n: int  # candidates in the election (withdrawn ones included)

    @property
    def arrays(self) -> bool: ...

    def tally(
        self, continuing: set[int], exhausted_for_good: set[int] | None = None
    ) -> tuple[list[Score], Score]:
        """Papers per candidate at their first continuing preference (0 for candidates not
        continuing), and exhausted papers.

        ``exhausted_for_good``, kept by the caller from round to round: the ballots an
        overvote exhausted (RCTab's exhaust-if-multiple-continuing) are added to it, and a
        ballot in it stays exhausted in later rounds, even once only one of the overvote's
        candidates continues (RCTab never looks at an exhausted paper again).  Without it
        each tally reads every ballot afresh."""
        ...

    def truncated(self, k: int) -> Ranked:
        """The same ballots cut to their first ``k`` preferences."""
        ...

    @property
    def depth(self) -> int:
        """The most preferences on any ballot."""
        ...

    def at_rank(self, r: int) -> list[Score]:
        """Papers per candidate at preference ``r`` (1: first preferences)."""
        ...

    def marks(self, k: int) -> list[tuple[list[Score], Score]]:
        """The first ``k`` preferences read as X marks: for each number of marks ``m``
        (0 to ``k``), the papers with ``m`` marks that mark each candidate, and the papers
        with ``m`` marks."""
        ...

    def last_places(self, continuing: set[int]) -> list[Fraction]:
        """Coombs' last places per candidate: a paper's last continuing preference, or, if
        it leaves continuing candidates unranked, an equal share of the paper for each of
        them."""
        ...


def ranked(
    profile: Profile, rule_id: str, *, keep_overvotes: bool = True
) -> tuple[Profile, Ranked]:
    """The profile counted (equal rankings resolved by its overvote rule) and its ranked
    ballots without withdrawn candidates.

    With ``keep_overvotes`` an overvote decided round by round (RCTab's
    exhaust-if-multiple-continuing) stays in the ballots, as
    :func:`~tallyroom.rules._support.ranked_ballots` keeps it; without it equal rankings
    are always resolved first (:meth:`Profile.strict`: an error under that rule).
    """
    if profile.kind == "ranked":
        keep = keep_overvotes and profile.rules.overvote == "exhaust-if-multiple-continuing"
        profile = profile if keep else profile.strict()
        if use_arrays(profile, SMALL_UNIQUE):
            arrays = _arrays(profile)
            if arrays is not None:
                return profile, ArrayRanked(len(profile.election.candidates), *arrays)
    used, ballots = ranked_ballots(profile, rule_id)
    return used, TupleRanked(len(used.election.candidates), ballots)


# -- tuples --------------------------------------------------------------------------------
class TupleRanked:
    """Ranked ballots as tuples, each with its weight."""

    arrays = False

    def __init__(self, n: int, ballots: Ballots) -> None:
        self.n = n
        self.ballots = ballots

    def tally(
        self, continuing: set[int], exhausted_for_good: set[int] | None = None
    ) -> tuple[list[Score], Score]:
        totals: list[Score] = [0] * self.n
        exhausted: Score = 0
        dead = exhausted_for_good
        for k, (b, w) in enumerate(self.ballots):
            if dead and k in dead:
                exhausted += w
                continue
            for c in b:
                if isinstance(c, tuple):
                    # an overvote under RCTab's exhaustIfMultipleContinuing
                    live = [x for x in c if x in continuing]
                    if len(live) == 1:
                        totals[live[0]] += w
                        break
                    if len(live) > 1:
                        exhausted += w
                        if dead is not None:
                            dead.add(k)
                        break
                    continue
                if c in continuing:
                    totals[c] += w
                    break
            else:
                exhausted += w
        return totals, exhausted

    def truncated(self, k: int) -> TupleRanked:
        return TupleRanked(self.n, [(b[:k], w) for b, w in self.ballots])

    @property
    def depth(self) -> int:
        return max((len(b) for b, _ in self.ballots), default=0)

    def at_rank(self, r: int) -> list[Score]:
        totals: list[Score] = [0] * self.n
        for b, w in self.ballots:
            if len(b) >= r:
                totals[b[r - 1]] += w  # type: ignore[index]
        return totals

    def marks(self, k: int) -> list[tuple[list[Score], Score]]:
        out: list[tuple[list[Score], Score]] = [([0] * self.n, 0) for _ in range(k + 1)]
        for b, w in self.ballots:
            marks = frozenset(b[:k])
            by_cand, papers = out[len(marks)]
            for c in marks:
                by_cand[c] += w  # type: ignore[index]
            out[len(marks)] = (by_cand, papers + w)
        return out

    def last_places(self, continuing: set[int]) -> list[Fraction]:
        last = [Fraction(0)] * self.n
        for b, w in self.ballots:
            ranked = [c for c in b if c in continuing]
            unranked = [c for c in continuing if c not in ranked]
            if unranked:
                for c in unranked:
                    last[c] += Fraction(w) / len(unranked)
            elif ranked:
                last[ranked[-1]] += w
        return last


# -- arrays --------------------------------------------------------------------------------
def _arrays(profile: Profile) -> tuple[np.ndarray, np.ndarray] | None:
    """The profile's ballots as (preferences, weights) without withdrawn candidates, or
    None when arrays cannot hold them exactly."""
    import numpy as np

    n = len(profile.election.candidates)
    nb = len(profile.ballots)
    if profile.arrays is not None:
        # built by a fast reader from the same ballots: strict, no repeats, whole weights
        w = profile.arrays[1]
        if len(w) != nb or w.dtype != np.int64 or (nb and not fits_int64(w)):
            return None
        prefs = profile.preference_matrix
        if prefs is not profile.arrays[0]:
            return None  # not a matrix the engines can take as it is
    else:
        weights = profile.weights
        if not set(map(type, weights)) <= {int}:
            return None  # Fractions, Decimals, numpy numbers ...
        if any(x < 0 for x in weights) or sum(weights) >= LIMIT:
            return None
        prefs = profile.preference_matrix  # None: equal rankings, overvotes, bad numbers
        if prefs is None:
            return None
        if prefs.shape[1] > 2:
            s = np.sort(prefs, axis=1)
            if ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] >= 0)).any():
                return None  # a candidate ranked twice
        w = np.array(weights, dtype=np.int64) if nb else np.zeros(0, dtype=np.int64)
    gone = profile.election.withdrawn
    if gone:
        # take withdrawn candidates out: column j of the new matrix holds each paper's
        # (j+1)-th preference for a candidate still standing
        live = np.ones(n + 1, dtype=bool)
        live[list(gone)] = False  # live[-1] stays True: the search stops at the padding
        prefs = np.ascontiguousarray(prefs)
        width = prefs.shape[1]
        out = np.full((len(prefs), width), -1, dtype=np.int32)
        at = np.arange(-1, prefs.size - 1, width)
        for j in range(width - 1):
            at, c = next_preferences(prefs.reshape(-1), at, live)
            if (c < 0).all():
                break
            out[:, j] = c
            at[c < 0] -= 1  # a paper with no more: stays before its padding
        prefs = out
    return prefs, w


def next_preferences(
    flat: np.ndarray, at: np.ndarray, cont: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """From the positions ``at`` in a flattened preference matrix, the position and the
    candidate of each paper's next preference for whom ``cont`` is True (candidate -1:
    none; ``cont[-1]`` must be True, so that the search stops at the padding).  Used by
    these tallies and by the Gregory STV engine's arrays."""
    import numpy as np

    at = at + 1
    c = flat.take(at)
    ok = cont.take(c)
    while not ok.all():
        bad = np.flatnonzero(~ok)
        at[bad] += 1
        c[bad] = flat.take(at[bad])
        ok[bad] = cont.take(c[bad])
    return at, c


class ArrayRanked:
    """Ranked ballots as arrays: ``prefs`` an int32 matrix, one row per unique ballot,
    padded with -1 and with at least one column of -1 at the end; ``weights`` int64."""

    arrays = True

    def __init__(self, n: int, prefs: np.ndarray, weights: np.ndarray) -> None:
        import numpy as np

        self.n = n
        self.prefs = np.ascontiguousarray(prefs)
        self.weights = weights
        # the first continuing preference of every row as of the last tally, so that the
        # next one moves only the papers of candidates who have left since
        self._cont: np.ndarray | None = None
        self._at: np.ndarray | None = None  # its flat position in prefs
        self._top: np.ndarray | None = None  # the candidate (-1: exhausted)
        self._sums: np.ndarray | None = None  # papers per candidate, exhausted last

    def _mask(self, candidates: set[int], padding: bool) -> np.ndarray:
        """A lookup by candidate; index -1 (the padding) gives ``padding``."""
        import numpy as np

        m = np.zeros(self.n + 1, dtype=bool)
        m[list(candidates)] = True
        m[self.n] = padding
        return m

    @staticmethod
    def _sum(keys: np.ndarray, w: np.ndarray, size: int) -> np.ndarray:
        """Weights summed by key (key -1: the last slot), exactly, in int64."""
        import numpy as np

        out = np.zeros(size, dtype=np.int64)
        np.add.at(out, keys, w)
        return out

    def tally(
        self, continuing: set[int], exhausted_for_good: set[int] | None = None
    ) -> tuple[list[Score], Score]:
        # arrays never hold an overvote decided round by round: nothing exhausts for good
        # here that a fresh reading would revive, so ``exhausted_for_good`` stays as it is
        import numpy as np

        cont = self._mask(continuing, True)
        if self._cont is None or (cont & ~self._cont).any():
            # first tally, or a candidate came back: every row from its first preference
            start = np.arange(-1, self.prefs.size - 1, self.prefs.shape[1])
            self._at, self._top = next_preferences(self.prefs.reshape(-1), start, cont)
            self._sums = self._sum(self._top, self.weights, self.n + 1)
        else:
            assert self._at is not None and self._top is not None and self._sums is not None
            left = self._cont & ~cont
            if left.any():
                rows = np.flatnonzero(left[self._top])
                at, top = next_preferences(self.prefs.reshape(-1), self._at[rows], cont)
                self._at[rows] = at
                self._top[rows] = top
                self._sums[left] = 0  # all their papers moved on
                self._sums += self._sum(top, self.weights[rows], self.n + 1)
        self._cont = cont
        sums = self._sums.tolist()
        return sums[: self.n], sums[self.n]

    def truncated(self, k: int) -> ArrayRanked:
        import numpy as np

        out = np.full((len(self.prefs), k + 1), -1, dtype=np.int32)
        keep = min(k, self.prefs.shape[1])
        out[:, :keep] = self.prefs[:, :keep]
        return ArrayRanked(self.n, out, self.weights)

    @property
    def depth(self) -> int:
        for j in range(self.prefs.shape[1] - 1, -1, -1):
            if (self.prefs[:, j] >= 0).any():
                return j + 1
        return 0

    def at_rank(self, r: int) -> list[Score]:
        if r > self.prefs.shape[1]:
            return [0] * self.n
        sums: list[Any] = self._sum(self.prefs[:, r - 1], self.weights, self.n + 1).tolist()
        return sums[: self.n]

    def marks(self, k: int) -> list[tuple[list[Score], Score]]:
        import numpy as np

        size = self.n + 1
        cols = min(k, self.prefs.shape[1] - 1)
        first = self.prefs[:, :cols]
        count = (first >= 0).sum(axis=1) if cols else np.zeros(len(first), dtype=np.int64)
        base = count * size
        sums = np.zeros((k + 1) * size, dtype=np.int64)
        for j in range(cols):
            # a padding -1 lands on the slot before the next number of marks: never read
            np.add.at(sums, base + first[:, j], self.weights)
        papers: list[Any] = self._sum(count, self.weights, k + 1).tolist()
        table: list[Any] = sums.reshape(k + 1, size).tolist()
        return [(table[m][: self.n], papers[m]) for m in range(k + 1)]

    def last_places(self, continuing: set[int]) -> list[Fraction]:
        import numpy as np

        last = [Fraction(0)] * self.n
        prefs, weights = self.prefs, self.weights
        size = self.n + 1
        live = self._mask(continuing, False)[prefs]
        unranked = len(continuing) - live.sum(axis=1)
        full = np.flatnonzero(unranked == 0)
        if len(full):
            # the last continuing preference: the last True of the row
            at = prefs.shape[1] - 1 - live[full, ::-1].argmax(axis=1)
            sums = self._sum(prefs[full, at], weights[full], size).tolist()
            for c, v in enumerate(sums[: self.n]):
                last[c] += v
        # a paper with u candidates unranked gives each w / u: per u, the papers with u
        # unranked less those among them that rank the candidate
        papers = self._sum(unranked, weights, len(continuing) + 1).tolist()
        flat = np.zeros((len(continuing) + 1) * size, dtype=np.int64)
        base = unranked * size
        for j in range(prefs.shape[1]):
            # a preference not continuing goes to the padding slot of row 0: never read
            key = np.where(live[:, j], base + prefs[:, j], self.n)
            np.add.at(flat, key, weights)
        ranked_by = flat.reshape(-1, size)
        for u in range(1, len(continuing) + 1):
            if not papers[u]:
                continue
            row = ranked_by[u].tolist()
            for c in continuing:
                last[c] += Fraction(papers[u] - row[c], u)
        return last
