"""Proportionality indices: how far seats are from votes, and how many voters are represented.

Every index takes two mappings from a group (party, slate, ...) to its votes and its seats,
as counts; they are turned into percentage shares here.  Groups present in only one mapping
count as zero in the other.  Floats are fine here: these are descriptions of a result,
never part of a count.

* Gallagher's least-squares index, LSq = sqrt(1/2 * sum (v_i - s_i)^2), in percentage
  points (M. Gallagher, "Proportionality, disproportionality and electoral systems",
  *Electoral Studies* 10(1), 1991, pp. 33-51).
* The Loosemore-Hanby index, D = 1/2 * sum |v_i - s_i|, in percentage points
  (J. Loosemore and V. J. Hanby, "The theoretical limits of maximum distortion: some
  analytic expressions for electoral systems", *British Journal of Political Science*
  1(4), 1971, pp. 467-477).
* The Sainte-Lague index, sum (s_i - v_i)^2 / v_i, shares in per cent (the index Gallagher
  1991 derives from the Sainte-Lague divisor method; the allocation that minimises it is
  the Sainte-Lague one).
* The effective number of parties, N = 1 / sum p_i^2, of votes or of seats, shares as
  fractions (M. Laakso and R. Taagepera, "'Effective' number of parties: a measure with
  application to West Europe", *Comparative Political Studies* 12(1), 1979, pp. 3-27).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from numbers import Real

from tallyroom.ballots.model import Profile

Amount = Real | int | float


def shares(values: Mapping[str, Amount], *, percent: bool = True) -> dict[str, float]:
    """Each group's share of the total (per cent by default); all zero if the total is 0."""
    total = float(sum(float(v) for v in values.values()))
    scale = 100.0 if percent else 1.0
    if total == 0:
        return {k: 0.0 for k in values}
    return {k: scale * float(v) / total for k, v in values.items()}


def _paired(
    votes: Mapping[str, Amount], seats: Mapping[str, Amount]
) -> list[tuple[str, float, float]]:
    v, s = shares(votes), shares(seats)
    keys = list(dict.fromkeys([*votes, *seats]))
    return [(k, v.get(k, 0.0), s.get(k, 0.0)) for k in keys]


def gallagher(votes: Mapping[str, Amount], seats: Mapping[str, Amount]) -> float:
    """Gallagher's least-squares index (1991), percentage points."""
    return math.sqrt(0.5 * sum((v - s) ** 2 for _, v, s in _paired(votes, seats)))


def loosemore_hanby(votes: Mapping[str, Amount], seats: Mapping[str, Amount]) -> float:
    """Loosemore and Hanby's index (1971), percentage points: the share of seats held by
    groups beyond their share of votes."""
    return 0.5 * sum(abs(v - s) for _, v, s in _paired(votes, seats))


def sainte_lague_index(votes: Mapping[str, Amount], seats: Mapping[str, Amount]) -> float:
    """The Sainte-Lague index (Gallagher 1991), shares in per cent.

    Infinite when a group with no votes holds seats; groups with neither are ignored.
    """
    total = 0.0
    for _, v, s in _paired(votes, seats):
        if v == 0:
            if s > 0:
                return math.inf
            continue
        total += (s - v) ** 2 / v
    return total


def effective_number(values: Mapping[str, Amount] | Iterable[Amount]) -> float:
    """Laakso and Taagepera's effective number (1979): 1 / sum of squared shares."""
    vals = [float(x) for x in (values.values() if isinstance(values, Mapping) else values)]
    total = sum(vals)
    if total == 0:
        return 0.0
    return 1.0 / sum((x / total) ** 2 for x in vals)


@dataclass(frozen=True)
class Proportionality:
    """The indices for one result; shares and index values in per cent / points."""

    gallagher: float
    loosemore_hanby: float
    sainte_lague: float
    enp_votes: float
    enp_seats: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def proportionality(votes: Mapping[str, Amount], seats: Mapping[str, Amount]) -> Proportionality:
    """All the indices for one result (votes and seats by group)."""
    return Proportionality(
        gallagher=gallagher(votes, seats),
        loosemore_hanby=loosemore_hanby(votes, seats),
        sainte_lague=sainte_lague_index(votes, seats),
        enp_votes=effective_number(votes),
        enp_seats=effective_number(seats),
    )


@dataclass(frozen=True)
class Represented:
    """Valid papers whose first choice was elected, and whose paper ranks (or marks) at
    least one of the winners, as counts and as shares of the valid papers."""

    papers: float
    first_choice_elected: float
    ranked_a_winner: float

    @property
    def first_choice_share(self) -> float:
        return self.first_choice_elected / self.papers if self.papers else 0.0

    @property
    def ranked_a_winner_share(self) -> float:
        return self.ranked_a_winner / self.papers if self.papers else 0.0

    def to_dict(self) -> dict[str, float]:
        return {
            "papers": self.papers,
            "first_choice_elected": self.first_choice_elected,
            "ranked_a_winner": self.ranked_a_winner,
            "first_choice_share": self.first_choice_share,
            "ranked_a_winner_share": self.ranked_a_winner_share,
        }


def represented_voters(
    profile: Profile, elected: Sequence[str], *, depth: int | None = None
) -> Represented:
    """How many voters' first choice was elected, and how many ranked some winner.

    ``depth`` limits "ranked a winner" to the first ``depth`` preferences (e.g. the
    ``k`` marks a block vote reads).  An equal-first preference counts as elected when
    any of the candidates sharing it was.  For approval ballots every mark is a first
    choice.
    """
    names = profile.election.names
    won = {names.index(n) for n in elected}
    papers = first = some = 0.0
    for ballot, weight in zip(profile.ballots, profile.weights):
        w = float(weight)
        papers += w
        if not ballot:
            continue
        if profile.kind == "approval":
            marks: set[int] = set(ballot)
            firsts = marks
        else:
            prefs = ballot if depth is None else ballot[:depth]
            marks = set()
            for p in prefs:
                marks.update((p,) if isinstance(p, int) else p)
            head = ballot[0]
            firsts = {head} if isinstance(head, int) else set(head)
        if firsts & won:
            first += w
        if marks & won:
            some += w
    return Represented(papers, first, some)
