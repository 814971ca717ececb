"""Counting rules, each registered under a stable kebab-case id.

The registry is closed: rules are looked up by id (``get("scottish-stv")``), never by an
import path read from a file.  Every rule takes a :class:`~tallyroom.ballots.Profile` and
returns a :class:`~tallyroom.record.CountRecord`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import RuleError
from tallyroom.record import CountRecord

CountFunction = Callable[..., CountRecord]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str  # one line
    rule_text: str  # the statute, rule book or paper it follows
    family: str  # stv, plurality, majority, condorcet, approval, list
    count: CountFunction
    kinds: tuple[str, ...] = ("ranked",)
    options: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.id in _REGISTRY:
        raise RuleError(f"rule id {rule.id!r} registered twice")
    _REGISTRY[rule.id] = rule
    return rule


#: where the rules are registered, in the order they are looked in: a module is imported
#: (registering its rules) only when a rule not yet registered is asked for, so that counting
#: under one rule does not load the others (some bring numpy).  "module:function" calls a
#: function of the module that registers more rules (the Meek presets, which need numpy).
_SOURCES = (
    "tallyroom.rules.stv.presets",
    "tallyroom.rules.condorcet",
    "tallyroom.rules.approval",
    "tallyroom.rules.lists",
    "tallyroom.rules.plurality",
    "tallyroom.rules.majority",
    "tallyroom.rules.rctab_modes",
    "tallyroom.rules.stv.presets:register_meek",
)
_loaded: set[str] = set()
_loading = threading.RLock()


def _load(until: str | None = None) -> None:
    """Import the modules that register rules, in order, stopping once ``until`` is
    registered (None: all of them)."""
    if len(_loaded) == len(_SOURCES) or (until is not None and until in _REGISTRY):
        return
    import importlib

    with _loading:
        for source in _SOURCES:
            if until is not None and until in _REGISTRY:
                return
            if source in _loaded:
                continue
            module, _, function = source.partition(":")
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()
            _loaded.add(source)


def rules() -> list[Rule]:
    """Every registered rule, by family then id."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda r: (r.family, r.id))


def get(rule_id: str) -> Rule:
    _load(rule_id)
    try:
        return _REGISTRY[rule_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise RuleError(f"unknown counting rule {rule_id!r}; known rules: {known}") from None


def count(profile: Profile, method: str, **options: Any) -> CountRecord:
    """Count ``profile`` under the rule registered as ``method``."""
    record = get(method).count(profile, **options)
    return with_election_details(record, profile)


def with_election_details(record: CountRecord, profile: Profile) -> CountRecord:
    """The record with the election's title, organisation, office, date and the input's
    digest taken from the profile, where the rule left them empty: the digest of the file
    as read, or of the canonical ballots when the profile came from no file."""
    from dataclasses import replace

    e = profile.election
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("election_title", e.title),
            ("organisation", e.organisation),
            ("office", e.office),
            ("date", e.date),
        )
        if value and not getattr(record, name)
    }
    if not record.source_sha256:
        changes["source_sha256"] = profile.source_sha256 or profile.canonical_sha256()
    return replace(record, **changes) if changes else record
