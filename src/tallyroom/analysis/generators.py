"""Synthetic electorates: seeded ballot generators, and fitting one to published totals.

Every generator takes an :class:`~tallyroom.ballots.model.Election`, a number of voters
and a ``seed``, and returns a ranked :class:`~tallyroom.ballots.model.Profile` of unique
ballots x integer weights.  The same seed gives the same profile.  Floats drive the
sampling only; the ballots and their weights are whole numbers, as a count needs.

* :func:`impartial_culture` - every ranking equally likely.
* :func:`plackett_luce` - candidates drawn one by one with probability proportional to a
  weight among those left (Plackett 1975, Luce 1959); each pair then follows the
  Bradley-Terry law P(i before j) = w_i / (w_i + w_j).  With ``groups`` and ``cohesion``
  a voter belongs to a bloc and their bloc's candidates' weights are multiplied by
  ``cohesion`` (the "Bradley-Terry with slate cohesion" model).
* :func:`spatial` - voters and candidates are points in 1 or 2 dimensions; a voter ranks
  candidates by distance.
* :func:`slate_voting` - a voter ranks their own slate first, except that each slate
  candidate crosses over (is ranked among the others, by weight) with probability
  ``crossover``.
* :func:`fit_block_vote` - a profile whose block vote (top ``k`` of each ranking) gives
  given per-candidate totals *exactly*, drawn from one of the models above.

Sampling uses the Gumbel trick: sorting log-weights plus independent Gumbel noise draws a
Plackett-Luce ranking, so a whole electorate is one array operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tallyroom.ballots.model import Election, Profile
from tallyroom.errors import ElectionError

Lengths = int | Mapping[int, float] | None


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def groups_of(election: Election, key: str) -> list[str]:
    """Each candidate's value of attribute ``key`` ("" when absent)."""
    return [c.attributes.get(key, "") for c in election.candidates]


def _lengths(rng: np.random.Generator, n: int, m: int, lengths: Lengths) -> np.ndarray:
    """How many preferences each voter gives: all (None), a fixed number, or drawn from
    a distribution {length: probability}."""
    if lengths is None:
        return np.full(n, m)
    if isinstance(lengths, int):
        return np.full(n, min(max(lengths, 1), m))
    ks = np.array([min(max(int(k), 1), m) for k in lengths])
    p = np.array([float(v) for v in lengths.values()])
    return rng.choice(ks, size=n, p=p / p.sum())


def _to_profile(
    election: Election,
    order: np.ndarray,
    length: np.ndarray,
    weights: np.ndarray | None = None,
    source: str = "",
) -> Profile:
    """Rows of candidate indices (first preference first) truncated to ``length``."""
    n, m = order.shape
    padded = np.where(np.arange(m)[None, :] < length[:, None], order, -1)
    if weights is None:
        rows, counts = np.unique(padded, axis=0, return_counts=True)
    else:
        rows, inverse = np.unique(padded, axis=0, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(rows))
    ballots = []
    for row, c in zip(rows, counts):
        if int(c) <= 0:
            continue
        ballots.append((tuple(int(x) for x in row if x >= 0), int(c)))
    ballots.sort(key=lambda bw: -bw[1])
    return Profile.build(election, ballots, source=source)


def _continuing(election: Election) -> np.ndarray:
    m = len(election.candidates)
    if election.withdrawn:
        raise ElectionError("generators draw ballots for elections with no withdrawn candidates")
    return np.arange(m)


def impartial_culture(
    election: Election, voters: int, *, seed: int = 0, lengths: Lengths = None
) -> Profile:
    """Every ranking equally likely (the impartial culture)."""
    rng = _rng(seed)
    m = len(_continuing(election))
    order = np.argsort(rng.random((voters, m)), axis=1)
    return _to_profile(
        election, order, _lengths(rng, voters, m, lengths), source="impartial culture"
    )


def _gumbel_order(rng: np.random.Generator, logw: np.ndarray) -> np.ndarray:
    """Plackett-Luce rankings, one per row of log-weights (Gumbel-max trick)."""
    return np.argsort(-(logw + rng.gumbel(size=logw.shape)), axis=1)


def _blocs(
    rng: np.random.Generator,
    election: Election,
    voters: int,
    groups: str,
    bloc_shares: Mapping[str, float] | None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(slate names, each voter's bloc index, candidate x slate membership matrix)."""
    member = groups_of(election, groups)
    names = sorted(set(member)) if bloc_shares is None else list(bloc_shares)
    p = np.array(
        [1.0] * len(names) if bloc_shares is None else [float(bloc_shares[g]) for g in names]
    )
    bloc = rng.choice(len(names), size=voters, p=p / p.sum())
    onehot = np.array([[1.0 if g == s else 0.0 for s in names] for g in member])
    return names, bloc, onehot


def plackett_luce(
    election: Election,
    voters: int,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    *,
    seed: int = 0,
    lengths: Lengths = None,
    groups: str | None = None,
    cohesion: float = 1.0,
    bloc_shares: Mapping[str, float] | None = None,
) -> Profile:
    """Plackett-Luce rankings with candidate weights (equal weights: impartial culture).

    The first choice is candidate i with probability w_i / sum(w).  With ``groups`` (a
    candidate attribute) each voter joins a bloc (``bloc_shares``, default equal) and the
    weights of their bloc's candidates are multiplied by ``cohesion``.
    """
    rng = _rng(seed)
    m = len(_continuing(election))
    w = _weights(election, weights)
    logw = np.broadcast_to(np.log(w), (voters, m)).copy()
    if groups is not None and cohesion != 1.0:
        _, bloc, onehot = _blocs(rng, election, voters, groups, bloc_shares)
        logw += np.log(cohesion) * onehot[:, bloc].T
    order = _gumbel_order(rng, logw)
    return _to_profile(election, order, _lengths(rng, voters, m, lengths), source="Plackett-Luce")


def _weights(
    election: Election, weights: Sequence[float] | Mapping[str, float] | None
) -> np.ndarray:
    m = len(election.candidates)
    if weights is None:
        return np.ones(m)
    if isinstance(weights, Mapping):
        w = np.array([float(weights[n]) for n in election.names])
    else:
        w = np.array([float(x) for x in weights])
    if len(w) != m or (w <= 0).any():
        raise ValueError("need one positive weight per candidate")
    return w


def bradley_terry(
    election: Election,
    voters: int,
    strengths: Sequence[float] | Mapping[str, float] | None = None,
    *,
    groups: str = "slate",
    cohesion: float = 4.0,
    seed: int = 0,
    lengths: Lengths = None,
    bloc_shares: Mapping[str, float] | None = None,
) -> Profile:
    """Bradley-Terry strengths with slate cohesion: Plackett-Luce rankings in which a voter
    of bloc g prefers a fellow slate member j over an outsider i with odds
    cohesion * s_j / s_i."""
    return plackett_luce(
        election,
        voters,
        strengths,
        seed=seed,
        lengths=lengths,
        groups=groups,
        cohesion=cohesion,
        bloc_shares=bloc_shares,
    )


def spatial(
    election: Election,
    voters: int,
    *,
    dimensions: int = 1,
    seed: int = 0,
    lengths: Lengths = None,
    candidate_positions: np.ndarray | None = None,
    voter_spread: float = 1.0,
) -> Profile:
    """Voters (normal around 0) rank candidates by Euclidean distance.

    Candidates sit at ``candidate_positions`` (m x dimensions), else at their attributes
    ``x`` (and ``y``) when every candidate has them, else drawn from the standard normal.
    """
    if dimensions not in (1, 2):
        raise ValueError("spatial models here are 1-D or 2-D")
    rng = _rng(seed)
    m = len(_continuing(election))
    if candidate_positions is None:
        axes = ["x", "y"][:dimensions]
        if all(all(a in c.attributes for a in axes) for c in election.candidates):
            candidate_positions = np.array(
                [[float(c.attributes[a]) for a in axes] for c in election.candidates]
            )
        else:
            candidate_positions = rng.normal(size=(m, dimensions))
    pos = np.asarray(candidate_positions, dtype=float).reshape(m, dimensions)
    people = rng.normal(scale=voter_spread, size=(voters, dimensions))
    dist = np.linalg.norm(people[:, None, :] - pos[None, :, :], axis=2)
    order = np.argsort(dist, axis=1, kind="stable")
    return _to_profile(election, order, _lengths(rng, voters, m, lengths), source="spatial")


def slate_voting(
    election: Election,
    voters: int,
    bloc_shares: Mapping[str, float],
    *,
    groups: str = "slate",
    crossover: float = 0.1,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    seed: int = 0,
    lengths: Lengths = None,
) -> Profile:
    """Slate voting with crossover.

    A voter of bloc g (drawn with ``bloc_shares``) ranks g's slate first, in
    Plackett-Luce order by ``weights``; each of those candidates independently crosses
    over with probability ``crossover`` and is ranked among the rest instead.  A bloc whose
    name is no candidate's slate (e.g. "unaligned") ranks everyone by weight.
    """
    if not 0.0 <= crossover <= 1.0:
        raise ValueError("crossover is a probability")
    rng = _rng(seed)
    m = len(_continuing(election))
    w = _weights(election, weights)
    _, bloc, onehot = _blocs(rng, election, voters, groups, bloc_shares)
    own = onehot[:, bloc].T  # voters x candidates: 1 on the voter's slate
    stay = own * (rng.random((voters, m)) >= crossover)
    key = np.log(w)[None, :] + rng.gumbel(size=(voters, m)) + 1e6 * stay
    order = np.argsort(-key, axis=1)
    return _to_profile(election, order, _lengths(rng, voters, m, lengths), source="slate voting")


# -- fitting to published aggregates -----------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A fitted electorate and how it was made."""

    profile: Profile
    sampled_types: int  # ballot types drawn from the model before fitting
    filler_papers: int  # papers added, slate by slate, to make the totals exact
    voters: int
    iterations: int
    max_relative_error_before_rounding: float


def block_marks(profile: Profile, k: int) -> dict[str, int]:
    """Marks per candidate when the top ``k`` of each ranking are read as X votes."""
    out = dict.fromkeys(profile.election.names, 0)
    names = profile.election.names
    for b, w in zip(profile.ballots, profile.weights):
        for c in b[:k]:
            out[names[c]] += int(w)
    return out


def fit_block_vote(
    template: Profile,
    totals: Mapping[str, int],
    k: int,
    *,
    groups: str = "slate",
    iterations: int = 200,
    shrink: float = 0.995,
) -> Fit:
    """Reweight the ballot types of ``template`` so that its block vote (top ``k`` of each
    ranking) gives ``totals`` exactly.

    1. Iterative proportional fitting: each ballot type's weight is multiplied by the
       geometric mean, over the candidates it marks, of target / current marks.
    2. The weights are scaled by ``shrink`` and rounded down, so no candidate has more
       marks than published.
    3. What is left of each candidate's total is made up by extra papers marking only
       candidates of one slate (greedily: the slate's candidates with the most marks left,
       at the weight of the smallest), so every filler paper is a loyal slate vote of at
       most ``k`` marks.  The totals then agree exactly, by construction.
    Ballots longer than ``k`` are cut to ``k``: the demo's voters rank what they marked.
    """
    e = template.election
    names = list(e.names)
    m = len(names)
    target = np.array([float(totals[n]) for n in names])
    types = [tuple(int(c) for c in b[:k]) for b in template.ballots]
    inc = np.zeros((len(types), m))
    for t, b in enumerate(types):
        inc[t, list(b)] = 1.0
    keep = inc.sum(axis=1) > 0
    inc = inc[keep]
    types = [t for t, ok in zip(types, keep) if ok]
    w = np.array([float(x) for x, ok in zip(template.weights, keep) if ok])
    w *= target.sum() / max((inc * w[:, None]).sum(), 1.0)
    lengths = inc.sum(axis=1)
    done = 0
    for step in range(1, iterations + 1):
        done = step
        current = inc.T @ w
        ratio = np.where(current > 0, target / np.maximum(current, 1e-12), 1.0)
        w *= np.exp((inc @ np.log(ratio)) / lengths)
        if np.max(np.abs(ratio - 1.0)) < 1e-9:
            break
    current = inc.T @ w
    err = float(np.max(np.abs(current - target) / target))
    whole = np.floor(w * shrink).astype(np.int64)
    ballots: list[tuple[tuple[int, ...], int]] = [
        (b, int(x)) for b, x in zip(types, whole) if x > 0
    ]
    marks = np.zeros(m, dtype=np.int64)
    for b, x in ballots:
        marks[list(b)] += x
    left = {i: int(totals[names[i]]) - int(marks[i]) for i in range(m)}
    if any(v < 0 for v in left.values()):  # cannot happen with shrink < 1 unless IPF failed
        raise ValueError("fitted marks exceed the published totals")
    slate = groups_of(e, groups)
    filler = 0
    for s in dict.fromkeys(slate):
        members = [i for i in range(m) if slate[i] == s]
        if s in ("", "none"):  # independents: each on a paper of their own
            for i in members:
                if left[i]:
                    ballots.append(((i,), left[i]))
                    filler += left[i]
                    left[i] = 0
            continue
        while any(left[i] for i in members):
            top = sorted((i for i in members if left[i] > 0), key=lambda i: -left[i])[:k]
            x = min(left[i] for i in top)
            ballots.append((tuple(top), x))
            filler += x
            for i in top:
                left[i] -= x
    profile = Profile.build(e, ballots, source="fitted to published block-vote totals")
    return Fit(
        profile=profile,
        sampled_types=len(types),
        filler_papers=filler,
        voters=int(sum(int(x) for x in profile.weights)),
        iterations=done,
        max_relative_error_before_rounding=err,
    )
