"""The few operations on papers that the Gregory STV engine needs, in two implementations.

The engine (:mod:`tallyroom.rules.stv.gregory`) keeps all the rule logic -- stages, quota,
surpluses, exclusions, ties, events.  What it asks of the ballots is small:

* the papers of the whole profile, each before its first preference (:meth:`everyone`);
* which candidates are continuing, as a lookup (:meth:`continuing`);
* for a set of papers, the next continuing preference of each, the papers grouped by it
  (:meth:`split`), or only how many of them have one (:meth:`transferable`);
* for the Dáil sample, whole papers drawn at random from a group (:meth:`draw`).

:class:`ArrayBallots` does these with numpy on a preference matrix: the way for big
profiles, and for profiles a fast reader has already built as arrays.
:class:`ListBallots` does them with plain Python lists and tuples: for the ordinary ward of a
few thousand unique ballots it is as quick, and the count does not pay for importing numpy.
Both give exactly the same groups, in the same order (candidates ascending, exhausted papers
first; within a group, papers in the order they were in), with the same paper counts, so a
count's record is identical whichever is used; ``tests/test_small_path.py`` checks it.

Which one a count uses: :func:`ballots_for` -- numpy when the profile already carries arrays
or has at least :data:`SMALL_UNIQUE` unique ballots, plain Python otherwise; the context
variable :data:`IMPLEMENTATION` can force either (tests, benchmarks).
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from tallyroom.ballots.arrays import LIMIT, fits_int64
from tallyroom.ballots.model import Profile, Weight
from tallyroom.rules._tally import next_preferences

if TYPE_CHECKING:
    import numpy as np

#: profiles with at least this many unique ballots are counted on numpy arrays (profiles
#: that carry arrays from the fast reader always are).  Measured (Scottish, ERS97 and WIGM
#: counts of the same profiles, arrays built from the ballots in both cases): the two cost
#: the same at about 40,000 unique ballots with numpy already loaded (21,000: 33 against 31 ms;
#: 57,000: 79 against 66 ms; 390,000: 0.61 against 0.40 s); in a process that has not loaded
#: numpy, its import (~0.1 s) puts the crossover past 200,000.  Wards have a few thousand.
SMALL_UNIQUE = 50_000

#: "auto" (by :data:`SMALL_UNIQUE` and the profile), "numpy" or "python"
IMPLEMENTATION: contextvars.ContextVar[str] = contextvars.ContextVar(
    "gregory_implementation", default="auto"
)


class Group(NamedTuple):
    """Papers that go to the same next preference (``cand`` -1: exhausted)."""

    cand: int
    idx: Any  # ballot indices
    pos: Any  # position of that preference on each ballot
    w: Any  # papers per ballot when only part of each ballot's weight is here, else None
    papers: Weight  # number of papers


class Ballots(Protocol):
    """The operations the engine needs on the papers of one profile."""

    name: str
    #: True when every weight is a whole number (the Dáil sample needs it)
    integral: bool

    def everyone(self) -> tuple[Any, Any]:
        """Ballot indices and positions for all the papers, before their first preference."""
        ...

    def continuing(self, flags: Sequence[bool]) -> Any:
        """A lookup, by candidate, of ``flags`` (True: continuing); index -1 (the end of a
        ranking) looks up True, so that the search for a next preference stops there."""
        ...

    def split(self, idx: Any, pos: Any, w: Any, cont: Any) -> list[Group]:
        """The papers ``idx`` (each counting for the preference at ``pos``; ``w`` papers per
        ballot, or None for each ballot's whole weight), moved to their next continuing
        preference and grouped by it: candidates ascending, -1 (exhausted) first."""
        ...

    def transferable(self, idx: Any, pos: Any, w: Any, cont: Any) -> Weight:
        """How many of those papers have a next continuing preference."""
        ...

    def draw(self, seed: int) -> Any:
        """A sampler for the Dáil sample: ``sampler(groups, k)`` draws ``k`` whole papers at
        random from ``groups`` (numpy's multivariate hypergeometric with the count's
        seed), returning ``(idx, pos, w)`` of the papers drawn."""
        ...


def ballots_for(profile: Profile) -> Ballots:
    """The implementation for this (strict, ranked) profile."""
    how = IMPLEMENTATION.get()
    if how == "auto":
        how = "numpy" if profile.arrays is not None or profile.unique >= SMALL_UNIQUE else "python"
    if how == "numpy":
        return ArrayBallots(BallotArrays.of(profile))
    if how == "python":
        return ListBallots(profile)
    raise ValueError(f"unknown implementation {how!r}; use auto, numpy or python")


# -- numpy ---------------------------------------------------------------------------------
@dataclass
class BallotArrays:
    """A strict ranked profile as arrays: preferences padded with -1, and weights."""

    prefs: np.ndarray  # (unique ballots, longest ranking + 1), int32, -1 padded
    weights: np.ndarray  # int64, or object (Fractions)
    integral: bool

    @classmethod
    def of(cls, profile: Profile) -> BallotArrays:
        import numpy as np

        prefs = profile.preference_matrix  # the fast reader's, or built once from the tuples
        if prefs is None:
            raise ValueError("the array engine counts strict ranked ballots only")
        if profile.arrays is not None and prefs is profile.arrays[0]:
            # built by a fast reader from the same ballots: no need to look at the tuples
            w = profile.arrays[1]
            if len(w) == len(profile.ballots) and fits_int64(w):
                return cls(prefs, w, True)
        n = len(profile.ballots)
        integral = all(isinstance(w, int) for w in profile.weights)
        if integral and sum(profile.weights) < LIMIT:
            weights = np.fromiter(profile.weights, dtype=np.int64, count=n)
        else:
            integral = False
            weights = np.empty(n, dtype=object)
            weights[:] = [Fraction(w) for w in profile.weights]
        return cls(prefs, weights, integral)

    def papers(self, idx: np.ndarray) -> Weight:
        return self.total(self.weights[idx])

    def total(self, w: np.ndarray) -> Weight:
        if self.integral:
            return int(w.sum())
        return sum(w, Fraction(0))


class ArrayBallots:
    """The operations on numpy arrays: each paper's next preference found by flat indices
    into the preference matrix, papers grouped by numpy's (radix) sort."""

    name = "numpy"

    def __init__(self, arrays: BallotArrays) -> None:
        import numpy as np

        self.np = np
        self.arrays = arrays
        self.integral = arrays.integral

    def everyone(self) -> tuple[Any, Any]:
        nb = len(self.arrays.weights)
        return self.np.arange(nb), self.np.full(nb, -1, dtype=self.np.int64)

    def continuing(self, flags: Sequence[bool]) -> Any:
        m = self.np.zeros(len(flags) + 1, dtype=bool)
        m[: len(flags)] = flags
        m[len(flags)] = True  # prefs value -1 indexes the last element
        return m

    def _weights(self, idx: Any, w: Any) -> Any:
        return self.arrays.weights[idx] if w is None else w

    def _advance(self, idx: Any, pos: Any, cont: Any) -> tuple[Any, Any]:
        """For each paper, the position and candidate of its next continuing preference
        after ``pos`` (candidate -1: the paper is exhausted)."""
        np = self.np
        prefs = self.arrays.prefs
        if not prefs.flags.c_contiguous:
            prefs = self.arrays.prefs = np.ascontiguousarray(prefs)
        # positions in the flattened matrix: one index per paper instead of two
        width = prefs.shape[1]
        at = idx * width
        at += pos
        at, c = next_preferences(prefs.ravel(), at, cont)
        at -= idx * width
        return at, c

    def split(self, idx: Any, pos: Any, w: Any, cont: Any) -> list[Group]:
        np = self.np
        if len(idx) == 0:
            return []
        pos, cand = self._advance(idx, pos, cont)
        # candidate numbers are small: as int16 a stable sort is numpy's radix sort
        small = cand.astype(np.int16) if len(cont) < 2**15 else cand
        order = np.argsort(small, kind="stable")
        sorted_c = cand[order]
        starts = np.flatnonzero(np.r_[True, sorted_c[1:] != sorted_c[:-1]])
        ends = np.r_[starts[1:], len(sorted_c)]
        out: list[Group] = []
        for s, e in zip(starts, ends):
            sel = order[s:e]
            gidx = idx[sel]
            gw = None if w is None else w[sel]
            papers = self.arrays.papers(gidx) if gw is None else self.arrays.total(gw)
            out.append(Group(int(sorted_c[s]), gidx, pos[sel], gw, papers))
        return out

    def transferable(self, idx: Any, pos: Any, w: Any, cont: Any) -> Weight:
        if len(idx) == 0:
            return self.arrays.total(self._weights(idx, w))
        _, cand = self._advance(idx, pos, cont)
        return self.arrays.total(self._weights(idx, w)[cand >= 0])

    def draw(self, seed: int) -> Any:
        np = self.np
        rng = np.random.default_rng(seed)

        def sampler(groups: Sequence[Group], k: int) -> tuple[Any, Any, Any]:
            idx = np.concatenate([g.idx for g in groups])
            pos = np.concatenate([g.pos for g in groups])
            w = np.concatenate([self._weights(g.idx, g.w) for g in groups]).astype(np.int64)
            picked = rng.multivariate_hypergeometric(w, k) if k < int(w.sum()) else w
            keep = picked > 0
            return idx[keep], pos[keep], picked[keep]

        return sampler


# -- plain Python ----------------------------------------------------------------------------
class ListBallots:
    """The operations on Python lists: each ballot a tuple of preferences ending in -1, so
    that the continuing lookup (a list whose last item is True) stops every search."""

    name = "python"

    def __init__(self, profile: Profile) -> None:
        end = (-1,)
        self.rows: list[tuple[int, ...]] = [tuple(b) + end for b in profile.ballots]
        weights = profile.weights
        # as BallotArrays: whole weights summed as ints while they fit 62 bits, else Fractions
        self.integral = all(isinstance(w, int) for w in weights) and sum(weights) < LIMIT
        self.weights: list[Weight] = (
            list(weights) if self.integral else [Fraction(w) for w in weights]
        )
        self._zero: Weight = 0 if self.integral else Fraction(0)

    def everyone(self) -> tuple[Any, Any]:
        n = len(self.rows)
        return list(range(n)), [-1] * n

    def continuing(self, flags: Sequence[bool]) -> Any:
        return [*flags, True]

    def _total(self, ws: Any) -> Weight:
        return sum(ws, self._zero)

    def split(self, idx: Any, pos: Any, w: Any, cont: Any) -> list[Group]:
        rows = self.rows
        gidx: dict[int, list[int]] = {}
        gpos: dict[int, list[int]] = {}
        for i, p in zip(idx, pos):
            row = rows[i]
            p += 1
            c = row[p]
            while not cont[c]:
                p += 1
                c = row[p]
            if c in gidx:
                gidx[c].append(i)
                gpos[c].append(p)
            else:
                gidx[c] = [i]
                gpos[c] = [p]
        out: list[Group] = []
        if w is None:
            weights = self.weights
            for c in sorted(gidx):
                g = gidx[c]
                out.append(Group(c, g, gpos[c], None, self._total(map(weights.__getitem__, g))))
            return out
        # partial weights (a Dáil sample): the same grouping, carrying each paper's count
        gw: dict[int, list[Weight]] = {}
        for i, p, x in zip(idx, pos, w):
            row = rows[i]
            p += 1
            c = row[p]
            while not cont[c]:
                p += 1
                c = row[p]
            if c in gw:
                gw[c].append(x)
            else:
                gw[c] = [x]
        for c in sorted(gidx):
            out.append(Group(c, gidx[c], gpos[c], gw[c], self._total(gw[c])))
        return out

    def transferable(self, idx: Any, pos: Any, w: Any, cont: Any) -> Weight:
        rows = self.rows
        weights = self.weights
        total = self._zero
        for k, (i, p) in enumerate(zip(idx, pos)):
            row = rows[i]
            p += 1
            c = row[p]
            while not cont[c]:
                p += 1
                c = row[p]
            if c >= 0:
                total += weights[i] if w is None else w[k]
        return total

    def draw(self, seed: int) -> Any:
        # the draw is numpy's: the same generator, seed and calls as ArrayBallots, so the
        # same papers are drawn; numpy is imported only when a draw is needed at all
        rng: list[Any] = []

        def sampler(groups: Sequence[Group], k: int) -> tuple[Any, Any, Any]:
            idx = [i for g in groups for i in g.idx]
            pos = [p for g in groups for p in g.pos]
            weights = self.weights
            w = [
                x for g in groups for x in (map(weights.__getitem__, g.idx) if g.w is None else g.w)
            ]
            if k < sum(w):
                import numpy as np

                if not rng:
                    rng.append(np.random.default_rng(seed))
                picked = rng[0].multivariate_hypergeometric(np.array(w, dtype=np.int64), k)
                w = [int(x) for x in picked]
            keep = [j for j, x in enumerate(w) if x > 0]
            return [idx[j] for j in keep], [pos[j] for j in keep], [w[j] for j in keep]

        return sampler
