"""Breaking ties: by earlier stages, then by lot, a given order, or the returning officer.

Ties are data.  A count by lot is replayable: the seed is an input and is recorded with
every tie it decided.  A returning officer's decision is passed in as a list of names
(``decisions``), consumed in order, one per tie that reaches the final fallback; a tie with
no decision left is an error, never a prompt inside the engine.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tallyroom.errors import DecisionNeeded, ElectionError, RuleError
from tallyroom.record import TieBreak

FALLBACKS = ("lot", "order", "decision")
#: the options every rule takes for its ties
TIE_KEYS = ("seed", "tie_fallback", "tie_order", "decisions")


def pop_tie_options(options: dict[str, Any]) -> dict[str, Any]:
    """Take the tie options out of a rule's options."""
    return {k: options.pop(k) for k in TIE_KEYS if k in options}


@dataclass
class TieBreaker:
    """Final fallback for ties that the rule's own criteria leave unbroken."""

    fallback: str = "lot"  # lot | order | decision
    seed: int = 1
    order: Sequence[str] = ()  # for "order": the decision falls on the earliest in the list
    decisions: Sequence[str] = ()  # for "decision": the returning officer's choices
    log: list[TieBreak] = field(default_factory=list)
    _rng: random.Random | None = None
    _next_decision: int = 0

    def __post_init__(self) -> None:
        if self.fallback not in FALLBACKS:
            raise RuleError(
                f"unknown tie fallback {self.fallback!r}; use one of {', '.join(FALLBACKS)}"
            )
        self._rng = random.Random(self.seed)

    def last_resort(self, tied: Sequence[str], stage: int, purpose: str, want: str) -> str:
        """Choose among ``tied`` when nothing in the count separates them.

        ``want`` is "highest" or "lowest": what the choice stands for (e.g. the candidate
        to exclude stands for the lowest).
        """
        tied = sorted(tied)  # a stable starting order, independent of file order
        if self.fallback == "decision":
            if self._next_decision >= len(self.decisions):
                raise DecisionNeeded(stage, purpose, tuple(tied))
            choice = self.decisions[self._next_decision]
            self._next_decision += 1
            if choice not in tied:
                raise RuleError(
                    f"stage {stage}: the decision {choice!r} is not one of the tied candidates "
                    f"({', '.join(tied)})"
                )
            self._record(stage, purpose, tied, choice, "returning officer's decision", "")
            return choice
        if self.fallback == "order":
            # an order drawn by lot in advance: the decision falls on the candidate earliest in
            # it -- excluded first, elected first, surplus transferred first (Electoral Act
            # 1992 s.118 "determine by lot"; Droop's [tie] line)
            ranked = [n for n in self.order if n in tied]
            if len(ranked) != len(tied):
                missing = sorted(set(tied) - set(ranked))
                raise RuleError(f"the tie order does not name {', '.join(missing)}")
            choice = ranked[0]
            self._record(stage, purpose, tied, choice, "given order", "order: " + ", ".join(ranked))
            return choice
        assert self._rng is not None
        choice = self._rng.choice(tied)
        self._record(
            stage,
            purpose,
            tied,
            choice,
            "by lot",
            f"drawn by a seeded random choice (seed {self.seed}) among {', '.join(tied)}",
        )
        return choice

    def _record(
        self, stage: int, purpose: str, tied: Sequence[str], chosen: str, method: str, evidence: str
    ) -> None:
        self.log.append(TieBreak(stage, purpose, tuple(tied), chosen, method, evidence))

    def note(self, tie: TieBreak) -> None:
        self.log.append(tie)


class History(list[dict[str, Any]]):
    """The totals at the end of each stage, oldest first, that also keeps, for each
    candidate, the stages at which their total changed.

    Only those stages can separate tied candidates, so :func:`break_by_history` looks at
    them alone: with many candidates on the same votes since the first stage (a thousand
    candidates, three papers) the search is no longer stages x candidates for every tie,
    which made a count cubic in the candidates.  The choice is the same as looking at
    every stage.
    """

    def __init__(self) -> None:
        super().__init__()
        self.changes: dict[str, list[int]] = {}
        self._last: dict[str, Any] = {}

    def append(self, totals: dict[str, Any]) -> None:
        i = len(self)
        last = self._last
        for n, v in totals.items():
            if v != last.get(n, 0):
                self.changes.setdefault(n, []).append(i)
            last[n] = v
        for n, v in last.items():
            if n not in totals and v != 0:  # absent from a stage: 0 there
                self.changes.setdefault(n, []).append(i)
                last[n] = 0
        super().append(totals)


def _stages_to_look_at(tied: Sequence[str], history: History, direction: str) -> list[int]:
    """One stage of each run of stages over which no tied candidate's total changed: the
    latest of the run looking backward, the earliest looking forward."""
    points: set[int] = set()
    for n in tied:
        points.update(history.changes.get(n, ()))
    if direction == "forward":
        return sorted({0} | points)
    return sorted({len(history) - 1} | {c - 1 for c in points if c >= 1}, reverse=True)


def break_by_history(
    tied: Sequence[str],
    history: Sequence[dict[str, Fraction]],
    *,
    want: str,
    direction: str,
) -> tuple[str | None, int | None, list[str]]:
    """Separate tied candidates by their votes at earlier stages.

    ``history`` holds the totals at the end of each earlier stage, oldest first.
    ``direction`` "backward" looks at the most recent stage at which they differed
    (Scottish rules 49(2), 51(2)); "forward" at the earliest (ERS97).  The candidate chosen
    has the highest (``want="highest"``) or lowest votes there; if several still share that
    value at the deciding stage, the search goes on among them.  Returns the chosen name,
    the stage number that decided, and the candidates still tied (all of them chosen or
    not): (None, None, still_tied) when no stage separates them.
    """
    order: Sequence[int]
    if isinstance(history, History):
        order = _stages_to_look_at(tied, history, direction) if history else []
    elif direction == "forward":
        order = range(len(history))
    else:
        order = range(len(history) - 1, -1, -1)
    zero = Fraction(0)
    pick: Callable[..., Fraction] = max if want == "highest" else min
    remaining = list(tied)
    for i in order:
        vals = {n: history[i].get(n, zero) for n in remaining}
        if len(set(vals.values())) > 1:
            best = pick(vals.values())
            remaining = [n for n in remaining if vals[n] == best]
            if len(remaining) == 1:
                return remaining[0], i + 1, remaining
    return None, None, remaining


def tie_breaker_for(
    election_names: Sequence[str],
    file_order: Sequence[int] | None,
    *,
    default: str,
    seed: int = 1,
    tie_fallback: str | None = None,
    tie_order: Sequence[str] = (),
    decisions: Sequence[str] = (),
) -> TieBreaker:
    """The tie breaker for one count: the caller's fallback, else an order given in the call
    or the file (a lot drawn in advance), else the rule's default.

    Options that contradict each other, or name no candidate, are refused before the count
    (:func:`check_tie_options`), not when a tie happens."""
    check_tie_options(tie_fallback, tie_order, decisions, election_names)
    order = tuple(tie_order) or tuple(election_names[i] for i in (file_order or ()))
    fallback = tie_fallback or ("order" if order else default)
    return TieBreaker(fallback=fallback, seed=seed, order=order, decisions=decisions)


def check_tie_options(
    fallback: str | None,
    order: Sequence[str],
    decisions: Sequence[str],
    names: Sequence[str] | None = None,
) -> None:
    """Refuse tie options that contradict each other (decisions for a fallback that is not
    the returning officer's decision; an order for a fallback by lot or by decision) and,
    given the candidates' ``names``, an order or decision naming someone not standing."""
    if fallback is not None and fallback not in FALLBACKS:
        raise RuleError(f"unknown tie fallback {fallback!r}; use one of {', '.join(FALLBACKS)}")
    if decisions and fallback != "decision":
        raise RuleError(
            "the returning officer's decisions are used only when ties fall to the returning "
            f"officer's decision (tie fallback 'decision'), not {fallback or 'the rule default'!r}"
        )
    if order and fallback in ("lot", "decision"):
        raise RuleError(
            f"a tie order is used only when ties fall to a given order (tie fallback 'order'), "
            f"not {fallback!r}"
        )
    if names is not None:
        known = set(names)
        for what, given in (("tie order", order), ("decisions", decisions)):
            unknown = [n for n in dict.fromkeys(given) if n not in known]
            if unknown:
                raise ElectionError(
                    f"the {what} names {', '.join(repr(n) for n in unknown)}, who "
                    f"{'is' if len(unknown) == 1 else 'are'} not a candidate; candidates are: "
                    f"{', '.join(names)}"
                )
            if what == "tie order" and len(set(given)) != len(given):
                twice = sorted({n for n in given if list(given).count(n) > 1})
                raise RuleError(f"the tie order names {', '.join(twice)} more than once")


def resolve(
    ties: TieBreaker,
    tied: Sequence[str],
    history: Sequence[dict[str, Fraction]],
    *,
    want: str,
    purpose: str,
    stage: int,
    direction: str,
) -> str:
    """Choose among tied candidates: by earlier stages (``direction`` forward or backward;
    "none" skips this), then by the tie breaker's last resort.  Every decision is logged."""
    names = list(tied)
    if len(names) == 1:
        return names[0]
    if direction != "none" and history:
        chosen, at, still = break_by_history(names, history, want=want, direction=direction)
        if chosen is not None:
            ties.note(
                TieBreak(
                    stage,
                    purpose,
                    tuple(names),
                    chosen,
                    f"votes at an earlier stage ({direction})",
                    f"{chosen} had the {'most' if want == 'highest' else 'fewest'} votes at stage {at}",
                )
            )
            return chosen
        names = still
    return ties.last_resort(names, stage, purpose, want)
