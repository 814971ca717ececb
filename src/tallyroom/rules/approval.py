"""Approval-based committee rules: approval voting (block approval), satisfaction approval,
PAV, sequential PAV, sequential Phragmén and the Method of Equal Shares.

Definitions follow Lackner & Skowron, *Multi-Winner Voting with Approval Preferences*
(Springer 2023, arXiv:2007.01795), chapter 2; every quantity is an exact Fraction.  Ties
go to the tie breaker and are recorded; the committee's steps (sequential rules) or the
optimal score (PAV) are in the stage's ``extra``.

PAV is NP-hard to compute (Aziz et al. 2015; Skowron et al. 2016).  It is computed here by
exhaustive search over all committees of size k, which is exact and fast for the sizes of
real committee elections of a membership body (C(m, k) up to about two million: m = 25,
k = 6 is 177,100); larger instances are refused with a RuleError instead of running for
hours (option ``max_committees``).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations
from math import comb
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import RuleError
from tallyroom.record import CountRecord
from tallyroom.rules._support import (
    Score,
    approval_ballots,
    check_seats,
    fractions,
    no_options,
    one_stage,
    pick,
    register_family,
    tiebreaker,
    top_n,
)
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import TIE_KEYS, TieBreaker

MAX_COMMITTEES = 2_000_000


def _harmonic(n: int) -> Fraction:
    return sum((Fraction(1, j) for j in range(1, n + 1)), Fraction(0))


def _approval_scores(
    ballots: Sequence[tuple[frozenset[int], Score]], cands: Sequence[int]
) -> dict[int, Score]:
    s: dict[int, Score] = {c: 0 for c in cands}
    for a, w in ballots:
        for c in a:
            s[c] += w
    return s


def _av(
    names: Sequence[str], ballots: Any, cands: Sequence[int], k: int, ties: TieBreaker, sav: bool
) -> tuple[list[str], dict[str, Any]]:
    scores: dict[str, Fraction] = {names[c]: Fraction(0) for c in cands}
    for a, w in ballots:
        if not a:
            continue
        # SAV (Brams & Kilgour 2014): each voter's one vote shared over their approvals
        each = Fraction(1, len(a)) if sav else Fraction(1)
        for c in a:
            scores[names[c]] += each * w
    order = sorted(scores, key=lambda n: (-scores[n], n))
    return top_n(ties, order, scores, k, stage=1), {"scores": scores}


def _seq_pav(
    names: Sequence[str], ballots: Any, cands: Sequence[int], k: int, ties: TieBreaker
) -> tuple[list[str], dict[str, Any]]:
    committee: list[int] = []
    steps = []
    for step in range(1, k + 1):
        gain: dict[str, Fraction] = {}
        for c in cands:
            if c in committee:
                continue
            g = Fraction(0)
            for a, w in ballots:
                if c in a:
                    g += Fraction(w) / (len(a.intersection(committee)) + 1)
            gain[names[c]] = g
        chosen = pick(ties, list(gain), gain, want="highest", stage=step, purpose="next member")
        committee.append(names.index(chosen))
        steps.append({"step": step, "chosen": chosen, "marginal_gain": dict(gain)})
    return [names[c] for c in committee], {"steps": steps}


def _phragmen(
    names: Sequence[str],
    ballots: Sequence[tuple[frozenset[int], Score]],
    cands: Sequence[int],
    k: int,
    ties: TieBreaker,
    *,
    committee: list[int] | None = None,
    loads: list[Fraction] | None = None,
    first_step: int = 1,
) -> tuple[list[int], list[dict[str, Any]]]:
    """Sequential Phragmén (Phragmén 1894; Lackner & Skowron s. 2.2.4): add the candidate
    whose approvers would carry the smallest maximal load (1 + their loads) / weight."""
    committee = list(committee or [])
    loads = list(loads) if loads is not None else [Fraction(0)] * len(ballots)
    steps: list[dict[str, Any]] = []
    step = first_step
    while len(committee) < k:
        new_load: dict[str, Fraction] = {}
        for c in cands:
            if c in committee:
                continue
            weight = sum((w for a, w in ballots if c in a), 0)
            if weight == 0:
                # nobody approves c: only chosen when nothing else is left (load "k+1")
                new_load[names[c]] = Fraction(k + 1)
                continue
            carried = sum(
                (Fraction(w) * loads[i] for i, (a, w) in enumerate(ballots) if c in a), Fraction(0)
            )
            new_load[names[c]] = (carried + 1) / weight
        chosen = pick(
            ties, list(new_load), new_load, want="lowest", stage=step, purpose="next member"
        )
        ci = names.index(chosen)
        for i, (a, _w) in enumerate(ballots):
            if ci in a:
                loads[i] = new_load[chosen]
        committee.append(ci)
        steps.append(
            {"step": step, "chosen": chosen, "max_load": new_load[chosen], "phase": "phragmen"}
        )
        step += 1
    return committee, steps


def _mes(
    names: Sequence[str],
    ballots: Sequence[tuple[frozenset[int], Score]],
    cands: Sequence[int],
    k: int,
    ties: TieBreaker,
    completion: str,
) -> tuple[list[str], dict[str, Any]]:
    """Method of Equal Shares (Peters & Skowron 2020, "Proportionality and the limits of
    welfarism", s. 4 "Rule X"; Lackner & Skowron s. 2.2.5).  Each voter gets a budget of
    k/n; a candidate costs 1 and is bought by its approvers paying equal shares (those who
    cannot pay the share pay all they have); the candidate needing the smallest per-voter
    share q is bought first.  When no candidate is affordable the committee is completed by
    sequential Phragmén starting from the loads k/n - budget (abcvoting's "equal-shares"),
    by approval score ("av"), or not at all ("none")."""
    n = sum((w for _, w in ballots), 0)
    if n == 0:
        raise RuleError("mes: there are no valid ballots to share the budget among")
    start = Fraction(k) / n
    budget = [start] * len(ballots)
    committee: list[int] = []
    steps: list[dict[str, Any]] = []
    step = 1
    while len(committee) < k:
        q: dict[str, Fraction] = {}
        for c in cands:
            if c in committee:
                continue
            sup = [i for i, (a, _w) in enumerate(ballots) if c in a]
            if sum((Fraction(ballots[i][1]) * budget[i] for i in sup), Fraction(0)) < 1:
                continue
            # the least q with sum over supporters of w * min(budget, q) = 1
            rich = sorted(sup, key=lambda i: budget[i])
            paid_by_poor = Fraction(0)
            weight_rich = sum((Fraction(ballots[i][1]) for i in rich), Fraction(0))
            for i in rich:
                share = (1 - paid_by_poor) / weight_rich
                if budget[i] >= share:
                    q[names[c]] = share
                    break
                paid_by_poor += Fraction(ballots[i][1]) * budget[i]
                weight_rich -= Fraction(ballots[i][1])
        if not q:
            break
        chosen = pick(ties, list(q), q, want="lowest", stage=step, purpose="next member")
        ci = names.index(chosen)
        for i, (a, _w) in enumerate(ballots):
            if ci in a:
                budget[i] -= min(budget[i], q[chosen])
        committee.append(ci)
        steps.append({"step": step, "chosen": chosen, "q": q[chosen], "phase": "equal shares"})
        step += 1
    notes: list[str] = []
    if len(committee) < k:
        if completion == "phragmen":
            loads = [start - b for b in budget]
            committee, more = _phragmen(
                names, ballots, cands, k, ties, committee=committee, loads=loads, first_step=step
            )
            steps += more
        elif completion == "av":
            scores = _approval_scores(ballots, cands)
            rest = {names[c]: scores[c] for c in cands if c not in committee}
            while len(committee) < k and rest:
                chosen = pick(
                    ties, list(rest), rest, want="highest", stage=step, purpose="next member"
                )
                committee.append(names.index(chosen))
                steps.append(
                    {
                        "step": step,
                        "chosen": chosen,
                        "approvals": rest.pop(chosen),
                        "phase": "approval completion",
                    }
                )
                step += 1
        else:
            notes.append(
                f"equal shares bought only {len(committee)} of {k} seats; no completion asked for"
            )
    return [names[c] for c in committee], {
        "steps": steps,
        "budget_per_voter": start,
        "notes": notes,
    }


def _pav(
    names: Sequence[str], ballots: Any, cands: Sequence[int], k: int, ties: TieBreaker, limit: int
) -> tuple[list[str], dict[str, Any]]:
    total = comb(len(cands), k)
    if total > limit:
        raise RuleError(
            f"pav: {total:,} committees of {k} from {len(cands)} candidates is more than the "
            f"exhaustive search limit ({limit:,}); PAV is NP-hard -- raise max_committees to wait"
        )
    h = [_harmonic(j) for j in range(k + 1)]
    best: Fraction | None = None
    winners: list[tuple[int, ...]] = []
    for com in combinations(cands, k):
        s = set(com)
        score = sum((w * h[len(a & s)] for a, w in ballots), Fraction(0))
        if best is None or score > best:
            best, winners = score, [com]
        elif score == best:
            winners.append(com)
    labels = {"{" + ", ".join(names[c] for c in com) + "}": com for com in winners}
    if len(labels) == 1:
        chosen = next(iter(labels))
    else:
        chosen = ties.last_resort(list(labels), 1, "optimal committee", "highest")
    return [names[c] for c in labels[chosen]], {
        "pav_score": best,
        "optimal_committees": len(winners),
        "committees_searched": total,
    }


RULE_OPTIONS = {
    "approval": [],
    "sav": [],
    "pav": ["max_committees"],
    "seq-pav": [],
    "seq-phragmen": [],
    "mes": ["completion"],
}


def _count(profile: Profile, rule_id: str, options: dict[str, Any]) -> CountRecord:
    tie = {k: options.pop(k) for k in TIE_KEYS if k in options}
    opts = {k: options.pop(k) for k in RULE_OPTIONS[rule_id] if k in options}
    no_options(rule_id, options, RULE_OPTIONS[rule_id])
    cands = check_seats(profile, rule_id, multi=True)
    k = profile.election.seats
    used, ballots = approval_ballots(profile, rule_id)
    names = used.election.names
    ties = tiebreaker(used, **tie)
    detail: dict[str, Any]
    notes: list[str] = []
    if rule_id in ("approval", "sav"):
        elected, detail = _av(names, ballots, cands, k, ties, sav=rule_id == "sav")
    elif rule_id == "seq-pav":
        elected, detail = _seq_pav(names, ballots, cands, k, ties)
    elif rule_id == "seq-phragmen":
        com, steps = _phragmen(names, ballots, cands, k, ties)
        elected, detail = [names[c] for c in com], {"steps": steps}
    elif rule_id == "mes":
        completion = str(opts.get("completion", "phragmen"))
        if completion not in ("phragmen", "av", "none"):
            raise RuleError("mes: completion must be phragmen, av or none")
        elected, detail = _mes(names, ballots, cands, k, ties, completion)
        notes += detail.pop("notes")
    else:
        elected, detail = _pav(
            names, ballots, cands, k, ties, int(opts.get("max_committees", MAX_COMMITTEES))
        )
    approvals = _approval_scores(ballots, cands)
    extra = {"approvals": fractions({names[c]: v for c, v in approvals.items()}), **detail}
    return one_stage(
        used,
        method=rule_id,
        title=TITLES[rule_id],
        rule_text=TEXTS[rule_id],
        action="committee",
        elected=elected,
        reason="member of the committee",
        stage_extra=extra,
        ties=ties,
        options=opts,
        notes=notes,
    )


TITLES = {
    "approval": "Approval voting (block approval)",
    "sav": "Satisfaction approval voting",
    "pav": "Proportional approval voting",
    "seq-pav": "Sequential proportional approval voting",
    "seq-phragmen": "Sequential Phragmén",
    "mes": "Method of Equal Shares",
}
TEXTS = {
    "approval": "Brams & Fishburn (1978), APSR 72:831; Lackner & Skowron (2023) s. 2.1: the k most-approved candidates",
    "sav": "Brams & Kilgour (2014), Satisfaction approval voting; Lackner & Skowron (2023) s. 2.1",
    "pav": "Thiele (1895); Lackner & Skowron (2023) s. 2.1: maximise the sum of 1 + 1/2 + ... + 1/j; exhaustive search (NP-hard)",
    "seq-pav": "Thiele (1895) sequential; Lackner & Skowron (2023) s. 2.2.1",
    "seq-phragmen": "Phragmén (1894); Brill, Freeman, Janson & Lackner (2017), AAAI; Lackner & Skowron (2023) s. 2.2.4",
    "mes": "Peters & Skowron (2020), EC '20, 'Rule X'; Lackner & Skowron (2023) s. 2.2.5; completed by seq-Phragmén",
}
DESCRIPTIONS = {
    "approval": "Approval ballots: the k candidates with the most approvals (vote for any number)",
    "sav": "Each voter's one vote is split equally among the candidates they approve",
    "pav": "The committee maximising the proportional (harmonic) approval score",
    "seq-pav": "Add, one at a time, the candidate with the largest marginal PAV gain",
    "seq-phragmen": "Add, one at a time, the candidate that keeps the largest voter load smallest",
    "mes": "Equal budgets; buy candidates whose supporters can pay in equal shares (option completion)",
}


PARAMETERS = {
    "pav": (
        Parameter(
            "max_committees",
            "int",
            MAX_COMMITTEES,
            "the most committees the exhaustive search looks at before it gives up "
            "(PAV is NP-hard)",
            minimum=0,
        ),
    ),
    "mes": (
        Parameter(
            "completion",
            "choice",
            "phragmen",
            "when equal shares buy fewer candidates than seats: complete by sequential "
            "Phragmén, by approvals, or not at all",
            choices=("phragmen", "av", "none"),
        ),
    ),
}

register_family(
    TITLES,
    titles=TITLES,
    descriptions=DESCRIPTIONS,
    texts=TEXTS,
    family="approval",
    count=_count,
    kinds=("approval",),
    parameters=PARAMETERS,
)
