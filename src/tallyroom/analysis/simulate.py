"""Many synthetic elections from one generator, counted under several rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tallyroom.analysis import generators
from tallyroom.analysis.compare import Aggregate, aggregate, compare
from tallyroom.ballots.model import Candidate, Election, Profile

GENERATORS = ("impartial", "plackett-luce", "bradley-terry", "spatial-1d", "spatial-2d", "slate")


def slate_election(slates: Sequence[tuple[str, int]], seats: int) -> Election:
    """Candidates ``A1, A2, ..., B1, ...`` on slates (name, size)."""
    cands = tuple(
        Candidate(f"{name}{i + 1}", {"slate": name}) for name, size in slates for i in range(size)
    )
    return Election(cands, seats)


def draw(
    generator: str,
    election: Election,
    voters: int,
    seed: int,
    *,
    cohesion: float = 4.0,
    crossover: float = 0.1,
    lengths: int | None = None,
) -> Profile:
    """One synthetic profile; slate strengths 1, bloc shares equal unless a model says."""
    if generator == "impartial":
        return generators.impartial_culture(election, voters, seed=seed, lengths=lengths)
    if generator == "plackett-luce":
        m = len(election.candidates)
        return generators.plackett_luce(
            election, voters, [1.0 / (i + 1) for i in range(m)], seed=seed, lengths=lengths
        )
    if generator == "bradley-terry":
        return generators.bradley_terry(
            election, voters, cohesion=cohesion, seed=seed, lengths=lengths
        )
    if generator in ("spatial-1d", "spatial-2d"):
        return generators.spatial(
            election, voters, dimensions=int(generator[8]), seed=seed, lengths=lengths
        )
    if generator == "slate":
        slates = generators.groups_of(election, "slate")
        shares = {s: float(slates.count(s)) for s in dict.fromkeys(slates)}
        return generators.slate_voting(
            election, voters, shares, crossover=crossover, seed=seed, lengths=lengths
        )
    raise ValueError(f"unknown generator {generator!r}; known: {', '.join(GENERATORS)}")


@dataclass(frozen=True)
class Simulation:
    generator: str
    elections: int
    total: Aggregate
    seat_splits: dict[str, Counter[tuple[tuple[str, int], ...]]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "elections": self.elections,
            "total": self.total.to_dict(),
            "seat_splits": {
                m: [
                    {"seats": dict(k), "elections": v}
                    for k, v in sorted(c.items(), key=lambda kv: -kv[1])
                ]
                for m, c in self.seat_splits.items()
            },
        }


def simulate(
    generator: str,
    election: Election,
    voters: int,
    elections: int,
    methods: Sequence[str],
    *,
    seed: int = 0,
    group_by: str = "auto",
    **model: Any,
) -> Simulation:
    """``elections`` profiles drawn with seeds ``seed, seed+1, ...``, each compared."""
    comps = []
    splits: dict[str, Counter[tuple[tuple[str, int], ...]]] = {m: Counter() for m in methods}
    for i in range(elections):
        p = draw(generator, election, voters, seed + i, **model)
        c = compare(p, methods, group_by=group_by)
        comps.append(c)
        for o in c.outcomes:
            if not o.error:
                splits[o.method][tuple(sorted(o.seats_by_group.items()))] += 1
    return Simulation(generator, elections, aggregate(comps), splits)


def render_text(sim: Simulation) -> str:
    from tallyroom.analysis.compare import render_aggregate_text

    lines = [f"{sim.elections} synthetic elections from the {sim.generator} generator", ""]
    lines.append("Seat splits by group, per rule (how many elections):")
    for m, c in sim.seat_splits.items():
        cells = "; ".join(
            f"{' '.join(f'{g} {k}' for g, k in split)}: {v}"
            for split, v in sorted(c.items(), key=lambda kv: -kv[1])[:6]
        )
        lines.append(f"  {m}: {cells}")
    lines.append("")
    return "\n".join(lines) + render_aggregate_text(sim.total, "All synthetic elections")
