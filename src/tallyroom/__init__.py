"""tallyroom: count the elections of membership organisations exactly.

The public surface::

    from tallyroom import read, count, Profile, Election, CountRecord

    profile = read("ward.blt")
    record = count(profile, "scottish-stv")
    print(record.elected)

    # a service: one typed request (withdrawals, attributes, constraints, countback, ties)
    record = run_count(profile, CountRequest("ers97-stv", ties=TieRules(seed=7)))
    again = CountRecord.from_json(tallyroom.reports.render([record], "json"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import (
    BallotFileError,
    CountError,
    DecisionNeeded,
    ElectionError,
    ElectionFileError,
    RecordError,
    RuleError,
    TallyroomError,
)
from tallyroom.record import CountRecord, Event, Stage, TieBreak
from tallyroom.rules import Rule, count, get, parameters, parse_options
from tallyroom.rules import rules as counting_rules
from tallyroom.rules.parameters import Parameter
from tallyroom.rules.request import CountRequest, TieRules, run_count

#: "rules" means one thing: the package ``tallyroom.rules`` of counting rules (a rule is a
#: :class:`Rule`; how papers are read is :class:`BallotRules`; every registered rule is
#: :func:`counting_rules`)


def read(path, format=None, **options):  # type: ignore[no-untyped-def]
    """Read a ballot file (format from the extension or the content); see ``tallyroom.ballots.formats``."""
    from tallyroom.ballots.formats import read as _read

    return _read(path, format, **options)


def load_result(source):  # type: ignore[no-untyped-def]
    """The :class:`CountRecord` of a ``tallyroom.result/1`` JSON file (a path, or an open
    text file): equal to the record the file was written from."""
    import os

    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8") as f:
            text = f.read()
    else:
        text = source.read()
    return CountRecord.from_json(text)


__all__ = [
    "BallotFileError",
    "BallotRules",
    "Candidate",
    "CountError",
    "CountRecord",
    "CountRequest",
    "DecisionNeeded",
    "Election",
    "ElectionError",
    "ElectionFileError",
    "Event",
    "Parameter",
    "Profile",
    "RecordError",
    "Rule",
    "RuleError",
    "Stage",
    "TallyroomError",
    "TieBreak",
    "TieRules",
    "__version__",
    "count",
    "counting_rules",
    "get",
    "load_result",
    "parameters",
    "parse_options",
    "read",
    "run_count",
]
