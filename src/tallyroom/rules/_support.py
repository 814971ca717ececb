"""Shared plumbing for the non-STV rules: ballot checks, tie breaking, the count record
(:func:`record`, and :func:`one_stage` for the rules that count in one stage).

Every rule here takes ``count(profile, *, seed=1, tie_fallback=None, tie_order=(),
decisions=(), **rule_options)`` like the STV presets, and returns a
:class:`~tallyroom.record.CountRecord`.  Totals that are *papers* (one per valid ballot:
first preferences, IRV rounds, SAV shares) go in :attr:`Stage.totals` so that the books
balance; totals that are *votes* or *points* (block vote, approval, Borda) go in
``Stage.extra["scores"]``, because a paper carries several of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import NEVER_ELECTED, Profile
from tallyroom.errors import ElectionError, RuleError
from tallyroom.record import CountRecord, Event, Stage
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import TieBreaker, tie_breaker_for

Score = int | Fraction


def tiebreaker(
    profile: Profile,
    *,
    seed: int = 1,
    tie_fallback: str | None = None,
    tie_order: Sequence[str] = (),
    decisions: Sequence[str] = (),
    default: str = "lot",
) -> TieBreaker:
    """The final fallback for ties, as the STV presets build it."""
    e = profile.election
    return tie_breaker_for(
        e.names,
        e.tie_order,
        default=default,
        seed=seed,
        tie_fallback=tie_fallback,
        tie_order=tie_order,
        decisions=decisions,
    )


def no_options(rule_id: str, options: Mapping[str, Any], known: Iterable[str] = ()) -> None:
    extra = sorted(set(options) - set(known))
    if extra:
        allowed = ", ".join(sorted(known)) or "none"
        raise RuleError(f"{rule_id}: unknown option(s) {', '.join(extra)}; options: {allowed}")


def need_seats(profile: Profile, rule_id: str) -> None:
    """A rule that can fill more than one seat counts only with the seats stated: a file
    that holds no seat count (CSV, PrefLib, ES&S, CDF) read without ``--seats`` is refused,
    never counted for 1 seat by default (the NEC 2016 block vote for 6 seats, counted for 1,
    voids 167,194 of 174,557 papers as too many marks)."""
    e = profile.election
    if not e.seats_given:
        source = f"{profile.source} does" if profile.source else "the ballots do"
        raise ElectionError(
            f"{rule_id} can fill more than one seat, and {source} not say how many: "
            "give the number of seats (--seats N)"
        )


def stv_profile(profile: Profile, method: str) -> Profile:
    """The profile an STV engine counts: ranked ballots only (else RuleError), with the
    seats stated (:func:`need_seats`), equal rankings resolved as the ballot rules say
    (:meth:`Profile.strict`)."""
    if profile.kind != "ranked":
        raise RuleError(
            f"{method} counts ranked ballots; this profile holds {profile.kind} ballots"
        )
    need_seats(profile, method)
    return profile.strict()


def check_seats(
    profile: Profile, rule_id: str, *, single: bool = False, multi: bool = False
) -> list[int]:
    """The continuing (not withdrawn) candidates; refuse an impossible election.
    ``multi``: the rule can fill more than one seat (:func:`need_seats`)."""
    e = profile.election
    if multi:
        need_seats(profile, rule_id)
    standing = [i for i in range(len(e.candidates)) if i not in e.withdrawn]
    if single and e.seats != 1:
        raise ElectionError(f"{rule_id} fills one seat; this election has {e.seats}")
    if e.seats > len(standing):
        raise ElectionError(
            f"{rule_id}: {e.seats} seats but only {len(standing)} candidates standing"
        )
    return standing


def ranked_ballots(
    profile: Profile, rule_id: str
) -> tuple[Profile, list[tuple[tuple[int, ...], Score]]]:
    """Strict ranked ballots without withdrawn candidates (RuleError for approval ballots)."""
    if profile.kind != "ranked":
        raise RuleError(
            f"{rule_id} counts ranked ballots; this profile holds {profile.kind} ballots"
        )
    # an overvote decided round by round (RCTab) stays in the ballot as a tuple of candidates
    keep = profile.rules.overvote == "exhaust-if-multiple-continuing"
    strict = profile if keep else profile.strict()
    gone = strict.election.withdrawn
    out: list[tuple[tuple[int, ...], Score]] = []
    for b, w in zip(strict.ballots, strict.weights):
        out.append((tuple(c for c in b if c not in gone), w))
    return strict, out


def approval_ballots(
    profile: Profile, rule_id: str, *, top: int | None = None
) -> tuple[Profile, list[tuple[frozenset[int], Score]]]:
    """Approval sets without withdrawn candidates.

    Approval ballots are taken as they are; ranked ballots only when ``top`` is given
    (block vote: the first ``top`` preferences are the X marks).  An equal ranking inside
    the top ``top`` places is read as marks for all of the candidates in it as long as the
    marks stay within ``top``; a paper with more than ``top`` marks is cut by the
    profile's overvote rule (via :meth:`Profile.strict`).
    """
    gone = profile.election.withdrawn
    if profile.kind == "approval":
        return profile, [(frozenset(b) - gone, w) for b, w in zip(profile.ballots, profile.weights)]
    if top is None:
        raise RuleError(
            f"{rule_id} counts approval (X) ballots; this profile holds ranked ballots "
            "(block-vote style rules take the top k of a ranking)"
        )
    out: list[tuple[frozenset[int], Score]] = []
    strict = profile.strict()
    for b, w in zip(strict.ballots, strict.weights):
        live = [c for c in b if c not in gone]
        out.append((frozenset(live[:top]), w))
    return strict, out


def pick(
    ties: TieBreaker,
    names: Sequence[str],
    scores: Mapping[str, Score],
    *,
    want: str,
    stage: int,
    purpose: str,
    among: Iterable[str] | None = None,
) -> str:
    """The candidate with the highest (or lowest) score; a tie goes to the tie breaker."""
    pool = list(among) if among is not None else list(names)
    if not pool:
        raise RuleError(f"stage {stage}: no candidate left to choose for {purpose}")
    best = (max if want == "highest" else min)(scores[n] for n in pool)
    tied = [n for n in pool if scores[n] == best]
    if len(tied) == 1:
        return tied[0]
    return ties.last_resort(tied, stage, purpose, want)


def top_n(
    ties: TieBreaker,
    names: Sequence[str],
    scores: Mapping[str, Score],
    n: int,
    *,
    stage: int,
    purpose: str = "last seat",
) -> list[str]:
    """The ``n`` highest scores in order; ties at the margin go to the tie breaker."""
    pool = list(names)
    chosen: list[str] = []
    while len(chosen) < n and pool:
        c = pick(ties, pool, scores, want="highest", stage=stage, purpose=purpose)
        chosen.append(c)
        pool.remove(c)
    return chosen


def refuse_never_elected(profile: Profile, elected: Sequence[str], method: str) -> None:
    """A rule that does not know candidates who can never be elected (``Candidate.electable``)
    must not elect one: the count is refused, naming the candidate."""
    for c in profile.election.candidates:
        if not c.electable and c.name in elected:
            raise RuleError(
                f"{method}: {c.name!r} can never be elected (candidate attribute "
                f"{NEVER_ELECTED}=yes) and {method} cannot leave such a candidate out; "
                "count with irv or an STV rule, or remove the attribute"
            )


def record(
    profile: Profile,
    *,
    method: str,
    title: str,
    rule_text: str,
    elected: Sequence[str],
    stages: Sequence[Stage],
    ties: TieBreaker,
    seats: int | None = None,
    quota: Any = None,
    options: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
    valid: Score | None = None,
    invalid: Mapping[str, Score] | None = None,
    ballot_rules: Mapping[str, Any] | None = None,
    source_sha256: str = "",
    places: int | None = None,
    refuse_unelectable: bool = True,
) -> CountRecord:
    """The one assembly of a rule's :class:`CountRecord` (the STV engines' too): the
    candidates, seats, ballot accounting (``valid`` and ``invalid``: the profile's unless
    the rule voided papers of its own), withdrawn candidates and ballot rules (the
    profile's unless given: a vote table has none) from ``profile``; the ties from
    ``ties``' log; ``places`` the decimals the count worked in (None: exact).  A candidate
    who can never be elected refuses the count (:func:`refuse_never_elected`) unless the
    rule keeps such candidates out itself (``refuse_unelectable=False``: Gregory STV)."""
    e = profile.election
    if refuse_unelectable:
        refuse_never_elected(profile, elected, method)
    inv = dict(profile.invalid if invalid is None else invalid)
    v = profile.valid if valid is None else valid
    return CountRecord(
        method=method,
        title=title,
        rule_text=rule_text,
        candidates=e.names,
        seats=e.seats if seats is None else seats,
        elected=tuple(elected),
        stages=tuple(stages),
        ties=tuple(ties.log),
        quota=quota,
        places=places,
        source=profile.source,
        ballots_read=Fraction(v + sum(inv.values(), 0)),
        valid=Fraction(v),
        invalid={k: Fraction(x) for k, x in inv.items()},
        withdrawn=tuple(e.names[i] for i in sorted(e.withdrawn)),
        options=dict(options or {}),
        ballot_rules=profile.rules.describe() if ballot_rules is None else ballot_rules,
        notes=tuple(notes),
        extra=dict(extra or {}),
        source_sha256=source_sha256,
    )


def one_stage(
    profile: Profile,
    *,
    method: str,
    title: str,
    rule_text: str,
    action: str,
    elected: Sequence[str],
    ties: TieBreaker,
    description: str | None = None,
    reason: str = "",
    events: Sequence[Event] | None = None,
    totals: Mapping[str, Fraction] | None = None,
    exhausted: Fraction = Fraction(0),
    exhausted_papers: Fraction = Fraction(0),
    stage_extra: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
    valid: Score | None = None,
    invalid: Mapping[str, Score] | None = None,
) -> CountRecord:
    """The record of a rule that counts in one stage (plurality, approval committees, the
    Condorcet and points rules, a party list): stage 1, ``action``, described as
    ``description`` (the rule's title when not given), electing ``elected`` in order (a
    name once in the stage, however many seats it won), each with an ``elected`` event
    for ``reason`` unless the rule gives its own ``events``; then :func:`record`."""
    once = tuple(dict.fromkeys(elected))
    stage = Stage(
        number=1,
        action=action,
        description=title if description is None else description,
        totals=totals or {},
        exhausted=exhausted,
        exhausted_papers=exhausted_papers,
        elected=once,
        events=tuple(Event("elected", n, reason) for n in once)
        if events is None
        else tuple(events),
        extra=stage_extra or {},
    )
    return record(
        profile,
        method=method,
        title=title,
        rule_text=rule_text,
        elected=elected,
        stages=[stage],
        ties=ties,
        options=options,
        notes=notes,
        extra=extra,
        valid=valid,
        invalid=invalid,
    )


def fractions(scores: Mapping[str, Score]) -> dict[str, Fraction]:
    return {k: Fraction(v) for k, v in scores.items()}


def register_family(
    ids: Iterable[str],
    *,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    texts: Mapping[str, str],
    family: str,
    count: Callable[[Profile, str, dict[str, Any]], CountRecord],
    kinds: tuple[str, ...] = ("ranked",),
    parameters: Mapping[str, tuple[Parameter, ...]] | None = None,
) -> None:
    """Register a family of rules that share one counting function ``count(profile, id,
    options)``; ``parameters`` gives each rule's options (none where not given)."""
    from tallyroom.rules import Rule, register

    def bind(rule_id: str) -> Callable[..., CountRecord]:
        def run(profile: Profile, **options: Any) -> CountRecord:
            return count(profile, rule_id, dict(options))

        return run

    for rule_id in ids:
        register(
            Rule(
                id=rule_id,
                title=titles[rule_id],
                description=descriptions[rule_id],
                rule_text=texts[rule_id],
                family=family,
                count=bind(rule_id),
                kinds=kinds,
                parameters=(parameters or {}).get(rule_id, ()),
            )
        )
