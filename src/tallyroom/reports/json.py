"""The JSON result contract, ``tallyroom.result/1``.

Documented in ``docs/json-result.md``.  Numbers are decimal strings at the places the
rule's arithmetic works in (counts in exact rationals are shown at 9 places, rounded half
up, with the exact value beside as ``"p/q"`` where it is not a whole number), so that no
reader ever meets a float.  New fields may be added within version 1; a field is never
removed or changed in meaning without a new version.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from tallyroom import __version__
from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord, Stage

FORMAT = "tallyroom.result/1"
EXACT_PLACES = 9


def _num(x: Fraction | int | None, places: int | None) -> str | None:
    if x is None:
        return None
    if places is None:
        return format_decimal(Fraction(x), EXACT_PLACES)
    return format_decimal(Fraction(x), places)


def _plain(v: Any, places: int | None) -> Any:
    if isinstance(v, Fraction):
        return _num(v, places)
    if isinstance(v, dict) or hasattr(v, "items"):
        return {str(k): _plain(x, places) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x, places) for x in v]
    return v


def _stage(s: Stage, places: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": s.number,
        "action": s.action,
        "subjects": list(s.subjects),
        "description": s.description,
        "transfer_value": _num(s.transfer_value, places if places is not None else EXACT_PLACES),
        "quota": _num(s.quota, places),
        "totals": {n: _num(v, places) for n, v in s.totals.items()},
        "transfers": {n: _num(v, places) for n, v in s.transfers.items()},
        "exhausted": _num(s.exhausted, places),
        "exhausted_papers": _num(s.exhausted_papers, 0)
        if Fraction(s.exhausted_papers).denominator == 1
        else _num(s.exhausted_papers, places),
        "loss": _num(s.loss, places),
        "elected": list(s.elected),
        "excluded": list(s.excluded),
        "events": [
            {"kind": e.kind, "candidate": e.candidate, "reason": e.reason} for e in s.events
        ],
    }
    if places is None:
        out["exact"] = {
            n: f"{v.numerator}/{v.denominator}"
            for n, v in s.totals.items()
            if Fraction(v).denominator != 1
        }
    if s.extra:
        out["extra"] = _plain(dict(s.extra), places)
    return out


def to_dict(record: CountRecord) -> dict[str, Any]:
    p = record.places
    whole = lambda x: _num(x, 0) if Fraction(x).denominator == 1 else _num(x, p)  # noqa: E731
    return {
        "format": FORMAT,
        "tallyroom_version": __version__,
        "source": record.source,
        "election": {
            "title": record.election_title,
            "organisation": record.organisation,
            "office": record.office,
            "date": record.date,
        },
        "input": {"source": record.source, "sha256": record.source_sha256},
        "method": record.method,
        "title": record.title,
        "rule_text": record.rule_text,
        "options": _plain(dict(record.options), p),
        "ballot_rules": dict(record.ballot_rules),
        "seats": record.seats,
        "candidates": list(record.candidates),
        "withdrawn": list(record.withdrawn),
        "ballots_read": whole(record.ballots_read),
        "valid": whole(record.valid),
        "invalid": {k: whole(v) for k, v in record.invalid.items()},
        "places": p,
        "quota": _num(record.quota, p),
        "elected": list(record.elected),
        "stages": [_stage(s, p) for s in record.stages],
        "ties": [
            {
                "stage": t.stage,
                "purpose": t.purpose,
                "tied": list(t.tied),
                "chosen": t.chosen,
                "method": t.method,
                "evidence": t.evidence,
            }
            for t in record.ties
        ],
        "notes": list(record.notes),
        **({"extra": _plain(dict(record.extra), p)} if record.extra else {}),
    }


def dumps(record: CountRecord, indent: int | None = None) -> str:
    return json.dumps(to_dict(record), indent=indent, ensure_ascii=False)
