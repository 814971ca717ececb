"""Counting rules, each registered under a stable kebab-case id.

The registry is closed: rules are looked up by id (``get("scottish-stv")``), never by an
import path read from a file.  Every rule takes a :class:`~tallyroom.ballots.Profile` and
returns a :class:`~tallyroom.record.CountRecord`.
"""

from __future__ import annotations

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


def _load() -> None:
    # importing the modules registers their rules
    import tallyroom.rules.approval  # noqa: F401
    import tallyroom.rules.condorcet  # noqa: F401
    import tallyroom.rules.lists  # noqa: F401
    import tallyroom.rules.majority  # noqa: F401
    import tallyroom.rules.plurality  # noqa: F401
    from tallyroom.rules.stv import presets  # noqa: F401


def rules() -> list[Rule]:
    """Every registered rule, by family then id."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda r: (r.family, r.id))


def get(rule_id: str) -> Rule:
    _load()
    try:
        return _REGISTRY[rule_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise RuleError(f"unknown counting rule {rule_id!r}; known rules: {known}") from None


def count(profile: Profile, method: str, **options: Any) -> CountRecord:
    """Count ``profile`` under the rule registered as ``method``."""
    return get(method).count(profile, **options)
