"""Named presets: how one jurisdiction counted, in one name (``--preset NAME``, or
``preset = "NAME"`` in an election file).

A counting rule (``irv``, ``minneapolis-stv``) says how votes move; a preset adds what an
official count also fixed: the rule's options and how papers were read (overvotes,
skipped ranks, repeated candidates).  Each is written in the election file's own terms
(``rule``, ``[options]``, ``[ballot_rules]``; docs/election-file.md) and names the source
that fixes each value, and the published result it reproduces.  An election file (or the
command line) may change any value a preset gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tallyroom.errors import RuleError


@dataclass(frozen=True)
class ElectionPreset:
    """A named way of counting: a rule, its options and the ballot rules."""

    name: str
    #: one line, in words
    summary: str
    rule: str
    options: Mapping[str, Any] = field(default_factory=dict)
    ballot_rules: Mapping[str, Any] = field(default_factory=dict)
    #: the ordinance and the official configuration each value comes from
    source: str = ""
    #: the published result the preset reproduces (and the test that checks it)
    reproduces: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        object.__setattr__(self, "ballot_rules", MappingProxyType(dict(self.ballot_rules)))

    def as_table(self) -> dict[str, Any]:
        """The preset as an election file's keys (``rule``, ``options``, ``ballot_rules``)."""
        return {
            "rule": self.rule,
            "options": dict(self.options),
            "ballot_rules": dict(self.ballot_rules),
        }


_RCTAB = "the Universal RCV Tabulator's (RCTab's) regression suite: tests/data/rctab/test_data/"

PRESETS: Mapping[str, ElectionPreset] = MappingProxyType(
    {
        p.name: p
        for p in (
            ElectionPreset(
                name="minneapolis-irv-2013",
                summary="Minneapolis single-seat ranked-choice count as in 2013: batch "
                "elimination; an overvote ends the paper; two skipped ranks in a row end it",
                rule="irv",
                options={"batch": True, "rctab": True},
                ballot_rules={"overvote": "exhaust", "skipped_ranks": 1, "duplicates": "skip"},
                source="Minneapolis Code of Ordinances ch. 167 (167.60 single-seat count, "
                "167.70 batch elimination); the city's 2013 mayoral count as configured in "
                f"{_RCTAB}2013_minneapolis_mayor/2013_minneapolis_mayor_config.json "
                "(batchElimination true, overvoteRule exhaustImmediately, "
                "maxSkippedRanksAllowed 1, exhaustOnDuplicateCandidate false)",
                reproduces="Minneapolis 2013 mayor, official: 80,101 ballots, 33 rounds, "
                "Betsy Hodges elected (tests/test_election_file.py)",
            ),
            ElectionPreset(
                name="minneapolis-irv-2017",
                summary="Minneapolis single-seat ranked-choice count as in 2017: batch "
                "elimination; an overvoted rank is passed over; two skipped ranks in a row "
                "end the paper",
                rule="irv",
                options={"batch": True, "rctab": True},
                ballot_rules={"overvote": "skip", "skipped_ranks": 1, "duplicates": "skip"},
                source="Minneapolis Code of Ordinances ch. 167 (167.60, 167.70); the 2017 "
                f"mayoral count as configured in {_RCTAB}2017_minneapolis_mayor/"
                "2017_minneapolis_mayor_config.json (batchElimination true, overvoteRule "
                "alwaysSkipToNextRank, maxSkippedRanksAllowed 1)",
                reproduces="Minneapolis 2017 mayor, official: 6 rounds, Jacob Frey elected "
                "(tests/test_election_file.py)",
            ),
            ElectionPreset(
                name="minneapolis-stv-2013",
                summary="Minneapolis multi-seat count as in 2013 (Park Board at large): "
                "fractional transfers at four decimals; an overvoted rank is passed over; "
                "three skipped ranks in a row end the paper",
                rule="minneapolis-stv",
                ballot_rules={"overvote": "skip", "skipped_ranks": 2, "duplicates": "skip"},
                source="Minneapolis Code of Ordinances ch. 167 (167.70 multiple-seat "
                "elections); the 2013 Park Board count as configured in "
                f"{_RCTAB}2013_minneapolis_park/2013_minneapolis_park_config.json "
                "(overvoteRule alwaysSkipToNextRank, maxSkippedRanksAllowed 2, "
                "decimalPlacesForVoteArithmetic 4, numberOfWinners 3: give seats = 3)",
                reproduces="Minneapolis 2013 Park Board at large, official: John Erwin, "
                "Annie Young, Meg Forney (tests/test_election_file.py)",
            ),
        )
    }
)


def preset(name: str) -> ElectionPreset:
    """The preset named ``name``; an unknown name is a RuleError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise RuleError(f"unknown preset {name!r}; presets: {', '.join(sorted(PRESETS))}") from None
