"""The options record that steers the STV engines.

An STV rule is this record plus a name: a preset pins every field and cites the clause of
its rule text that fixes it (see ``presets.py``).  Nothing else changes between variants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from tallyroom.errors import RuleError
from tallyroom.numbers import Rounding


@dataclass(frozen=True)
class STVOptions:
    # -- the quota ------------------------------------------------------------------
    #: droop = valid / (seats + 1); hare = valid / seats
    quota: Literal["droop", "hare"] = "droop"
    #: how the division is turned into the quota:
    #:   whole-plus-one  floor(q) + 1 (Scottish r.46; Dáil; Minneapolis)
    #:   exact           q itself, unrounded (elect on ">" to make it a Droop quota)
    #:   round-up        q rounded up at the arithmetic's places
    #:   places-plus-unit  q truncated at the places, plus one unit of the last place (NZ Meek)
    quota_form: Literal["whole-plus-one", "exact", "round-up", "places-plus-unit"] = (
        "whole-plus-one"
    )
    #: recompute the quota from the votes still in the count (Meek; some local rules)
    quota_recompute: bool = False
    #: a candidate is elected on reaching the quota (">=") or only on exceeding it (">")
    elect_on: Literal[">=", ">"] = ">="

    # -- surpluses -------------------------------------------------------------------
    #: wigm: every paper of the candidate, each at (surplus x its value / total votes)
    #: uigm: every paper, each at (surplus / number of papers)
    #: last-parcel: only the papers received last, at (surplus / those papers), capped at the
    #:   value they arrived with (ERS97 5.3, Dáil)
    surplus: Literal["wigm", "uigm", "last-parcel"] = "wigm"
    #: the transfer value's divisor in last-parcel/uigm: all papers, or transferable papers only
    tv_divisor: Literal["papers", "transferable-papers", "votes"] = "votes"
    #: whether the transfer value may exceed the value the papers were received at
    tv_cap: bool = False
    #: which surplus goes first: the largest, or in order of election
    surplus_order: Literal["largest", "election"] = "largest"
    #: defer surpluses that cannot change which candidate is excluded next (ERS97 5.2.5)
    defer_surpluses: bool = False
    #: how values are rounded
    tv_rounding: Rounding = Rounding.DOWN
    #: credit each parcel as papers x transfer value (per parcel), rounded down
    credit: Literal["per-parcel", "per-candidate"] = "per-parcel"

    # -- exclusions ------------------------------------------------------------------
    #: one candidate at a time, or every candidate who cannot catch up, together (bulk)
    exclusion: Literal["single", "bulk"] = "single"
    #: transfer an excluded candidate's papers in one stage, or in sub-stages by the value
    #: the papers carry (highest first), checking for elections after each
    exclusion_transfers: Literal["one-stage", "by-value"] = "one-stage"
    #: after a sub-stage elects someone, the rest of the exclusion still goes ahead
    #: ("continue"), or the count turns to the new surplus first ("surplus-first")
    after_election_in_exclusion: Literal["continue", "surplus-first"] = "continue"

    # -- arithmetic ------------------------------------------------------------------
    arithmetic: Literal["fixed", "exact"] = "fixed"
    places: int = 5

    # -- ties ------------------------------------------------------------------------
    #: how the rule separates tied candidates by earlier stages
    tie_history: Literal["backward", "forward", "none"] = "backward"
    #: then: lot (seeded), order (given), decision (the returning officer's, as data)
    tie_fallback: Literal["lot", "order", "decision"] = "lot"

    # -- the end ---------------------------------------------------------------------
    #: transfer a surplus even when it can no longer change the result
    transfer_final_surplus: bool = False

    def __post_init__(self) -> None:
        if self.places < 0 or self.places > 30:
            raise RuleError(f"places must be between 0 and 30, not {self.places}")

    def with_options(self, **changes: Any) -> STVOptions:
        """A copy with some options changed; unknown names are a RuleError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise RuleError(
                f"unknown STV option(s): {', '.join(unknown)}; options are: {', '.join(sorted(known))}"
            )
        if "tv_rounding" in changes and isinstance(changes["tv_rounding"], str):
            changes["tv_rounding"] = Rounding(changes["tv_rounding"])
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["tv_rounding"] = self.tv_rounding.value
        return d
