"""Group minima and maxima: "at least three women", "no more than two from one region".

A :class:`Constraint` names a *group* of candidates by one or more attribute values (all
must match: ``gender=woman``, or ``gender=woman,region=north``) and bounds the seats the
group may take: a minimum, a maximum, or both, as a number of seats or as a share of the
seats (``min=50%`` is rounded up, ``max=50%`` down).  Candidates' attributes come from the
ballot file or a side file (:mod:`tallyroom.ballots.candidates_file`).

Written forms::

    gender=woman:min=3                 at least 3 women
    gender=woman:min=50%               at least half the seats (rounded up)
    region=north:min=1:max=2           1 or 2 from the north
    gender=woman,region=north:min=1    at least one woman from the north

A constraints file holds one constraint per row: CSV with one column per attribute plus
``min`` and ``max`` (an empty attribute cell means "any value"), or TOML with a
``[[constraint]]`` table per constraint whose keys are the attributes plus ``min``/``max``.

Before any count the constraints are *bound* to an election (:meth:`ConstraintSet.bind`)
and checked: a group nobody belongs to, a minimum above the maximum, more seats required
than a group has candidates, minima that together need more seats than there are, or a
combination no set of candidates can meet, is refused with a message naming the group and
bound at fault (:class:`~tallyroom.errors.ElectionError`).

Whether a conformant result is still possible is a small integer problem: candidates who
belong to the same groups are interchangeable, so the count only needs, for each such
*cell*, how many are elected and how many are still in the running.  A depth-first search
over the cells (with memo and bounds) decides it exactly; this is Otten's grid
(*Voting Matters* 13, 2001) generalised to any number of overlapping groups.

Two ways of applying constraints are provided:

* :func:`elect_in_order` -- the plurality family's rule-book method: elect in order of
  votes, passing over a candidate whose election would make a minimum unreachable or
  break a maximum.
* :class:`BoundConstraints` ``guarded``/``doomed`` -- used by the STV engine
  (:mod:`tallyroom.rules.stv.gregory`): the Grey--Fitzgerald method as OpenTally documents
  it ("any candidate who must be elected to secure a conformant result is deemed guarded,
  and any candidate who must not be elected ... is deemed doomed.  Any candidate who is
  doomed is excluded at the next opportunity.  Any candidate who is guarded is prevented
  from being excluded"), or the simpler rule-book method of excluding the lowest-placed
  candidate whose exclusion leaves a conformant result possible.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from tallyroom.ballots.formats.textio import read_text_file
from tallyroom.ballots.model import Election
from tallyroom.errors import ElectionError, RuleError, printable
from tallyroom.record import Event
from tallyroom.rules._support import Score, pick
from tallyroom.rules.ties import TieBreaker

#: STV methods: Grey--Fitzgerald guard/doom, or the rule book's "exclude the lowest of an
#: over-represented group"
STV_METHODS = ("guard-doom", "exclude-lowest")

SPEC_HELP = (
    "a constraint is GROUP:BOUND[:BOUND], e.g. gender=woman:min=3, region=north:min=1:max=2, "
    "gender=woman,region=north:min=1 or gender=woman:min=50%"
)


@dataclass(frozen=True)
class Bound:
    """A number of seats, or a share of the seats (``share`` set, ``seats`` unused)."""

    seats: int = 0
    share: Fraction | None = None

    def resolve(self, total: int, *, up: bool) -> int:
        if self.share is None:
            return self.seats
        x = self.share * total
        return math.ceil(x) if up else math.floor(x)

    def __str__(self) -> str:
        if self.share is None:
            return str(self.seats)
        pct = self.share * 100
        return f"{pct.numerator if pct.denominator == 1 else float(pct):g}%"


@dataclass(frozen=True)
class Constraint:
    """Seats for one group: those candidates whose attributes match every pair in ``group``."""

    group: tuple[tuple[str, str], ...]
    minimum: Bound | None = None
    maximum: Bound | None = None

    def __post_init__(self) -> None:
        if not self.group:
            raise RuleError(f"a constraint needs a group; {SPEC_HELP}")
        if self.minimum is None and self.maximum is None:
            raise RuleError(f"constraint {self.group_text}: give min=, max= or both")

    @property
    def group_text(self) -> str:
        return ",".join(f"{a}={v}" for a, v in self.group)

    def describe(self) -> str:
        parts = [self.group_text]
        if self.minimum is not None:
            parts.append(f"min={self.minimum}")
        if self.maximum is not None:
            parts.append(f"max={self.maximum}")
        return ":".join(parts)

    def matches(self, attributes: Mapping[str, str]) -> bool:
        got = {k.casefold(): v.strip().casefold() for k, v in attributes.items()}
        return all(got.get(a.casefold()) == v.strip().casefold() for a, v in self.group)


def _q(text: str) -> str:
    """A piece of a constraint as an error message quotes it: escaped, at most 80 characters."""
    return repr(printable(text, 80))


def _bound(text: str, spec: str) -> Bound:
    t = text.strip()
    try:
        if t.endswith("%"):
            share = Fraction(t[:-1].strip()) / 100
            if not 0 <= share <= 1:
                raise ValueError
            return Bound(share=share)
        n = int(t)
        if n < 0:
            raise ValueError
        return Bound(seats=n)
    except ValueError:
        raise RuleError(
            f"constraint {_q(spec)}: {_q(t)} is not a number of seats or a percentage"
        ) from None


def parse_constraint(spec: str) -> Constraint:
    """Read ``"gender=woman:min=3"`` (see the module docstring for the forms)."""
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) < 2:
        raise RuleError(f"constraint {_q(spec)}: no bound given; {SPEC_HELP}")
    group: list[tuple[str, str]] = []
    for item in parts[0].split(","):
        if "=" not in item:
            raise RuleError(
                f"constraint {_q(spec)}: {_q(item.strip())} is not ATTRIBUTE=VALUE; {SPEC_HELP}"
            )
        a, v = (x.strip() for x in item.split("=", 1))
        if not a or not v:
            raise RuleError(
                f"constraint {_q(spec)}: {_q(item.strip())} is not ATTRIBUTE=VALUE; {SPEC_HELP}"
            )
        group.append((a, v))
    bounds: dict[str, Bound] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in ("min", "max") or not _:
            raise RuleError(f"constraint {_q(spec)}: {_q(part)} is not min=N or max=N; {SPEC_HELP}")
        if key in bounds:
            raise RuleError(f"constraint {_q(spec)}: {key} given twice")
        bounds[key] = _bound(value, spec)
    return Constraint(tuple(group), bounds.get("min"), bounds.get("max"))


def read_constraints_file(path: str | Path) -> list[Constraint]:
    """Constraints from a CSV or TOML file (by extension; ``.toml`` is TOML, else CSV)."""
    p = Path(path)
    text = read_text_file(str(p), "a constraints file (CSV or TOML, UTF-8)")
    if p.suffix.lower() == ".toml":
        return _from_toml(text, str(p))
    return _from_csv(text, str(p))


def _row_constraint(row: Mapping[str, Any], where: str) -> Constraint:
    group = [
        (str(k).strip(), str(v).strip())
        for k, v in row.items()
        if str(k).strip().lower() not in ("min", "max") and v is not None and str(v).strip()
    ]
    spec = ",".join(f"{a}={v}" for a, v in group)
    for key in ("min", "max"):
        v = row.get(key)
        if v is not None and str(v).strip():
            spec += f":{key}={str(v).strip()}"
    try:
        return parse_constraint(spec)
    except RuleError as e:
        raise RuleError(f"{where}: {e}") from None


def _from_csv(text: str, path: str) -> list[Constraint]:
    try:
        return _from_csv_rows(text, path)
    except csv.Error as e:
        raise RuleError(f"{path}: found malformed CSV ({e}); expected a CSV file") from None


def _from_csv_rows(text: str, path: str) -> list[Constraint]:
    reader = csv.DictReader(io.StringIO(text), strict=True)
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "min" not in fields and "max" not in fields:
        raise RuleError(
            f"{path}:1: found columns {', '.join(reader.fieldnames or []) or 'none'}; expected "
            "one column per attribute and a min and/or max column"
        )
    out = []
    for n, row in enumerate(reader, start=2):
        clean = {k.strip(): v for k, v in row.items() if k is not None}
        clean = {
            ("min" if k.lower() == "min" else "max" if k.lower() == "max" else k): v
            for k, v in clean.items()
        }
        out.append(_row_constraint(clean, f"{path}:{n}"))
    return out


def _from_toml(text: str, path: str) -> list[Constraint]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RuleError(f"{path}: not valid TOML ({e})") from None
    except ValueError as e:  # an integer past Python's 4,300-digit limit, say
        raise RuleError(f"{path}: found a value TOML cannot hold here ({e})") from None
    rows = data.get("constraint")
    if not isinstance(rows, list) or not rows:
        raise RuleError(f"{path}: expected one or more [[constraint]] tables")
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise RuleError(
                f"{path}: constraint {i + 1}: found {type(r).__name__}; expected a table"
            )
    return constraints_from_tables(rows, f"{path}: constraint")


def constraints_from_tables(rows: Sequence[Mapping[str, Any]], where: str) -> list[Constraint]:
    """Constraints from TOML ``[[constraint]]`` tables (attribute keys, ``min``, ``max``),
    a RuleError naming ``where`` and the table's number."""
    return [_row_constraint(r, f"{where} {i + 1}") for i, r in enumerate(rows)]


def coerce(value: Any) -> ConstraintSet | None:
    """A rule option's value as constraints: a ConstraintSet, one spec or a list of specs."""
    if value is None or isinstance(value, ConstraintSet):
        return value
    if isinstance(value, Constraint):
        return ConstraintSet((value,))
    if isinstance(value, str):
        value = [value]
    items = list(value)
    if not items:
        return None
    return ConstraintSet(
        tuple(c if isinstance(c, Constraint) else parse_constraint(str(c)) for c in items)
    )


@dataclass(frozen=True)
class ConstraintSet:
    constraints: tuple[Constraint, ...]

    def describe(self) -> list[str]:
        return [c.describe() for c in self.constraints]

    def bind(self, election: Election) -> BoundConstraints:
        """Resolve groups and bounds for ``election``; refuse impossible constraints."""
        return BoundConstraints(self, election)


@dataclass
class _Group:
    constraint: Constraint
    members: frozenset[int]
    lo: int
    hi: int

    @property
    def text(self) -> str:
        return self.constraint.group_text


@dataclass
class BoundConstraints:
    """Constraints resolved against one election: who is in each group, and the bounds."""

    spec: ConstraintSet
    election: Election
    groups: list[_Group] = field(init=False)
    seats: int = field(init=False)

    def __post_init__(self) -> None:
        e = self.election
        self.seats = e.seats
        standing = [i for i in range(len(e.candidates)) if i not in e.withdrawn]
        known = {k.casefold() for c in e.candidates for k in c.attributes}
        self.groups = []
        for con in self.spec.constraints:
            for a, _ in con.group:
                if a.casefold() not in known:
                    have = sorted({k for c in e.candidates for k in c.attributes})
                    raise ElectionError(
                        f"constraint {con.describe()}: no candidate has the attribute {a!r}"
                        + (
                            f" (attributes given: {', '.join(have)})"
                            if have
                            else "; no candidate has any attribute (give the candidates' attributes)"
                        )
                    )
            members = frozenset(i for i in standing if con.matches(e.candidates[i].attributes))
            lo = con.minimum.resolve(self.seats, up=True) if con.minimum else 0
            hi = con.maximum.resolve(self.seats, up=False) if con.maximum else self.seats
            self.groups.append(_Group(con, members, lo, min(hi, self.seats)))
        # cells: candidates who belong to exactly the same groups are interchangeable
        self._sig: dict[int, tuple[int, ...]] = {
            i: tuple(g for g, grp in enumerate(self.groups) if i in grp.members)
            for i in range(len(e.candidates))
        }
        self._cells = sorted(set(self._sig.values()), key=lambda s: (-len(s), s))
        self._check()

    # -- checks before counting ----------------------------------------------------------
    def _check(self) -> None:
        e = self.election
        for g in self.groups:
            d = g.constraint.describe()
            if not g.members:
                a = g.constraint.group[0][0]
                values = sorted(
                    {
                        v
                        for c in e.candidates
                        for k, v in c.attributes.items()
                        if k.casefold() == a.casefold() and v
                    }
                )
                raise ElectionError(
                    f"constraint {d}: no standing candidate is in group {g.text}"
                    + (f" ({a} values given: {', '.join(values)})" if values else "")
                )
            if g.lo > self.seats:
                raise ElectionError(
                    f"constraint {d}: group {g.text} needs {g.lo} seats but only {self.seats} "
                    "are to be filled"
                )
            if g.lo > g.hi:
                raise ElectionError(
                    f"constraint {d}: the minimum ({g.lo}) is above the maximum ({g.hi}) for "
                    f"{self.seats} seats"
                )
            if g.lo > len(g.members):
                raise ElectionError(
                    f"constraint {d}: group {g.text} needs at least {g.lo} seats but only "
                    f"{len(g.members)} of its candidates stand"
                )
        # one attribute's values are disjoint groups: their minima add up, and when every
        # standing candidate has a value, their maxima must leave room for every seat
        standing = {i for i in range(len(e.candidates)) if i not in e.withdrawn}
        by_attr: dict[str, dict[str, tuple[int, int, frozenset[int]]]] = {}
        for g in self.groups:
            if len(g.constraint.group) == 1:
                a, v = g.constraint.group[0]
                vals = by_attr.setdefault(a.casefold(), {})
                lo, hi, _ = vals.get(v.casefold(), (0, self.seats, g.members))
                vals[v.casefold()] = (max(lo, g.lo), min(hi, g.hi), g.members)
        for a, vals in by_attr.items():
            total = sum(lo for lo, _, _ in vals.values())
            if total > self.seats:
                parts = ", ".join(f"{a}={v} {lo}" for v, (lo, _, _) in vals.items() if lo)
                raise ElectionError(
                    f"the minima for {a} ({parts}) add up to {total} seats but only "
                    f"{self.seats} are to be filled"
                )
            covered = frozenset().union(*(m for _, _, m in vals.values()))
            if covered >= standing:
                cap = sum(min(hi, len(m)) for _, hi, m in vals.values())
                if cap < self.seats:
                    raise ElectionError(
                        f"the maxima for {a} allow only {cap} seats in all but {self.seats} "
                        "are to be filled"
                    )
        standing_list = [i for i in range(len(e.candidates)) if i not in e.withdrawn]
        if not self.feasible((), standing_list):
            raise ElectionError(
                "no set of "
                f"{self.seats} candidates meets all the constraints together ("
                + "; ".join(g.constraint.describe() for g in self.groups)
                + ")"
            )

    # -- feasibility -----------------------------------------------------------------------
    def feasible(self, elected: Iterable[int], hopeful: Iterable[int]) -> bool:
        """Whether ``elected`` plus some of ``hopeful`` can fill the seats within every bound."""
        lo = {s: 0 for s in self._cells}
        hi = dict(lo)
        for i in elected:
            lo[self._sig[i]] += 1
            hi[self._sig[i]] += 1
        for i in hopeful:
            hi[self._sig[i]] += 1
        return self._solve([lo[s] for s in self._cells], [hi[s] for s in self._cells])

    def _solve(self, lo: list[int], hi: list[int]) -> bool:
        cells = self._cells
        ng = len(self.groups)
        gmin = [g.lo for g in self.groups]
        gmax = [g.hi for g in self.groups]
        n = len(cells)
        seats = self.seats
        # suffix sums for pruning
        rest_lo = [0] * (n + 1)
        rest_hi = [0] * (n + 1)
        rest_ghi = [[0] * ng for _ in range(n + 1)]
        for k in range(n - 1, -1, -1):
            rest_lo[k] = rest_lo[k + 1] + lo[k]
            rest_hi[k] = rest_hi[k + 1] + hi[k]
            rest_ghi[k] = list(rest_ghi[k + 1])
            for g in cells[k]:
                rest_ghi[k][g] += hi[k]
        failed: set[tuple[int, int, tuple[int, ...]]] = set()

        def go(k: int, used: int, counts: tuple[int, ...]) -> bool:
            if used + rest_lo[k] > seats or used + rest_hi[k] < seats:
                return False
            for g in range(ng):
                if counts[g] > gmax[g] or counts[g] + rest_ghi[k][g] < gmin[g]:
                    return False
            if k == n:
                return used == seats
            key = (k, used, counts)
            if key in failed:
                return False
            for x in range(lo[k], hi[k] + 1):
                if used + x > seats:
                    break
                new = list(counts)
                for g in cells[k]:
                    new[g] += x
                if go(k + 1, used + x, tuple(new)):
                    return True
            failed.add(key)
            return False

        return go(0, 0, (0,) * ng)

    def satisfied_by(self, elected: Iterable[int]) -> bool:
        chosen = set(elected)
        return all(g.lo <= len(g.members & chosen) <= g.hi for g in self.groups)

    # -- guard and doom (Grey--Fitzgerald) --------------------------------------------------
    def guarded(self, elected: Sequence[int], hopeful: Sequence[int]) -> list[int]:
        """Hopeful candidates who must all be elected for a conformant result."""
        out: list[int] = []
        for s in {self._sig[i] for i in hopeful}:
            one = next(i for i in hopeful if self._sig[i] == s)
            if not self.feasible(elected, [i for i in hopeful if i != one]):
                out.extend(i for i in hopeful if self._sig[i] == s)
        return sorted(out)

    def doomed(self, elected: Sequence[int], hopeful: Sequence[int]) -> list[int]:
        """Hopeful candidates none of whom can be elected in a conformant result."""
        out: list[int] = []
        for s in {self._sig[i] for i in hopeful}:
            one = next(i for i in hopeful if self._sig[i] == s)
            if not self.feasible([*elected, one], [i for i in hopeful if i != one]):
                out.extend(i for i in hopeful if self._sig[i] == s)
        return sorted(out)

    def why_guarded(self, c: int, elected: Sequence[int], hopeful: Sequence[int]) -> str:
        chosen, live = set(elected), set(hopeful)
        for g in self.groups:
            if c in g.members and g.lo and len(g.members & (chosen | live)) <= g.lo:
                return f"needed to meet {g.constraint.describe()}"
        return "needed for the constraints to be met together"

    def why_doomed(self, c: int, elected: Sequence[int], hopeful: Sequence[int]) -> str:
        chosen = set(elected)
        for g in self.groups:
            if c in g.members and len(g.members & chosen) >= g.hi:
                return f"{g.text} has reached its maximum ({g.constraint.describe()})"
        for g in self.groups:
            if c not in g.members and g.lo:
                left = self.seats - len(chosen)
                need = g.lo - len(g.members & chosen)
                if need >= left:
                    return f"the seats left are needed to meet {g.constraint.describe()}"
        return "electing them would leave the constraints impossible to meet together"


def elect_in_order(
    bound: BoundConstraints,
    ties: TieBreaker,
    names: Sequence[str],
    scores: Mapping[str, Score],
    seats: int,
    *,
    stage: int = 1,
    purpose: str = "last seat",
) -> tuple[list[str], list[Event]]:
    """Elect in order of votes, passing over any candidate whose election would make a
    minimum unreachable or break a maximum.

    This follows the substitution wording of rule books such as KOWA Party constitution
    art. 11(2) ("a sufficient number of candidates of that sex ... shall be declared to
    have been elected in substitution for an equal number of candidates of the other sex,
    starting with the last such candidate to be deemed elected"): with one minimum the two
    give the same members (tests/test_constraints.py checks it); the walk extends it to
    maxima and to several constraints at once.  Returns the elected, in the order elected,
    and the events (elected, passed over) in the order they were decided.
    """
    index = {n: i for i, n in enumerate(bound.election.names)}
    pool = list(names)
    elected: list[str] = []
    events: list[Event] = []
    passed: list[str] = []
    while len(elected) < seats and pool:
        c = pick(ties, pool, scores, want="highest", stage=stage, purpose=purpose)
        pool.remove(c)
        chosen = [index[n] for n in elected]
        rest = [index[n] for n in pool]
        if bound.feasible([*chosen, index[c]], rest):
            elected.append(c)
            reason = "among the most votes"
            if passed:
                reason += " that keep the constraints"
            events.append(Event("elected", c, reason))
        else:
            passed.append(c)
            why = bound.why_doomed(index[c], chosen, [index[c], *rest])
            events.append(Event("passed over", c, why))
    return elected, events
