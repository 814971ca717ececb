"""One STV engine for the Gregory family (Scottish, ERS97, WIGM, Dáil, Minneapolis ...).

The engine works on unique ballots x weights.  Papers live in *parcels*: a set of ballots,
the position on each ballot of the preference they now count for, and the value each paper
carries.  Each stage moves only the parcels of the candidate whose surplus is transferred or
who is excluded.  The few operations on the papers themselves (the next continuing preference
of every paper in a parcel, grouping papers by it, counting them, the Dáil sample) are in
:mod:`tallyroom.rules.stv._arrays`, with numpy for big profiles and in plain Python for
small ones; the rules are all here, once.

Vote totals are kept in the count's arithmetic (scaled ints for fixed decimals, Fractions
for exact counts); the record stores exact Fractions.  The books are checked at every
stage: candidate totals + exhausted + loss = valid poll.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from tallyroom.ballots.model import Profile, Weight
from tallyroom.errors import CountError, ElectionError, RuleError
from tallyroom.numbers import Exact, Fixed, Rounding, format_decimal
from tallyroom.record import CountRecord, Event, Stage
from tallyroom.rules._support import record, stv_profile
from tallyroom.rules.stv._arrays import BallotArrays as BallotArrays  # re-exported (meek.py)
from tallyroom.rules.stv._arrays import Ballots, ballots_for
from tallyroom.rules.stv.guard import ConstraintGuard
from tallyroom.rules.stv.options import STVOptions
from tallyroom.rules.stv.surplus import Parcel, surplus_method
from tallyroom.rules.ties import History, TieBreaker, resolve

if TYPE_CHECKING:
    from tallyroom.rules.constraints import ConstraintSet

CONTINUING, ELECTED, EXCLUDED, WITHDRAWN = "continuing", "elected", "excluded", "withdrawn"


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
    history: History = field(default_factory=History)  # totals after each stage


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
        constraints: ConstraintSet | None = None,
        constraint_method: str = "guard-doom",
        parts: Mapping[str, Profile] | None = None,
    ) -> None:
        self.profile = stv_profile(profile, method)
        self.options = options
        self.method = method
        self.title = title
        self.rule_text = rule_text
        self.ties = tie_breaker or TieBreaker(fallback=options.tie_fallback)
        self.arith: Fixed | Exact = (
            Fixed(options.places) if options.arithmetic == "fixed" else Exact()
        )
        self.election = self.profile.election
        if isinstance(self.arith, Fixed):
            _check_weights_fit(self.profile, self.arith)
        self.seats = self.election.seats
        #: candidates who can never be elected (Candidate.electable; RCTab's undeclared
        #: write-ins): nobody is elected while one holds votes, and they are excluded first
        self._never = frozenset(
            i for i, c in enumerate(self.election.candidates) if not c.electable
        )
        ncand = len(self.election.candidates)
        if (
            self.seats > ncand - len(self.election.withdrawn)
            and options.more_seats_than_candidates == "refuse"
        ):
            raise ElectionError(
                f"{self.seats} seats but only {ncand - len(self.election.withdrawn)} candidates standing"
            )
        self.ballots: Ballots = ballots_for(self.profile)
        #: how a surplus moves (surplus.py), as the options name it
        self.surplus = surplus_method(
            options, self.arith, self.ballots, self.election.names, self.ties.seed
        )
        self.stages: list[Stage] = []
        # group minima/maxima (constraints.py); None: the rule as written, untouched
        if constraint_method != "guard-doom":
            # any but the default checked against constraints.py (which a plain count never loads)
            from tallyroom.rules.constraints import STV_METHODS

            if constraint_method not in STV_METHODS:
                raise RuleError(
                    f"unknown constraint method {constraint_method!r}; use one of {', '.join(STV_METHODS)}"
                )
        #: the constraint guard (guard.py); None: no constraints, the rule as written
        self.guard: ConstraintGuard | None = (
            ConstraintGuard(
                constraints.bind(self.election),
                constraint_method,
                self.seats,
                self.election.names,
            )
            if constraints is not None
            else None
        )
        self._why: dict[int, str] = {}  # the test each elected candidate met (Event.reason)
        #: tallies of parts of the papers through the count (RCTab's tabulation by precinct):
        #: each part's papers per unique ballot, and the value its papers left with each
        #: elected candidate whose surplus moved them on
        self._parts: dict[str, list[Weight]] = {}
        self._retained: dict[str, list[Any]] = {}
        for name, part in (parts or {}).items():
            if options.surplus != "wigm":
                raise RuleError(
                    f"{method}: tallying parts of the papers through a count needs the "
                    f"wigm surplus, not {options.surplus!r}"
                )
            strict = part.strict()
            at = {b: i for i, b in enumerate(self.profile.ballots)}
            w: list[Weight] = [0] * len(self.profile.ballots)
            for b, x in zip(strict.ballots, strict.weights):
                if b not in at:
                    raise RuleError(f"{method}: part {name!r} holds a paper the count does not")
                w[at[b]] += x
            self._parts[name] = w
            self._retained[name] = [self.arith.of(0)] * ncand

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
        if o.quota_form == "whole-round-up":
            return a.of(-(-exact.numerator // exact.denominator))
        if o.quota_form == "places-plus-unit":
            if isinstance(a, Exact):
                raise RuleError("quota_form places-plus-unit needs fixed arithmetic")
            return a.of(exact, Rounding.DOWN) + 1
        raise RuleError(f"unknown quota form {o.quota_form!r}")

    def _reaches(self, votes: Any, quota: Any) -> bool:
        return bool(votes >= quota if self.options.elect_on == ">=" else votes > quota)

    def _cont_mask(self, st: _State) -> Any:
        """Continuing candidates as a lookup; index -1 (no more preferences) is True so that
        the search for a next preference stops there."""
        return self.ballots.continuing([s == CONTINUING for s in st.status])

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
            for r, idx, pos, w, papers in self.ballots.split(
                parcel.idx, parcel.pos, parcel.w, cont
            ):
                votes = self._times(papers, value)
                if r < 0:
                    ex_value += votes
                    ex_papers += papers
                    continue
                st.parcels[r].append(Parcel(idx, pos, papers, value, stage, w))
                st.votes[r] += votes
                credited[r] = credited.get(r, self.arith.of(0)) + votes
        return credited, ex_value, ex_papers

    def _totals(self, st: _State) -> dict[str, Any]:
        return {n: st.votes[i] for i, n in enumerate(st.names)}

    def _part_papers(self, part: str, parcel: Parcel) -> Weight:
        if parcel.w is not None:
            raise RuleError(f"{self.method}: a part of the papers through a sampled parcel")
        w = self._parts[part]
        return sum((w[int(i)] for i in parcel.idx), 0)

    def _part_totals(self, st: _State) -> dict[str, dict[str, Fraction]]:
        out = {}
        for part in self._parts:
            kept = self._retained[part]
            out[part] = {
                n: self._fr(
                    sum(
                        (self._times(self._part_papers(part, p), p.value) for p in st.parcels[i]),
                        kept[i],
                    )
                )
                for i, n in enumerate(st.names)
            }
        return out

    def _close_stage(
        self,
        st: _State,
        *,
        number: int,
        action: str,
        subjects: Sequence[int],
        description: str,
        transfer_value: Any = None,
        events: Sequence[Event] = (),
        elected: Sequence[int] = (),
        excluded: Sequence[int] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        if self.guard is not None:
            events = [*events, *self.guard.stage_events(st.elected, self._hopeful(st))]
        if self._parts:
            extra = {**(extra or {}), "parts": self._part_totals(st)}
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
            quota=fr(self.quota),
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
        # the stage being decided is not yet closed: the history holds the earlier stages
        chosen = resolve(
            self.ties,
            [st.names[i] for i in tied],
            st.history,
            want=want,
            purpose=purpose,
            stage=stage,
            direction=self.options.tie_history,
        )
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
        self.valid = self.arith.of(
            self.profile.valid
            if isinstance(self.profile.valid, int)
            else Fraction(self.profile.valid)
        )
        self.quota = self._quota(self.valid)

        # Stage 1: first preferences (papers for withdrawn candidates go to the next)
        idx, pos = self.ballots.everyone()
        everyone = Parcel(idx, pos, self.profile.valid, self._one(), 1)
        _, ex_v, ex_p = self._distribute(st, [(everyone, self._one())], stage=1)
        st.exhausted += ex_v
        st.exhausted_papers += ex_p
        if o.quota_base == "first-stage-active":
            self.quota = self._quota(self.valid - st.exhausted)
        events = [
            Event("withdrawn", names[i], "withdrawn before the count") for i in sorted(e.withdrawn)
        ]
        number = 1
        new = self._elect(st, number)
        self._close_stage(
            st,
            number=1,
            action="first preferences",
            subjects=(),
            description="First preferences",
            events=events + self._elect_events(st, new),
            elected=new,
        )

        while True:
            if len(st.elected) >= self.seats:
                # the seats are filled: the others are no longer continuing (ERS97 5.5.2), so
                # a final surplus, where a rule's reports show one, goes to no one
                for i, s_ in enumerate(st.status):
                    if s_ == CONTINUING:
                        st.status[i] = EXCLUDED
                number = self._final_surpluses(st, number)
                break
            doomed = self.guard.doomed(st.elected, self._hopeful(st)) if self.guard else []
            if doomed:
                # Grey-Fitzgerald: a doomed candidate is excluded at the next opportunity
                number += 1
                number = self._exclude(st, number, group=doomed, reason="doomed")
                continue
            blocked = self._blocking(st)
            continuing = [
                i for i in range(n) if st.status[i] == CONTINUING and i not in self._never
            ]
            vacancies = self.seats - len(st.elected)
            if not blocked and len(continuing) <= vacancies:
                # Scottish r.52(1), ERS97 5.5.1, Dáil s.124(1): the continuing candidates fill
                # the last vacancies, with no further transfer (Scottish r.52(2))
                short = len(continuing) < vacancies and o.more_seats_than_candidates == "elect-all"
                self._elect_remaining(
                    st,
                    continuing,
                    number,
                    "every candidate left elected (more seats than candidates)"
                    if short
                    else "last places filled (continuing candidates = places unfilled)",
                )
                if short:
                    # RCTab: everyone is elected and the count ends, no surplus round
                    break
                number = self._final_surpluses(st, number)
                break
            st.pending = [i for i in st.pending if self._has_surplus(st, i)]
            if st.pending and not self._defer(st):
                number += 1
                number = self._transfer_surplus(st, number)
                continue
            if (
                o.last_exclusion == "elect-without-transfer"
                and not blocked
                and len(continuing) - 1 == vacancies
            ):
                # ERS97 5.5.1: the proposed exclusion would leave as many continuing candidates
                # as places: they are elected without transferring the excluded papers
                low = self._lowest(st, number + 1, single=True)[0]
                rest = [i for i in continuing if i != low]
                self._elect_remaining(
                    st,
                    rest,
                    number,
                    "last places filled (the lowest candidate's exclusion would leave continuing "
                    "candidates = places unfilled)",
                )
                number = self._final_surpluses(st, number)
                break
            number += 1
            number = self._exclude(st, number)

        return record(
            self.profile,
            method=self.method,
            title=self.title,
            rule_text=self.rule_text,
            seats=self.seats,
            elected=[names[i] for i in st.elected],
            stages=self.stages,
            ties=self.ties,
            quota=self._fr(self.quota),
            places=self.arith.places,
            refuse_unelectable=False,  # never elected here: kept out as the count goes
            options=o.describe()
            | {
                "seed": self.ties.seed,
                "tie_fallback": self.ties.fallback,
                "arithmetic_description": self.arith.describe(),
            }
            | (self.guard.describe() if self.guard is not None else {}),
            notes=self._notes(st),
        )

    def _notes(self, st: _State) -> list[str]:
        notes = []
        if len(st.elected) < self.seats:
            notes.append(f"only {len(st.elected)} of {self.seats} seats filled: candidates ran out")
        return notes

    def _has_surplus(self, st: _State, i: int) -> bool:
        if st.votes[i] > self.quota:
            return True
        return self.options.zero_surplus_stage and st.votes[i] == self.quota

    def _final_surpluses(self, st: _State, number: int) -> int:
        """Surpluses still pending when the seats are filled: transferred only where the rule's
        reports show them (RCTab); statutory rules stop (Scottish r.52(2), ERS97 5.5.2)."""
        if not self.options.transfer_final_surplus:
            return number
        st.pending = [i for i in st.pending if self._has_surplus(st, i)]
        while st.pending:
            number += 1
            number = self._transfer_surplus(st, number)
        last = self.stages[-1] if self.stages else None
        if self.options.zero_surplus_stage and last is not None and last.elected:
            # RCTab tabulates one more round after a round that elected anyone, to show
            # their surpluses; those elected last below the threshold have none to move
            number += 1
            self._close_stage(
                st,
                number=number,
                action="surplus",
                subjects=[st.names.index(x) for x in last.elected],
                description="Surplus of " + ", ".join(last.elected) + " (none to transfer)",
            )
        return number

    # -- quota and election --------------------------------------------------------------
    def _recompute_quota(self, st: _State) -> None:
        """ERS97 5.4.8: while nobody is elected, the quota is worked from the valid poll less
        the non-transferable votes."""
        mode = self.options.quota_recompute
        if mode == "always" or (mode == "until-first-election" and not st.elected):
            self.quota = self._quota(self.valid - st.exhausted)

    def _total_active(self, st: _State) -> Any:
        """ERS97 6.20: the votes of all continuing candidates plus any votes awaiting
        transfer, which are the surpluses not yet transferred and the votes of excluded
        candidates still to go in later batches (5.4.11).  This is the figure of the count
        control form of 5.6.1: the total valid vote less the quotas (or the votes, if less)
        of those deemed elected and less the non-transferable votes."""
        a0 = self.arith.of(0)
        active = sum((st.votes[j] for j, s in enumerate(st.status) if s == CONTINUING), a0)
        active += sum(
            (st.votes[j] - self.quota for j in st.elected if st.votes[j] > self.quota), a0
        )
        # an excluded candidate keeps, until transferred, the votes of the batches not yet
        # moved (5.4.1, 5.4.11); once all are moved these are 0
        active += sum((st.votes[j] for j, s in enumerate(st.status) if s == EXCLUDED), a0)
        return active

    def _active_threshold_met(self, st: _State, i: int) -> bool:
        """ERS97 5.1.7(b), 5.3.13(b), 5.4.9(b): votes >= total active vote / (places not yet
        filled + 1), the total active vote as :meth:`_total_active`."""
        vacancies = self.seats - len(st.elected)
        active = self._total_active(st)
        return bool(st.votes[i] * (vacancies + 1) >= active) and st.votes[i] > 0

    def _meets(self, st: _State, i: int, clause: str = "ERS97 5.1.7(b)") -> str | None:
        """Which test of election candidate ``i`` meets now, as the reason recorded, or None."""
        if self._reaches(st.votes[i], self.quota):
            return "reached the quota"
        if self.options.elect_on_active_threshold and self._active_threshold_met(st, i):
            vacancies = self.seats - len(st.elected)
            active = self._fr(self._total_active(st))
            return (
                f"reached the {clause} threshold below the quota (total active vote "
                f"{_plain(active)} / (places unfilled {vacancies} + 1) = "
                f"{_plain(active / (vacancies + 1))})"
            )
        return None

    def _elect(self, st: _State, stage: int, clause: str = "ERS97 5.1.7(b)") -> list[int]:
        """Elect every continuing candidate who has reached the quota, highest first.

        ERS97 5.1.7, 5.3.13, 5.4.9: "considering each continuing candidate in turn in
        descending order of their votes": each candidate is tested against the threshold as
        it stands when their turn comes, so after one is deemed elected the places not yet
        filled and the total active vote (5.6.1: less that candidate's quota, or votes if
        less) are those after that election.  The quota itself does not change (5.4.8 works
        only before anyone is elected), so for rules that elect on the quota alone this is
        the same as testing everyone at once.
        """
        self._recompute_quota(st)
        if self._blocking(st):
            return []
        reached = [
            i
            for i, s in enumerate(st.status)
            if s == CONTINUING and i not in self._never and self._meets(st, i) is not None
        ]
        ordered = self._order_by_votes(st, reached, stage, "order of election")
        if self.guard is not None:
            ordered = self.guard.conformant(st.elected, self._hopeful(st), ordered)
        room = self.seats - len(st.elected)
        if self.options.elect_per_stage == "one":
            room = min(room, 1)
        ordered = ordered[:room] if room >= 0 else []
        new: list[int] = []
        for i in ordered:
            why = self._meets(st, i, clause)  # re-tested in turn (5.4.9 "each ... in turn")
            if why is None:
                continue
            self._why[i] = why
            st.status[i] = ELECTED
            st.elected.append(i)
            st.pending.append(i)
            new.append(i)
        return new

    def _blocking(self, st: _State) -> list[int]:
        """The continuing candidates who can never be elected and hold votes.  While there
        is one, nobody is elected (RCTab: no winner while undeclared write-ins are live) and
        they are excluded first, on their own."""
        return [i for i in self._never if st.status[i] == CONTINUING and st.votes[i] > 0]

    def _elect_events(self, st: _State, new: Sequence[int]) -> list[Event]:
        return [Event("elected", st.names[i], self._why.get(i, "reached the quota")) for i in new]

    def _elect_remaining(self, st: _State, cands: list[int], number: int, reason: str) -> None:
        ordered = self._order_by_votes(st, cands, number, "order of election")
        for i in ordered:
            st.status[i] = ELECTED
            st.elected.append(i)
        if ordered and self.stages:
            last = self.stages[-1]
            held = self.guard.held() if self.guard is not None else []
            self.stages[-1] = replace(
                last,
                elected=last.elected + tuple(st.names[i] for i in ordered),
                events=last.events
                + tuple(held)
                + tuple(Event("elected", st.names[i], reason) for i in ordered),
            )
        for i, s in enumerate(st.status):
            if s == CONTINUING:
                st.status[i] = EXCLUDED

    # -- surpluses -----------------------------------------------------------------------
    def _defer(self, st: _State) -> bool:
        """Whether the pending surpluses may be deferred (ERS97 5.2.2; Dáil s.121)."""
        mode = self.options.defer_surpluses
        if mode == "no":
            return False
        total = sum((st.votes[i] - self.quota for i in st.pending), self.arith.of(0))
        cont = sorted(
            (i for i, s in enumerate(st.status) if s == CONTINUING), key=lambda i: st.votes[i]
        )
        if len(cont) < 2:
            return False
        gap = st.votes[cont[1]] - st.votes[cont[0]]
        if mode == "ers97":
            # 5.2.2: "does not exceed" (a) the gap between the two lowest, or (b) the gap between
            # "the total of the votes of two or more candidates with the fewest votes who could
            # be excluded under rule 5.2.5" and the vote of the candidate next above.  Read as
            # ANY such group of lowest candidates, not only the largest: with the surpluses
            # deferred, 5.2.5(b) counts them with the group's votes, so every group that passes
            # this test could then be excluded under 5.2.5 -- which is what "could be excluded"
            # asks -- and no transfer of the surpluses could lift any of them above the next
            # candidate.  (The largest group may have a smaller gap than a smaller group.)
            if total <= gap:
                return True
            vacancies = self.seats - len(st.elected)
            running = self.arith.of(0)
            for k in range(len(cont) - 1):
                running += st.votes[cont[k]]
                if len(cont) - (k + 1) < vacancies:
                    break  # 5.2.5(a): enough candidates must remain to fill the places
                above = st.votes[cont[k + 1]]
                if k >= 1 and st.votes[cont[k]] < above and total <= above - running:
                    return True
            return False
        # Dáil s.121: the surpluses together are less than the gap between the two lowest and
        # cannot bring any continuing candidate to the quota
        top = st.votes[cont[-1]]
        return bool(total < gap and top + total < self.quota)

    def _pick_surplus(self, st: _State, number: int) -> int:
        if self.options.surplus_order == "largest":
            surplus = {i: st.votes[i] - self.quota for i in st.pending}
            top = max(surplus.values())
            tied = [i for i in st.pending if surplus[i] == top]
            return self._choose(
                st, tied, want="highest", purpose="order of surpluses", stage=number
            )
        return st.pending[0]

    def _transfer_surplus(self, st: _State, number: int) -> int:
        """One stage of surplus transfer: the largest surplus, or (RCTab's multi-winner
        rounds) every pending surplus together, largest first."""
        subjects: list[int] = []
        shown: list[Any] = []
        extras: list[dict[str, Any]] = []
        while st.pending:
            c = self._pick_surplus(st, number)
            st.pending.remove(c)
            tv, extra = self._move_surplus(st, c, number)
            subjects.append(c)
            shown.append(tv)
            extras.append(extra)
            if self.options.surpluses_per_stage == "one":
                break
        new = self._elect(st, number, "ERS97 5.3.13(b)")
        self._close_stage(
            st,
            number=number,
            action="surplus",
            subjects=subjects,
            description="Surplus of " + ", ".join(st.names[c] for c in subjects),
            transfer_value=shown[0] if len(shown) == 1 else None,
            events=self._elect_events(st, new),
            elected=new,
            extra=extras[0]
            if len(extras) == 1
            else {"surpluses": {st.names[c]: x for c, x in zip(subjects, extras)}},
        )
        return number

    def _move_surplus(self, st: _State, c: int, number: int) -> tuple[Any, dict[str, Any]]:
        """Transfer candidate ``c``'s surplus as the rule's surplus method plans it (what
        moves at what value: surplus.py); returns the transfer value shown and details."""
        a = self.arith
        total = st.votes[c]
        surplus = total - self.quota
        plan = self.surplus.plan(surplus, total, st.parcels[c], self._cont_mask(st), number)
        extra: dict[str, Any] = {"surplus": self._fr(surplus), **plan.extra}
        for part, kept_by in self._retained.items():
            # what each paper keeps with c: its value less the value it moves on with
            for p, nv in plan.moving:
                kept_by[c] += self._times(self._part_papers(part, p), p.value - nv)
        credited, ex_v, ex_p = self._distribute(st, plan.moving, number)
        transferred = sum(credited.values(), a.of(0))
        for r, parcel in plan.drawn:
            st.parcels[r].append(parcel)
            st.votes[r] += a.of(parcel.papers)
            transferred += a.of(parcel.papers)
        if plan.residue == "exhausted":
            ex_v = surplus - transferred
            loss = a.of(0)
        else:
            loss = surplus - transferred - ex_v
        st.exhausted += ex_v
        st.exhausted_papers += ex_p
        st.loss += loss
        st.votes[c] = self.quota
        st.parcels[c] = plan.kept
        if plan.shown is not None:
            extra["transfer_value"] = self._fr(plan.shown)
        return plan.shown, extra

    # -- exclusions ----------------------------------------------------------------------
    def _lowest(self, st: _State, number: int, single: bool = False) -> list[int]:
        o = self.options
        cont = [i for i, s in enumerate(st.status) if s == CONTINUING]
        first = [i for i in cont if st.names[i] in o.exclude_first] or self._blocking(st)
        if first:
            return [self._choose(st, first, want="lowest", purpose="exclusion", stage=number)]
        if o.exclusion == "bulk" and not single:
            group = self._bulk_group(st, sorted(cont, key=lambda i: st.votes[i]))
            if len(group) > 1 and (
                self.guard is None or self.guard.can_exclude(st.elected, self._hopeful(st), group)
            ):
                return group
        if self.guard is not None:
            cont = self.guard.excludable(st.elected, self._hopeful(st), st.votes, cont)
        low = min(st.votes[i] for i in cont)
        tied = [i for i in cont if st.votes[i] == low]
        return [self._choose(st, tied, want="lowest", purpose="exclusion", stage=number)]

    def _bulk_group(self, st: _State, ranked: list[int], with_pending: bool = True) -> list[int]:
        """The largest group of lowest candidates whose votes together, with any surpluses
        not yet transferred, do not exceed (ERS97 5.2.5) / are less than (Dáil) the votes of
        the next candidate up, leaving enough candidates to fill the vacancies."""
        vacancies = self.seats - len(st.elected)
        pending = a0 = self.arith.of(0)
        if with_pending:
            pending = sum(
                (st.votes[i] - self.quota for i in st.pending if st.votes[i] > self.quota), a0
            )
        best: list[int] = []
        running = pending
        strict = self.options.bulk_margin == "<"
        for k in range(len(ranked) - 1):
            running += st.votes[ranked[k]]
            if len(ranked) - (k + 1) < vacancies:
                break
            nxt = st.votes[ranked[k + 1]]
            if (running < nxt) if strict else (running <= nxt):
                if st.votes[ranked[k]] < nxt:  # never split candidates with equal votes
                    best = ranked[: k + 1]
        return best

    def _exclude(
        self, st: _State, number: int, group: list[int] | None = None, reason: str = "lowest votes"
    ) -> int:
        o = self.options
        group = self._lowest(st, number) if group is None else group
        if reason == "lowest votes" and all(i in self._never for i in group):
            reason = "can never be elected: excluded first (RCTab, undeclared write-ins)"
        if self.guard is not None and reason == "lowest votes":
            floor = min(st.votes[i] for i in group)
            if any(st.votes[j] < floor for j in self._hopeful(st) if j not in group):
                reason = "lowest votes of the candidates who may be excluded under the constraints"
        for i in group:
            st.status[i] = EXCLUDED
        owned = [(i, p) for i in group for p in st.parcels[i]]
        for i in group:
            st.parcels[i] = []
        description = "Exclusion of " + ", ".join(st.names[i] for i in group)
        events = [Event("excluded", st.names[i], reason) for i in group]
        if o.exclusion_transfers == "one-stage":
            batches: list[tuple[Any, list[tuple[int, Parcel]]]] = [(None, owned)]
        else:
            # ERS97 5.4.1, 5.4.11: batches by transfer value, highest value first
            values = sorted({p.value for _, p in owned}, reverse=True)
            batches = [(v, [(i, p) for i, p in owned if p.value == v]) for v in values]
            if not batches:
                batches = [(None, [])]
        for k, (value, batch) in enumerate(batches):
            if k > 0:
                if len(st.elected) >= self.seats:
                    break  # ERS97 5.5.2: all places filled, no further transfer
                number += 1
            removed = self.arith.of(0)
            for i, p in batch:
                moved = self._times(p.papers, p.value)
                st.votes[i] -= moved
                removed += moved
            credited, ex_v, ex_p = self._distribute(st, [(p, p.value) for _, p in batch], number)
            st.exhausted += ex_v
            st.exhausted_papers += ex_p
            # papers carried at their value lose nothing when each weighs a whole number; a
            # fractional weight (a weighted roll) times a fixed-point value is rounded down
            # per sub-parcel, and what the rounding drops is the stage's rounding loss
            st.loss += removed - sum(credited.values(), self.arith.of(0)) - ex_v
            new = self._elect(st, number, "ERS97 5.4.9(b)")
            label = description
            if value is not None and len(batches) > 1:
                label += f" (batch {k + 1} of {len(batches)}: papers at value {_plain(self.arith.fraction(value))})"
            self._close_stage(
                st,
                number=number,
                action="exclusion",
                subjects=group,
                description=label,
                transfer_value=value,
                events=(events if k == 0 else []) + self._elect_events(st, new),
                elected=new,
                excluded=group if k == 0 else (),
            )
        for i in group:
            if st.votes[i] != 0 and len(st.elected) < self.seats:
                raise CountError(f"{st.names[i]} kept votes after exclusion")
        return number

    def _hopeful(self, st: _State) -> list[int]:
        return [i for i, s in enumerate(st.status) if s == CONTINUING]


def _weight_text(w: Fraction) -> str:
    """A weight as its reader wrote it: a decimal when it has one, else a fraction."""
    d = w.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1 or len(str(w.denominator)) > 40:
        return f"{w.numerator}/{w.denominator}"
    places = 0
    while (w * 10**places).denominator != 1:
        places += 1
    return format_decimal(w, places)


def _check_weights_fit(profile: Profile, arith: Fixed) -> None:
    """Refuse, before counting, a ballot weight the rule's fixed-point arithmetic cannot
    hold (1/3 of a paper, or 1.000001 under 5 decimals): rounding it at the first stage
    would change the valid poll without a word, and the books could not balance."""
    scale = arith.scale
    for ballot, w in zip(profile.ballots, profile.weights):
        if isinstance(w, int) or (w * scale).denominator == 1:
            continue
        names = profile.election.names
        first = [
            "=".join(names[c] for c in p) if isinstance(p, (tuple, frozenset)) else names[p]
            for p in list(ballot)[:3]
        ]
        ranking = ", ".join(first) + (", ..." if len(ballot) > 3 else "") or "no one"
        kind = "is not a decimal" if "/" in _weight_text(w) else "has more decimals than that"
        raise RuleError(
            f"the ballot weight {_weight_text(w)} (papers ranking {ranking}) cannot be held in "
            f"the rule's arithmetic, fixed point with {arith.places} decimal places: it {kind}, "
            f"and rounding it would change the valid poll; give weights of at most "
            f"{arith.places} decimals, or count with --option arithmetic=exact"
        )


def _plain(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    return format_decimal(x, 9).rstrip("0")
