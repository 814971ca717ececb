"""Party lists: D'Hondt, Sainte-Laguë, modified Sainte-Laguë, Hare and Droop largest
remainder, with legal thresholds and the apportionment of seats to constituencies.

A registered list rule counts a profile whose ballots are votes for parties (each
ballot's first preference, or its single X): ``elected`` lists the party of each seat in
the order the seats were won.  :func:`count_table` counts a
:class:`~tallyroom.ballots.votetable.VoteTable` constituency by constituency (Czech
Chamber: seats to regions by the Hare quota, then D'Hondt in each region among parties
over the national threshold).  All quotients are exact Fractions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.ballots.votetable import VoteTable
from tallyroom.errors import QUOTE_LIMIT, RuleError, printable
from tallyroom.record import CountRecord, Event, Stage
from tallyroom.rules._support import (
    no_options,
    one_stage,
    record,
    register_family,
    tiebreaker,
)
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import TIE_KEYS, TieBreaker

DIVISORS: dict[str, Callable[[int], Fraction]] = {
    # D'Hondt (1882): 1, 2, 3, ...
    "dhondt": lambda j: Fraction(j + 1),
    # Sainte-Laguë (1910): 1, 3, 5, ...
    "sainte-lague": lambda j: Fraction(2 * j + 1),
    # modified Sainte-Laguë (Sweden, Norway): first divisor 1.4, then 3, 5, ...
    "modified-sainte-lague": lambda j: Fraction(7, 5) if j == 0 else Fraction(2 * j + 1),
}
QUOTAS = ("hare", "droop", "hagenbach-bischoff")


#: a threshold or share as written: digits with an optional fraction or ``p/q``, short
#: enough that no exponent or 4,300-digit number reaches ``Fraction`` (``1e1000000000``)
_NUMBER = re.compile(r"\d{1,30}(\.\d{1,30})?|\d{1,30}/\d{1,30}")


def _fraction(x: Any, what: str) -> Fraction:
    if isinstance(x, str):
        text = x.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        if _NUMBER.fullmatch(text) and not re.fullmatch(r".*/0+", text):
            return Fraction(text) / (100 if percent else 1)
    else:
        try:
            return Fraction(x)
        except (TypeError, ValueError, ZeroDivisionError):
            pass
    raise RuleError(
        f"{what} must be a number or a percentage such as '5%', "
        f"not {printable(repr(x), QUOTE_LIMIT)}"
    )


def qualifying(
    votes: Mapping[str, int],
    *,
    threshold: Fraction = Fraction(0),
    coalition: Mapping[str, int] | None = None,
    coalition_thresholds: Mapping[int, Fraction] | None = None,
) -> tuple[list[str], dict[str, Fraction]]:
    """Parties at or over their threshold (a share of all valid votes).  A coalition of
    ``n`` parties needs ``coalition_thresholds[n]`` (or the largest size given at most
    ``n``); a coalition flagged with size 1 (size unknown) is taken as 2 parties."""
    total = sum(votes.values())
    need: dict[str, Fraction] = {}
    for p in votes:
        size = (coalition or {}).get(p, 0)
        t = threshold
        if size and coalition_thresholds:
            size = max(size, 2)
            sizes = [s for s in coalition_thresholds if s <= size]
            if sizes:
                t = coalition_thresholds[max(sizes)]
        need[p] = t
    ok = [p for p, v in votes.items() if total and Fraction(v, total) >= need[p] and v > 0]
    return ok, need


def divisor_allocation(
    votes: Mapping[str, int], seats: int, method: str, ties: TieBreaker, *, stage: int = 1
) -> tuple[dict[str, int], list[str], list[tuple[str, Fraction]]]:
    div = DIVISORS[method]
    won = {p: 0 for p in votes}
    order: list[str] = []
    quotients: list[tuple[str, Fraction]] = []
    live = [p for p, v in votes.items() if v > 0]
    for _ in range(seats):
        if not live:
            break
        q = {p: Fraction(votes[p]) / div(won[p]) for p in live}
        best = max(q.values())
        tied = sorted(p for p in live if q[p] == best)
        p = (
            tied[0]
            if len(tied) == 1
            else ties.last_resort(tied, stage, "next seat (equal quotients)", "highest")
        )
        won[p] += 1
        order.append(p)
        quotients.append((p, best))
    return won, order, quotients


def quota_for(total: int, seats: int, quota: str) -> Fraction:
    if quota == "hare":
        return Fraction(total, seats)
    if quota == "droop":  # Droop (1881): whole part of V/(S+1), plus one
        return Fraction(total // (seats + 1) + 1)
    if quota == "hagenbach-bischoff":
        return Fraction(total, seats + 1)
    raise RuleError(f"unknown quota {quota!r}; use one of {', '.join(QUOTAS)}")


def remainder_allocation(
    votes: Mapping[str, int],
    seats: int,
    quota: str,
    ties: TieBreaker,
    *,
    stage: int = 1,
    quota_rounding: str = "exact",
) -> tuple[dict[str, int], list[str], Fraction, dict[str, Fraction]]:
    total = sum(votes.values())
    q = quota_for(total, seats, quota)
    if quota_rounding == "down":
        q = Fraction(q.numerator // q.denominator)
    elif quota_rounding == "up":
        q = Fraction(-(-q.numerator // q.denominator))
    elif quota_rounding != "exact":
        raise RuleError("quota_rounding must be exact, down or up")
    if total == 0:
        return {p: 0 for p in votes}, [], q, {}
    won = {p: int(Fraction(v) // q) for p, v in votes.items()}
    rem = {p: Fraction(v) - won[p] * q for p, v in votes.items()}
    order = [p for p in votes for _ in range(won[p])]
    left = seats - sum(won.values())
    pool = [p for p in votes if votes[p] > 0]
    while left > 0 and pool:
        best = max(rem[p] for p in pool)
        tied = sorted(p for p in pool if rem[p] == best)
        p = (
            tied[0]
            if len(tied) == 1
            else ties.last_resort(tied, stage, "remainder seat", "highest")
        )
        won[p] += 1
        order.append(p)
        pool.remove(p)
        left -= 1
    while left < 0:
        # a quota below V/S can give out more seats than there are: take them back from the
        # parties with the smallest remainders
        pool = [p for p in votes if won[p] > 0]
        low = min(rem[p] for p in pool)
        tied = sorted(p for p in pool if rem[p] == low)
        p = (
            tied[0]
            if len(tied) == 1
            else ties.last_resort(tied, stage, "seat taken back", "lowest")
        )
        won[p] -= 1
        order.reverse()
        order.remove(p)
        order.reverse()
        rem[p] = Fraction(10**30)
        left += 1
    return won, order, q, rem


def allocate(
    votes: Mapping[str, int],
    seats: int,
    method: str,
    ties: TieBreaker,
    *,
    stage: int = 1,
    quota: str | None = None,
    quota_rounding: str = "exact",
) -> tuple[dict[str, int], list[str], dict[str, Any]]:
    if method in DIVISORS:
        won, order, quotients = divisor_allocation(votes, seats, method, ties, stage=stage)
        return won, order, {"quotients": quotients}
    if method in ("hare-lr", "droop-lr"):
        q = quota or ("hare" if method == "hare-lr" else "droop")
        won, order, qv, rem = remainder_allocation(
            votes, seats, q, ties, stage=stage, quota_rounding=quota_rounding
        )
        return won, order, {"quota": qv, "remainders": rem, "quota_kind": q}
    raise RuleError(f"unknown list method {method!r}; use one of {', '.join(METHODS)}")


METHODS = ("dhondt", "sainte-lague", "modified-sainte-lague", "hare-lr", "droop-lr")


def _thresholds(options: dict[str, Any]) -> tuple[Fraction, dict[int, Fraction]]:
    t = _fraction(options.pop("threshold", 0), "threshold")
    ct = {
        int(k): _fraction(v, "coalition threshold")
        for k, v in dict(options.pop("coalition_thresholds", {}) or {}).items()
    }
    return t, ct


def _count(profile: Profile, method: str, options: dict[str, Any]) -> CountRecord:
    tie = {k: options.pop(k) for k in TIE_KEYS if k in options}
    known = ["threshold", "coalition_thresholds"] + (
        ["quota", "quota_rounding"] if method.endswith("-lr") else []
    )
    raw = {k: options[k] for k in known if k in options}
    threshold, cthr = _thresholds(options)
    quota = options.pop("quota", None)
    rounding = str(options.pop("quota_rounding", "exact"))
    no_options(method, options, known)
    e = profile.election
    names = e.names
    ties = tiebreaker(profile, **tie)
    votes: dict[str, Any] = {names[i]: 0 for i in range(len(names)) if i not in e.withdrawn}
    no_vote: Any = 0
    for b, w in zip(profile.ballots, profile.weights):
        live = [c for c in b if isinstance(c, int) and c not in e.withdrawn]
        if profile.kind == "approval" and len(b) != 1 or not live:
            no_vote += w
            continue
        votes[names[live[0]]] += w
    coalition = {
        c.name: int(c.attributes["coalition"])
        for c in e.candidates
        if c.attributes.get("coalition", "0") not in ("", "0")
    }
    ok, need = qualifying(
        votes, threshold=threshold, coalition=coalition, coalition_thresholds=cthr
    )
    won, order, detail = allocate(
        {p: votes[p] for p in ok}, e.seats, method, ties, quota=quota, quota_rounding=rounding
    )
    seats = {p: won.get(p, 0) for p in votes}
    notes = []
    below = [p for p in votes if p not in ok and votes[p] > 0]
    if below:
        notes.append(f"below the threshold: {', '.join(below)}")
    if len(order) < e.seats:
        notes.append(
            f"only {len(order)} of {e.seats} seats could be given (no party with votes left)"
        )
    return one_stage(
        profile,
        method=method,
        title=TITLES[method],
        rule_text=TEXTS[method],
        action="allocation",
        totals={p: Fraction(v) for p, v in votes.items()},
        exhausted=Fraction(no_vote),
        exhausted_papers=Fraction(no_vote),
        elected=order,  # a party once in the stage, its seats in the events
        events=[Event("elected", p, f"{seats[p]} seat(s)") for p in dict.fromkeys(order)],
        stage_extra={"seats": seats, "thresholds": need, "qualified": ok, **detail},
        ties=ties,
        options=raw,
        notes=notes,
        extra={"seats": seats},
    )


def vote_table_at(path: str, input_format: str | None = None) -> VoteTable | None:
    """The party-list vote table at ``path`` when it has several constituencies (counted
    constituency by constituency, :func:`count_vote_table`), else None (a file read into
    one profile)."""
    from tallyroom.ballots.votetable import file_looks_like_votetable, read_votetable

    if input_format not in (None, "votetable"):
        return None
    if input_format is None and not file_looks_like_votetable(path):
        return None
    table = read_votetable(path)
    return table if len(table.constituencies) > 1 else None


def count_vote_table(
    table: VoteTable,
    method: str,
    seats: int | None,
    options: Mapping[str, Any],
    *,
    folder: str = "",
) -> CountRecord:
    """A vote table of several constituencies counted under a list rule, with the options
    as a rule's options give them: ``apportionment`` (seats to constituencies by a list
    rule, ``hare-lr`` unless given), ``constituency_seats`` (a ``constituency;seats`` file,
    its path relative to ``folder``: the seats as given), ``coalition_thresholds``
    (``SIZE:SHARE`` pairs, as text or a mapping), the threshold and the tie options."""
    import os

    from tallyroom.ballots.votetable import read_seats_table
    from tallyroom.rules import get

    rule = get(method)
    if rule.family != "list":
        raise RuleError(
            f"{table.source} is a party-list vote table: count it with a list rule "
            f"(dhondt, sainte-lague, modified-sainte-lague, hare-lr, droop-lr), not {rule.id}"
        )
    opts = dict(options)
    apportionment: Any = opts.pop("apportionment", "hare-lr")
    if "constituency_seats" in opts:
        apportionment = read_seats_table(os.path.join(folder, str(opts.pop("constituency_seats"))))
        seats = seats or sum(apportionment.values())
    if seats is None:
        raise RuleError(
            f"{table.source}: a vote table holds no seat count: give the seats to fill "
            "(--seats N, or seats = N in an election file)"
        )
    ct = opts.get("coalition_thresholds")
    if isinstance(ct, str):
        parsed: dict[int, str] = {}
        for item in ct.split(","):
            size, sep, share = item.partition(":")
            if not sep or not size.strip().isdigit():
                raise RuleError(
                    f"coalition_thresholds={ct!r}: expected SIZE:SHARE,... such as 2:7%,4:10%"
                )
            parsed[int(size)] = share.strip()
        opts["coalition_thresholds"] = parsed
    record = count_table(table, rule.id, seats, apportionment=apportionment, **opts)
    if not record.source_sha256 and os.path.isfile(table.source):
        from dataclasses import replace

        from tallyroom.ballots.formats.textio import file_sha256

        record = replace(record, source_sha256=file_sha256(table.source))
    return record


def count_table(
    table: VoteTable,
    method: str,
    seats: int,
    *,
    threshold: Any = 0,
    coalition_thresholds: Mapping[int, Any] | None = None,
    apportionment: str | Mapping[str, int] = "hare-lr",
    quota: str | None = None,
    seed: int = 1,
    tie_fallback: str | None = None,
    tie_order: Sequence[str] = (),
    decisions: Sequence[str] = (),
) -> CountRecord:
    """Count a vote table: seats to constituencies (by ``apportionment`` on the valid votes
    cast in each, or as given), parties qualified by the national threshold, then
    ``method`` within each constituency among the qualified parties.

    Czech Chamber 2017 (Act 247/1995 Coll., ss. 48-50): 200 seats to 14 regions by the
    republic quota (valid votes / 200) and largest remainders; 5 % threshold; D'Hondt in
    each region.
    """
    prof = table.profile(seats)
    ties = tiebreaker(
        prof, seed=seed, tie_fallback=tie_fallback, tie_order=tie_order, decisions=decisions
    )
    t = _fraction(threshold, "threshold")
    ct = {
        int(k): _fraction(v, "coalition threshold") for k, v in (coalition_thresholds or {}).items()
    }
    national = table.party_totals()
    ok, need = qualifying(national, threshold=t, coalition=table.coalition, coalition_thresholds=ct)
    ctotals = table.constituency_totals()
    if isinstance(apportionment, str):
        dseats, _, dd = allocate(ctotals, seats, apportionment, ties, stage=1)
    else:
        dseats, dd = dict(apportionment), {}
        if sum(dseats.values()) != seats:
            raise RuleError(f"the constituency seats add up to {sum(dseats.values())}, not {seats}")
    stages = [
        Stage(
            number=1,
            action="apportionment",
            description="seats to constituencies",
            extra={
                "constituency_seats": dseats,
                "constituency_votes": {c: Fraction(v) for c, v in ctotals.items()},
                **dd,
            },
        )
    ]
    by_const: dict[str, dict[str, int]] = {}
    elected: list[str] = []
    total_seats = {p: 0 for p in table.parties}
    for n, c in enumerate(table.constituencies, 2):
        v = table.in_constituency(c)
        won, order, detail = allocate(
            {p: v[p] for p in ok}, dseats[c], method, ties, stage=n, quota=quota
        )
        by_const[c] = {p: won.get(p, 0) for p in table.parties if won.get(p, 0)}
        for p, k in won.items():
            total_seats[p] += k
        elected += order
        stages.append(
            Stage(
                number=n,
                action="allocation",
                subjects=(c,),
                description=f"{c}: {dseats[c]} seats",
                extra={
                    "constituency": c,
                    "seats": by_const[c],
                    "votes": {p: Fraction(x) for p, x in v.items()},
                    **detail,
                },
            )
        )
    below = [p for p in table.parties if p not in ok and national[p] > 0]
    return record(
        prof,
        method=method,
        title=f"{TITLES[method]} by constituency",
        rule_text=TEXTS[method],
        elected=elected,
        stages=stages,
        ties=ties,
        source_sha256=table.source_sha256,
        valid=sum(national.values()),
        invalid={},
        ballot_rules={},  # a vote table holds votes, not papers read under ballot rules
        options={
            "threshold": t,
            "apportionment": apportionment if isinstance(apportionment, str) else "given",
        },
        notes=(f"below the threshold: {', '.join(below)}",) if below else (),
        extra={
            "seats": {p: k for p, k in total_seats.items() if k},
            "constituency_seats": by_const,
            "thresholds": need,
        },
    )


TITLES = {
    "dhondt": "D'Hondt",
    "sainte-lague": "Sainte-Laguë",
    "modified-sainte-lague": "Modified Sainte-Laguë",
    "hare-lr": "Hare quota, largest remainder",
    "droop-lr": "Droop quota, largest remainder",
}
TEXTS = {
    "dhondt": "D'Hondt (1882) highest averages, divisors 1, 2, 3, ...; e.g. Czech Act 247/1995 Coll. s. 50",
    "sainte-lague": "Sainte-Laguë (1910) highest averages, divisors 1, 3, 5, ...; German Federal Electoral Act s. 6(2)",
    "modified-sainte-lague": "Sainte-Laguë with first divisor 1.4 (Swedish Elections Act 2005:837, ch. 14 s. 3; Norway)",
    "hare-lr": "Hare quota V/S, seats by whole quotas then largest remainders",
    "droop-lr": "Droop quota floor(V/(S+1))+1, or Hagenbach-Bischoff V/(S+1) (option quota; Slovak Act 180/2014 s. 66), then largest remainders",
}
DESCRIPTIONS = {
    "dhondt": "Highest averages with divisors 1, 2, 3, ... (option threshold)",
    "sainte-lague": "Highest averages with divisors 1, 3, 5, ... (option threshold)",
    "modified-sainte-lague": "Highest averages with divisors 1.4, 3, 5, ... (option threshold)",
    "hare-lr": "Whole Hare quotas, then the largest remainders (option threshold)",
    "droop-lr": "Whole Droop (or Hagenbach-Bischoff) quotas, then the largest remainders",
}


_THRESHOLDS = (
    Parameter(
        "threshold",
        "text",
        0,
        "the share of all valid votes a party needs to take part in the allocation, as a "
        "number or a percentage (5%)",
    ),
    Parameter(
        "coalition_thresholds",
        "mapping",
        {},
        "the share a coalition of n parties needs, by n (2:7%,4:10%); the largest n given "
        "that is at most the coalition's size applies",
    ),
)
_QUOTA = (
    Parameter(
        "quota",
        "choice",
        None,
        "the quota (default: the method's own, Hare or Droop)",
        choices=QUOTAS,
        optional=True,
    ),
    Parameter(
        "quota_rounding",
        "choice",
        "exact",
        "the quota as it is, or rounded down or up to a whole number",
        choices=("exact", "down", "up"),
    ),
)
#: for a vote table of several constituencies only (``count_table``)
_TABLE = (
    Parameter(
        "apportionment",
        "text",
        "hare-lr",
        "vote tables of several constituencies: how the seats are shared among them, by a "
        "list method on their valid votes (hare-lr, droop-lr, dhondt, ...)",
    ),
    Parameter(
        "constituency_seats",
        "text",
        None,
        "vote tables of several constituencies: a CSV file of the seats of each one, "
        "instead of an apportionment",
        optional=True,
    ),
)
PARAMETERS = {m: _THRESHOLDS + (_QUOTA if m.endswith("-lr") else ()) + _TABLE for m in METHODS}

register_family(
    METHODS,
    titles=TITLES,
    descriptions=DESCRIPTIONS,
    texts=TEXTS,
    family="list",
    count=_count,
    kinds=("ranked", "approval"),
    parameters=PARAMETERS,
)
