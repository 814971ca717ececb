"""What a ballot file holds, for `tallyroom inspect`."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from tallyroom.ballots.model import Profile
from tallyroom.errors import printable
from tallyroom.numbers import format_decimal


def _n(x: int | Fraction) -> int | str:
    """Whole counts as JSON numbers; fractional weights as exact decimal strings."""
    f = Fraction(x)
    if f.denominator == 1:
        return int(f)
    return format_decimal(f, 6)


def summary(profile: Profile, source: str | None = None) -> dict[str, Any]:
    e = profile.election
    return {
        "source": source if source is not None else profile.source,
        "title": e.title,
        "kind": profile.kind,
        "candidates": list(e.names),
        "withdrawn": [e.names[i] for i in sorted(e.withdrawn)],
        # None: the file holds no seat count and none was given (--seats)
        "seats": e.seats if e.seats_given else None,
        "ballots": _n(profile.ballots_read),
        "unique_ballots": profile.unique,
        "valid": _n(profile.valid),
        "invalid": {k: _n(v) for k, v in profile.invalid.items()},
        "first_preferences": {k: _n(v) for k, v in profile.first_preferences().items()},
        "ballot_rules": profile.rules.describe(),
    }


def summary_text(s: dict[str, Any]) -> str:
    lines = [s["source"]]
    if s["title"]:
        lines.append(f"  title:          {s['title']}")
    seats = "not given" if s["seats"] is None else s["seats"]
    lines.append(f"  seats:          {seats}")
    lines.append(f"  candidates:     {len(s['candidates'])}")
    if s["withdrawn"]:
        lines.append(f"  withdrawn:      {', '.join(s['withdrawn'])}")
    lines.append(f"  ballots read:   {s['ballots']}")
    lines.append(f"  unique ballots: {s['unique_ballots']}")
    lines.append(f"  valid:          {s['valid']}")
    if s["invalid"]:
        for reason, n in s["invalid"].items():
            lines.append(f"  invalid:        {n} ({reason})")
    else:
        lines.append("  invalid:        0")
    label = "approvals" if s["kind"] == "approval" else "first preferences"
    lines.append(f"  {label}:")
    width = max(len(n) for n in s["candidates"])
    for name, n in s["first_preferences"].items():
        lines.append(f"    {name.ljust(width)}  {n}")
    # a title or file name with a bidi override or an ESC must not fool a terminal
    return "\n".join(printable(line) for line in lines) + "\n"
