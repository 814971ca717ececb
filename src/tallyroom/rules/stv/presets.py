"""STV presets: each pins the options record and cites the rule text that fixes each field.

A preset separates what the rule text says from anything an official count did
differently; where they differ, the docs page of the rule says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.record import CountRecord
from tallyroom.rules import Rule, register
from tallyroom.rules._support import tiebreaker
from tallyroom.rules.parameters import Parameter, preset_clauses, schema_of
from tallyroom.rules.stv.gregory import GregorySTV
from tallyroom.rules.stv.options import STVOptions

# Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1, rules 45-52,
# as re-made by the Scottish Local Government Elections Order 2011 (SSI 2011/399).
SCOTTISH = STVOptions(
    quota="droop",  # r.46(1): valid papers / (councillors + 1)
    quota_form="whole-plus-one",  # r.46(2): ignoring decimals, increased by one
    elect_on=">=",  # r.47(1): equals or exceeds the quota
    surplus="wigm",  # r.48(1)-(3): all papers of the candidate, each at A/B
    surplus_order="largest",  # r.49(1): highest surplus first
    defer_surpluses="no",  # r.50(1): exclusion only once all surpluses are transferred
    exclusion="single",  # r.50(1): "the candidate with the then lowest number of votes"
    exclusion_transfers="one-stage",  # r.50(3)-(4): each paper at the value it was received
    arithmetic="fixed",
    places=5,  # r.48(3): "to five decimal places (any remainder being ignored)"
    tie_history="backward",  # r.49(2), r.51(2)(a): most recent stage at which unequal
    tie_fallback="lot",  # r.49(3), r.51(2)(b): by lot
)

# Electoral Reform Society, "How to conduct an election by the Single Transferable Vote",
# 3rd edition (1997), section 5 -- the rules most UK organisations' returning officers use.
ERS97 = STVOptions(
    quota="droop",  # 5.1.6: total valid vote / (places + 1)
    quota_form="round-up",  # 5.1.6: to 2 decimals; if not exact, the remainder dropped and 0.01 added
    quota_recompute="until-first-election",  # 5.4.8: valid less non-transferable, before any election
    elect_on=">=",  # 5.1.7(a): equals or exceeds the quota
    elect_on_active_threshold=True,  # 5.1.7(b): or total active vote / (places unfilled + 1)
    surplus="last-parcel",  # 5.3.1-5.3.2: all papers at stage 1, else the last received batch
    tv_divisor="transferable-papers",  # 5.3.7: surplus / number of transferable papers
    tv_cap=True,  # 5.3.7: papers worth no more than the surplus go at their present value
    surplus_order="largest",  # 5.2.3
    defer_surpluses="ers97",  # 5.2.2
    exclusion="bulk",  # 5.2.5: as many together as possible
    bulk_margin="<=",  # 5.2.5: "does not exceed"
    exclusion_transfers="by-value",  # 5.4.1, 5.4.11: batches by transfer value, highest first
    last_exclusion="elect-without-transfer",  # 5.5.1
    arithmetic="fixed",
    places=2,  # 5.1.6, 5.3.7: two decimal places, remainders ignored
    tie_history="forward",  # 5.2.3, 5.2.5: first stage, then earliest point of difference
    tie_fallback="lot",  # 5.2.3, 5.2.5: by lot
)

# Minneapolis Code of Ordinances ch. 167 (multiple-seat elections, 167.70), as counted for the
# 2013 Park Board at-large seats; round structure as RCTab (Universal RCV Tabulator) reports.
MINNEAPOLIS = STVOptions(
    quota="droop",
    quota_form="whole-plus-one",  # 167.20 "threshold": floor(votes / (seats + 1)) + 1
    quota_base="first-stage-active",  # the votes counting for a candidate in the first round
    elect_on=">=",
    surplus="wigm",  # 167.70(1)(a): every ballot of the elected candidate
    tv_compose="via-fraction",  # surplus fraction, then each ballot's value x fraction
    zero_surplus_stage=True,  # RCTab transfers a zero surplus in a round of its own
    surpluses_per_stage="all",  # RCTab multiWinnerAllowMultipleWinnersPerRound
    surplus_order="largest",
    exclusion="single",
    exclusion_transfers="one-stage",
    # RCTab's undeclared write-ins are excluded first: the readers mark that candidate
    # never-elected (Candidate.electable), which the engine honours for every rule
    arithmetic="fixed",
    places=4,  # 167.70: "to four decimal places", truncated
    tie_history="none",
    tie_fallback="lot",  # 167.70(1)(e): by lot
    transfer_final_surplus=True,  # RCTab reports the final surplus round
)

# Irish Dáil elections: Electoral Act 1992 Part XIX, ss. 118-124.
DAIL = STVOptions(
    quota="droop",
    quota_form="whole-plus-one",  # s.120(1)
    elect_on=">=",  # s.120(2)
    surplus="sample",  # s.121: the last parcel, whole papers drawn in proportion
    surplus_order="largest",  # s.121
    defer_surpluses="dail",  # s.121: not transferred when it cannot change the outcome
    exclusion="bulk",  # s.122: two or more lowest together when they cannot overtake
    bulk_margin="<",
    exclusion_transfers="one-stage",  # s.122: every paper worth one vote, in one count
    arithmetic="fixed",
    places=0,  # whole papers and whole votes throughout
    tie_history="forward",  # s.121, s.122: the earliest count at which they differed
    tie_fallback="lot",  # s.118 "determine by lot"
)

# Weighted Inclusive Gregory Method, generic: Droop quota as a fraction, elected on
# exceeding it, exact rational arithmetic (no rounding loss).
WIGM = STVOptions(
    quota="droop",
    quota_form="exact",
    elect_on=">",
    surplus="wigm",
    surplus_order="largest",
    exclusion="single",
    exclusion_transfers="one-stage",
    arithmetic="exact",
    tie_history="none",  # no rule text: ties go straight to the fallback (lot, or an order)
    tie_fallback="lot",
)


def _constraints(value: Any) -> Any:
    """Group minima and maxima from a rule option (constraints.py loaded only for them)."""
    if value is None:
        return None
    from tallyroom.rules.constraints import coerce

    return coerce(value)


def _counter(
    engine: Callable[..., Any],
    options: Any,
    rule_id: str,
    title: str,
    rule_text: str,
    *,
    constraints: bool,
) -> Callable[..., CountRecord]:
    """The one count of every STV preset: the options record changed by the options given
    (and checked: ``with_options``), the tie rules, then ``engine`` (:class:`GregorySTV`
    or :class:`~tallyroom.rules.stv.meek.MeekSTV`) on them.  ``constraints``: the engine
    keeps group minima and maxima (Gregory), taken as ``constraints`` and
    ``constraint_method``; else those are unknown options, refused as any other."""

    def count(
        profile: Profile,
        *,
        seed: int = 1,
        tie_fallback: str | None = None,
        tie_order: Sequence[str] = (),
        decisions: Sequence[str] = (),
        **changes: Any,
    ) -> CountRecord:
        limits: dict[str, Any] = {}
        if constraints:
            limits = {
                "constraints": changes.pop("constraints", None),
                "constraint_method": changes.pop("constraint_method", "guard-doom"),
                # RCTab's tabulation by precinct or batch (tallyroom.rctab.tabulate_parts):
                # internal, not a rule option, so not in the schema
                "parts": changes.pop("parts", None),
            }
        opts = options.with_options(**changes) if changes else options
        ties = tiebreaker(
            profile,
            default=opts.tie_fallback,
            seed=seed,
            tie_fallback=tie_fallback,
            tie_order=tie_order,
            decisions=decisions,
        )
        if limits:
            limits["constraints"] = _constraints(limits["constraints"])
        return engine(  # type: ignore[no-any-return]
            profile,
            opts,
            method=rule_id,
            title=title,
            rule_text=rule_text,
            tie_breaker=ties,
            **limits,
        ).count()

    return count


#: the options every STV rule takes besides its options record's fields
CONSTRAINT_PARAMETERS = (
    Parameter(
        "constraints",
        "constraints",
        None,
        "group minima and maxima of seats (docs/constraints.md), e.g. gender=woman:min=3",
        optional=True,
    ),
    Parameter(
        "constraint_method",
        "choice",
        "guard-doom",
        "how the constraints are kept: candidates guarded and doomed as the count goes "
        "(guard-doom), or the lowest who would break one excluded (exclude-lowest)",
        choices=("guard-doom", "exclude-lowest"),
    ),
)


def schema(options: Any, preset: str) -> tuple[Parameter, ...]:
    """A preset's parameters: its options record's fields (tie_fallback is a tie rule, set
    with the tie rules), each with the clause the preset cites for it."""
    import sys

    return schema_of(
        options, clauses=preset_clauses(sys.modules[__name__], preset), skip=("tie_fallback",)
    )


def _register(
    rule_id: str,
    title: str,
    description: str,
    rule_text: str,
    options: Any,
    preset: str,
    engine: Callable[..., Any],
    *,
    constraints: bool,
) -> None:
    """Register one STV preset: ``options`` (the record named ``preset`` in this module,
    whose comments give the clauses) counted by ``engine``."""
    register(
        Rule(
            id=rule_id,
            title=title,
            description=description,
            rule_text=rule_text,
            family="stv",
            count=_counter(engine, options, rule_id, title, rule_text, constraints=constraints),
            options=options.describe(),
            parameters=schema(options, preset) + (CONSTRAINT_PARAMETERS if constraints else ()),
        )
    )


def _stv(rule_id: str, title: str, description: str, rule_text: str, options: STVOptions) -> None:
    preset = next(n for n, v in globals().items() if v is options and n.isupper())
    _register(rule_id, title, description, rule_text, options, preset, GregorySTV, constraints=True)


_stv(
    "scottish-stv",
    "Scottish STV",
    "Scottish council elections: WIGM, 5 decimals truncated, largest surplus first",
    "Scottish Local Government Elections Order 2007 (SSI 2007/42) Sch. 1 rr. 45-52, "
    "as amended 2011 (SSI 2011/399)",
    SCOTTISH,
)
_stv(
    "ers97-stv",
    "ERS97 STV",
    "Electoral Reform Society 1997 rules: 2 decimals, last parcel, deferred surpluses, bulk exclusion",
    "Electoral Reform Society, How to conduct an election by the Single Transferable Vote, "
    "3rd edition (1997), section 5",
    ERS97,
)
_stv(
    "minneapolis-stv",
    "Minneapolis multi-seat STV",
    "Minneapolis fractional multi-seat STV (Park Board): 4 decimals, RCTab round structure",
    "Minneapolis Code of Ordinances, Title 8.5, ch. 167 (167.20, 167.70), as tabulated by "
    "the Universal RCV Tabulator for the 2013 Park Board at-large election",
    MINNEAPOLIS,
)
_stv(
    "dail-stv",
    "Dáil STV",
    "Irish Dáil rules: whole papers, last parcel sampled at random with a recorded seed",
    "Electoral Act 1992 (Ireland), Part XIX, ss. 118-124, as amended 2001",
    DAIL,
)
_stv(
    "wigm-stv",
    "Weighted inclusive Gregory STV",
    "Generic weighted inclusive Gregory STV in exact rational arithmetic",
    "Weighted Inclusive Gregory Method as described by Droop's 'wigm' rule "
    "(J. Lundell) and by Hill, 'Voting Matters' 2 (1994); exact arithmetic",
    WIGM,
)


# New Zealand: Local Electoral Regulations 2001 (SR 2001/145), Schedule 1A, the Meek method
# (I. D. Hill, "Implementing STV by Meek's method", Voting matters 22 (2006)).
_MEEK_NZ: dict[str, Any] = dict(
    variant="meek",
    arithmetic="fixed",
    places=9,  # cl.5, cl.10, cl.17: nine decimal places
    keep_rounding="up",  # cl.10: the value kept rounded up
    pass_on="complement",  # cl.10: the value passed on, value x (1 - kf), also rounded up
    quota_form="places-plus-unit",  # cl.5: (v - vnt)/(n + 1) truncated, plus 0.000000001
    omega_places=4,  # cl.13: iterate while the total surplus is 0.0001 or more
    omega_test="<",
    defeat_batch="none",  # cl.14-16: one exclusion at a time
    tie_within_surplus=False,
    tie_history="forward",  # cl.19, cl.34: ahead at the first difference
    tie_fallback="lot",  # cl.40-48 prescribe a pseudo-random generator; ours is seeded and recorded
)

# Hill, Wichmann and Woodall, "Algorithm 123: Single Transferable Vote by Meek's method",
# The Computer Journal 30(3) (1987): Droop quota on the votes in use, recomputed; keep factors
# kf x q / v; one exclusion at a time.  Counted here in exact rationals (the algorithm's
# arithmetic is as precise as the machine allows; exact arithmetic is its limit).
_MEEK_1987: dict[str, Any] = dict(
    variant="meek",
    arithmetic="exact",
    quota_form="exact",
    omega_places=10,
    omega_test="<=",
    defeat_batch="none",
    tie_within_surplus=False,
    tie_history="none",
    tie_fallback="lot",
)

# Warren's method (C. H. E. Warren, "Counting in STV elections", Voting matters 1 (1994)):
# as Meek, but a candidate keeps a fixed amount (the keep factor) of each ballot's value.
# Options as Droop's reference implementation (J. Lundell): exact arithmetic, omega 10^-10,
# sure losers excluded together.
_WARREN: dict[str, Any] = dict(
    variant="warren",
    arithmetic="exact",
    quota_form="exact",
    omega_places=10,
    omega_test="<=",
    defeat_batch="safe",
    tie_within_surplus=True,
    tie_history="none",
    tie_fallback="lot",
)


#: the Meek presets as MeekOptions (built on first use: meek.py needs numpy)
_MEEK_PRESETS = {"MEEK_NZ": _MEEK_NZ, "MEEK_1987": _MEEK_1987, "WARREN": _WARREN}


def __getattr__(name: str) -> Any:
    if name in _MEEK_PRESETS:
        from tallyroom.rules.stv.meek import MeekOptions

        return MeekOptions(**_MEEK_PRESETS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_meek() -> None:
    """Register the Meek-family rules.  Called by the rule registry only when a rule it has
    not found among the cheaper ones is asked for, or every rule is listed: the Meek engine
    imports numpy, which a Gregory count of a ward does not need."""
    from tallyroom.rules.stv.meek import MeekOptions, MeekSTV

    def meek(rule_id: str, title: str, description: str, rule_text: str, preset: str) -> None:
        options = MeekOptions(**_MEEK_PRESETS[preset])
        _register(
            rule_id,
            title,
            description,
            rule_text,
            options,
            "_" + preset,
            MeekSTV,
            constraints=False,
        )

    meek(
        "meek-stv",
        "Meek STV (New Zealand)",
        "New Zealand Meek STV: 9 decimals, keep factors rounded up, surplus limit 0.0001",
        "Local Electoral Regulations 2001 (NZ), Schedule 1A (inserted 2004)",
        "MEEK_NZ",
    )
    meek(
        "meek-1987",
        "Meek STV (Algorithm 123)",
        "Meek STV as Hill, Wichmann and Woodall's Algorithm 123 (1987), exact arithmetic",
        "I. D. Hill, B. A. Wichmann, D. R. Woodall, Algorithm 123: Single Transferable Vote by "
        "Meek's method, The Computer Journal 30(3), 1987",
        "MEEK_1987",
    )
    meek(
        "warren-stv",
        "Warren STV",
        "Warren's variant of Meek: candidates keep a fixed amount of each ballot, exact arithmetic",
        "C. H. E. Warren, Counting in STV elections, Voting matters 1 (1994); options as Droop",
        "WARREN",
    )
