"""One STV engine for the Gregory family (Scottish, ERS97, WIGM, Dáil, Minneapolis ...).

The engine works on unique ballots x weights held in arrays.  Papers live in *parcels*: a
set of ballots, the position on each ballot of the preference they now count for, and the
value each paper carries.  Each stage moves only the parcels of the candidate whose surplus
is transferred or who is excluded; the next continuing preference of every paper in those
parcels is found with array operations.

Vote totals are kept in the count's arithmetic (scaled ints for fixed decimals, Fractions
for exact counts); the record stores exact Fractions.  The books are checked at every
stage: candidate totals + exhausted + loss = valid poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from tallyroom.ballots.model import Profile, Weight
from tallyroom.errors import CountError, ElectionError, RuleError
from tallyroom.numbers import Exact, Fixed, Rounding, format_decimal
from tallyroom.record import CountRecord, Event, Stage
from tallyroom.rules.stv.options import STVOptions
from tallyroom.rules.ties import TieBreaker, break_by_history

CONTINUING, ELECTED, EXCLUDED, WITHDRAWN = "continuing", "elected", "excluded", "withdrawn"


@dataclass
class Parcel:
    """Papers that arrived together and carry the same value."""

    idx: np.ndarray  # ballot indices
    pos: np.ndarray  # position on each ballot of the preference now counting
    papers: Weight  # number of papers (sum of ballot weights)
    value: Any  # value of each paper, in the count's arithmetic
    stage: int  # the stage at which they arrived


@dataclass
class BallotArrays:
    """A strict ranked profile as arrays: preferences padded with -1, and weights."""

    prefs: np.ndarray  # (unique ballots, longest ranking + 1), int32, -1 padded
    weights: np.ndarray  # int64, or object (Fractions)
    integral: bool

    @classmethod
    def of(cls, profile: Profile) -> BallotArrays:
        ballots = profile.ballots
        n = len(ballots)
        width = max((len(b) for b in ballots), default=0) + 1
        prefs = np.full((n, width), -1, dtype=np.int32)
        for i, b in enumerate(ballots):
            if b:
                prefs[i, : len(b)] = b
        integral = all(isinstance(w, int) for w in profile.weights)
        if integral and sum(profile.weights) < 2**62:
            weights = np.fromiter(profile.weights, dtype=np.int64, count=n)
        else:
            integral = False
            weights = np.empty(n, dtype=object)
            weights[:] = [Fraction(w) for w in profile.weights]
        return cls(prefs, weights, integral)

    def papers(self, idx: np.ndarray) -> Weight:
        if self.integral:
            return int(self.weights[idx].sum())
        return sum(self.weights[idx], Fraction(0))


@dataclass
class _State:
    names: tuple[str, ...]
    status: list[str]
    votes: list[Any]
    parcels: list[list[Parcel]]
    exhausted: Any
    exhausted_papers: Weight
    loss: Any
    elected: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # elected, surplus not yet transferred
    history: list[dict[str, Any]] = field(default_factory=list)  # totals after each stage


class GregorySTV:
    """Count one profile under one set of options."""

    def __init__(
        self,
        profile: Profile,
        options: STVOptions,
        *,
        method: str = "stv",
        title: str = "Single Transferable Vote",
        rule_text: str = "",
        tie_breaker: TieBreaker | None = None,
    ) -> None:
        if profile.kind != "ranked":
            raise RuleError(
                f"{method} counts ranked ballots; this profile holds {profile.kind} ballots"
            )
        self.profile = profile.strict()
        self.options = options
        self.method = method
        self.title = title
        self.rule_text = rule_text
        self.ties = tie_breaker or TieBreaker(fallback=options.tie_fallback)
        self.arith: Fixed | Exact = (
            Fixed(options.places) if options.arithmetic == "fixed" else Exact()
        )
        self.election = self.profile.election
        self.seats = self.election.seats
        ncand = len(self.election.candidates)
        if self.seats > ncand - len(self.election.withdrawn):
            raise ElectionError(
                f"{self.seats} seats but only {ncand - len(self.election.withdrawn)} candidates standing"
            )
        self.arrays = BallotArrays.of(self.profile)
        self.stages: list[Stage] = []

    # -- helpers -----------------------------------------------------------------------
    def _fr(self, v: Any) -> Fraction:
        return self.arith.fraction(v)

    def _one(self) -> Any:
        return self.arith.of(1)

    def _times(self, papers: Weight, value: Any) -> Any:
        return self.arith.times(papers, value, self.options.tv_rounding)

    def _quota(self, total: Any) -> Any:
        """The quota from the total votes (a value in the count's arithmetic)."""
        o, a = self.options, self.arith
        divisor = self.seats + 1 if o.quota == "droop" else self.seats
        exact = a.fraction(total) / divisor
        if o.quota_form == "whole-plus-one":
            return a.of(exact.numerator // exact.denominator + 1)
        if o.quota_form == "exact":
            return a.of(exact, Rounding.DOWN)
        if o.quota_form == "round-up":
            return a.of(exact, Rounding.UP)
        if o.quota_form == "places-plus-unit":
            if isinstance(a, Exact):
                raise RuleError("quota_form places-plus-unit needs fixed arithmetic")
            return a.of(exact, Rounding.DOWN) + 1
        raise RuleError(f"unknown quota form {o.quota_form!r}")

    def _reaches(self, votes: Any, quota: Any) -> bool:
        return votes >= quota if self.options.elect_on == ">=" else votes > quota

    def _advance(
        self, idx: np.ndarray, pos: np.ndarray, cont: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each paper, the position and candidate of its next continuing preference
        after ``pos`` (candidate -1: the paper is exhausted)."""
        prefs = self.arrays.prefs
        p = pos + 1
        c = prefs[idx, p]
        ok = cont[c]
        while not ok.all():
            bad = np.flatnonzero(~ok)
            p[bad] += 1
            c[bad] = prefs[idx[bad], p[bad]]
            ok[bad] = cont[c[bad]]
        return p, c

    def _cont_mask(self, st: _State) -> np.ndarray:
        """Continuing candidates as a lookup array; index -1 (no more preferences) is True
        so that the search for a next preference stops there."""
        n = len(st.names)
        m = np.zeros(n + 1, dtype=bool)
        for i, s in enumerate(st.status):
            m[i] = s == CONTINUING
        m[n] = True  # prefs value -1 indexes the last element
        return m

    def _distribute(
        self, st: _State, parcels: Sequence[tuple[Parcel, Any]], stage: int
    ) -> tuple[dict[int, Any], Any, Weight]:
        """Move papers to their next continuing preference.

        ``parcels`` pairs each parcel with the value its papers carry onward.  Returns the
        votes credited per candidate, the value and number of papers that exhausted.
        """
        cont = self._cont_mask(st)
        credited: dict[int, Any] = {}
        ex_value: Any = self.arith.of(0)
        ex_papers: Weight = 0
        for parcel, value in parcels:
            if len(parcel.idx) == 0:
                continue
            pos, cand = self._advance(parcel.idx, parcel.pos.copy(), cont)
            order = np.argsort(cand, kind="stable")
            sorted_c = cand[order]
            starts = np.flatnonzero(np.r_[True, sorted_c[1:] != sorted_c[:-1]])
            ends = np.r_[starts[1:], len(sorted_c)]
            for s, e in zip(starts, ends):
                r = int(sorted_c[s])
                sel = order[s:e]
                idx = parcel.idx[sel]
                papers = self.arrays.papers(idx)
                votes = self._times(papers, value)
                if r < 0:
                    ex_value += votes
                    ex_papers += papers
                    continue
                st.parcels[r].append(Parcel(idx, pos[sel], papers, value, stage))
                st.votes[r] += votes
                credited[r] = credited.get(r, self.arith.of(0)) + votes
        return credited, ex_value, ex_papers

    def _totals(self, st: _State) -> dict[str, Any]:
        return {n: st.votes[i] for i, n in enumerate(st.names)}

    def _close_stage(
        self,
        st: _State,
        *,
        number: int,
        action: str,
        subjects: Sequence[int],
        description: str,
        quota: Any,
        transfer_value: Any = None,
        events: Sequence[Event] = (),
        elected: Sequence[int] = (),
        excluded: Sequence[int] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        totals = self._totals(st)
        prev = st.history[-1] if st.history else {n: self.arith.of(0) for n in st.names}
        st.history.append(totals)
        fr = self._fr
        stage = Stage(
            number=number,
            action=action,
            subjects=tuple(st.names[i] for i in subjects),
            description=description,
            transfer_value=None if transfer_value is None else fr(transfer_value),
            totals={n: fr(v) for n, v in totals.items()},
            transfers={n: fr(totals[n] - prev[n]) for n in st.names},
            exhausted=fr(st.exhausted),
            exhausted_papers=Fraction(st.exhausted_papers),
            loss=fr(st.loss),
            quota=fr(quota),
            elected=tuple(st.names[i] for i in elected),
            excluded=tuple(st.names[i] for i in excluded),
            events=tuple(events),
            extra=extra or {},
        )
        total = sum(totals.values(), self.arith.of(0)) + st.exhausted + st.loss
        if total != self.valid:
            raise CountError(
                f"{self.method}: the books do not balance at stage {number}: "
                f"{fr(total)} against a valid poll of {fr(self.valid)}"
            )
        self.stages.append(stage)

    # -- ties ----------------------------------------------------------------------------
    def _choose(self, st: _State, tied: list[int], *, want: str, purpose: str, stage: int) -> int:
        if len(tied) == 1:
            return tied[0]
        names = [st.names[i] for i in tied]
        if self.options.tie_history != "none" and st.history:
            # the stage being decided is not yet closed: history holds the earlier stages
            chosen, at, still = break_by_history(
                names, [h for h in st.history], want=want, direction=self.options.tie_history
            )
            if chosen is not None:
                from tallyroom.record import TieBreak

                self.ties.note(
                    TieBreak(
                        stage,
                        purpose,
                        tuple(names),
                        chosen,
                        f"votes at an earlier stage ({self.options.tie_history})",
                        f"{chosen} had the {'most' if want == 'highest' else 'fewest'} votes at stage {at}",
                    )
                )
                return st.names.index(chosen)
            names = still
        chosen = self.ties.last_resort(names, stage, purpose, want)
        return st.names.index(chosen)

    def _order_by_votes(self, st: _State, cands: list[int], stage: int, purpose: str) -> list[int]:
        """Candidates by votes, highest first, ties broken by the rule's tie order."""
        rest = list(cands)
        out: list[int] = []
        while rest:
            top = max(st.votes[i] for i in rest)
            tied = [i for i in rest if st.votes[i] == top]
            pick = self._choose(st, tied, want="highest", purpose=purpose, stage=stage)
            out.append(pick)
            rest.remove(pick)
        return out

    # -- the count ---------------------------------------------------------------------
    def count(self) -> CountRecord:
        o = self.options
        e = self.election
        names = e.names
        n = len(names)
        st = _State(
            names=names,
            status=[WITHDRAWN if i in e.withdrawn else CONTINUING for i in range(n)],
            votes=[self.arith.of(0)] * n,
            parcels=[[] for _ in range(n)],
            exhausted=self.arith.of(0),
            exhausted_papers=0,
            loss=self.arith.of(0),
        )
        self.valid = (
            self.arith.of(Fraction(self.profile.valid))
            if not isinstance(self.profile.valid, int)
            else self.arith.of(self.profile.valid)
        )
        quota = self._quota(self.valid)
        self.quota = quota

        # Stage 1: first preferences (papers for withdrawn candidates go to the next)
        nb = len(self.arrays.weights)
        everyone = Parcel(
            np.arange(nb), np.full(nb, -1, dtype=np.int64), self.profile.valid, self._one(), 1
        )
        _, ex_v, ex_p = self._distribute(st, [(everyone, self._one())], stage=1)
        st.exhausted += ex_v
        st.exhausted_papers += ex_p
        events = [
            Event("withdrawn", names[i], "withdrawn before the count") for i in sorted(e.withdrawn)
        ]
        number = 1
        new = self._elect(st, quota, number)
        self._close_stage(
            st,
            number=1,
            action="first preferences",
            subjects=(),
            description="First preferences",
            quota=quota,
            events=events + self._elect_events(st, new, quota),
            elected=new,
        )

        while True:
            if len(st.elected) >= self.seats:
                break
            continuing = [i for i in range(n) if st.status[i] == CONTINUING]
            vacancies = self.seats - len(st.elected)
            if len(continuing) <= vacancies:
                # Scottish r.52, ERS97 5.4.x: the last vacancies are filled by the continuing
                # candidates, with no further transfer
                self._elect_remaining(st, continuing, quota, number)
                break
            pending = [i for i in st.pending if st.votes[i] > quota]
            st.pending = pending
            if pending and not self._defer(st, pending, quota):
                number += 1
                number = self._transfer_surplus(st, pending, quota, number)
                continue
            number += 1
            number = self._exclude(st, quota, number)

        elected_names = tuple(names[i] for i in st.elected)
        self.stages_final = self.stages
        return CountRecord(
            method=self.method,
            title=self.title,
            rule_text=self.rule_text,
            candidates=names,
            seats=self.seats,
            elected=elected_names,
            stages=tuple(self.stages),
            ties=tuple(self.ties.log),
            quota=self._fr(quota),
            places=self.arith.places,
            source=self.profile.source,
            ballots_read=Fraction(self.profile.ballots_read),
            valid=Fraction(self.profile.valid),
            invalid={k: Fraction(v) for k, v in self.profile.invalid.items()},
            withdrawn=tuple(names[i] for i in sorted(e.withdrawn)),
            options=o.describe()
            | {
                "seed": self.ties.seed,
                "tie_fallback": self.ties.fallback,
                "arithmetic_description": self.arith.describe(),
            },
            ballot_rules=self.profile.rules.describe(),
            notes=tuple(self._notes(st)),
        )

    def _notes(self, st: _State) -> list[str]:
        notes = []
        if len(st.elected) < self.seats:
            notes.append(f"only {len(st.elected)} of {self.seats} seats filled: candidates ran out")
        return notes

    def _elect(self, st: _State, quota: Any, stage: int) -> list[int]:
        """Elect every continuing candidate who has reached the quota, highest first."""
        reached = [
            i
            for i, s in enumerate(st.status)
            if s == CONTINUING and self._reaches(st.votes[i], quota)
        ]
        ordered = self._order_by_votes(st, reached, stage, "order of election")
        room = self.seats - len(st.elected)
        ordered = ordered[:room] if room >= 0 else []
        for i in ordered:
            st.status[i] = ELECTED
            st.elected.append(i)
            st.pending.append(i)
        return ordered

    def _elect_events(self, st: _State, new: Sequence[int], quota: Any) -> list[Event]:
        return [Event("elected", st.names[i], "reached the quota") for i in new]

    def _elect_remaining(self, st: _State, continuing: list[int], quota: Any, number: int) -> None:
        ordered = self._order_by_votes(st, continuing, number, "order of election")
        for i in ordered:
            st.status[i] = ELECTED
            st.elected.append(i)
        if ordered and self.stages:
            last = self.stages[-1]
            self.stages[-1] = Stage(
                **{
                    **{f: getattr(last, f) for f in last.__dataclass_fields__},
                    "elected": last.elected + tuple(st.names[i] for i in ordered),
                    "events": last.events
                    + tuple(
                        Event(
                            "elected", st.names[i], "continuing candidates equal the vacancies left"
                        )
                        for i in ordered
                    ),
                }
            )

    # -- surpluses -----------------------------------------------------------------------
    def _defer(self, st: _State, pending: list[int], quota: Any) -> bool:
        """Whether the pending surpluses may be deferred (ERS97 5.2.5)."""
        if not self.options.defer_surpluses:
            return False
        total_surplus = sum((st.votes[i] - quota for i in pending), self.arith.of(0))
        cont = sorted(st.votes[i] for i in range(len(st.names)) if st.status[i] == CONTINUING)
        if len(cont) < 2:
            return False
        # the surpluses cannot lift the lowest candidate above the next lowest
        return bool(total_surplus < cont[1] - cont[0])

    def _transfer_surplus(self, st: _State, pending: list[int], quota: Any, number: int) -> int:
        o = self.options
        if o.surplus_order == "largest":
            top = max(st.votes[i] for i in pending)
            tied = [i for i in pending if st.votes[i] == top]
            c = self._choose(st, tied, want="highest", purpose="order of surpluses", stage=number)
        else:
            c = pending[0]
        st.pending.remove(c)
        total = st.votes[c]
        surplus = total - quota
        a = self.arith
        parcels = st.parcels[c]
        moving: list[tuple[Parcel, Any]] = []
        tv_shown: Any = None
        if o.surplus == "wigm":
            # each paper at surplus x its value / total votes (Scottish r.48(3))
            for p in parcels:
                moving.append((p, a.mul_div(surplus, p.value, total, o.tv_rounding)))
            kept: list[Parcel] = []
            values = {v for _, v in moving}
            tv_shown = (
                a.div(surplus, total, o.tv_rounding) if len(values) != 1 else next(iter(values))
            )
        elif o.surplus in ("uigm", "last-parcel"):
            if o.surplus == "last-parcel":
                last = max(p.stage for p in parcels)
                chosen = [p for p in parcels if p.stage == last]
                kept = [p for p in parcels if p.stage != last]
            else:
                chosen, kept = list(parcels), []
            cont = self._cont_mask(st)
            papers: Weight = 0
            transferable: Weight = 0
            received = max((p.value for p in chosen), default=a.of(1))
            for p in chosen:
                papers += p.papers
                _, cand = self._advance(p.idx, p.pos.copy(), cont)
                transferable += self.arrays.papers(p.idx[cand >= 0])
            divisor = transferable if o.tv_divisor == "transferable-papers" else papers
            if o.tv_divisor == "votes":
                divisor_value = sum((self._times(p.papers, p.value) for p in chosen), a.of(0))
            else:
                divisor_value = (
                    a.of(divisor) if isinstance(divisor, int) else a.of(Fraction(divisor))
                )
            if divisor == 0 or divisor_value == 0:
                tv = a.of(0)
            else:
                tv = a.div(surplus, divisor_value, o.tv_rounding)
            if o.tv_cap and tv > received:
                tv = received
            tv_shown = tv
            moving = [(p, tv) for p in chosen]
        else:
            raise RuleError(f"unknown surplus method {o.surplus!r}")
        credited, ex_v, ex_p = self._distribute(st, moving, number)
        transferred = sum(credited.values(), a.of(0))
        if o.surplus != "wigm" and o.tv_divisor == "transferable-papers":
            # papers with no next preference were not counted in the divisor: the part of the
            # surplus they would have carried is non-transferable
            ex_v = surplus - transferred if ex_p else ex_v
            ex_v = max(ex_v, a.of(0))
            loss = surplus - transferred - ex_v
        else:
            loss = surplus - transferred - ex_v
        st.exhausted += ex_v
        st.exhausted_papers += ex_p
        st.loss += loss
        st.votes[c] = quota
        st.parcels[c] = kept
        new = self._elect(st, quota, number)
        self._close_stage(
            st,
            number=number,
            action="surplus",
            subjects=[c],
            description=f"Surplus of {st.names[c]}",
            quota=quota,
            transfer_value=tv_shown,
            events=self._elect_events(st, new, quota),
            elected=new,
            extra={"surplus": self._fr(surplus)},
        )
        return number

    # -- exclusions ----------------------------------------------------------------------
    def _lowest(self, st: _State, number: int) -> list[int]:
        o = self.options
        cont = [i for i, s in enumerate(st.status) if s == CONTINUING]
        if o.exclusion == "bulk":
            group = self._bulk_group(st, cont)
            if len(group) > 1:
                return group
        low = min(st.votes[i] for i in cont)
        tied = [i for i in cont if st.votes[i] == low]
        return [self._choose(st, tied, want="lowest", purpose="exclusion", stage=number)]

    def _bulk_group(self, st: _State, cont: list[int]) -> list[int]:
        """The largest set of lowest candidates whose votes together (with any surpluses
        pending) are fewer than the votes of the next candidate up, leaving enough
        candidates to fill the vacancies (ERS97 5.2.6)."""
        vacancies = self.seats - len(st.elected)
        ranked = sorted(cont, key=lambda i: st.votes[i])
        pending = sum((st.votes[i] - self.quota for i in st.pending), self.arith.of(0))
        best: list[int] = []
        running = pending
        for k in range(len(ranked) - 1):
            running += st.votes[ranked[k]]
            if len(ranked) - (k + 1) < vacancies:
                break
            if running < st.votes[ranked[k + 1]]:
                best = ranked[: k + 1]
        return best

    def _exclude(self, st: _State, quota: Any, number: int) -> int:
        o = self.options
        group = self._lowest(st, number)
        for i in group:
            st.status[i] = EXCLUDED
        owned = [(i, p) for i in group for p in st.parcels[i]]
        for i in group:
            st.parcels[i] = []
        description = "Exclusion of " + ", ".join(st.names[i] for i in group)
        events = [Event("excluded", st.names[i], "lowest votes") for i in group]
        if o.exclusion_transfers == "one-stage":
            batches = [(None, owned)]
        else:
            # ERS97 5.2.7, Dáil: papers in sub-parcels by value, highest value first
            values = sorted({p.value for _, p in owned}, reverse=True)
            batches = [(v, [(i, p) for i, p in owned if p.value == v]) for v in values]
        for k, (value, batch) in enumerate(batches):
            if k > 0:
                if len(st.elected) >= self.seats:
                    break
                number += 1
            for i, p in batch:
                st.votes[i] -= self._times(p.papers, p.value)
            _, ex_v, ex_p = self._distribute(st, [(p, p.value) for _, p in batch], number)
            st.exhausted += ex_v
            st.exhausted_papers += ex_p
            new = self._elect(st, quota, number)
            label = description
            if value is not None:
                label += f" (papers at value {_plain(self.arith.fraction(value))})"
            self._close_stage(
                st,
                number=number,
                action="exclusion",
                subjects=group,
                description=label,
                quota=quota,
                transfer_value=value,
                events=(events if k == 0 else []) + self._elect_events(st, new, quota),
                elected=new,
                excluded=group if k == 0 else (),
            )
        for i in group:
            if st.votes[i] != 0 and len(st.elected) < self.seats:
                raise CountError(f"{st.names[i]} kept votes after exclusion")
        return number


def _plain(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    return format_decimal(x, 9).rstrip("0")
