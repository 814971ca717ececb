"""The same ballots under many rules: winners side by side, seats by group, indices.

A *group* is whatever candidates are grouped by: a party, a slate, a gender.  It comes
from a candidate attribute (``party``, ``slate``, ``group`` ... or one named), or is
parsed from names written ``Name (Party)``, as in the Scottish council ballot files.

Seats are set against each group's share of first preferences, and against the votes
the rule itself counted at its first stage (for a block vote, the X marks).  Rules that
fill one seat only (FPTP, IRV, Condorcet methods) are counted as if the election were
for a single member, and marked so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tallyroom.analysis.indices import (
    Proportionality,
    Represented,
    proportionality,
    represented_voters,
    shares,
)
from tallyroom.ballots.model import Election, Profile
from tallyroom.errors import ElectionError, TallyroomError, printable

#: ``Name (Party)``: the party is the last parenthesised part of the name
NAME_GROUP = re.compile(r"\(([^()]+)\)\s*$")
GROUP_ATTRIBUTES = ("party", "slate", "group")
NO_GROUP = "(no group)"
#: party labels spelt two ways in the Scottish 2017 ballot files (most councils "C")
SCOTTISH_ALIASES = {"C": "Con", "ind": "Ind"}
DEFAULT_METHODS = ("block-vote", "ers97-stv", "meek-stv", "scottish-stv", "irv", "fptp", "snv")


def group_candidates(
    election: Election, by: str = "auto", aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each candidate's group.

    ``by``: an attribute name; ``"name"`` to parse ``Name (Party)``; ``"candidate"`` for
    each candidate alone; ``"auto"`` for the first of party, slate, group that any
    candidate has, else names when any is written ``Name (Party)``, else each alone.
    ``aliases`` renames groups (e.g. :data:`SCOTTISH_ALIASES`, ``{"C": "Con"}``).
    """
    out = _groups(election, by)
    if aliases:
        out = {k: aliases.get(v, v) for k, v in out.items()}
    return out


def _groups(election: Election, by: str) -> dict[str, str]:
    cands = election.candidates
    if by == "auto":
        by = next(
            (a for a in GROUP_ATTRIBUTES if any(a in c.attributes for c in cands)),
            "name" if any(NAME_GROUP.search(c.name) for c in cands) else "candidate",
        )
    if by == "candidate":
        return {c.name: c.name for c in cands}
    if by == "name":
        out = {}
        for c in cands:
            m = NAME_GROUP.search(c.name)
            out[c.name] = m.group(1).strip() if m else NO_GROUP
        return out
    return {c.name: c.attributes.get(by, NO_GROUP) or NO_GROUP for c in cands}


def by_group(values: Mapping[str, Any], groups: Mapping[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, v in values.items():
        g = groups.get(name, NO_GROUP)
        out[g] = out.get(g, 0.0) + float(v)
    return out


def ordered_groups(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]]
) -> list[str]:
    """Every group, most first preferences first; groups with as many in the order they are
    first met (``first``, then each rule's seats) -- the same order on every run."""
    met = dict.fromkeys([*first, *(g for s in seats_by.values() for g in s)])
    return sorted(met, key=lambda g: -first.get(g, 0.0))


def seats_by_group(elected: Iterable[str], groups: Mapping[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in elected:
        g = groups.get(name, NO_GROUP)
        out[g] = out.get(g, 0) + 1
    return out


@dataclass(frozen=True)
class Outcome:
    """One rule's result on the profile."""

    method: str
    title: str
    seats: int
    elected: tuple[str, ...]
    seats_by_group: Mapping[str, int]
    rule_votes_by_group: Mapping[str, float]
    single_member: bool = False
    indices: Proportionality | None = None  # seats against first preferences
    indices_rule_votes: Proportionality | None = None  # seats against the rule's own votes
    represented: Represented | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "title": self.title,
            "seats": self.seats,
            "single_member": self.single_member,
            "elected": list(self.elected),
            "seats_by_group": dict(self.seats_by_group),
            "rule_votes_by_group": dict(self.rule_votes_by_group),
            "indices": self.indices.to_dict() if self.indices else None,
            "indices_rule_votes": (
                self.indices_rule_votes.to_dict() if self.indices_rule_votes else None
            ),
            "represented": self.represented.to_dict() if self.represented else None,
            "error": self.error or None,
        }


@dataclass(frozen=True)
class Comparison:
    """One profile counted under many rules."""

    title: str
    source: str
    seats: int
    papers: float
    groups: Mapping[str, str]  # candidate -> group
    first_preferences: Mapping[str, float]  # group -> first preferences
    outcomes: tuple[Outcome, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "source": self.source,
            "seats": self.seats,
            "papers": self.papers,
            "groups": dict(self.groups),
            "first_preferences": dict(self.first_preferences),
            "first_preference_share": shares(self.first_preferences),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def _rule_votes(record: Any) -> dict[str, Any]:
    if not record.stages:
        return {}
    first = record.stages[0]
    return dict(first.totals) or dict(first.extra.get("scores", {}))


def count_outcome(
    profile: Profile,
    method: str,
    groups: Mapping[str, str],
    first_prefs: Mapping[str, float],
    **options: Any,
) -> Outcome:
    """Count ``profile`` under ``method``; a single-seat rule on a multi-seat election is
    counted for one seat.  Errors become an outcome with ``error`` set."""
    from tallyroom.rules import get
    from tallyroom.rules.request import CountRequest, run_count

    rule = get(method)
    single = False
    try:
        request = CountRequest.from_options(method, options)
        try:
            record = run_count(profile, request)
        except ElectionError as exc:
            if profile.election.seats == 1 or "one seat" not in str(exc):
                raise
            one = Profile(
                election=profile.election.with_changes(seats=1),
                ballots=profile.ballots,
                weights=profile.weights,
                kind=profile.kind,
                invalid=profile.invalid,
                rules=profile.rules,
                source=profile.source,
            )
            record = run_count(one, request)
            single = True
    except TallyroomError as exc:
        return Outcome(method, rule.title, profile.election.seats, (), {}, {}, error=str(exc))
    seats = seats_by_group(record.elected, groups)
    rule_votes = by_group(_rule_votes(record), groups)
    return Outcome(
        method=method,
        title=rule.title,
        seats=record.seats,
        elected=tuple(record.elected),
        seats_by_group=seats,
        rule_votes_by_group=rule_votes,
        single_member=single,
        indices=proportionality(first_prefs, seats),
        indices_rule_votes=proportionality(rule_votes, seats) if rule_votes else None,
        represented=represented_voters(profile, record.elected),
    )


def compare(
    profile: Profile,
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    group_by: str = "auto",
    aliases: Mapping[str, str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Comparison:
    """Count one profile under each of ``methods`` (ids of registered rules); ``options``
    maps a method to the options it is counted with."""
    groups = group_candidates(profile.election, group_by, aliases)
    first = by_group(profile.first_preferences(), groups)
    outcomes = tuple(
        count_outcome(profile, m, groups, first, **dict((options or {}).get(m, {})))
        for m in methods
    )
    return Comparison(
        title=profile.election.title,
        source=profile.source,
        seats=profile.election.seats,
        papers=float(profile.valid),
        groups=groups,
        first_preferences=first,
        outcomes=outcomes,
    )


@dataclass(frozen=True)
class Aggregate:
    """Many comparisons (e.g. every ward of a council election) added up by group."""

    elections: int
    seats: int
    papers: float
    first_preferences: Mapping[str, float]
    seats_by_method: Mapping[str, Mapping[str, int]]
    seats_filled: Mapping[str, int]
    indices: Mapping[str, Proportionality]
    represented: Mapping[str, Mapping[str, float]]
    single_member: Mapping[str, bool] = field(default_factory=dict)
    errors: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "elections": self.elections,
            "seats": self.seats,
            "papers": self.papers,
            "first_preferences": dict(self.first_preferences),
            "first_preference_share": shares(self.first_preferences),
            "methods": {
                m: {
                    "seats_filled": self.seats_filled[m],
                    "single_member": self.single_member.get(m, False),
                    "seats_by_group": dict(self.seats_by_method[m]),
                    "seat_share": shares(self.seats_by_method[m]),
                    "indices": self.indices[m].to_dict(),
                    "represented": dict(self.represented[m]),
                    "errors": self.errors.get(m, 0),
                }
                for m in self.seats_by_method
            },
        }


def aggregate(comparisons: Iterable[Comparison]) -> Aggregate:
    """Add up comparisons: first preferences and seats by group, per method."""
    first: dict[str, float] = {}
    seats_by: dict[str, dict[str, int]] = {}
    filled: dict[str, int] = {}
    single: dict[str, bool] = {}
    errors: dict[str, int] = {}
    rep: dict[str, dict[str, float]] = {}
    n = seats = 0
    papers = 0.0
    for c in comparisons:
        n += 1
        seats += c.seats
        papers += c.papers
        for g, v in c.first_preferences.items():
            first[g] = first.get(g, 0.0) + v
        for o in c.outcomes:
            s = seats_by.setdefault(o.method, {})
            r = rep.setdefault(
                o.method, {"papers": 0.0, "first_choice_elected": 0.0, "ranked_a_winner": 0.0}
            )
            if o.error:
                errors[o.method] = errors.get(o.method, 0) + 1
                continue
            filled[o.method] = filled.get(o.method, 0) + len(o.elected)
            single[o.method] = single.get(o.method, False) or o.single_member
            for g, k in o.seats_by_group.items():
                s[g] = s.get(g, 0) + k
            if o.represented is not None:
                r["papers"] += o.represented.papers
                r["first_choice_elected"] += o.represented.first_choice_elected
                r["ranked_a_winner"] += o.represented.ranked_a_winner
    for r in rep.values():
        r["first_choice_share"] = r["first_choice_elected"] / r["papers"] if r["papers"] else 0.0
        r["ranked_a_winner_share"] = r["ranked_a_winner"] / r["papers"] if r["papers"] else 0.0
    return Aggregate(
        elections=n,
        seats=seats,
        papers=papers,
        first_preferences=first,
        seats_by_method=seats_by,
        seats_filled={m: filled.get(m, 0) for m in seats_by},
        indices={m: proportionality(first, s) for m, s in seats_by.items()},
        represented=rep,
        single_member=single,
        errors=errors,
    )


# -- text ---------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    return [fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def _group_table(
    first: Mapping[str, float], seats_by: Mapping[str, Mapping[str, int]]
) -> list[str]:
    fp = shares(first)
    methods = list(seats_by)
    groups = ordered_groups(first, seats_by)
    rows = []
    for g in groups:
        cells = [g, f"{fp.get(g, 0.0):.1f}%"]
        for m in methods:
            s = seats_by[m]
            total = sum(s.values())
            k = s.get(g, 0)
            cells.append(f"{k} ({100 * k / total:.1f}%)" if total else "-")
        rows.append(cells)
    return _table(["group", "1st prefs", *methods], rows)


def _index_rows(items: Iterable[tuple[str, Proportionality | None, Any]]) -> list[str]:
    rows = []
    for m, p, rep in items:
        if p is None:
            continue
        cells = [
            m,
            f"{p.gallagher:.2f}",
            f"{p.loosemore_hanby:.2f}",
            f"{p.sainte_lague:.2f}",
            f"{p.enp_votes:.2f}",
            f"{p.enp_seats:.2f}",
        ]
        if isinstance(rep, Represented):
            cells += [
                f"{100 * rep.first_choice_share:.1f}%",
                f"{100 * rep.ranked_a_winner_share:.1f}%",
            ]
        elif rep:
            cells += [
                f"{100 * rep['first_choice_share']:.1f}%",
                f"{100 * rep['ranked_a_winner_share']:.1f}%",
            ]
        else:
            cells += ["-", "-"]
        rows.append(cells)
    return _table(
        [
            "rule",
            "Gallagher",
            "L-H",
            "S-L",
            "ENP votes",
            "ENP seats",
            "1st elected",
            "ranked winner",
        ],
        rows,
    )


INDEX_NOTE = (
    "Indices set seats against first-preference shares: Gallagher least squares and "
    "Loosemore-Hanby in percentage points, Sainte-Lague index, effective numbers of "
    "parties (Laakso-Taagepera).  '1st elected': papers whose first choice won; "
    "'ranked winner': papers ranking at least one winner."
)


def render_text(c: Comparison) -> str:
    """Winners side by side, seats by group, indices."""
    lines = [f"{c.title or c.source}: {c.seats} seat(s), {c.papers:,.0f} valid papers", ""]
    lines.append("Elected")
    for o in c.outcomes:
        tag = " [single member]" if o.single_member else ""
        lines.append(f"  {o.method}{tag}: " + (o.error or ", ".join(o.elected)))
    lines += ["", "Seats by group against first preferences"]
    ok = [o for o in c.outcomes if not o.error]
    lines += [
        "  " + x
        for x in _group_table(c.first_preferences, {o.method: o.seats_by_group for o in ok})
    ]
    lines += ["", "Proportionality"]
    lines += ["  " + x for x in _index_rows((o.method, o.indices, o.represented) for o in ok)]
    lines += ["", INDEX_NOTE]
    return "\n".join(printable(line) for line in lines) + "\n"


def render_aggregate_text(a: Aggregate, title: str = "") -> str:
    lines = [
        f"{title or 'All elections'}: {a.elections} elections, {a.seats} seats, "
        f"{a.papers:,.0f} valid papers",
        "",
    ]
    for m, k in a.seats_filled.items():
        if a.single_member.get(m):
            lines.append(f"  {m}: one member per election ({k} seats)")
        if a.errors.get(m):
            lines.append(f"  {m}: {a.errors[m]} elections could not be counted")
    lines += ["Seats by group against first preferences"]
    lines += ["  " + x for x in _group_table(a.first_preferences, a.seats_by_method)]
    lines += ["", "Proportionality (over all seats)"]
    lines += [
        "  " + x
        for x in _index_rows((m, a.indices[m], a.represented.get(m)) for m in a.seats_by_method)
    ]
    lines += ["", INDEX_NOTE]
    return "\n".join(printable(line) for line in lines) + "\n"
