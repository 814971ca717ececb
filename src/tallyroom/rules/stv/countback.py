"""Countback: fill a casual vacancy by re-running the count without the departed member.

Everyone else elected at the original count stays elected; the vacancy goes to the
candidate elected at the re-count who was not elected before, taking the first such
candidate in the re-count's order of election.  This is the method by which a UK party
filled a 2022 vacancy on its national executive from its 2020 STV ballots (see
``docs/rules/countback.md``), and the usual rule-book wording for casual vacancies:
"the vacancy shall be filled by re-counting the ballot papers of the original election,
the vacating member being treated as withdrawn".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import ElectionError
from tallyroom.record import CountRecord
from tallyroom.rules import count


def countback(profile: Profile, method: str, departed: str, **options: Any) -> CountRecord:
    """The re-count's record, with the original result and the filler in ``extra``."""
    original = count(profile, method, **options)
    if departed not in original.elected:
        raise ElectionError(
            f"{departed!r} was not elected at the original count (elected: {', '.join(original.elected)})"
        )
    e = profile.election
    index = e.index(departed)
    recount = count(
        profile.with_election(e.with_changes(withdrawn=e.withdrawn | {index})), method, **options
    )
    stay = [n for n in original.elected if n != departed]
    newcomers = [n for n in recount.elected if n not in original.elected]
    if not newcomers:
        raise ElectionError(
            "the re-count elected nobody who was not already elected: the vacancy stays open"
        )
    filler = newcomers[0]
    note = (
        f"Countback for the vacancy left by {departed}: the count was re-run with {departed} "
        f"withdrawn; {', '.join(stay)} stay elected; the vacancy is filled by {filler}."
    )
    return replace(
        recount,
        elected=tuple(stay) + (filler,),
        notes=recount.notes + (note,),
        extra={
            **dict(recount.extra),
            "countback": {
                "vacated_by": departed,
                "filled_by": filler,
                "original_elected": list(original.elected),
                "recount_elected": list(recount.elected),
            },
        },
    )
