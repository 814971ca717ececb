"""The options record that steers the STV engines.

An STV rule is this record plus a name: a preset pins every field and cites the clause of
its rule text that fixes it (see ``presets.py``).  Nothing else changes between variants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, Literal

from tallyroom.errors import RuleError
from tallyroom.numbers import Rounding
from tallyroom.rules.parameters import validate_record


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
    #:   whole-round-up  q rounded up to a whole number (RCTab's whole Hare threshold)
    quota_form: Literal[
        "whole-plus-one", "exact", "round-up", "places-plus-unit", "whole-round-up"
    ] = "whole-plus-one"
    #: recompute the quota from the valid poll less non-transferable votes:
    #: never; until the first candidate is elected (ERS97 5.4.8); or at every stage
    quota_recompute: Literal["never", "until-first-election", "always"] = "never"
    #: the total the quota is worked from: all valid papers, or the votes active at the first
    #: stage (Minneapolis / RCTab: ballots that count for a candidate in round 1)
    quota_base: Literal["valid", "first-stage-active"] = "valid"
    #: a candidate is elected on reaching the quota (">=") or only on exceeding it (">")
    elect_on: Literal[">=", ">"] = ">="
    #: every candidate at the quota is elected at once, or only the one with most votes per
    #: stage (RCTab multiWinnerAllowOnlyOneWinnerPerRound)
    elect_per_stage: Literal["all", "one"] = "all"
    #: also elect on reaching total active vote / (vacancies + 1) when that is lower than the
    #: quota (ERS97 5.1.7(b), 5.3.13, 5.4.9)
    elect_on_active_threshold: bool = False

    # -- surpluses -------------------------------------------------------------------
    #: wigm: every paper of the candidate, each at (surplus x its value / total votes)
    #: uigm: every paper, each at (surplus / number of papers)
    #: last-parcel: only the papers received last, at (surplus / those papers), capped at the
    #:   value they arrived with (ERS97 5.3)
    #: sample: whole papers from the last parcel, as many from each sub-parcel as its share of
    #:   the surplus, drawn at random with a recorded seed (Dáil, Electoral Act 1992 s.121)
    surplus: Literal["wigm", "uigm", "last-parcel", "sample"] = "wigm"
    #: one surplus per stage (statutory rules), or every pending surplus in one stage
    #: (RCTab's multi-winner rounds)
    surpluses_per_stage: Literal["one", "all"] = "one"
    #: wigm: each paper's new value is surplus x value / total in one division (Scottish
    #: r.48(3)), or value x (surplus / total), each rounded (Minneapolis 167.70, RCTab)
    tv_compose: Literal["direct", "via-fraction"] = "direct"
    #: a candidate elected with exactly the quota gets a (zero) surplus stage (RCTab)
    zero_surplus_stage: bool = False
    #: the transfer value's divisor in last-parcel/uigm: all papers, or transferable papers only
    tv_divisor: Literal["papers", "transferable-papers", "votes"] = "votes"
    #: whether the transfer value may exceed the value the papers were received at
    tv_cap: bool = False
    #: which surplus goes first: the largest, or in order of election
    surplus_order: Literal["largest", "election"] = "largest"
    #: defer surpluses that cannot change which candidate is excluded next:
    #: "no"; "ers97" (5.2.2: total surpluses do not exceed the gap between the two lowest, or
    #: between the bulk-excludable group and the next candidate up); "dail" (s.121: less than
    #: the gap between the two lowest, and unable to elect anyone)
    defer_surpluses: Literal["no", "ers97", "dail"] = "no"
    #: how values are rounded
    tv_rounding: Rounding = Rounding.DOWN

    # -- exclusions ------------------------------------------------------------------
    #: one candidate at a time, or every candidate who cannot catch up, together (bulk)
    exclusion: Literal["single", "bulk"] = "single"
    #: bulk exclusion: the group's votes plus pending surpluses must be "<=" (ERS97 5.2.5,
    #: "does not exceed") or "<" (Dáil s.122) the votes of the next candidate up
    bulk_margin: Literal["<=", "<"] = "<="
    #: when excluding the lowest would leave as many continuing candidates as vacancies:
    #: transfer the excluded papers first, then elect the rest (Scottish r.50, r.52), or elect
    #: the rest at once without the transfer (ERS97 5.5.1)
    last_exclusion: Literal["transfer", "elect-without-transfer"] = "transfer"
    #: transfer an excluded candidate's papers in one stage, or in sub-stages by the value
    #: the papers carry (highest first), checking for elections after each
    exclusion_transfers: Literal["one-stage", "by-value"] = "one-stage"
    #: candidates excluded before any other (RCTab: undeclared write-ins)
    exclude_first: tuple[str, ...] = ()

    # -- arithmetic ------------------------------------------------------------------
    #: fixed decimals (at ``places``, rounded as ``tv_rounding`` says), or exact rationals
    arithmetic: Literal["fixed", "exact"] = "fixed"
    #: the decimals of fixed arithmetic
    places: int = 5

    # -- ties ------------------------------------------------------------------------
    #: how the rule separates tied candidates by earlier stages
    tie_history: Literal["backward", "forward", "none"] = "backward"
    #: then: lot (seeded), order (given), decision (the returning officer's, as data)
    tie_fallback: Literal["lot", "order", "decision"] = "lot"

    # -- the end ---------------------------------------------------------------------
    #: transfer surpluses still pending when the last seat is filled (RCTab reports do)
    transfer_final_surplus: bool = False
    #: more seats than candidates standing: refuse to count, or elect every candidate who
    #: stands, as the continuing candidates fill the places unfilled, and stop there with
    #: the other seats empty and no surplus moved (RCTab with numberOfWinners above the
    #: candidates: "Everyone is now elected")
    more_seats_than_candidates: Literal["refuse", "elect-all"] = "refuse"

    #: the bounds of the whole-number options
    BOUNDS: ClassVar[dict[str, tuple[int, int | None]]] = {"places": (0, 30)}

    def __post_init__(self) -> None:
        validate_record(self, "STV")

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
        if "exclude_first" in changes and not isinstance(changes["exclude_first"], tuple):
            changes["exclude_first"] = tuple(changes["exclude_first"])
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["tv_rounding"] = self.tv_rounding.value
        d["exclude_first"] = list(self.exclude_first)
        return d
