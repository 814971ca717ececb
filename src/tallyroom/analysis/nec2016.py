"""The Labour NEC 2016 demo: what STV would have done with electorates like 2016's.

In 2016 the constituency section of Labour's National Executive Committee was elected by
block vote (up to six X votes, six seats), and one slate took all six seats with about
55 % of the votes cast.  Only the per-candidate totals were published, not the ballots.

This demo reconstructs many synthetic electorates that agree with the published totals
**exactly** - the block vote of each gives every candidate's published total - and counts
each under block vote, ERS97 STV and Meek STV.  The ballots are synthetic: what they show
is what the rule does *given the assumptions*, which are drawn afresh for each
reconstruction and reported alongside:

* ``crossover``: the chance that a slate voter's mark for a fellow slate candidate goes
  instead to a candidate ranked among all the rest (how loyal slate voters are);
* ``unaligned``: the share of voters who follow no slate and rank by popularity;
* ``full``: the share of voters who use all six votes (the rest use 1-5, equally likely);
* ``independents``: how far the three non-slate candidates' votes come from a bloc of
  their own supporters (1) rather than from unaligned voters (0);
* the order of a voter's marks: the block vote published no order, so preferences are
  read as the order the model drew them in (own slate first, by popularity), and a voter
  ranks only the candidates they marked - nobody ranks a seventh.

The facts and their source are shipped in ``tallyroom/analysis/data``.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from typing import Any

import numpy as np

from tallyroom.analysis.generators import Fit, block_marks, fit_block_vote, slate_voting
from tallyroom.ballots.model import Candidate, Election

SEATS = 6
SLATE = "slate"
UNALIGNED = "unaligned"
INDEPENDENT = "none"  # the slate column of the candidates on no slate
METHODS = ("block-vote", "ers97-stv", "meek-stv")


@dataclass(frozen=True)
class Published:
    election: Election
    totals: Mapping[str, int]
    winners: tuple[str, ...]
    slates: Mapping[str, str]  # candidate -> slate
    source: str


def published() -> Published:
    """The 2016 facts shipped with the package."""
    data = resources.files("tallyroom.analysis") / "data"
    rows = list(csv.DictReader(io.StringIO(data.joinpath("nec2016.csv").read_text("utf-8"))))
    source = data.joinpath("SOURCE.md").read_text("utf-8")
    election = Election(
        tuple(Candidate(r["candidate"], {SLATE: r["slate"]}) for r in rows),
        SEATS,
        title="Labour NEC 2016, CLP section (synthetic ballots)",
    )
    return Published(
        election=election,
        totals={r["candidate"]: int(r["votes"]) for r in rows},
        winners=tuple(r["candidate"] for r in rows if r["elected"] == "yes"),
        slates={r["candidate"]: r["slate"] for r in rows},
        source=source,
    )


@dataclass(frozen=True)
class Assumptions:
    """Ranges the assumptions are drawn from, uniformly, one draw per reconstruction."""

    reconstructions: int = 200
    seed: int = 2016
    crossover: tuple[float, float] = (0.0, 0.4)
    unaligned: tuple[float, float] = (0.0, 0.2)
    full: tuple[float, float] = (0.5, 0.9)
    independents: tuple[float, float] = (0.0, 1.0)
    sampled_voters: int = 600  # ballot types drawn before fitting: keeps the profile small
    methods: Sequence[str] = METHODS


@dataclass(frozen=True)
class Reconstruction:
    seed: int
    crossover: float
    unaligned: float
    full: float
    independents: float
    voters: int
    unique_ballots: int
    filler_papers: int
    exact: bool  # the block vote gives the published totals
    seats: Mapping[str, Mapping[str, int]]  # method -> slate -> seats
    elected: Mapping[str, tuple[str, ...]]


def reconstruct(
    pub: Published,
    seed: int,
    crossover: float,
    unaligned: float,
    full: float,
    sampled: int,
    independents: float = 1.0,
) -> Fit:
    """One synthetic electorate whose block vote gives the published totals exactly."""
    marks: dict[str, float] = {}
    for name, v in pub.totals.items():
        marks[pub.slates[name]] = marks.get(pub.slates[name], 0.0) + v
    total = sum(marks.values())
    blocs = {s: (1.0 - unaligned) * v / total for s, v in marks.items()}
    own = blocs.get(INDEPENDENT, 0.0)
    blocs[INDEPENDENT] = own * independents
    blocs[UNALIGNED] = unaligned + own * (1.0 - independents)
    rest = (1.0 - full) / 5
    template = slate_voting(
        pub.election,
        sampled,
        blocs,
        groups=SLATE,
        crossover=crossover,
        weights=pub.totals,
        seed=seed,
        lengths={6: full, 5: rest, 4: rest, 3: rest, 2: rest, 1: rest},
    )
    return fit_block_vote(template, pub.totals, SEATS, groups=SLATE)


@dataclass(frozen=True)
class DemoResult:
    assumptions: Assumptions
    published: Published
    runs: tuple[Reconstruction, ...]
    seconds: float
    slates: tuple[str, ...] = field(default_factory=tuple)

    def distribution(self, method: str) -> Counter[tuple[int, ...]]:
        """How often each split of seats (in :attr:`slates` order) came out."""
        return Counter(tuple(r.seats[method].get(s, 0) for s in self.slates) for r in self.runs)

    def mean_seats(
        self, method: str, runs: Sequence[Reconstruction] | None = None
    ) -> dict[str, float]:
        rs = self.runs if runs is None else runs
        if not rs:
            return {}
        return {s: sum(r.seats[method].get(s, 0) for r in rs) / len(rs) for s in self.slates}

    def to_dict(self) -> dict[str, Any]:
        return {
            "synthetic": True,
            "assumptions": {
                "reconstructions": self.assumptions.reconstructions,
                "seed": self.assumptions.seed,
                "crossover": list(self.assumptions.crossover),
                "unaligned": list(self.assumptions.unaligned),
                "full": list(self.assumptions.full),
                "independents": list(self.assumptions.independents),
                "sampled_voters": self.assumptions.sampled_voters,
            },
            "published": dict(self.published.totals),
            "slates": list(self.slates),
            "seconds": self.seconds,
            "methods": {
                m: {
                    "distribution": {
                        "-".join(map(str, k)): v for k, v in self.distribution(m).most_common()
                    },
                    "mean_seats": self.mean_seats(m),
                }
                for m in self.assumptions.methods
            },
            "runs": [
                {
                    "seed": r.seed,
                    "crossover": r.crossover,
                    "unaligned": r.unaligned,
                    "full": r.full,
                    "independents": r.independents,
                    "voters": r.voters,
                    "unique_ballots": r.unique_ballots,
                    "filler_papers": r.filler_papers,
                    "exact": r.exact,
                    "seats": {m: dict(s) for m, s in r.seats.items()},
                }
                for r in self.runs
            ],
        }


def run(assumptions: Assumptions = Assumptions()) -> DemoResult:
    """Reconstruct and count; every reconstruction's block vote is checked to give the
    published totals and the published six."""
    from tallyroom.rules import count

    start = time.perf_counter()
    pub = published()
    slates = tuple(dict.fromkeys(pub.slates.values()))
    rng = np.random.default_rng(assumptions.seed)
    runs = []
    for _ in range(assumptions.reconstructions):
        seed = int(rng.integers(2**31))
        x = float(rng.uniform(*assumptions.crossover))
        u = float(rng.uniform(*assumptions.unaligned))
        f = float(rng.uniform(*assumptions.full))
        b = float(rng.uniform(*assumptions.independents))
        fit = reconstruct(pub, seed, x, u, f, assumptions.sampled_voters, b)
        p = fit.profile
        exact = block_marks(p, SEATS) == dict(pub.totals)
        seats: dict[str, dict[str, int]] = {}
        elected: dict[str, tuple[str, ...]] = {}
        for m in assumptions.methods:
            rec = count(p, m)
            if m == "block-vote":
                scores = rec.stages[0].extra["scores"]
                exact = exact and scores == {n: Fraction(v) for n, v in pub.totals.items()}
                exact = exact and set(rec.elected) == set(pub.winners)
            elected[m] = tuple(rec.elected)
            s: dict[str, int] = {}
            for n in rec.elected:
                s[pub.slates[n]] = s.get(pub.slates[n], 0) + 1
            seats[m] = s
        runs.append(
            Reconstruction(
                seed, x, u, f, b, fit.voters, p.unique, fit.filler_papers, exact, seats, elected
            )
        )
    return DemoResult(assumptions, pub, tuple(runs), time.perf_counter() - start, slates)


def _short(slate: str) -> str:
    return {"Centre-Left Grassroots Alliance": "CLGA", "Labour First / Progress": "LF/P"}.get(
        slate, "independents" if slate == "none" else slate
    )


def render_text(result: DemoResult) -> str:
    pub = result.published
    a = result.assumptions
    n = len(result.runs)
    lines = [
        "Labour NEC 2016, constituency section: 6 seats, block vote",
        "",
        "THE BALLOTS BELOW ARE SYNTHETIC.  Only per-candidate totals were published; "
        f"{n} electorates were reconstructed so that the block vote of each gives those totals "
        "exactly, then counted under other rules.",
        "",
        "Published totals (block vote, up to six X votes):",
    ]
    for name, v in sorted(pub.totals.items(), key=lambda kv: -kv[1]):
        mark = "elected" if name in pub.winners else ""
        lines.append(f"  {name:<22} {_short(pub.slates[name]):<13} {v:>8,}  {mark}")
    lines.append(f"  {'total':<22} {'':<13} {sum(pub.totals.values()):>8,}")
    exact = sum(r.exact for r in result.runs)
    lines += [
        "",
        f"Block vote of every reconstruction gives the published totals exactly: "
        f"{exact} of {n} (elects the published six, "
        f"{'-'.join(str(result.runs[0].seats['block-vote'].get(s, 0)) for s in result.slates)}"
        f" by slate: {', '.join(_short(s) for s in result.slates)}).",
        "",
        "Seats by slate ("
        + " - ".join(_short(s) for s in result.slates)
        + "), share of reconstructions:",
    ]
    for m in a.methods:
        dist = result.distribution(m)
        cells = ", ".join(
            f"{'-'.join(map(str, k))}: {100 * v / n:.0f}%" for k, v in dist.most_common()
        )
        means = ", ".join(f"{_short(s)} {v:.2f}" for s, v in result.mean_seats(m).items())
        lines.append(f"  {m:<11} {cells}")
        lines.append(f"  {'':<11} mean seats: {means}")
    lines += ["", "What drives the STV outcome (mean seats under meek-stv):"]
    if "meek-stv" in a.methods:
        for label, key, lo_hi in (
            ("crossover", "crossover", a.crossover),
            ("unaligned share", "unaligned", a.unaligned),
            ("six-vote share", "full", a.full),
            ("independents' own bloc", "independents", a.independents),
        ):
            mid = (lo_hi[0] + lo_hi[1]) / 2
            low = [r for r in result.runs if getattr(r, key) < mid]
            high = [r for r in result.runs if getattr(r, key) >= mid]
            for tag, rs in (("below", low), ("above", high)):
                means = ", ".join(
                    f"{_short(s)} {v:.2f}" for s, v in result.mean_seats("meek-stv", rs).items()
                )
                lines.append(f"  {label} {tag} {mid:.2f} ({len(rs)} runs): {means}")
    voters = [r.voters for r in result.runs]
    uniq = [r.unique_ballots for r in result.runs]
    lines += [
        "",
        "Assumptions (drawn uniformly for each reconstruction):",
        f"  crossover {a.crossover[0]:.2f}-{a.crossover[1]:.2f}: chance a slate voter's mark for a "
        "fellow slate member goes to a candidate ranked among all the rest instead;",
        f"  unaligned {a.unaligned[0]:.2f}-{a.unaligned[1]:.2f}: share of voters following no slate "
        "(ranking by popularity); the rest split by their slate's share of the marks;",
        f"  full {a.full[0]:.2f}-{a.full[1]:.2f}: share using all six votes (the rest use 1-5);",
        f"  independents {a.independents[0]:.2f}-{a.independents[1]:.2f}: how far the non-slate "
        "candidates' votes come from a bloc of their own supporters (1) rather than from "
        "unaligned voters (0);",
        "  a voter's marks are ranked in the order the model drew them (own slate first, by "
        "popularity) and nobody ranks a seventh candidate.",
        "The STV result turns on these: how many members there were (the quota), how loyal "
        "slate voters were, and where the independents' and unaligned voters' papers go.  "
        "The block vote does not: it always gives 6-0.",
        f"Papers per electorate: {min(voters):,}-{max(voters):,}; unique ballots per profile "
        f"{min(uniq)}-{max(uniq)}; time {result.seconds:.1f} s.",
        "Source of the totals: "
        + pub.source.split("Source: ")[-1].split("\n\n")[0].replace("\n", " "),
    ]
    return "\n".join(lines) + "\n"
