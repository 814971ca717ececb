"""The plurality family: first past the post, block vote, limited vote, SNV, cumulative vote.

Each voter's marks are counted once; the candidates with the most votes win.  Ranked
ballots are read as X marks on the first ``v`` preferences (``v`` = the votes a voter
has); approval ballots as they are, and a paper with more marks than the voter has votes
is void ("too many marks"), as on a paper ballot (e.g. Local Elections (Principal Areas)
(England and Wales) Rules 2006, r. 47(1)(b): "on which votes are given for more
candidates than the voter is entitled to vote for").
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import RuleError
from tallyroom.record import CountRecord, Event
from tallyroom.rules import Rule, register
from tallyroom.rules._support import (
    Score,
    approval_ballots,
    check_seats,
    fractions,
    no_options,
    one_stage,
    tiebreaker,
    top_n,
)
from tallyroom.rules._tally import ranked
from tallyroom.rules.constraints import coerce as coerce_constraints
from tallyroom.rules.constraints import elect_in_order
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import pop_tie_options

TOO_MANY = "too many marks"


def _plurality(
    profile: Profile,
    *,
    rule_id: str,
    title: str,
    rule_text: str,
    votes: int,
    cumulative: bool = False,
    single: bool = False,
    seed: int = 1,
    tie_fallback: str | None = None,
    tie_order: Sequence[str] = (),
    decisions: Sequence[str] = (),
    constraints: Any = None,
) -> CountRecord:
    standing = check_seats(profile, rule_id, single=single, multi=not single)
    names = profile.election.names
    seats = profile.election.seats
    if votes < 1:
        raise RuleError(f"{rule_id}: a voter needs at least one vote, not {votes}")
    scores: dict[str, Score] = {names[i]: 0 for i in standing}
    valid: Score = 0
    no_vote: Score = 0
    if profile.kind == "ranked":
        # the first ``votes`` preferences are the X marks: never too many
        used, ranking = ranked(profile, rule_id, keep_overvotes=False)
        invalid: dict[str, Score] = dict(used.invalid)
        for m, (marked, papers) in enumerate(ranking.marks(votes)):
            valid += papers
            if not m:
                no_vote += papers
                continue
            # cumulative vote: a voter's votes shared equally among the candidates marked
            # (the "equal and even" reading of Illinois Const. 1870 art. IV s. 7)
            each: Score = Fraction(votes, m) if cumulative else 1
            for i in standing:
                scores[names[i]] += each * marked[i]
    else:
        used, ballots = approval_ballots(profile, rule_id)
        invalid = dict(used.invalid)
        for marks, w in ballots:
            if len(marks) > votes:
                invalid[TOO_MANY] = invalid.get(TOO_MANY, 0) + w
                continue
            valid += w
            if not marks:
                no_vote += w
                continue
            each = Fraction(votes, len(marks)) if cumulative else 1
            for c in marks:
                scores[names[c]] += each * w
    ties = tiebreaker(
        used, seed=seed, tie_fallback=tie_fallback, tie_order=tie_order, decisions=decisions
    )
    order = sorted(scores, key=lambda n: (-scores[n], n))
    limits = coerce_constraints(constraints)
    if limits is None:
        elected = top_n(ties, order, scores, seats, stage=1, purpose="last seat")
        events = [Event("elected", n, "among the most votes") for n in elected]
    else:
        # group minima/maxima: elect in order of votes, passing over a candidate whose
        # election would make a minimum unreachable or break a maximum (constraints.py)
        bound = limits.bind(used.election)
        elected, events = elect_in_order(bound, ties, order, scores, seats, stage=1)
    papers_are_votes = votes == 1
    notes = []
    if len(elected) < seats:
        notes.append(f"only {len(elected)} candidates could be elected for {seats} seats")
    return one_stage(
        used,
        method=rule_id,
        title=title,
        rule_text=rule_text,
        action="poll",
        description="votes counted",
        elected=elected,
        events=events,
        totals=fractions(scores) if papers_are_votes else {},
        exhausted=Fraction(no_vote) if papers_are_votes else Fraction(0),
        exhausted_papers=Fraction(no_vote),
        stage_extra={"scores": fractions(scores), "votes_per_voter": votes}
        | ({"constraints": limits.describe()} if limits else {}),
        ties=ties,
        options={"votes": votes, "cumulative": cumulative}
        | ({"constraints": limits.describe()} if limits else {}),
        notes=notes,
        valid=valid,
        invalid=invalid,
    )


def _count_fptp(profile: Profile, **options: Any) -> CountRecord:
    tie = pop_tie_options(options)
    no_options("fptp", options)
    return _plurality(
        profile,
        rule_id="fptp",
        title="First past the post",
        rule_text=FPTP_TEXT,
        votes=1,
        single=True,
        **tie,
    )


def _count_snv(profile: Profile, **options: Any) -> CountRecord:
    tie = pop_tie_options(options)
    limits = options.pop("constraints", None)
    no_options("snv", options, ["constraints"])
    return _plurality(
        profile,
        rule_id="snv",
        title="Single non-transferable vote",
        rule_text=SNV_TEXT,
        votes=1,
        constraints=limits,
        **tie,
    )


def _count_block(profile: Profile, **options: Any) -> CountRecord:
    tie = pop_tie_options(options)
    given = options.pop("votes", None)  # None: the rule's default
    votes = int(profile.election.seats if given is None else given)
    limits = options.pop("constraints", None)
    no_options("block-vote", options, ["votes", "constraints"])
    return _plurality(
        profile,
        rule_id="block-vote",
        title="Block vote",
        rule_text=BLOCK_TEXT,
        votes=votes,
        constraints=limits,
        **tie,
    )


def _count_limited(profile: Profile, **options: Any) -> CountRecord:
    tie = pop_tie_options(options)
    seats = profile.election.seats
    given = options.pop("votes", None)  # None: the rule's default
    votes = int(max(1, seats - 1) if given is None else given)
    limits = options.pop("constraints", None)
    no_options("limited-vote", options, ["votes", "constraints"])
    if votes >= seats and seats > 1:
        raise RuleError(
            f"limited-vote: each voter must have fewer votes ({votes}) than there are seats ({seats}); "
            "with as many votes as seats use block-vote"
        )
    return _plurality(
        profile,
        rule_id="limited-vote",
        title="Limited vote",
        rule_text=LIMITED_TEXT,
        votes=votes,
        constraints=limits,
        **tie,
    )


def _count_cumulative(profile: Profile, **options: Any) -> CountRecord:
    tie = pop_tie_options(options)
    given = options.pop("votes", None)  # None: the rule's default
    votes = int(profile.election.seats if given is None else given)
    limits = options.pop("constraints", None)
    no_options("cumulative-vote", options, ["votes", "constraints"])
    return _plurality(
        profile,
        rule_id="cumulative-vote",
        title="Cumulative vote",
        rule_text=CUMULATIVE_TEXT,
        votes=votes,
        cumulative=True,
        constraints=limits,
        **tie,
    )


FPTP_TEXT = (
    "Relative majority in a single-member seat: Parliamentary Elections Rules "
    "(Representation of the People Act 1983, Sch. 1), r. 50"
)
SNV_TEXT = "Single non-transferable vote: one vote each, the k highest are elected (Japan, pre-1994 House of Representatives)"
BLOCK_TEXT = (
    "Plurality-at-large: vote for up to k candidates, the k highest are elected; a paper "
    "with more marks than seats is void (Local Elections (Principal Areas) (England and "
    "Wales) Rules 2006, r. 47(1)(b))"
)
LIMITED_TEXT = (
    "Limited vote: each voter has fewer votes than there are seats (Reform Act 1867, "
    "s. 9 three-member boroughs: two votes each); the k highest are elected"
)
CUMULATIVE_TEXT = (
    "Cumulative vote: each voter has k votes and may give them to one candidate or share "
    "them equally among several (Illinois Constitution 1870, art. IV s. 7)"
)

_CONSTRAINTS = Parameter(
    "constraints",
    "constraints",
    None,
    "group minima and maxima of seats (docs/constraints.md), e.g. gender=woman:min=3",
    optional=True,
)


def _votes(default: str) -> Parameter:
    return Parameter(
        "votes", "int", None, f"votes each voter has (default: {default})", minimum=1, optional=True
    )


PARAMETERS = {
    "snv": (_CONSTRAINTS,),
    "block-vote": (_votes("the seats"), _CONSTRAINTS),
    "limited-vote": (_votes("one fewer than the seats"), _CONSTRAINTS),
    "cumulative-vote": (_votes("the seats"), _CONSTRAINTS),
}

for _id, _title, _desc, _text, _fn, _kinds in (
    (
        "fptp",
        "First past the post",
        "One vote, one seat: the candidate with the most votes wins",
        FPTP_TEXT,
        _count_fptp,
        ("ranked", "approval"),
    ),
    (
        "snv",
        "Single non-transferable vote",
        "One vote each, k seats: the k candidates with the most votes win",
        SNV_TEXT,
        _count_snv,
        ("ranked", "approval"),
    ),
    (
        "block-vote",
        "Block vote",
        "Vote for up to k (X marks, or the top k of a ranking); the k most-voted win",
        BLOCK_TEXT,
        _count_block,
        ("approval", "ranked"),
    ),
    (
        "limited-vote",
        "Limited vote",
        "Vote for fewer than k candidates (option votes, default k-1); the k most-voted win",
        LIMITED_TEXT,
        _count_limited,
        ("approval", "ranked"),
    ),
    (
        "cumulative-vote",
        "Cumulative vote",
        "k votes each, shared equally among the candidates marked; the k highest win",
        CUMULATIVE_TEXT,
        _count_cumulative,
        ("approval", "ranked"),
    ),
):
    register(
        Rule(
            id=_id,
            title=_title,
            description=_desc,
            rule_text=_text,
            family="plurality",
            count=_fn,
            kinds=_kinds,
            parameters=PARAMETERS.get(_id, ()),
        )
    )
