"""RCTab's multi-seat modes that are not STV: bottoms-up and multi-pass IRV.

* ``bottoms-up`` (RCTab ``winnerElectionMode: bottomsUp``): no transfers of surplus; the
  candidate with fewest votes is eliminated, round by round, until as many continuing
  candidates remain as there are seats, and they are all elected.  The threshold reported is
  RCTab's multi-seat one, fixed in round 1: ``floor(V / (seats + 1)) + 1`` of the round's
  continuing votes V.
* ``bottoms-up`` with ``percentage`` (``bottomsUpUsingPercentageThreshold`` with
  ``multiSeatBottomsUpPercentageThreshold``): eliminate until every continuing candidate has
  at least that percentage of the round's continuing votes, then elect them all, however
  many.  ``first_round_threshold`` (``doesFirstRoundDetermineThreshold``) fixes the threshold
  at round 1's; ``cutoff`` (``cutoffElimination``) eliminates at once every candidate below
  the threshold, instead of one a round.
* ``multi-pass-irv`` (``multiPassIrv``): an IRV count per seat over all the ballots, each
  pass with the candidates elected in earlier passes left out (as if withdrawn); the
  record holds every pass's rounds, ``Stage.extra["pass"]`` telling them apart.

Ties for exclusion go to the count's tie fallback (as in ``irv``); RCTab's
"Undeclared Write-ins" is eliminated first, on its own, with ``rctab``.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import RuleError
from tallyroom.record import CountRecord, Event, Stage
from tallyroom.rules import Rule, register
from tallyroom.rules._support import Score, check_seats, fractions, no_options, record, tiebreaker
from tallyroom.rules._tally import ranked
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import TIE_KEYS

UWI = "Undeclared Write-ins"
BOTTOMS_UP_OPTIONS = ("percentage", "first_round_threshold", "cutoff", "rctab")
BOTTOMS_UP_PARAMETERS = (
    Parameter(
        "percentage",
        "number",
        None,
        "elect every candidate whose share of the continuing votes reaches this percentage "
        "(RCTab multiSeatBottomsUpPercentageThreshold); none: eliminate to the seats",
        minimum=0,
        maximum=100,
        optional=True,
    ),
    Parameter(
        "first_round_threshold",
        "bool",
        False,
        "the percentage of the first round's votes stands for the whole count "
        "(RCTab doesFirstRoundDetermineThreshold)",
    ),
    Parameter(
        "cutoff",
        "bool",
        False,
        "eliminate at once every candidate below the threshold (RCTab cutoffElimination)",
    ),
    Parameter("rctab", "bool", False, "RCTab conventions, as for irv"),
)
RCTAB_TEXT = (
    "RCTab (Universal RCV Tabulator) rules, config_file_documentation.txt: "
    "winnerElectionMode bottomsUp, bottomsUpUsingPercentageThreshold, multiPassIrv"
)


def _tie_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options.pop(k) for k in TIE_KEYS if k in options}


def count_bottoms_up(profile: Profile, **options: Any) -> CountRecord:
    """Bottoms-up: eliminate from the bottom until the seats (or, with ``percentage``, the
    share of the votes) are reached; see the module's description for the options."""
    rule_id = "bottoms-up"
    tie = _tie_options(options)
    raw_pct = options.pop("percentage", None)
    fixed = bool(options.pop("first_round_threshold", False))
    cutoff = bool(options.pop("cutoff", False))
    rctab = bool(options.pop("rctab", False))
    no_options(rule_id, options, BOTTOMS_UP_OPTIONS)
    pct: Fraction | None = None
    if raw_pct is not None:
        try:
            pct = Fraction(str(raw_pct))
        except (ValueError, ZeroDivisionError):
            raise RuleError(f"{rule_id}: percentage {raw_pct!r} is not a number") from None
        if not 0 < pct <= 100:
            raise RuleError(f"{rule_id}: percentage must be above 0 and at most 100, not {pct}")
    elif cutoff or fixed:
        raise RuleError(f"{rule_id}: cutoff and first_round_threshold need a percentage")
    if pct is None:
        check_seats(profile, rule_id)
    used, ballots = ranked(profile, rule_id)
    names = used.election.names
    seats = used.election.seats
    ties = tiebreaker(used, **tie)
    continuing = {i for i in range(len(names)) if i not in used.election.withdrawn}
    stages: list[Stage] = []
    previous: dict[str, Score] | None = None
    elected: list[str] = []
    threshold: Fraction | None = None
    number = 0
    while continuing:
        number += 1
        totals, exhausted = ballots.tally(continuing)
        current = {names[c]: totals[c] for c in sorted(continuing)}
        active = Fraction(sum(current.values(), 0))
        if pct is not None:
            if threshold is None or not fixed:
                threshold = active * pct / 100
        elif threshold is None:
            threshold = Fraction(int(active // (seats + 1)) + 1)
        transfers: dict[str, Fraction] = {}
        if previous is not None:
            transfers = {k: Fraction(current.get(k, 0) - v) for k, v in previous.items()}
        excluded: list[str] = []
        winners: list[str] = []
        reason = "fewest votes"
        if pct is not None:
            below = [k for k, v in current.items() if v < threshold]
            done = not below
        else:
            below = []
            done = len(continuing) <= seats
        if done:
            winners = list(current)
        elif rctab and UWI in current:
            excluded, reason = [UWI], "undeclared write-ins are eliminated first (RCTab)"
        elif cutoff and pct is not None:
            excluded, reason = below, "below the threshold (cutoff elimination)"
        else:
            low = min(current.values())
            tied = sorted(k for k, v in current.items() if v == low)
            excluded = [
                tied[0] if len(tied) == 1 else ties.last_resort(tied, number, "exclusion", "lowest")
            ]
        events = [
            Event("elected", w, "the candidates left when the eliminations ended") for w in winners
        ]
        events += [Event("excluded", x, reason) for x in excluded]
        stages.append(
            Stage(
                number=number,
                action="first preferences" if number == 1 else "round",
                subjects=tuple(excluded),
                description=f"round {number}",
                totals=fractions(current),
                transfers=transfers,
                exhausted=Fraction(exhausted),
                exhausted_papers=Fraction(exhausted),
                quota=threshold,
                elected=tuple(winners),
                excluded=tuple(excluded),
                events=tuple(events),
                extra={"continuing_votes": active},
            )
        )
        previous = dict(current)
        if winners:
            elected = winners
            break
        for x in excluded:
            continuing.discard(names.index(x))
    return record(
        used,
        method=rule_id,
        title="Bottoms-up elimination",
        rule_text=RCTAB_TEXT,
        elected=elected,
        stages=stages,
        ties=ties,
        seats=len(elected) if pct is not None else seats,
        options={
            "percentage": None if pct is None else str(pct),
            "first_round_threshold": fixed,
            "cutoff": cutoff,
            "rctab": rctab,
        },
    )


def count_multi_pass_irv(profile: Profile, **options: Any) -> CountRecord:
    """One IRV count per seat, each without the earlier passes' winners (``irv``'s options
    apply to every pass)."""
    from tallyroom.rules.majority import count_irv

    rule_id = "multi-pass-irv"
    check_seats(profile, rule_id)
    passes: list[CountRecord] = []
    e = profile.election
    for _ in range(e.seats):
        gone = e.withdrawn | {e.index(w) for r in passes for w in r.elected}
        one = profile.with_election(e.with_changes(seats=1, withdrawn=gone))
        passes.append(count_irv(one, **dict(options)))
    return combine_passes(profile, passes)


def combine_passes(profile: Profile, passes: list[CountRecord]) -> CountRecord:
    """The passes of a multi-pass count as one record (stages numbered on, each marked with
    its pass in ``extra["pass"]``)."""
    stages: list[Stage] = []
    ties = []
    for k, r in enumerate(passes, 1):
        # a pass's ties numbered as its stages are, in the one record
        ties += [replace(t, stage=t.stage + len(stages)) for t in r.ties]
        for s in r.stages:
            stages.append(replace(s, number=len(stages) + 1, extra={**dict(s.extra), "pass": k}))
    first = passes[0]
    return replace(
        first,
        method="multi-pass-irv",
        title="Multi-pass instant-runoff voting",
        rule_text=RCTAB_TEXT,
        seats=profile.election.seats,
        elected=tuple(w for r in passes for w in r.elected),
        stages=tuple(stages),
        ties=tuple(ties),
    )


def _irv_parameters() -> tuple[Parameter, ...]:
    """irv's options, which apply to every pass of multi-pass-irv."""
    from tallyroom.rules.majority import PARAMETERS

    return PARAMETERS["irv"]


register(
    Rule(
        "bottoms-up",
        "Bottoms-up elimination",
        "Eliminate the lowest until the seats (or a percentage of the votes) are reached: RCTab bottomsUp",
        RCTAB_TEXT,
        "majority",
        count_bottoms_up,
        options={
            "percentage": None,
            "first_round_threshold": False,
            "cutoff": False,
            "rctab": False,
        },
        parameters=BOTTOMS_UP_PARAMETERS,
    )
)
register(
    Rule(
        "multi-pass-irv",
        "Multi-pass instant-runoff voting",
        "An IRV count per seat, earlier winners left out: RCTab multiPassIrv",
        RCTAB_TEXT,
        "majority",
        count_multi_pass_irv,
        options={
            "batch": False,
            "rctab": False,
            "continue_until_two": False,
            "first_round_threshold": False,
            "tie_history": "none",
        },
        parameters=_irv_parameters(),
    )
)
