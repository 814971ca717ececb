"""STV presets: each pins the options record and cites the rule text that fixes each field.

A preset separates what the rule text says from anything an official count did
differently; where they differ, the docs page of the rule says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.record import CountRecord
from tallyroom.rules import Rule, register
from tallyroom.rules.stv.gregory import GregorySTV
from tallyroom.rules.stv.options import STVOptions
from tallyroom.rules.ties import TieBreaker

# Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1, rules 45-52,
# as re-made by the Scottish Local Government Elections Order 2011 (SSI 2011/399).
SCOTTISH = STVOptions(
    quota="droop",  # r.46(1): valid papers / (councillors + 1)
    quota_form="whole-plus-one",  # r.46(2): ignoring decimals, increased by one
    elect_on=">=",  # r.47(1): equals or exceeds the quota
    surplus="wigm",  # r.48(1)-(3): all papers of the candidate, each at A/B
    surplus_order="largest",  # r.49(1): highest surplus first
    defer_surpluses=False,  # r.50(1): exclusion only once all surpluses are transferred
    exclusion="single",  # r.50(1): "the candidate with the then lowest number of votes"
    exclusion_transfers="one-stage",  # r.50(3)-(4): each paper at the value it was received
    arithmetic="fixed",
    places=5,  # r.48(3): "to five decimal places (any remainder being ignored)"
    tie_history="backward",  # r.49(2), r.51(2)(a): most recent stage at which unequal
    tie_fallback="lot",  # r.49(3), r.51(2)(b): by lot
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
    tie_history="backward",
    tie_fallback="lot",
)


def _counter(options: STVOptions, rule_id: str, title: str, rule_text: str):
    def count(
        profile: Profile,
        *,
        seed: int = 1,
        tie_fallback: str | None = None,
        tie_order: Sequence[str] = (),
        decisions: Sequence[str] = (),
        **changes: Any,
    ) -> CountRecord:
        opts = options.with_options(**changes) if changes else options
        fallback = tie_fallback or opts.tie_fallback
        order = tuple(tie_order) or tuple(
            profile.election.names[i] for i in (profile.election.tie_order or ())
        )
        if order and not tie_fallback:
            fallback = "order"
        ties = TieBreaker(fallback=fallback, seed=seed, order=order, decisions=decisions)
        return GregorySTV(
            profile, opts, method=rule_id, title=title, rule_text=rule_text, tie_breaker=ties
        ).count()

    return count


def _stv(rule_id: str, title: str, description: str, rule_text: str, options: STVOptions) -> None:
    register(
        Rule(
            id=rule_id,
            title=title,
            description=description,
            rule_text=rule_text,
            family="stv",
            count=_counter(options, rule_id, title, rule_text),
            options=options.describe(),
        )
    )


_stv(
    "scottish-stv",
    "Scottish STV",
    "Scottish council elections: WIGM, 5 decimals truncated, largest surplus first",
    "Scottish Local Government Elections Order 2007 (SSI 2007/42) Sch. 1 rr. 45-52, "
    "as amended 2011 (SSI 2011/399)",
    SCOTTISH,
)
_stv(
    "wigm-stv",
    "Weighted inclusive Gregory STV",
    "Generic weighted inclusive Gregory STV in exact rational arithmetic",
    "Weighted Inclusive Gregory Method as described by Droop's 'wigm' rule "
    "(J. Lundell) and by Hill, 'Voting Matters' 2 (1994); exact arithmetic",
    WIGM,
)
