"""Group minima and maxima in a Gregory count: the engine's constraint guard.

A collaborator of :class:`tallyroom.rules.stv.gregory.GregorySTV`, given the candidates
elected and hopeful at each step (never the engine or its state, so neither module imports
the other's internals). It answers the three questions the count asks under constraints
(``constraints.py``'s :class:`~tallyroom.rules.constraints.BoundConstraints`):

- may this group be excluded and a conformant result still be possible;
- of the candidates reaching the quota, highest first, which may be elected (the others
  are *doomed*);
- who is guarded (may no longer be excluded) or doomed now,

and keeps the guard and doom events for the stage being worked on, each candidate's once.

Methods (``constraint_method``): ``"guard-doom"`` (Grey and Fitzgerald's: candidates are
declared guarded or doomed each time someone is elected or excluded, and a doomed one is
excluded at the next opportunity), and ``"exclude-lowest"`` (pass over, and record, only
the candidates whose exclusion or election would make a conformant result impossible).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tallyroom.record import Event

if TYPE_CHECKING:
    from tallyroom.rules.constraints import BoundConstraints


class ConstraintGuard:
    def __init__(
        self, constraints: BoundConstraints, method: str, seats: int, names: Sequence[str]
    ) -> None:
        self.constraints = constraints
        self.method = method
        self.seats = seats
        self.names = names
        self._noted: set[tuple[str, int]] = set()  # events already recorded
        self._held: list[Event] = []  # events for the stage being worked on

    def describe(self) -> dict[str, Any]:
        """For the record's options."""
        return {"constraints": self.constraints.spec.describe(), "constraint_method": self.method}

    def can_exclude(
        self, elected: Sequence[int], hopeful: Sequence[int], group: Sequence[int]
    ) -> bool:
        """Whether excluding ``group`` leaves a conformant result possible."""
        rest = [i for i in hopeful if i not in group]
        return self.constraints.feasible(elected, rest)

    def excludable(
        self,
        elected: Sequence[int],
        hopeful: Sequence[int],
        votes: Sequence[Any],
        cont: Sequence[int],
    ) -> list[int]:
        """The continuing candidates whose exclusion leaves a conformant result possible.
        Under "exclude-lowest" those passed over are recorded as guarded here; under
        guard-doom they were recorded when they became guarded."""
        ok = [i for i in cont if self.can_exclude(elected, hopeful, [i])]
        if self.method == "exclude-lowest" and ok:
            floor = min(votes[i] for i in ok)
            for i in cont:
                if i not in ok and votes[i] <= floor:
                    why = self.constraints.why_guarded(i, elected, hopeful)
                    self._note("guarded", i, why)
        return ok

    def conformant(
        self, elected: Sequence[int], hopeful: Sequence[int], ordered: Sequence[int]
    ) -> list[int]:
        """Of the candidates reaching the quota, highest first, those whose election leaves
        a conformant result possible; the others are not elected (they are doomed)."""
        accepted: list[int] = []
        for i in ordered:
            chosen = [*elected, *accepted]
            rest = [j for j in hopeful if j != i and j not in accepted]
            if self.constraints.feasible([*chosen, i], rest):
                accepted.append(i)
            elif self.method == "exclude-lowest":
                self._note("doomed", i, self.constraints.why_doomed(i, chosen, [i, *rest]))
        return accepted

    def doomed(self, elected: Sequence[int], hopeful: Sequence[int]) -> list[int]:
        """Under guard-doom, the candidates to exclude at the next opportunity."""
        if self.method != "guard-doom" or len(elected) >= self.seats:
            return []
        return self.constraints.doomed(elected, hopeful)

    def stage_events(self, elected: Sequence[int], hopeful: Sequence[int]) -> list[Event]:
        """Guard and doom events for the stage being closed (Grey-Fitzgerald: "each time a
        candidate is declared elected or excluded"), and those held since the last."""
        if self.method == "guard-doom" and len(elected) < self.seats:
            for i in self.constraints.guarded(elected, hopeful):
                self._note("guarded", i, self.constraints.why_guarded(i, elected, hopeful))
            for i in self.constraints.doomed(elected, hopeful):
                self._note("doomed", i, self.constraints.why_doomed(i, elected, hopeful))
        return self.held()

    def held(self) -> list[Event]:
        """The events held for the stage being worked on, handed over once."""
        held, self._held = self._held, []
        return held

    def _note(self, kind: str, i: int, reason: str) -> None:
        if (kind, i) not in self._noted:
            self._noted.add((kind, i))
            self._held.append(Event(kind, self.names[i], reason))
