"""Condorcet and positional rules: Condorcet winner, Smith set, Schulze, ranked pairs,
Copeland, minimax, Borda and Dowdall.

Every record holds the pairwise matrix (``extra["pairwise"][a][b]``: papers ranking ``a``
above ``b``), the Condorcet winner and loser (or ``None``) and the Smith set.  A paper
ranks every candidate it names above every candidate it leaves out; candidates ranked
equal (BLT ``a=b``) are preferred neither way.  With more than one seat the rule's
ranking is cut after the first k (these are not proportional rules; the record says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import RuleError
from tallyroom.record import CountRecord
from tallyroom.rules._support import (
    Score,
    check_seats,
    fractions,
    no_options,
    one_stage,
    register_family,
    tiebreaker,
)
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.ties import TIE_KEYS, TieBreaker

Matrix = dict[str, dict[str, Score]]


def _groups(
    profile: Profile, rule_id: str
) -> tuple[list[tuple[list[list[int]], Score]], list[int]]:
    """Each paper as a list of equal-rank groups (withdrawn candidates removed)."""
    if profile.kind != "ranked":
        raise RuleError(
            f"{rule_id} counts ranked ballots; this profile holds {profile.kind} ballots"
        )
    gone = profile.election.withdrawn
    standing = [i for i in range(len(profile.election.candidates)) if i not in gone]
    out: list[tuple[list[list[int]], Score]] = []
    for b, w in zip(profile.ballots, profile.weights):
        groups: list[list[int]] = []
        seen: set[int] = set()
        for p in b:
            g = [c for c in ((p,) if isinstance(p, int) else p) if c not in gone and c not in seen]
            seen.update(g)
            if g:
                groups.append(g)
        out.append((groups, w))
    return out, standing


def pairwise(profile: Profile, rule_id: str = "condorcet") -> tuple[Matrix, list[str]]:
    """The pairwise matrix d[a][b] = papers preferring a to b, and the standing names."""
    papers, standing = _groups(profile, rule_id)
    names = profile.election.names
    n = len(names)
    d: list[list[Score]] = [[0] * n for _ in range(n)]
    for groups, w in papers:
        above: list[int] = []
        ranked: set[int] = set()
        for g in groups:
            for a in above:
                for c in g:
                    d[a][c] += w
            above.extend(g)
            ranked.update(g)
        unranked = [c for c in standing if c not in ranked]
        for a in ranked:
            for c in unranked:
                d[a][c] += w
    live = [names[i] for i in standing]
    m: Matrix = {names[a]: {names[b]: d[a][b] for b in standing if b != a} for a in standing}
    return m, live


def condorcet_winner(m: Matrix, live: Sequence[str]) -> str | None:
    for a in live:
        if all(m[a][b] > m[b][a] for b in live if b != a):
            return a
    return None


def condorcet_loser(m: Matrix, live: Sequence[str]) -> str | None:
    for a in live:
        if all(m[a][b] < m[b][a] for b in live if b != a):
            return a
    return None


def smith_set(m: Matrix, live: Sequence[str]) -> list[str]:
    """The smallest non-empty set whose members each beat every candidate outside it.

    Computed as the candidates that reach every other candidate through a path of wins or
    ties ("beats or ties" closure; Smith 1973, Econometrica 41:1027)."""
    reach = {a: {b for b in live if b != a and m[a][b] >= m[b][a]} for a in live}
    for k in live:
        for a in live:
            if k in reach[a]:
                reach[a] |= reach[k]
    return [a for a in live if all(b in reach[a] for b in live if b != a)]


def _ranking_by_score(
    ties: TieBreaker, scores: dict[str, Any], live: Sequence[str], *, want: str, purpose: str
) -> list[str]:
    pool = list(live)
    out: list[str] = []
    while pool:
        best = (max if want == "highest" else min)(scores[n] for n in pool)
        tied = [n for n in pool if scores[n] == best]
        c = tied[0] if len(tied) == 1 else ties.last_resort(tied, 1, purpose, "highest")
        out.append(c)
        pool.remove(c)
    return out


def _schulze(m: Matrix, live: Sequence[str]) -> dict[str, dict[str, Score]]:
    # Schulze (2011), Social Choice and Welfare 36:267-303, s. 2.2: strength of a link
    # a->b is d[a,b] when d[a,b] > d[b,a] ("winning votes"), else 0; strongest paths by
    # the Floyd-Warshall widest-path recurrence (s. 2.3).
    p = {a: {b: (m[a][b] if m[a][b] > m[b][a] else 0) for b in live if b != a} for a in live}
    for k in live:
        for a in live:
            if a == k:
                continue
            for b in live:
                if b in (a, k):
                    continue
                p[a][b] = max(p[a][b], min(p[a][k], p[k][b]))
    return p


def _ranked_pairs_lock(
    m: Matrix, live: Sequence[str], ties: TieBreaker
) -> tuple[dict[str, set[str]], list[tuple[str, str, Score]]]:
    # Tideman (1987), Social Choice and Welfare 4:185-206: majorities in order of strength
    # (winning votes), each locked unless it would create a cycle with those already locked.
    pairs = [(a, b, m[a][b]) for a in live for b in live if a != b and m[a][b] > m[b][a]]
    # pairs of equal strength: in the order of a tie-breaking ranking of the candidates
    # (Tideman's TBRC), drawn once through the tie breaker
    tbrc: list[str] = []
    if len({s for _, _, s in pairs}) != len(pairs):
        pool = sorted(live)
        while pool:
            c = (
                pool[0]
                if len(pool) == 1
                else ties.last_resort(pool, 1, "tie-breaking ranking of candidates", "highest")
            )
            tbrc.append(c)
            pool.remove(c)
    pos = {c: i for i, c in enumerate(tbrc or sorted(live))}
    pairs.sort(key=lambda t: (-t[2], pos[t[0]], pos[t[1]]))
    locked: dict[str, set[str]] = {a: set() for a in live}
    kept: list[tuple[str, str, Score]] = []

    def reaches(x: str, y: str) -> bool:
        stack, seen = [x], {x}
        while stack:
            u = stack.pop()
            if u == y:
                return True
            for v in locked[u]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        return False

    for a, b, s in pairs:
        if not reaches(b, a):
            locked[a].add(b)
            kept.append((a, b, s))
    return locked, kept


def _count(profile: Profile, rule_id: str, options: dict[str, Any]) -> CountRecord:
    tie = {k: options.pop(k) for k in TIE_KEYS if k in options}
    known: list[str] = []
    if rule_id == "copeland":
        known = ["tie_score"]
    elif rule_id == "minimax":
        known = ["measure"]
    elif rule_id in ("borda",):
        known = ["truncated"]
    opts = {k: options.pop(k) for k in known if k in options}
    no_options(rule_id, options, known)
    check_seats(profile, rule_id)
    ties = tiebreaker(profile, **tie)
    m, live = pairwise(profile, rule_id)
    seats = profile.election.seats
    cw = condorcet_winner(m, live)
    cl = condorcet_loser(m, live)
    smith = smith_set(m, live)
    notes: list[str] = []
    extra: dict[str, Any] = {
        "pairwise": {a: fractions(row) for a, row in m.items()},
        "condorcet_winner": cw,
        "condorcet_loser": cl,
        "smith_set": smith,
    }
    scores: dict[str, Any] = {}
    ranking: list[str]
    if rule_id == "condorcet":
        ranking = [cw] if cw else []
        if cw is None:
            notes.append("there is no Condorcet winner: no candidate beats every other pairwise")
    elif rule_id == "smith-set":
        ranking = list(smith) if len(smith) == 1 else []
        if len(smith) > 1:
            notes.append(
                f"the Smith set has {len(smith)} members ({', '.join(smith)}); no single winner"
            )
    elif rule_id == "schulze":
        p = _schulze(m, live)
        extra["strongest_paths"] = {a: fractions(r) for a, r in p.items()}
        # s. 4.1: a is ranked above b when p[a,b] > p[b,a]; score = number of such b
        scores = {a: sum(1 for b in live if b != a and p[a][b] > p[b][a]) for a in live}
        ranking = _ranking_by_score(ties, scores, live, want="highest", purpose="order of finish")
    elif rule_id == "ranked-pairs":
        locked, kept = _ranked_pairs_lock(m, live, ties)
        extra["locked"] = [(a, b, Fraction(s)) for a, b, s in kept]
        ranking = []
        pool = set(live)
        while pool:
            sources = sorted(a for a in pool if not any(a in locked[b] for b in pool if b != a))
            c = (
                sources[0]
                if len(sources) == 1
                else ties.last_resort(sources, 1, "order of finish", "highest")
            )
            ranking.append(c)
            pool.remove(c)
    elif rule_id == "copeland":
        half = Fraction(opts.get("tie_score", Fraction(1, 2)))
        scores = {
            a: sum(
                (1 if m[a][b] > m[b][a] else half if m[a][b] == m[b][a] else 0)
                for b in live
                if b != a
            )
            for a in live
        }
        ranking = _ranking_by_score(ties, scores, live, want="highest", purpose="order of finish")
    elif rule_id == "minimax":
        measure = str(opts.get("measure", "winning-votes"))
        if measure not in ("winning-votes", "margins", "pairwise-opposition"):
            raise RuleError(
                "minimax: measure must be winning-votes, margins or pairwise-opposition"
            )

        def defeat(a: str, b: str) -> Score:  # how badly b beats a
            if measure == "pairwise-opposition":
                return m[b][a]
            if measure == "margins":
                return m[b][a] - m[a][b]
            return m[b][a] if m[b][a] > m[a][b] else 0

        scores = {a: max((defeat(a, b) for b in live if b != a), default=0) for a in live}
        ranking = _ranking_by_score(ties, scores, live, want="lowest", purpose="order of finish")
    elif rule_id in ("borda", "dowdall"):
        scores = _positional(profile, rule_id, live, str(opts.get("truncated", "zero")))
        ranking = _ranking_by_score(ties, scores, live, want="highest", purpose="order of finish")
    else:  # pragma: no cover
        raise RuleError(f"unknown Condorcet-family rule {rule_id}")
    elected = ranking[:seats]
    if seats > 1:
        notes.append(
            f"{seats} seats: the first {seats} of the rule's order of finish (not a proportional rule)"
        )
    if len(elected) < seats and rule_id not in ("condorcet", "smith-set"):
        notes.append(f"only {len(elected)} candidates could be ranked")
    extra["order_of_finish"] = ranking
    if scores:
        extra["scores"] = fractions(scores)
    return one_stage(
        profile,
        method=rule_id,
        title=TITLES[rule_id],
        rule_text=TEXTS[rule_id],
        action="pairwise" if rule_id not in ("borda", "dowdall") else "points",
        elected=elected,
        reason="order of finish",
        stage_extra=extra,
        ties=ties,
        options=opts,
        notes=notes,
        extra={"pairwise": extra["pairwise"], "condorcet_winner": cw, "smith_set": smith},
    )


def _positional(
    profile: Profile, rule_id: str, live: Sequence[str], truncated: str
) -> dict[str, Fraction]:
    """Borda: m-1 points for a first preference down to 0 (de Borda 1781); Dowdall: 1/r
    (Nauru) -- candidates a paper leaves out score 0 (or, with
    ``truncated="average"`` under Borda, share the points left equally).  Candidates ranked
    equal share the points of the places they fill."""
    papers, standing = _groups(profile, rule_id)
    names = profile.election.names
    m = len(standing)
    scores = {n: Fraction(0) for n in live}

    def points(place: int) -> Fraction:  # place counts from 1
        if rule_id == "borda":
            return Fraction(m - place)
        return Fraction(1, place)

    if truncated not in ("zero", "average"):
        raise RuleError("borda: truncated must be zero or average")
    for groups, w in papers:
        place = 1
        for g in groups:
            share = sum((points(place + i) for i in range(len(g))), Fraction(0)) / len(g)
            for c in g:
                scores[names[c]] += share * w
            place += len(g)
        if truncated == "average" and rule_id == "borda":
            left = [c for c in standing if not any(c in g for g in groups)]
            if left:
                share = sum((points(place + i) for i in range(len(left))), Fraction(0)) / len(left)
                for c in left:
                    scores[names[c]] += share * w
    return scores


TITLES = {
    "condorcet": "Condorcet winner",
    "smith-set": "Smith set",
    "schulze": "Schulze method",
    "ranked-pairs": "Ranked pairs",
    "copeland": "Copeland's method",
    "minimax": "Minimax (Simpson-Kramer)",
    "borda": "Borda count",
    "dowdall": "Dowdall (Nauru) count",
}
TEXTS = {
    "condorcet": "Condorcet (1785), Essai sur l'application de l'analyse...: the candidate who beats every other pairwise",
    "smith-set": "Smith (1973), Econometrica 41:1027-1041: the smallest set beating all outside it; elects only when it has one member",
    "schulze": "Schulze (2011), Social Choice and Welfare 36:267-303, ss. 2-4 (winning votes)",
    "ranked-pairs": "Tideman (1987), Social Choice and Welfare 4:185-206 (winning votes)",
    "copeland": "Copeland (1951); score = pairwise wins + 1/2 per pairwise tie (option tie_score)",
    "minimax": "Simpson (1969), Kramer (1977): the smallest greatest pairwise defeat (winning votes; option measure)",
    "borda": "de Borda (1781): m-1 points for a first preference, m-2 for a second, ... 0 for last",
    "dowdall": "Dowdall system, Nauru Electoral Act 1965 (as amended): 1, 1/2, 1/3, ... points",
}
DESCRIPTIONS = {
    "condorcet": "Elects the candidate who beats every other pairwise, if there is one",
    "smith-set": "Reports the Smith set; elects its member when it has only one",
    "schulze": "Beatpath winner: strongest paths through the pairwise matrix",
    "ranked-pairs": "Lock majorities strongest first unless they make a cycle; the unbeaten candidate wins",
    "copeland": "Most pairwise wins (a pairwise tie counts one half)",
    "minimax": "The candidate whose greatest pairwise defeat is smallest",
    "borda": "Positional points m-1, m-2, ..., 0",
    "dowdall": "Positional points 1, 1/2, 1/3, ... (Nauru)",
}


#: the rules that always elect a Condorcet winner when there is one
CONDORCET_CONSISTENT = ("condorcet", "smith-set", "schulze", "ranked-pairs", "copeland", "minimax")

PARAMETERS = {
    "copeland": (
        Parameter(
            "tie_score",
            "number",
            Fraction(1, 2),
            "what a pairwise tie scores (a win scores 1)",
            minimum=0,
            maximum=1,
        ),
    ),
    "minimax": (
        Parameter(
            "measure",
            "choice",
            "winning-votes",
            "the size of a pairwise defeat: the winner's votes, the margin, or the votes "
            "against whether won or lost",
            choices=("winning-votes", "margins", "pairwise-opposition"),
        ),
    ),
    "borda": (
        Parameter(
            "truncated",
            "choice",
            "zero",
            "candidates a paper leaves unranked score nothing, or share the points left equally",
            choices=("zero", "average"),
        ),
    ),
}

register_family(
    TITLES,
    titles=TITLES,
    descriptions=DESCRIPTIONS,
    texts=TEXTS,
    family="condorcet",
    count=_count,
    parameters=PARAMETERS,
)
