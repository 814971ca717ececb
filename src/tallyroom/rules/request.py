"""A count request: everything that decides a count besides the ballots, in one typed value.

The command line, ``compare`` and a web service all build a :class:`CountRequest` and call
:func:`run_count`; none of them applies withdrawals, candidates' attributes, constraints,
a countback or the tie rules itself::

    from tallyroom import read
    from tallyroom.rules.request import CountRequest, TieRules, run_count

    request = CountRequest(
        "ers97-stv",
        withdrawn=("A. Candidate",),
        ties=TieRules(seed=7),
    )
    record = run_count(read("ward.blt", rules=request.ballot_rules), request)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from tallyroom.ballots.candidates_file import merge_attributes
from tallyroom.ballots.model import BallotRules, Election, Profile
from tallyroom.errors import ElectionError, RuleError
from tallyroom.record import CountRecord
from tallyroom.rules.constraints import Constraint, ConstraintSet
from tallyroom.rules.ties import check_tie_options

TieFallback = Literal["lot", "order", "decision"]


@dataclass(frozen=True)
class TieRules:
    """How ties the rule's own criteria leave unbroken are decided.

    ``fallback`` None is the rule's own (by lot for every rule here, or the file's tie
    order when it gives one); ``seed`` seeds the lot (recorded with every tie it decided);
    ``order`` is an order drawn in advance (the decision falls on the earliest in it),
    ``decisions`` the returning officer's choices, one per tie, in order.  Options that
    contradict each other are refused here, when the rules are made.
    """

    seed: int = 1
    fallback: TieFallback | None = None
    order: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(self.order))
        object.__setattr__(self, "decisions", tuple(self.decisions))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise RuleError(f"the seed for ties by lot is a whole number, not {self.seed!r}")
        check_tie_options(self.fallback, self.order, self.decisions)

    def for_election(self, election: Election) -> TieRules:
        """These rules with each name as the election spells it (names are matched as
        :meth:`Election.index` does); a name that is not a candidate is refused now, not
        when a tie happens."""
        names = election.names

        def spelled(given: tuple[str, ...], what: str) -> tuple[str, ...]:
            out = []
            for n in given:
                try:
                    out.append(names[election.index(n)])
                except ElectionError as e:
                    raise ElectionError(f"the {what}: {e}") from None
            return tuple(out)

        order = spelled(self.order, "tie order")
        decisions = spelled(self.decisions, "returning officer's decisions")
        check_tie_options(self.fallback, order, decisions, names)
        return TieRules(self.seed, self.fallback, order, decisions)

    def options(self) -> dict[str, Any]:
        """The tie options as every rule's ``count`` takes them."""
        out: dict[str, Any] = {"seed": self.seed}
        if self.fallback is not None:
            out["tie_fallback"] = self.fallback
        if self.order:
            out["tie_order"] = list(self.order)
        if self.decisions:
            out["decisions"] = list(self.decisions)
        return out


@dataclass(frozen=True)
class CountRequest:
    """One count asked for: the rule and everything about the count that is not a ballot.

    ``options`` are the rule's own options, typed (see :func:`tallyroom.rules.parameters`
    and :func:`tallyroom.rules.parse_options` for text); ``withdrawn`` names candidates
    withdrawn before the count; ``attributes`` gives candidates' attributes by name
    (merged into those the ballot file gave); ``constraints`` are group minima and maxima;
    ``countback`` names the departed member whose vacancy is filled by a re-count;
    ``ballot_rules`` are the rules the papers were read under (None: any), and ``ties``
    the tie rules; ``title`` names the election where the ballot file gives no name (or
    the wrong one): every sheet then starts with it, as with ``organisation``, ``office``
    and ``date``; ``preset`` and ``election_file`` (with its SHA-256) say where the request
    came from, and are kept in the record.
    """

    method: str
    options: Mapping[str, Any] = field(default_factory=dict)
    ties: TieRules = TieRules()
    withdrawn: tuple[str, ...] = ()
    attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()
    countback: str | None = None
    ballot_rules: BallotRules | None = None
    #: where the attributes came from, for messages (a candidates file's name)
    attributes_from: str = ""
    #: the election's name, in place of the file's ("" keeps the file's)
    title: str = ""
    #: who holds the election, the office and the date of the poll ("" keeps the file's)
    organisation: str = ""
    office: str = ""
    date: str = ""
    #: the named preset the rule and options came from ("" when none), and the election
    #: file that asked for the count (its name and SHA-256): kept in the record
    preset: str = ""
    election_file: str = ""
    election_file_sha256: str = ""

    def __post_init__(self) -> None:
        from tallyroom.rules.ties import TIE_KEYS

        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        object.__setattr__(self, "withdrawn", tuple(self.withdrawn))
        object.__setattr__(self, "constraints", tuple(self.constraints))
        object.__setattr__(
            self,
            "attributes",
            MappingProxyType({n: dict(a) for n, a in self.attributes.items()}),
        )
        tied = sorted(set(self.options) & set(TIE_KEYS) | set(self.options) & {"constraints"})
        if tied:
            raise RuleError(
                f"{', '.join(tied)}: given as the request's tie rules or constraints, "
                "not as options of the rule"
            )
        for c in self.constraints:
            if not isinstance(c, Constraint):
                raise RuleError(f"a constraint is a Constraint, not {c!r}")

    @classmethod
    def from_options(cls, method: str, options: Mapping[str, Any]) -> CountRequest:
        """A request from keyword options as :func:`tallyroom.rules.count` takes them (the
        tie options and ``constraints`` among the rule's own)."""
        from tallyroom.rules.constraints import coerce
        from tallyroom.rules.ties import TIE_KEYS

        rest = dict(options)
        ties = {k: rest.pop(k) for k in TIE_KEYS if k in rest}
        limits = coerce(rest.pop("constraints", None))
        return cls(
            method,
            options=rest,
            ties=TieRules(
                seed=ties.get("seed", 1),
                fallback=ties.get("tie_fallback"),
                order=tuple(ties.get("tie_order", ())),
                decisions=tuple(ties.get("decisions", ())),
            ),
            constraints=limits.constraints if limits else (),
        )

    def prepare(self, profile: Profile) -> Profile:
        """The profile as counted: the candidates withdrawn and their attributes merged.

        Refuses a profile read under other ballot rules than the request's."""
        if self.ballot_rules is not None and profile.rules != self.ballot_rules:
            raise RuleError(
                f"the ballots were read under the ballot rules {profile.rules.describe()}, "
                f"not the request's {self.ballot_rules.describe()}"
            )
        e = profile.election
        given: dict[str, Any] = {
            k: v
            for k, v in (
                ("title", self.title),
                ("organisation", self.organisation),
                ("office", self.office),
                ("date", self.date),
            )
            if v
        }
        if given:
            e = replace(e, **given)
        if self.withdrawn:
            e = e.with_changes(withdrawn=e.withdrawn | {e.index(n) for n in self.withdrawn})
        if self.attributes:
            e = merge_attributes(e, self.attributes, self.attributes_from or "attributes")
        return profile if e is profile.election else profile.with_election(e)

    def rule_options(self, election: Election) -> dict[str, Any]:
        """Every keyword the rule's ``count`` is called with: its options, the tie rules
        (names as the election spells them) and the constraints."""
        out = dict(self.options)
        out.update(self.ties.for_election(election).options())
        if self.constraints:
            out["constraints"] = ConstraintSet(self.constraints)
        return out

    def given(self) -> dict[str, Any]:
        """The request as plain data (for an audit bundle's ``count.json``): the seed and
        every option given, the constraints in their written form."""
        out = dict(self.ties.options())
        out.update(self.options)
        if self.constraints:
            out["constraints"] = [c.describe() for c in self.constraints]
        return out


def run_count(profile: Profile, request: CountRequest) -> CountRecord:
    """Count ``profile`` as ``request`` asks: the one call every front end makes."""
    from tallyroom.rules import count

    prepared = request.prepare(profile)
    options = request.rule_options(prepared.election)
    if request.countback is not None:
        from tallyroom.rules.stv.countback import countback

        record = countback(prepared, request.method, request.countback, **options)
    else:
        record = count(prepared, request.method, **options)
    kept: dict[str, Any] = {
        k: v
        for k, v in (
            ("preset", request.preset),
            ("election_file", request.election_file),
            ("election_file_sha256", request.election_file_sha256),
        )
        if v
    }
    return replace(record, **kept) if kept else record
