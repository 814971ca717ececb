"""How a Gregory count transfers a surplus: the engine's surplus methods.

Collaborators of :class:`tallyroom.rules.stv.gregory.GregorySTV`. Each decides, from the
elected candidate's parcels, *what* moves on and at what value (:class:`SurplusPlan`); the
engine then moves the papers to their next continuing preferences and keeps the books.
None of them sees the engine or its state, so neither module imports the other's insides.

- :class:`WeightedInclusive` (``surplus="wigm"``): every paper moves, at a value reduced
  in proportion (Scottish r.48(3) in one rounding, ``tv_compose="direct"``; Minneapolis
  167.70 and RCTab through a rounded fraction, ``"fraction"``);
- :class:`Unweighted` (``"uigm"``, ``"last-parcel"``): the papers examined (all, or the
  last parcel received: ERS97 5.3.1-2) move at one transfer value, the surplus over the
  votes, papers or transferable papers (ERS97 5.3.5-5.3.9);
- :class:`Sample` (``"sample"``): the Dáil's whole papers, drawn from the last parcel in
  proportion to the next preferences (Electoral Act 1992 s.121).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, Protocol

from tallyroom.ballots.model import Weight
from tallyroom.errors import RuleError
from tallyroom.numbers import Exact, Fixed
from tallyroom.rules.stv._arrays import Ballots, Group
from tallyroom.rules.stv.options import STVOptions


@dataclass
class Parcel:
    """Papers that arrived together and carry the same value."""

    idx: Any  # ballot indices (an array or a list, as the engine's Ballots hold them)
    pos: Any  # position on each ballot of the preference now counting
    papers: Weight  # number of papers (sum of ballot weights)
    value: Any  # value of each paper, in the count's arithmetic
    stage: int  # the stage at which they arrived
    #: papers per ballot when only part of a ballot's weight is here (a Dáil sample);
    #: None: the ballot's whole weight
    w: Any = None


@dataclass(frozen=True)
class SurplusPlan:
    """What a surplus transfer moves, as its rule decides it."""

    #: parcels, each with the value its papers carry on to their next preferences
    moving: list[tuple[Parcel, Any]]
    #: parcels that stay with the elected candidate (not examined)
    kept: list[Parcel]
    #: the transfer value the result shows (None: no single one, as in a sample)
    shown: Any
    #: where the part of the surplus that no paper carries on goes: the rounding loss
    #: (``"loss"``), or the non-transferable votes (``"exhausted"``: ERS97 5.3.9, Dáil)
    residue: Literal["loss", "exhausted"] = "loss"
    #: whole papers already placed with a continuing candidate (a sample): (candidate,
    #: parcel at value 1)
    drawn: list[tuple[int, Parcel]] = field(default_factory=list)
    #: details for the stage's record
    extra: dict[str, Any] = field(default_factory=dict)


class SurplusMethod(Protocol):
    def plan(
        self, surplus: Any, total: Any, parcels: Sequence[Parcel], cont: Any, stage: int
    ) -> SurplusPlan:
        """The plan for a candidate with ``total`` votes in ``parcels`` and ``surplus``
        over the quota; ``cont`` marks the continuing candidates (``Ballots.continuing``)."""
        ...


def surplus_method(
    options: STVOptions,
    arith: Fixed | Exact,
    ballots: Ballots,
    names: Sequence[str],
    seed: int,
) -> SurplusMethod:
    """The surplus method the options name."""
    if options.surplus == "wigm":
        return WeightedInclusive(options, arith)
    if options.surplus in ("uigm", "last-parcel"):
        return Unweighted(options, arith, ballots, last_only=options.surplus == "last-parcel")
    if options.surplus == "sample":
        return Sample(arith, ballots, names, seed)
    raise RuleError(f"unknown surplus method {options.surplus!r}")


def examined(parcels: Sequence[Parcel], last_only: bool) -> tuple[list[Parcel], list[Parcel]]:
    """The papers examined for a surplus, and those not: all, or the last received (ERS97
    5.3.1-2)."""
    if not last_only or not parcels:
        return list(parcels), []
    last = max(p.stage for p in parcels)
    return [p for p in parcels if p.stage == last], [p for p in parcels if p.stage != last]


class WeightedInclusive:
    def __init__(self, options: STVOptions, arith: Fixed | Exact) -> None:
        self.o, self.a = options, arith

    def plan(
        self, surplus: Any, total: Any, parcels: Sequence[Parcel], cont: Any, stage: int
    ) -> SurplusPlan:
        o, a = self.o, self.a
        if o.tv_compose == "direct":
            # Scottish r.48(3): each paper at (surplus x its value) / total, rounded once
            moving = [(p, a.mul_div(surplus, p.value, total, o.tv_rounding)) for p in parcels]
            return SurplusPlan(moving, [], a.div(surplus, total, o.tv_rounding))
        # Minneapolis 167.70 / RCTab: fraction = surplus / total, rounded; each paper's new
        # value = its value x fraction, rounded
        fraction = a.div(surplus, total, o.tv_rounding) if total else a.of(0)
        moving = [(p, a.mul_div(p.value, fraction, a.of(1), o.tv_rounding)) for p in parcels]
        return SurplusPlan(moving, [], fraction)


class Unweighted:
    def __init__(
        self, options: STVOptions, arith: Fixed | Exact, ballots: Ballots, *, last_only: bool
    ) -> None:
        self.o, self.a, self.ballots, self.last_only = options, arith, ballots, last_only

    def plan(
        self, surplus: Any, total: Any, parcels: Sequence[Parcel], cont: Any, stage: int
    ) -> SurplusPlan:
        o, a = self.o, self.a
        chosen, kept = examined(parcels, self.last_only)
        papers: Weight = 0
        transferable: Weight = 0
        transferable_value = a.of(0)
        received = max((p.value for p in chosen), default=a.of(1))
        for p in chosen:
            papers += p.papers
            t = self.ballots.transferable(p.idx, p.pos, p.w, cont)
            transferable += t
            transferable_value += a.times(t, p.value, o.tv_rounding)
        if o.tv_divisor == "votes":
            divisor = sum((a.times(p.papers, p.value, o.tv_rounding) for p in chosen), a.of(0))
        elif o.tv_divisor == "papers":
            divisor = a.of(papers if isinstance(papers, int) else Fraction(papers))
        else:
            divisor = a.of(
                transferable if isinstance(transferable, int) else Fraction(transferable)
            )
        if o.tv_cap and transferable_value <= surplus:
            # ERS97 5.3.7: when the transferable papers are worth no more than the surplus,
            # each goes at its present value
            tv = received
        elif divisor == 0:
            tv = a.of(0)
        else:
            tv = a.div(surplus, divisor, o.tv_rounding)
        # ERS97 5.3.9: with the transferable papers as divisor, what is not transferred
        # (papers with no next preference, and the remainder dropped from the transfer
        # value) is non-transferable
        residue: Literal["loss", "exhausted"] = (
            "exhausted" if o.tv_divisor == "transferable-papers" else "loss"
        )
        return SurplusPlan([(p, tv) for p in chosen], kept, tv, residue)


class Sample:
    def __init__(
        self, arith: Fixed | Exact, ballots: Ballots, names: Sequence[str], seed: int
    ) -> None:
        self.a, self.ballots, self.names, self.seed = arith, ballots, names, seed

    def plan(
        self, surplus: Any, total: Any, parcels: Sequence[Parcel], cont: Any, stage: int
    ) -> SurplusPlan:
        """Dáil s.121: whole papers.  From the last parcel, each sub-parcel (by next
        preference) gives floor(size x surplus / transferable) papers, the shortfall going
        one each to the largest remainders; which papers go is drawn at random with the
        count's seed."""
        a = self.a
        if not self.ballots.integral:
            raise RuleError(
                "a Dáil count transfers whole papers: ballot weights must be whole numbers"
            )
        chosen, kept = examined(parcels, True)
        groups: dict[int, list[Group]] = {}
        for p in chosen:
            for g in self.ballots.split(p.idx, p.pos, p.w, cont):
                groups.setdefault(g.cand, []).append(g)
        size = {r: sum(int(g.papers) for g in gs) for r, gs in groups.items() if r >= 0}
        transferable = sum(size.values())
        whole = int(a.fraction(surplus))
        if transferable <= whole:
            take = dict(size)
        else:
            take = {r: n * whole // transferable for r, n in size.items()}
            short = whole - sum(take.values())
            rema = {r: Fraction(n * whole, transferable) - take[r] for r, n in size.items()}
            order = sorted(size, key=lambda r: (-rema[r], -size[r], self.names[r]))
            for r in order[:short]:
                take[r] += 1
        draw = self.ballots.draw(self.seed + 1000003 * stage)
        drawn: list[tuple[int, Parcel]] = []
        for r, k in take.items():
            if k == 0:
                continue
            idx, pos, picked = draw(groups[r], k)
            drawn.append((r, Parcel(idx, pos, k, a.of(1), stage, picked)))
        sample = {
            "seed": self.seed,
            "transferable_papers": transferable,
            "papers_drawn": {self.names[r]: k for r, k in take.items() if k},
        }
        # the part of the surplus no paper carries on is non-transferable
        return SurplusPlan([], kept, None, "exhausted", drawn, {"sample": sample})
