"""The majority family: instant-runoff (AV), supplementary vote, contingent vote,
two-round system (from rankings), Coombs and Bucklin.

All are single-seat rules counted from ranked ballots in exact arithmetic.  Round totals
are papers, so each stage's books balance: continuing candidates + exhausted papers =
valid poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import RuleError
from tallyroom.record import CountRecord, Event, Stage, TieBreak
from tallyroom.rules import Rule, register
from tallyroom.rules._support import (
    Score,
    check_seats,
    fractions,
    no_options,
    pick,
    record,
    tiebreaker,
)
from tallyroom.rules._tally import ranked
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import TIE_KEYS, History, TieBreaker, break_by_history


def _split(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options.pop(k) for k in TIE_KEYS if k in options}


def _lowest(
    ties: TieBreaker,
    names: Sequence[str],
    current: dict[str, Score],
    history: list[dict[str, Fraction]],
    *,
    stage: int,
    tie_history: str,
    purpose: str = "exclusion",
) -> str:
    low = min(current.values())
    tied = sorted(n for n, v in current.items() if v == low)
    if len(tied) == 1:
        return tied[0]
    if tie_history in ("backward", "forward") and history:
        chosen, at, still = break_by_history(tied, history, want="lowest", direction=tie_history)
        if chosen is not None:
            ties.note(
                TieBreak(
                    stage,
                    purpose,
                    tuple(tied),
                    chosen,
                    "earlier stages",
                    f"fewest votes at stage {at}",
                )
            )
            return chosen
        tied = still
    return ties.last_resort(tied, stage, purpose, "lowest")


IRV_OPTIONS = ("batch", "rctab", "continue_until_two", "first_round_threshold", "tie_history")
PARAMETERS = {
    "irv": (
        Parameter(
            "batch",
            "bool",
            False,
            "eliminate at once the largest group of lowest candidates whose combined votes "
            "are fewer than the next candidate's (RCTab batchElimination)",
        ),
        Parameter(
            "rctab",
            "bool",
            False,
            "RCTab conventions: Undeclared Write-ins eliminated first, on their own; the "
            "threshold reported as half the continuing votes, rounded down, plus one",
        ),
        Parameter(
            "continue_until_two",
            "bool",
            False,
            "eliminate until two candidates remain, even after a majority",
        ),
        Parameter(
            "first_round_threshold",
            "bool",
            False,
            "the threshold of the first round stands for the whole count: a candidate is "
            "elected on reaching it, or, when two remain and neither has, the one with more "
            "votes (RCTab doesFirstRoundDetermineThreshold)",
        ),
        Parameter(
            "tie_history",
            "choice",
            "none",
            "separate candidates tied for exclusion by earlier rounds (the most recent, or "
            "the first, at which they differ) before the final fallback",
            choices=("none", "backward", "forward"),
        ),
    ),
    "two-round": (
        Parameter("advance", "int", 2, "how many candidates go to the second round", minimum=2),
    ),
}


def _batch(current: dict[str, Score], keep: int) -> list[str]:
    """Batch elimination (Minneapolis 167.60, RCTab ``batchElimination``): the largest group
    of lowest candidates whose votes together are fewer than the next candidate's, never
    splitting candidates with equal votes and leaving at least ``keep`` candidates (RCTab:
    with ``continueUntilTwoCandidatesRemain`` a batch never leaves the winner alone; the
    next smaller batch is taken).  [] when no group of two or more qualifies."""
    order = sorted(current.items(), key=lambda kv: (kv[1], kv[0]))
    running: Score = 0
    cut = 0
    for j in range(len(order) - 1):
        running += order[j][1]
        if running < order[j + 1][1] and len(order) - (j + 1) >= keep:
            cut = j + 1
    return [k for k, _ in order[:cut]] if cut >= 2 else []


def _final_tie(
    ties: TieBreaker,
    tied: list[str],
    history: list[dict[str, Fraction]],
    *,
    stage: int,
    tie_history: str,
) -> str:
    """RCTab: two candidates left, equal, no majority: the tie-break chooses the winner in
    this round (``Tabulator.identifyWinners``), not a candidate to eliminate."""
    if tie_history in ("backward", "forward") and history:
        chosen, at, still = break_by_history(tied, history, want="highest", direction=tie_history)
        if chosen is not None:
            ties.note(
                TieBreak(
                    stage,
                    "election",
                    tuple(tied),
                    chosen,
                    "earlier stages",
                    f"most votes at stage {at}",
                )
            )
            return chosen
        tied = still
    if ties.fallback == "order":
        # RCTab's candidate order elects the earliest of the two; irv is given that order
        # reversed, as the order of exclusion (rctab.load_config): the loser is decided
        loser = ties.last_resort(tied, stage, "exclusion", "lowest")
        return next(n for n in tied if n != loser)
    return ties.last_resort(tied, stage, "election", "highest")


def count_irv(profile: Profile, **options: Any) -> CountRecord:
    """Instant-runoff voting (alternative vote).

    Options: ``batch`` (eliminate at once the largest group of lowest candidates whose
    combined votes are fewer than the next candidate's, RCTab ``batchElimination``);
    ``rctab`` (RCTab conventions: the winning threshold is reported as half the continuing
    votes, rounded down, plus one, and two candidates left with equal votes are separated
    by the tie-break choosing the winner); ``continue_until_two`` (RCTab
    ``continueUntilTwoCandidatesRemain``: the winner is elected in the round they pass the
    threshold, which is then frozen, and elimination goes on -- the winner's votes counted
    -- until two candidates remain, with a last round to show the final transfer);
    ``first_round_threshold`` (RCTab ``doesFirstRoundDetermineThreshold``: the threshold is
    the first round's, more than half of its continuing votes, in every round; a candidate
    is elected on reaching it, and when two candidates remain and neither has, the one with
    more votes is elected, a tie between them going to the tie-break for the winner,
    ``Tabulator.identifyWinners``); ``tie_history`` ("none", "backward", "forward": separate
    candidates tied for exclusion by earlier rounds before the final fallback).

    A candidate who can never be elected (``Candidate.electable`` false: RCTab's
    undeclared write-ins) is never elected; while they hold votes nobody is elected and
    they are eliminated first, on their own (with no votes they are eliminated as any
    candidate is).  Papers exhausted by an overvote decided round by round
    (exhaust-if-multiple-continuing) stay exhausted in later rounds, as RCTab keeps them.
    """
    rule_id = "irv"
    tie = _split(options)
    batch = bool(options.pop("batch", False))
    rctab = bool(options.pop("rctab", False))
    until_two = bool(options.pop("continue_until_two", False))
    first_round = bool(options.pop("first_round_threshold", False))
    tie_history = str(options.pop("tie_history", "none"))
    no_options(rule_id, options, IRV_OPTIONS)
    if tie_history not in ("none", "backward", "forward"):
        raise RuleError(f"irv: tie_history must be none, backward or forward, not {tie_history!r}")
    check_seats(profile, rule_id, single=True)
    used, ballots = ranked(profile, rule_id)
    names = used.election.names
    at = {nm: i for i, nm in enumerate(names)}
    n = len(names)
    never = {i for i, c in enumerate(used.election.candidates) if not c.electable}
    ties = tiebreaker(used, **tie)
    continuing = {i for i in range(n) if i not in used.election.withdrawn}
    dead: set[int] = set()  # papers an overvote exhausted: they stay exhausted (RCTab)
    stages: list[Stage] = []
    history = History()
    previous: dict[str, Score] | None = None
    winner: str | None = None
    frozen: Fraction | None = None  # the threshold of the round the winner was elected in
    first_votes: Score | None = None  # round 1's continuing votes (first_round_threshold)
    number = 0
    while continuing:
        number += 1
        totals, exhausted = ballots.tally(continuing, dead)
        current = {names[c]: totals[c] for c in sorted(continuing)}
        active = sum(current.values(), 0)
        transfers: dict[str, Fraction] = {}
        if previous is not None:
            transfers = {k: Fraction(current.get(k, 0) - v) for k, v in previous.items()}
        if first_votes is None:
            first_votes = active
        # the votes the threshold is taken from: this round's, or round 1's
        basis = first_votes if first_round else active
        if frozen is not None:
            threshold = frozen
        elif rctab and Fraction(basis).denominator == 1:
            threshold = Fraction(basis // 2 + 1)
        else:
            threshold = Fraction(basis, 2)
        blocking = [names[c] for c in sorted(continuing) if c in never and totals[c] > 0]
        hopeful = {k: v for k, v in current.items() if at[k] not in never}
        new: str | None = None
        why = ""
        if winner is None and not blocking and hopeful:
            leader = max(hopeful.values())
            leaders = [k for k, v in hopeful.items() if v == leader]
            if len(continuing) == 1:
                new, why = leaders[0], "last candidate"
            elif 2 * leader > basis:
                new = leaders[0]
                why = (
                    "the first round's threshold" if first_round else "majority of continuing votes"
                )
            elif first_round and len(continuing) == 2 and len(leaders) == 1:
                new = leaders[0]
                why = "more votes of the last two (the first round's threshold not reached)"
            elif (rctab or first_round) and len(continuing) == 2 and len(leaders) == 2:
                new = _final_tie(ties, leaders, history, stage=number, tie_history=tie_history)
                why = "the last two candidates had equal votes: chosen by the tie-break (RCTab)"
        excluded: list[str] = []
        reason = ""
        if new is None and (winner is None or (until_two and len(continuing) > 2)):
            if blocking:
                excluded = blocking
                reason = "can never be elected: eliminated first, on its own (RCTab)"
            elif batch:
                excluded = _batch(current, 2 if until_two else 1)
                reason = "batch elimination: together fewer votes than the next candidate"
            if not excluded:
                excluded = [
                    _lowest(ties, names, current, history, stage=number, tie_history=tie_history)
                ]
                reason = "fewest votes"
        events = [Event("elected", new, why)] if new else []
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
                elected=(new,) if new else (),
                excluded=tuple(excluded),
                events=tuple(events),
                extra={"continuing_votes": Fraction(active)},
            )
        )
        history.append(fractions(current))
        previous = dict(current)
        if new:
            winner, frozen = new, threshold
        for x in excluded:
            continuing.discard(at[x])
        # RCTab, continuing until two: one more round after the last elimination shows it
        if winner and (not until_two or (not excluded and len(continuing) <= 2)):
            break
    elected = [winner] if winner else []
    return record(
        used,
        method=rule_id,
        title="Instant-runoff voting",
        rule_text=IRV_TEXT,
        elected=elected,
        stages=stages,
        ties=ties,
        options={
            "batch": batch,
            "rctab": rctab,
            "continue_until_two": until_two,
            "first_round_threshold": first_round,
            "tie_history": tie_history,
        },
        notes=() if elected else ("no candidate could be elected",),
    )


def _top_two_count(
    profile: Profile,
    options: dict[str, Any],
    *,
    rule_id: str,
    title: str,
    rule_text: str,
    max_preferences: int | None,
    advance_default: int = 2,
) -> CountRecord:
    """First preferences; without a majority, all but the top ``advance`` are excluded
    together and their papers go to the highest of the survivors among the paper's first
    ``max_preferences`` preferences."""
    tie = _split(options)
    advance = (
        int(options.pop("advance", advance_default)) if rule_id == "two-round" else advance_default
    )
    no_options(rule_id, options, ["advance"] if rule_id == "two-round" else [])
    if advance < 2:
        raise RuleError(f"{rule_id}: at least two candidates go to the second round, not {advance}")
    check_seats(profile, rule_id, single=True)
    used, ballots = ranked(profile, rule_id)
    if max_preferences is not None:
        ballots = ballots.truncated(max_preferences)
    names = used.election.names
    n = len(names)
    ties = tiebreaker(used, **tie)
    standing = {i for i in range(n) if i not in used.election.withdrawn}
    totals, exhausted = ballots.tally(standing)
    first = {names[c]: totals[c] for c in sorted(standing)}
    active = sum(first.values(), 0)
    stages: list[Stage] = []
    leader = max(first.values())
    if 2 * leader > active or len(standing) == 1:
        winner = pick(ties, list(first), first, want="highest", stage=1, purpose="election")
        stages.append(
            Stage(
                number=1,
                action="first preferences",
                totals=fractions(first),
                exhausted=Fraction(exhausted),
                exhausted_papers=Fraction(exhausted),
                quota=Fraction(active, 2),
                elected=(winner,),
                events=(Event("elected", winner, "more than half of the first preferences"),),
            )
        )
        return record(
            used,
            method=rule_id,
            title=title,
            rule_text=rule_text,
            elected=[winner],
            stages=stages,
            ties=ties,
        )
    survivors: list[str] = []
    pool = list(first)
    while len(survivors) < min(advance, len(pool) + len(survivors)) and pool:
        c = pick(ties, pool, first, want="highest", stage=1, purpose="second round")
        survivors.append(c)
        pool.remove(c)
    out = [k for k in first if k not in survivors]
    stages.append(
        Stage(
            number=1,
            action="first preferences",
            totals=fractions(first),
            exhausted=Fraction(exhausted),
            exhausted_papers=Fraction(exhausted),
            quota=Fraction(active, 2),
            excluded=tuple(out),
            events=tuple(Event("excluded", x, f"not among the top {advance}") for x in out),
        )
    )
    keep = {names.index(s) for s in survivors}
    totals2, exhausted2 = ballots.tally(keep)
    second = {names[c]: totals2[c] for c in sorted(keep)}
    winner = pick(ties, list(second), second, want="highest", stage=2, purpose="election")
    stages.append(
        Stage(
            number=2,
            action="second round",
            subjects=tuple(out),
            description="papers of the excluded candidates transferred",
            totals=fractions(second),
            transfers={k: Fraction(second.get(k, 0) - v) for k, v in first.items()},
            exhausted=Fraction(exhausted2),
            exhausted_papers=Fraction(exhausted2),
            quota=Fraction(sum(second.values(), 0), 2),
            elected=(winner,),
            events=(Event("elected", winner, "most votes in the second round"),),
        )
    )
    return record(
        used,
        method=rule_id,
        title=title,
        rule_text=rule_text,
        elected=[winner],
        stages=stages,
        ties=ties,
        options={"advance": advance, "max_preferences": max_preferences},
    )


def count_sv(profile: Profile, **options: Any) -> CountRecord:
    return _top_two_count(
        profile,
        options,
        rule_id="supplementary-vote",
        title="Supplementary vote",
        rule_text=SV_TEXT,
        max_preferences=2,
    )


def count_contingent(profile: Profile, **options: Any) -> CountRecord:
    return _top_two_count(
        profile,
        options,
        rule_id="contingent-vote",
        title="Contingent vote",
        rule_text=CONTINGENT_TEXT,
        max_preferences=None,
    )


def count_two_round(profile: Profile, **options: Any) -> CountRecord:
    return _top_two_count(
        profile,
        options,
        rule_id="two-round",
        title="Two-round system (from rankings)",
        rule_text=TWO_ROUND_TEXT,
        max_preferences=None,
    )


def count_coombs(profile: Profile, **options: Any) -> CountRecord:
    """Coombs: without a majority of first preferences, exclude the candidate ranked last
    by most papers.  A paper that leaves continuing candidates unranked gives its last-place
    vote to them in equal shares (they share its last place)."""
    rule_id = "coombs"
    tie = _split(options)
    no_options(rule_id, options)
    check_seats(profile, rule_id, single=True)
    used, ballots = ranked(profile, rule_id)
    names = used.election.names
    n = len(names)
    ties = tiebreaker(used, **tie)
    continuing = {i for i in range(n) if i not in used.election.withdrawn}
    stages: list[Stage] = []
    previous: dict[str, Score] | None = None
    number = 0
    elected: list[str] = []
    while continuing:
        number += 1
        totals, exhausted = ballots.tally(continuing)
        current = {names[c]: totals[c] for c in sorted(continuing)}
        active = sum(current.values(), 0)
        places = ballots.last_places(continuing)
        last: dict[str, Fraction] = {names[c]: places[c] for c in sorted(continuing)}
        leader = max(current.values())
        winner = None
        if len(continuing) == 1 or 2 * leader > active:
            winner = pick(
                ties, list(current), current, want="highest", stage=number, purpose="election"
            )
        excluded: list[str] = []
        if winner is None:
            most = max(last.values())
            tied = sorted(k for k, v in last.items() if v == most)
            excluded = [
                tied[0] if len(tied) == 1 else ties.last_resort(tied, number, "exclusion", "lowest")
            ]
        stages.append(
            Stage(
                number=number,
                action="first preferences" if number == 1 else "round",
                totals=fractions(current),
                transfers={}
                if previous is None
                else {k: Fraction(current.get(k, 0) - v) for k, v in previous.items()},
                exhausted=Fraction(exhausted),
                exhausted_papers=Fraction(exhausted),
                quota=Fraction(active, 2),
                elected=(winner,) if winner else (),
                excluded=tuple(excluded),
                events=tuple(
                    [Event("elected", winner, "majority of first preferences")] if winner else []
                )
                + tuple(Event("excluded", x, "ranked last by most papers") for x in excluded),
                extra={"last_places": last},
            )
        )
        previous = dict(current)
        if winner:
            elected.append(winner)
            break
        continuing.discard(names.index(excluded[0]))
    return record(
        used,
        method=rule_id,
        title="Coombs' method",
        rule_text=COOMBS_TEXT,
        elected=elected,
        stages=stages,
        ties=ties,
    )


def count_bucklin(profile: Profile, **options: Any) -> CountRecord:
    """Bucklin (Grand Junction): add each paper's next preference round by round until a
    candidate has a majority of the papers; the highest total then wins."""
    rule_id = "bucklin"
    tie = _split(options)
    no_options(rule_id, options)
    check_seats(profile, rule_id, single=True)
    used, ballots = ranked(profile, rule_id)
    names = used.election.names
    ties = tiebreaker(used, **tie)
    standing = [i for i in range(len(names)) if i not in used.election.withdrawn]
    valid = used.valid
    depth = ballots.depth
    stages: list[Stage] = []
    scores: dict[str, Score] = {names[c]: 0 for c in standing}
    winner: str | None = None
    for r in range(1, max(depth, 1) + 1):
        at_r = ballots.at_rank(r)
        for c in standing:
            scores[names[c]] += at_r[c]
        top = max(scores.values())
        if 2 * top > valid or r >= depth:
            winner = pick(ties, list(scores), scores, want="highest", stage=r, purpose="election")
        stages.append(
            Stage(
                number=r,
                action="round",
                description=f"preferences 1 to {r}",
                elected=(winner,) if winner else (),
                quota=Fraction(valid, 2),
                events=(
                    Event(
                        "elected",
                        winner,
                        "majority of the papers"
                        if 2 * top > valid
                        else "highest total when preferences ran out",
                    ),
                )
                if winner
                else (),
                extra={"scores": fractions(scores)},
            )
        )
        if winner:
            break
    return record(
        used,
        method=rule_id,
        title="Bucklin voting",
        rule_text=BUCKLIN_TEXT,
        elected=[winner] if winner else [],
        stages=stages,
        ties=ties,
    )


IRV_TEXT = (
    "Instant-runoff / alternative vote: Burlington City Charter s. 5 (2005, repealed 2010); "
    "Minneapolis Code of Ordinances ch. 167 (ss. 167.60, 167.70 batch elimination); RCTab "
    "rules (config_file_documentation.txt)"
)
SV_TEXT = (
    "Supplementary vote: Greater London Authority Act 1999, Sch. 2 para. 4 and the Local "
    "Authorities (Mayoral Elections) (England and Wales) Regulations 2007, Sch. 1 r. 56"
)
CONTINGENT_TEXT = (
    "Contingent vote: all but the two leading candidates excluded together, papers go to "
    "whichever of the two is ranked higher (Queensland Electoral Act 1892-1942)"
)
TWO_ROUND_TEXT = (
    "Two-round system simulated from rankings: a majority of first preferences wins, "
    "otherwise the top two (option advance) meet in a second round decided by each paper's "
    "higher-ranked survivor"
)
COOMBS_TEXT = "Coombs (1964), A Theory of Data; Grofman & Feld (2004), Electoral Studies 23:641-659"
BUCKLIN_TEXT = "Bucklin (Grand Junction) system, Grand Junction City Charter 1909, s. 4"

for _id, _title, _desc, _text, _fn in (
    (
        "irv",
        "Instant-runoff voting",
        "Alternative vote: exclude the lowest until one has a majority of continuing papers (batch and RCTab options)",
        IRV_TEXT,
        count_irv,
    ),
    (
        "supplementary-vote",
        "Supplementary vote",
        "First and second choices; without a majority the top two take the second choices (UK mayors to 2022)",
        SV_TEXT,
        count_sv,
    ),
    (
        "contingent-vote",
        "Contingent vote",
        "Without a majority all but the top two are excluded at once; papers go to the higher-ranked of the two",
        CONTINGENT_TEXT,
        count_contingent,
    ),
    (
        "two-round",
        "Two-round system",
        "Runoff between the top two (option advance) simulated from rankings",
        TWO_ROUND_TEXT,
        count_two_round,
    ),
    (
        "coombs",
        "Coombs' method",
        "Without a majority, exclude the candidate ranked last by most papers",
        COOMBS_TEXT,
        count_coombs,
    ),
    (
        "bucklin",
        "Bucklin voting",
        "Add lower preferences round by round until a candidate has a majority of the papers",
        BUCKLIN_TEXT,
        count_bucklin,
    ),
):
    register(
        Rule(
            id=_id,
            title=_title,
            description=_desc,
            rule_text=_text,
            family="majority",
            count=_fn,
            parameters=PARAMETERS.get(_id, ()),
        )
    )
