"""Rules on the roll's fields: who may vote (the election's eligibility) and who receives
each contest (a contest's electorate, the ballot style). One vocabulary serves both.

A rule is a small JSON object; a member passes a list of rules when it passes every one.
A member with the field blank fails a rule on that field (a missing joining date is not
"joined in time"). Dates are ISO 8601 days (``YYYY-MM-DD``); ages are whole years on the
rule's ``on`` day, a birthday counting from the day itself.

====================  ==========================================  ===================================
rule                  fields                                      passes when
====================  ==========================================  ===================================
``joined_by``         ``date``                                    joined on or before the date
``paid_up_at``        ``date``                                    paid up until the date or later
``status``            ``in`` (a list)                             status is one of them
``section``           ``in``                                      section is one of them
``region``            ``in``                                      region is one of them
``age_at_least``      ``years``, ``on`` (a date)                  aged ``years`` or more on ``on``
``age_under``         ``years``, ``on``                           younger than ``years`` on ``on``
====================  ==========================================  ===================================

A contest's electorate may also be written as a mapping, the short form of the list:
``{"region": ["North"]}`` or ``{"age_under": 27, "on": "2026-12-09"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

RULES: dict[str, tuple[str, ...]] = {
    "joined_by": ("date",),
    "paid_up_at": ("date",),
    "status": ("in",),
    "section": ("in",),
    "region": ("in",),
    "age_at_least": ("years", "on"),
    "age_under": ("years", "on"),
}


class RuleSpecError(ValueError):
    """A rule that is not one of :data:`RULES`, or lacks or mistypes a field."""


def normalise(rules: Any, where: str) -> list[dict[str, Any]]:
    """The rules as a checked list (from a list, a short-form mapping or None); a bad rule
    is refused naming ``where`` and what was expected."""
    if rules is None:
        return []
    if isinstance(rules, Mapping):
        out: list[dict[str, Any]] = []
        for k, v in rules.items():
            if k == "on":
                continue
            if k in ("age_under", "age_at_least"):
                out.append({"rule": k, "years": v, "on": rules.get("on")})
            else:
                out.append({"rule": k, "in": v})
        rules = out
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        raise RuleSpecError(f"{where}: expected a list of rules, found {rules!r}")
    checked = []
    for n, rule in enumerate(rules, 1):
        if not isinstance(rule, Mapping) or rule.get("rule") not in RULES:
            kind = rule.get("rule") if isinstance(rule, Mapping) else rule
            raise RuleSpecError(
                f"{where}, rule {n}: {kind!r} is not a rule; expected one of {', '.join(RULES)}"
            )
        kind = rule["rule"]
        r: dict[str, Any] = {"rule": kind}
        for f in RULES[kind]:
            v = rule.get(f)
            if f in ("date", "on"):
                try:
                    date.fromisoformat(str(v))
                except ValueError:
                    raise RuleSpecError(
                        f"{where}, rule {n} ({kind}): {f} {v!r} is not a date (YYYY-MM-DD)"
                    ) from None
                r[f] = str(v)
            elif f == "years":
                if not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 200:
                    raise RuleSpecError(
                        f"{where}, rule {n} ({kind}): years {v!r} is not a whole number of years"
                    )
                r[f] = v
            else:  # in
                if isinstance(v, str):
                    v = [v]
                if not isinstance(v, Sequence) or not v or not all(isinstance(x, str) for x in v):
                    raise RuleSpecError(
                        f"{where}, rule {n} ({kind}): 'in' must list one or more values"
                    )
                r[f] = list(v)
        checked.append(r)
    return checked


def name(rule: Mapping[str, Any]) -> str:
    """The rule in words, as the roll certificate counts exclusions by it."""
    kind = rule["rule"]
    if kind == "joined_by":
        return f"joined on or before {rule['date']}"
    if kind == "paid_up_at":
        return f"paid up at {rule['date']}"
    if kind == "age_at_least":
        return f"aged {rule['years']} or over on {rule['on']}"
    if kind == "age_under":
        return f"aged under {rule['years']} on {rule['on']}"
    return f"{kind} in {', '.join(rule['in'])}"


def age(born: str, on: str) -> int:
    b, d = date.fromisoformat(born), date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def passes(member: Mapping[str, Any], rule: Mapping[str, Any]) -> bool:
    kind = rule["rule"]
    if kind == "joined_by":
        return member.get("joined_on") is not None and member["joined_on"] <= rule["date"]
    if kind == "paid_up_at":
        return member.get("paid_until") is not None and member["paid_until"] >= rule["date"]
    if kind in ("age_at_least", "age_under"):
        if member.get("birth_date") is None:
            return False
        years = age(member["birth_date"], rule["on"])
        years_: int = rule["years"]
        return years >= years_ if kind == "age_at_least" else years < years_
    return bool(member.get(kind) in rule["in"])


def failed(member: Mapping[str, Any], rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every rule the member fails, by name (each rule counted on its own)."""
    return [name(r) for r in rules if not passes(member, r)]
