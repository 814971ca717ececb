"""Meek and Warren STV: iterated keep factors.

Every ballot is passed down its preferences at every iteration: each elected or hopeful
candidate keeps a share of the ballot's remaining value (Meek: value x keep factor;
Warren: the keep factor itself, or what is left), and passes the rest on.  Keep factors of
elected candidates are lowered until each holds about a quota; then the lowest hopeful is
excluded (keep factor 0) and the iteration begins again.

The iteration is vectorised over unique ballots: with fixed decimals every value is a
scaled integer in an int64 array (9 places fit: 10^9 x 10^9 < 2^63); exact rational counts
run the same steps on Fractions.  In fixed arithmetic the rankings are also held as a prefix
tree: papers sharing their first preferences carry the same value down them, so each
iteration does the integer steps once per prefix (the same integers as paper by paper).

A stage here is a round: the iteration to convergence, then the election(s) or the
exclusion it led to.  Totals are the votes when the round ended; keep factors are in
``Stage.extra``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np

from tallyroom.ballots.model import Profile
from tallyroom.errors import CountError, ElectionError, RuleError
from tallyroom.numbers import divide
from tallyroom.record import CountRecord, Event, Stage
from tallyroom.rules._support import record, stv_profile
from tallyroom.rules.parameters import validate_record
from tallyroom.rules.stv.gregory import BallotArrays
from tallyroom.rules.ties import History, TieBreaker, resolve

CONTINUING, ELECTED, EXCLUDED, WITHDRAWN = "hopeful", "elected", "excluded", "withdrawn"

#: the prefix tree, depth by depth: candidates, papers through each node, children runs
_Tree = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]]
_INT64 = 2**63


@dataclass(frozen=True)
class MeekOptions:
    #: meek: a candidate keeps value x keep factor; warren: keeps min(keep factor, value)
    variant: Literal["meek", "warren"] = "meek"
    #: fixed decimals, or exact rationals (keep factors then rounded up at 20 places beyond
    #: omega, the only rounding in an exact Meek count)
    arithmetic: Literal["fixed", "exact"] = "fixed"
    #: the decimals of fixed arithmetic
    places: int = 9
    #: the amount a candidate keeps from a ballot, rounded up or down (fixed arithmetic)
    keep_rounding: Literal["up", "down"] = "up"
    #: what passes on: the remainder (value - kept), or value x (1 - kf) rounded as keep
    #: is (NZ Schedule 1A cl.10 reads both parts rounded up)
    pass_on: Literal["remainder", "complement"] = "remainder"
    #: quota = total votes / (seats + 1): truncated at the places plus one unit, elected on
    #: reaching it (NZ cl.5; PRF B.2.b); or exact, elected on exceeding it
    quota_form: Literal["places-plus-unit", "exact"] = "places-plus-unit"
    #: iteration ends when the total surplus is below omega = 10^-omega_places
    omega_places: int = 6
    #: the iteration ends when the total surplus is below omega ("<"), or at most omega
    omega_test: Literal["<", "<="] = "<"
    #: exclude every sure loser at once (Droop's "safe" batch), or one at a time
    defeat_batch: Literal["none", "safe"] = "none"
    #: candidates whose votes are within the total surplus of the lowest are tied (PRF B.3)
    tie_within_surplus: bool = True
    #: separate tied candidates by earlier stages (the first, or the most recent, at which
    #: they differ) before the final fallback, or not
    tie_history: Literal["forward", "backward", "none"] = "none"
    tie_fallback: Literal["lot", "order", "decision"] = "lot"
    #: the most iterations of the keep factors at one stage before the count stops
    max_iterations: int = 100_000

    #: the bounds of the whole-number options
    BOUNDS: ClassVar[dict[str, tuple[int, int | None]]] = {
        "places": (0, 30),
        "omega_places": (0, 30),
        "max_iterations": (1, None),
    }

    def __post_init__(self) -> None:
        validate_record(self, "Meek STV")

    def with_options(self, **changes: Any) -> MeekOptions:
        known = set(asdict(self))
        unknown = sorted(set(changes) - known)
        if unknown:
            raise RuleError(
                f"unknown Meek option(s): {', '.join(unknown)}; options are: {', '.join(sorted(known))}"
            )
        d = asdict(self) | changes
        return MeekOptions(**d)

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def _check_int64(profile: Profile, method: str, places: int) -> None:
    """Refuse, before counting, papers whose values fixed arithmetic cannot hold.

    In fixed arithmetic every value is an integer of ``places`` decimals in an int64 array
    (module docstring): a sum of papers is exact while papers x 10^places < 2^63.  More
    papers than that would overflow (a raw OverflowError before this check); an exact
    count holds any number.
    """
    total = profile.valid
    limit = (2**63 - 1) // 10**places
    if isinstance(total, int) and total > limit:
        raise RuleError(
            f"{method} in fixed arithmetic of {places} decimal places holds at most "
            f"{limit:,} papers in all (64-bit integers); this profile has {total:,} "
            "(count it exactly: options arithmetic=exact and quota_form=exact)"
        )


@dataclass
class _Count:
    """What a Meek count holds between its steps."""

    seats: int
    zero: Any
    omega: Any
    status: list[str]
    kf: list[Any]  # keep factors, in the count's arithmetic
    votes: list[Any]
    exhausted: Any
    quota: Any
    prev_totals: dict[str, Any]
    elected: list[int] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    history: History = field(default_factory=History)
    number: int = 0  # the round

    def seats_left(self) -> int:
        return self.seats - len(self.elected)

    def hopeful(self) -> list[int]:
        return [i for i, s in enumerate(self.status) if s == CONTINUING]

    def surplus(self, floor: bool = True) -> Any:
        """The elected candidates' votes over the quota (below zero: zero, unless not
        ``floor``, as the stage records it)."""
        s = sum((self.votes[i] - self.quota for i in self.elected), self.zero)
        return self.zero if floor and s < 0 else s


@dataclass(frozen=True)
class _Round:
    """How a round's iteration ended, and after how many iterations."""

    outcome: Literal["elected", "omega", "stable", "batch"]
    iterations: int
    new: list[int] = field(default_factory=list)  # elected by it
    batch: list[int] = field(default_factory=list)  # sure losers to exclude


class MeekSTV:
    def __init__(
        self,
        profile: Profile,
        options: MeekOptions,
        *,
        method: str,
        title: str,
        rule_text: str,
        tie_breaker: TieBreaker,
    ) -> None:
        self.profile = stv_profile(profile, method)
        self.o = options
        self.method, self.title, self.rule_text = method, title, rule_text
        self.ties = tie_breaker
        e = self.profile.election
        self.names = e.names
        self.seats = e.seats
        standing = len(e.candidates) - len(e.withdrawn)
        if self.seats > standing:
            raise ElectionError(f"{self.seats} seats but only {standing} candidates standing")
        self.arrays = BallotArrays.of(self.profile)
        self._first_groups: tuple[list[np.ndarray], list[int], int] | None = None
        self._tree: _Tree | None | Literal[False] = None
        self.exact = options.arithmetic == "exact"
        self.scale = 1 if self.exact else 10**options.places
        if not self.exact and not self.arrays.integral:
            # whole weights too big for the int64 arrays are named as such, not as fractions
            _check_int64(self.profile, method, options.places)
            raise RuleError(f"{method} in fixed arithmetic needs whole-number ballot weights")

    # -- arithmetic on values (scaled ints, or Fractions) --------------------------------
    def _fr(self, v: Any) -> Fraction:
        return Fraction(v) if self.exact else Fraction(int(v), self.scale)

    def _quota(self, total: Any) -> Any:
        s1 = self.seats + 1
        if self.o.quota_form == "exact":
            return Fraction(total) / s1 if self.exact else divide(int(total), s1, _DOWN)
        if self.exact:
            raise RuleError("quota_form places-plus-unit needs fixed arithmetic")
        return int(total) // s1 + 1

    def _elected_by(self, votes: Any, quota: Any) -> bool:
        return bool(votes > quota if self.o.quota_form == "exact" else votes >= quota)

    # -- one distribution of every ballot -------------------------------------------------
    def _distribute(self, kf: list[Any]) -> tuple[list[Any], Any]:
        """Votes per candidate, and the value no candidate kept (exhausted)."""
        if self.exact:
            return self._distribute_exact(kf)
        tree = self._prefix_tree()
        S = self.scale
        if tree is not None and all(0 <= int(k) <= S for k in kf):
            return self._distribute_tree(kf, tree)
        return self._distribute_papers(kf)

    def _distribute_tree(self, kf: list[Any], tree: _Tree) -> tuple[list[Any], Any]:
        """As ``_distribute_papers``, one prefix at a time: every paper sharing the first j
        preferences arrives at its j-th with the same value, so the integer steps are done
        once per prefix (node) and multiplied by the papers through it.  The sums are the
        same integers as the per-paper ones (the bounds checked in ``_prefix_tree`` keep
        every int64 sum exact)."""
        ncand = len(self.names)
        S = self.scale
        kfa = np.zeros(ncand + 1, dtype=np.int64)
        kfa[:ncand] = [int(k) for k in kf]
        votes = np.zeros(ncand + 1, dtype=np.int64)
        exhausted = 0
        up = self.o.keep_rounding == "up"
        warren = self.o.variant == "warren"
        complement = self.o.pass_on == "complement"
        cands, msums, starts, ends = tree
        live = np.arange(len(cands[0]), dtype=np.int64)
        w = np.full(len(live), S, dtype=np.int64)
        for d in range(len(cands)):
            c = cands[d][live]
            m = msums[d][live]
            out = c < 0  # the rankings end here: their value is exhausted
            if out.any():
                exhausted += int((w[out] * m[out]).sum())
                on = ~out
                live, c, w, m = live[on], c[on], w[on], m[on]
            if len(live) == 0:
                break
            k = kfa[c]
            if warren:
                keep = np.minimum(k, w)
                rest = w - keep
            else:
                prod = w * k
                keep = (prod + (S - 1)) // S if up else prod // S
                if complement:
                    prod2 = w * (S - k)
                    rest = (prod2 + (S - 1)) // S if up else prod2 // S
                else:
                    rest = w - keep
            np.add.at(votes, c, keep * m)
            on = rest > 0
            live, rest = live[on], rest[on]
            if len(live) == 0:
                break
            if d + 1 == len(cands):  # none: the last depth is all padding (-1)
                exhausted += int((rest * msums[d][live]).sum())
                break
            lo = starts[d][live]
            counts = ends[d][live] - lo
            total = int(counts.sum())
            # the children of each live node, a contiguous run of the next depth's nodes
            first = np.cumsum(counts) - counts
            live = np.repeat(lo - first, counts) + np.arange(total, dtype=np.int64)
            w = np.repeat(rest, counts)
        return [int(v) for v in votes[:ncand]], exhausted

    def _prefix_tree(self) -> _Tree | None:
        """The rankings as a prefix tree, depth by depth: each node's candidate (-1: the
        ranking ends), the weight of the papers through it, and the run of its children at
        the next depth.  None when some int64 sum could overflow (the per-paper code is used
        then): every value is at most S, and S x total weight must fit."""
        if self._tree is False:
            return None
        if self._tree is not None:
            return self._tree
        prefs = self.arrays.prefs
        mult = self.arrays.weights
        S = self.scale
        n, width = prefs.shape
        if (
            n == 0
            or S * S >= _INT64
            or int(mult.min()) < 0
            or S * int(mult.sum(dtype=object)) >= _INT64
        ):
            self._tree = False
            return None
        ncand = len(self.names)
        if (ncand + 1) ** width < _INT64:
            # each ranking as a number in base ncand + 1, first preference the most
            # significant digit (candidate c is the digit c + 1; no preference, 0): one
            # int64 sort puts every prefix in a contiguous run
            key = np.zeros(n, dtype=np.int64)
            for d in range(width):
                key *= ncand + 1
                key += prefs[:, d] + 1
            order = np.argsort(key, kind="stable")
        else:
            order = np.lexsort(prefs.T[::-1])
        cols = np.ascontiguousarray(prefs.T[:, order])  # the sorted rankings, by column
        csum = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(mult[order], out=csum[1:])
        new = np.zeros(n + 1, dtype=bool)  # rows starting a node (and a sentinel end)
        new[0] = new[n] = True
        cands: list[np.ndarray] = []
        msums: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        prev: np.ndarray | None = None
        for d in range(width):
            col = cols[d]
            np.logical_or(new[1:n], col[1:] != col[:-1], out=new[1:n])
            bounds = np.flatnonzero(new)  # node i: rows bounds[i] .. bounds[i + 1]
            head = bounds[:-1]
            cands.append(col[head].astype(np.int64))
            msums.append(csum[bounds[1:]] - csum[head])
            if prev is not None:
                # a node's children are the next depth's nodes from its first row to the
                # next node's first row: those whose first row begins a node here too
                lo = np.flatnonzero(prev[head])
                starts.append(lo)
                ends.append(np.append(lo[1:], len(head)))
            if not (col >= 0).any():
                break
            prev = new.copy()
        self._tree = (cands, msums, starts, ends)
        return self._tree

    def _distribute_papers(self, kf: list[Any]) -> tuple[list[Any], Any]:
        """The per-paper distribution: each paper walked down its preferences."""
        prefs = self.arrays.prefs
        mult = self.arrays.weights
        n, width = prefs.shape
        ncand = len(self.names)
        S = self.scale
        kfa = np.zeros(ncand + 1, dtype=np.int64)
        kfa[:ncand] = [int(k) for k in kf]
        votes = np.zeros(ncand + 1, dtype=np.int64)
        exhausted = 0
        up = self.o.keep_rounding == "up"
        # only the papers with value left go on to their next preference: most stop at
        # their first hopeful candidate (keep factor 1), so each column touches fewer.
        # A hopeful candidate keeps the whole of every paper that puts it first: those are
        # credited at once, from the papers grouped by first preference
        rows, firsts, blank = self._by_first()
        exhausted += S * blank
        whole = [i for i in range(ncand) if kfa[i] == S]
        for i in whole:
            votes[i] += S * firsts[i]
        rest_rows = [rows[i] for i in range(ncand) if kfa[i] != S]
        idx = np.concatenate(rest_rows) if rest_rows else np.zeros(0, dtype=np.int64)
        m = mult[idx]
        w = np.full(len(idx), S, dtype=np.int64)
        for j in range(width):
            c = prefs[idx, j]
            out = c < 0  # no preference left: what value remains is exhausted
            if out.any():
                exhausted += int((w[out] * m[out]).sum())
                on = ~out
                idx, c, w, m = idx[on], c[on], w[on], m[on]
            if len(idx) == 0:
                break
            k = kfa[c]
            if self.o.variant == "warren":
                keep = np.minimum(k, w)
                rest = w - keep
            else:
                prod = w * k
                keep = (prod + (S - 1)) // S if up else prod // S
                if self.o.pass_on == "complement":
                    prod2 = w * (S - k)
                    rest = (prod2 + (S - 1)) // S if up else prod2 // S
                else:
                    rest = w - keep
            np.add.at(votes, c, keep * m)
            on = rest > 0
            idx, w, m = idx[on], rest[on], m[on]
        exhausted += int((w * m).sum())  # none: the last column is all padding (-1)
        return [int(v) for v in votes[:ncand]], exhausted

    def _by_first(self) -> tuple[list[np.ndarray], list[int], int]:
        """The papers grouped by first preference, their number per candidate, and the
        number of papers with no preference at all (exhausted from the start)."""
        if self._first_groups is None:
            first = self.arrays.prefs[:, 0]
            ncand = len(self.names)
            order = np.argsort(first, kind="stable")
            cuts = np.searchsorted(first[order], np.arange(ncand + 1))
            rows = [order[cuts[i] : cuts[i + 1]] for i in range(ncand)]
            papers = [int(self.arrays.weights[r].sum()) for r in rows]
            blank = int(self.arrays.weights[order[: cuts[0]]].sum())
            self._first_groups = (rows, papers, blank)
        return self._first_groups

    def _distribute_exact(self, kf: list[Any]) -> tuple[list[Any], Any]:
        votes = [Fraction(0)] * len(self.names)
        exhausted = Fraction(0)
        warren = self.o.variant == "warren"
        for ballot, m in zip(self.profile.ballots, self.profile.weights):
            w = Fraction(1)
            for c in ballot:
                k = kf[c]
                if k == 0:
                    continue
                keep = min(k, w) if warren else w * k
                votes[c] += keep * m
                w -= keep
                if w <= 0:
                    break
            exhausted += w * m
        return votes, exhausted

    def _update_kf(self, kf: Any, quota: Any, votes: Any) -> Any:
        """kf x quota / votes; rounded up at each step in fixed arithmetic (NZ cl.17, PRF B.2.f)."""
        if self.exact:
            # Exact keep factors grow without bound in size (each iteration multiplies their
            # denominators), so they are rounded up at 10^-(omega places + 20): far below
            # anything the count can see, and it keeps every iteration fast.
            k = Fraction(kf) * Fraction(quota) / Fraction(votes)
            grid = 10 ** (self.o.omega_places + 20)
            return Fraction(-((-k.numerator * grid) // k.denominator), grid)
        S = self.scale
        step = divide(int(kf) * int(quota), S, _UP)
        return divide(step * S, int(votes), _UP)

    # -- ties ----------------------------------------------------------------------------------
    def _choose(
        self, tied: list[int], history: list[dict[str, Any]], *, want: str, purpose: str, stage: int
    ) -> int:
        names = [self.names[i] for i in tied]
        chosen = resolve(
            self.ties,
            names,
            history,
            want=want,
            purpose=purpose,
            stage=stage,
            direction=self.o.tie_history,
        )
        return self.names.index(chosen)

    # -- the count ---------------------------------------------------------------------------
    def count(self) -> CountRecord:
        """Round after round, until the seats are filled or as many hopefuls are left as
        seats: iterate the keep factors (`_converge`), then elect or exclude
        (`_end_round`); the last hopefuls fill the last seats (`_fill_last`)."""
        if not self.exact:
            _check_int64(self.profile, self.method, self.o.places)
        st = self._start()
        while st.seats_left() > 0 and len(st.hopeful()) > st.seats_left():
            st.number += 1
            r = self._converge(st)
            self._end_round(st, r)
        self._fill_last(st)
        notes = []
        if len(st.elected) < self.seats:
            notes.append(f"only {len(st.elected)} of {self.seats} seats filled: candidates ran out")
        return record(
            self.profile,
            method=self.method,
            title=self.title,
            rule_text=self.rule_text,
            seats=self.seats,
            elected=[self.names[i] for i in st.elected],
            stages=st.stages,
            ties=self.ties,
            quota=self._fr(st.quota),
            places=None if self.exact else self.o.places,
            options=self.o.describe()
            | {"seed": self.ties.seed, "tie_fallback": self.ties.fallback},
            notes=notes,
        )

    def _start(self) -> _Count:
        e = self.profile.election
        n = len(self.names)
        one = Fraction(1) if self.exact else self.scale
        zero: Any = Fraction(0) if self.exact else 0
        status = [WITHDRAWN if i in e.withdrawn else CONTINUING for i in range(n)]
        kf: list[Any] = [zero if s == WITHDRAWN else one for s in status]
        valid = Fraction(self.profile.valid) if self.exact else int(self.profile.valid) * self.scale
        omega = (
            Fraction(1, 10**self.o.omega_places)
            if self.exact
            else max(self.scale // 10**self.o.omega_places, 1)
        )
        votes, exhausted = self._distribute(kf)
        return _Count(
            seats=self.seats,
            zero=zero,
            omega=omega,
            status=status,
            kf=kf,
            votes=votes,
            exhausted=exhausted,
            quota=self._quota(valid),
            prev_totals={nm: zero for nm in self.names},
        )

    def _converge(self, st: _Count) -> _Round:
        """Iterate the keep factors until a hopeful reaches the quota (``"elected"``), the
        surplus is under omega (``"omega"``) or stops falling (``"stable"``), or a batch of
        sure losers is found (``"batch"``, with Droop's safe batch defeat)."""
        o, zero, n = self.o, st.zero, len(self.names)
        iterations = 0
        last_surplus = None
        while True:
            iterations += 1
            if iterations > o.max_iterations:
                raise CountError(
                    f"{self.method}: no convergence after {o.max_iterations} iterations"
                )
            if iterations > 1:
                st.votes, st.exhausted = self._distribute(st.kf)
            votes = st.votes
            total = sum((votes[i] for i in range(n) if st.status[i] in (CONTINUING, ELECTED)), zero)
            st.quota = self._quota(total)
            reached = [i for i in st.hopeful() if self._elected_by(votes[i], st.quota)]
            if reached:
                ordered = sorted(reached, key=lambda i: (-votes[i], i))[: st.seats_left()]
                for i in ordered:
                    st.status[i] = ELECTED
                    st.elected.append(i)
                return _Round("elected", iterations, new=ordered)
            surplus = st.surplus()
            if (surplus < st.omega) if o.omega_test == "<" else (surplus <= st.omega):
                return _Round("omega", iterations)
            if last_surplus is not None and surplus >= last_surplus:
                return _Round("stable", iterations)
            if o.defeat_batch == "safe":
                batch = self._sure_losers(st.hopeful(), votes, surplus, st.seats_left())
                if batch:
                    return _Round("batch", iterations, batch=batch)
            last_surplus = surplus
            for i in st.elected:
                st.kf[i] = self._update_kf(st.kf[i], st.quota, votes[i])

    def _end_round(self, st: _Count, r: _Round) -> None:
        """Elect, or exclude (the round's batch, or the lowest hopeful), and record the
        round as a stage."""
        o, zero, n, votes = self.o, st.zero, len(self.names), st.votes
        surplus = st.surplus(floor=False)
        totals = {self.names[i]: votes[i] if st.status[i] != WITHDRAWN else zero for i in range(n)}
        excluded: list[int] = []
        if r.outcome == "elected":
            events = [Event("elected", self.names[i], "reached the quota") for i in r.new]
        else:
            if r.outcome == "batch":
                excluded = r.batch
            else:
                hop = st.hopeful()
                low = min(votes[i] for i in hop)
                margin = surplus if o.tie_within_surplus else zero
                tied = [i for i in hop if votes[i] <= low + margin]
                excluded = [
                    self._choose(
                        tied, st.history, want="lowest", purpose="exclusion", stage=st.number
                    )
                ]
            for i in excluded:
                st.status[i] = EXCLUDED
                st.kf[i] = zero
            why = {
                "omega": "surplus below omega",
                "stable": "surplus no longer falling",
                "batch": "sure loser",
            }[r.outcome]
            events = [Event("excluded", self.names[i], f"lowest votes ({why})") for i in excluded]
        st.history.append(dict(totals))
        fr_tot = {k: self._fr(v) for k, v in totals.items()}
        ex_fr = self._fr(st.exhausted)
        loss = Fraction(self.profile.valid) - sum(fr_tot.values(), Fraction(0)) - ex_fr
        new = r.new
        action = (
            "first preferences"
            if st.number == 1 and r.iterations == 1
            else ("election" if new else "exclusion")
        )
        st.stages.append(
            Stage(
                number=st.number,
                action=action,
                subjects=tuple(self.names[i] for i in (new or excluded)),
                description=(
                    ("Elected: " if new else "Excluded: ")
                    + ", ".join(self.names[i] for i in (new or excluded))
                ),
                totals=fr_tot,
                transfers={k: fr_tot[k] - self._fr(st.prev_totals[k]) for k in fr_tot},
                exhausted=ex_fr,
                loss=loss,
                quota=self._fr(st.quota),
                elected=tuple(self.names[i] for i in new),
                excluded=tuple(self.names[i] for i in excluded),
                events=tuple(events),
                extra={
                    "keep_factors": {
                        self.names[i]: self._fr(st.kf[i])
                        for i in range(n)
                        if st.status[i] == ELECTED
                    },
                    "iterations": r.iterations,
                    "surplus": self._fr(surplus),
                    "ended_by": r.outcome,
                },
            )
        )
        st.prev_totals = totals
        if r.outcome != "elected":
            st.votes, st.exhausted = self._distribute(st.kf)

    def _fill_last(self, st: _Count) -> None:
        """The last vacancies: hopefuls fill them (NZ cl.3; PRF C.1)."""
        rest = st.hopeful()
        if not rest or st.seats_left() <= 0:
            return
        ordered = sorted(rest, key=lambda i: (-st.votes[i], i))[: st.seats_left()]
        for i in ordered:
            st.status[i] = ELECTED
            st.elected.append(i)
        if st.stages:
            last = st.stages[-1]
            st.stages[-1] = replace(
                last,
                elected=last.elected + tuple(self.names[i] for i in ordered),
                events=last.events
                + tuple(
                    Event("elected", self.names[i], "hopeful candidates equal the vacancies left")
                    for i in ordered
                ),
            )

    def _sure_losers(self, hop: list[int], votes: list[Any], surplus: Any, left: int) -> list[int]:
        """The largest group of lowest hopefuls who cannot catch the next one up even with the
        whole surplus, never splitting candidates within the surplus of each other, leaving
        enough hopefuls to fill the seats (Droop's 'safe' batch defeat)."""
        ranked = sorted(hop, key=lambda i: votes[i])
        groups: list[list[int]] = []
        for i in ranked:
            if groups and votes[groups[-1][0]] + surplus >= votes[i]:
                groups[-1].append(i)
            else:
                groups.append([i])
        most = len(hop) - left
        total = 0
        count = 0
        chosen = -1
        for g in range(len(groups) - 1):
            count += len(groups[g])
            if count > most:
                break
            total += sum(votes[i] for i in groups[g])
            if total + surplus < votes[groups[g + 1][0]]:
                chosen = g
        return [i for g in groups[: chosen + 1] for i in g]


from tallyroom.numbers import Rounding as _R  # noqa: E402

_UP = _R.UP
_DOWN = _R.DOWN
