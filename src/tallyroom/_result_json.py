"""The JSON result contract ``tallyroom.result/1``, both ways: a record to its JSON object,
and the object back to an equal record (``docs/json-result.md``).

Every number is exact: a decimal string (at the places the rule's arithmetic works in, or
with as many decimals as the value needs), or ``"p/q"`` where the value has no finite
decimal form.  No float is ever written or read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from tallyroom.errors import RecordError
from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord, Event, Stage, TieBreak

FORMAT = "tallyroom.result/1"
#: decimals an exact-rational count's figures are written at when they are exact there
EXACT_PLACES = 9

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?|-?[0-9]+/[0-9]+")


def _decimals_needed(f: Fraction) -> int | None:
    """The fewest decimals that write ``f`` exactly, or None when no number of them does."""
    d = f.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


def exact_number(x: Fraction | int, places: int | None) -> str:
    """``x`` exactly: a decimal string with at least ``places`` decimals (at least
    :data:`EXACT_PLACES` for an exact count, ``places`` None), more when the value needs
    them, or ``"p/q"`` when it has no finite decimal form."""
    f = Fraction(x)
    at = EXACT_PLACES if places is None else places
    needed = _decimals_needed(f)
    if needed is None:
        return f"{f.numerator}/{f.denominator}"
    return format_decimal(f, max(at, needed))


def _num(x: Fraction | int | None, places: int | None) -> str | None:
    return None if x is None else exact_number(x, places)


def _whole_or(x: Fraction | int, places: int | None) -> str:
    """A paper count: a whole-number string when whole."""
    return exact_number(x, 0) if Fraction(x).denominator == 1 else exact_number(x, places)


def _plain(v: Any, places: int | None) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, int | str):
        return v
    if isinstance(v, Fraction):
        return exact_number(v, places)
    if isinstance(v, Mapping):
        return {str(k): _plain(x, places) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x, places) for x in v]
    return str(v)


def _stage(s: Stage, places: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": s.number,
        "action": s.action,
        "subjects": list(s.subjects),
        "description": s.description,
        "transfer_value": _num(s.transfer_value, places),
        "quota": _num(s.quota, places),
        "totals": {n: _num(v, places) for n, v in s.totals.items()},
        "transfers": {n: _num(v, places) for n, v in s.transfers.items()},
        "exhausted": _num(s.exhausted, places),
        "exhausted_papers": _whole_or(s.exhausted_papers, places),
        "loss": _num(s.loss, places),
        "elected": list(s.elected),
        "excluded": list(s.excluded),
        "events": [
            {"kind": e.kind, "candidate": e.candidate, "reason": e.reason} for e in s.events
        ],
    }
    if places is None:
        out["exact"] = {
            n: f"{v.numerator}/{v.denominator}" for n, v in s.totals.items() if v.denominator != 1
        }
    if s.extra:
        out["extra"] = _plain(s.extra, places)
    return out


def to_dict(record: CountRecord) -> dict[str, Any]:
    """The ``tallyroom.result/1`` object of a record."""
    from tallyroom import __version__

    p = record.places
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
        "input": {
            "source": record.source,
            "sha256": record.source_sha256,
            "election_file": record.election_file,
            "election_file_sha256": record.election_file_sha256,
        },
        "method": record.method,
        "preset": record.preset,
        "title": record.title,
        "rule_text": record.rule_text,
        "options": _plain(record.options, p),
        "ballot_rules": _plain(record.ballot_rules, p),
        "seats": record.seats,
        "candidates": list(record.candidates),
        "withdrawn": list(record.withdrawn),
        "ballots_read": _whole_or(record.ballots_read, p),
        "valid": _whole_or(record.valid, p),
        "invalid": {k: _whole_or(v, p) for k, v in record.invalid.items()},
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
        **({"extra": _plain(record.extra, p)} if record.extra else {}),
    }


def dumps(record: CountRecord, indent: int | None = None) -> str:
    return json.dumps(to_dict(record), indent=indent, ensure_ascii=False)


# -- reading ----------------------------------------------------------------------------------
class _Reader:
    """Reads one document, naming the field that is wrong when it is."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.names: frozenset[str] = frozenset()

    def fail(self, where: str, found: Any, expected: str) -> RecordError:
        shown = repr(found)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return RecordError(f"a {FORMAT} document: {where} is {shown}; expected {expected}")

    def field(self, obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> Any:
        if key not in obj:
            if default is ...:
                raise RecordError(f"a {FORMAT} document: {where}{key} is missing")
            return default
        return obj[key]

    def text(self, obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> str:
        v = self.field(obj, key, where, default)
        if not isinstance(v, str):
            raise self.fail(where + key, v, "a string")
        return v

    def whole(self, obj: Mapping[str, Any], key: str, where: str) -> int:
        v = self.field(obj, key, where)
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.fail(where + key, v, "a whole number")
        return v

    def names_of(self, obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        v = self.field(obj, key, where, [])
        if not isinstance(v, list) or not all(isinstance(n, str) for n in v):
            raise self.fail(where + key, v, "a list of strings")
        return tuple(v)

    def number(self, v: Any, where: str) -> Fraction:
        if not isinstance(v, str) or not _NUMBER.fullmatch(v):
            raise self.fail(where, v, 'a number as a string ("12.5" or "1/3")')
        try:
            return Fraction(v)
        except ZeroDivisionError:
            raise self.fail(where, v, "a number (a fraction's denominator is not 0)") from None

    def maybe_number(self, v: Any, where: str) -> Fraction | None:
        return None if v is None else self.number(v, where)

    def numbers(self, v: Any, where: str) -> dict[str, Fraction]:
        if not isinstance(v, Mapping):
            raise self.fail(where, v, "an object of numbers")
        return {str(k): self.number(x, f"{where}.{k}") for k, x in v.items()}

    def value(self, v: Any) -> Any:
        """A value of ``options`` or ``extra``: a decimal or ``p/q`` string is a number
        (unless it is a candidate's name), a list a tuple, an object a dict."""
        if isinstance(v, str):
            if v not in self.names and _NUMBER.fullmatch(v):
                try:
                    return Fraction(v)
                except ZeroDivisionError:
                    return v
            return v
        if isinstance(v, list):
            return tuple(self.value(x) for x in v)
        if isinstance(v, Mapping):
            return {str(k): self.value(x) for k, x in v.items()}
        if isinstance(v, float):
            raise self.fail("a value", v, "no float (numbers are strings)")
        return v

    def stage(self, s: Any, i: int) -> Stage:
        where = f"stages[{i}]."
        if not isinstance(s, Mapping):
            raise self.fail(where[:-1], s, "an object")
        events = self.field(s, "events", where, [])
        if not isinstance(events, list):
            raise self.fail(where + "events", events, "a list")
        return Stage(
            number=self.whole(s, "number", where),
            action=self.text(s, "action", where),
            subjects=self.names_of(s, "subjects", where),
            description=self.text(s, "description", where, ""),
            transfer_value=self.maybe_number(s.get("transfer_value"), where + "transfer_value"),
            totals=self.numbers(s.get("totals", {}), where + "totals"),
            transfers=self.numbers(s.get("transfers", {}), where + "transfers"),
            exhausted=self.number(s.get("exhausted", "0"), where + "exhausted"),
            exhausted_papers=self.number(
                s.get("exhausted_papers", "0"), where + "exhausted_papers"
            ),
            loss=self.number(s.get("loss", "0"), where + "loss"),
            quota=self.maybe_number(s.get("quota"), where + "quota"),
            elected=self.names_of(s, "elected", where),
            excluded=self.names_of(s, "excluded", where),
            events=tuple(
                Event(
                    kind=self.text(e, "kind", f"{where}events[{k}]."),
                    candidate=self.text(e, "candidate", f"{where}events[{k}]."),
                    reason=self.text(e, "reason", f"{where}events[{k}].", ""),
                )
                for k, e in enumerate(events)
            ),
            extra=self.value(s.get("extra", {})),
        )

    def record(self) -> CountRecord:
        d = self.doc
        if d.get("format") != FORMAT:
            raise self.fail("format", d.get("format"), repr(FORMAT))
        self.names = frozenset(self.names_of(d, "candidates", ""))
        election = self.field(d, "election", "", {})
        source_input = self.field(d, "input", "", {})
        if not isinstance(election, Mapping):
            raise self.fail("election", election, "an object")
        if not isinstance(source_input, Mapping):
            raise self.fail("input", source_input, "an object")
        places = d.get("places")
        if places is not None and (not isinstance(places, int) or isinstance(places, bool)):
            raise self.fail("places", places, "a whole number or null")
        stages = self.field(d, "stages", "")
        ties = self.field(d, "ties", "", [])
        if not isinstance(stages, list):
            raise self.fail("stages", stages, "a list")
        if not isinstance(ties, list):
            raise self.fail("ties", ties, "a list")
        for key in ("options", "ballot_rules", "extra"):
            if not isinstance(d.get(key, {}), Mapping):
                raise self.fail(key, d.get(key), "an object")
        return CountRecord(
            method=self.text(d, "method", ""),
            title=self.text(d, "title", ""),
            rule_text=self.text(d, "rule_text", "", ""),
            candidates=self.names_of(d, "candidates", ""),
            seats=self.whole(d, "seats", ""),
            elected=self.names_of(d, "elected", ""),
            stages=tuple(self.stage(s, i) for i, s in enumerate(stages)),
            ties=tuple(
                TieBreak(
                    stage=self.whole(t, "stage", f"ties[{k}]."),
                    purpose=self.text(t, "purpose", f"ties[{k}]."),
                    tied=self.names_of(t, "tied", f"ties[{k}]."),
                    chosen=self.text(t, "chosen", f"ties[{k}]."),
                    method=self.text(t, "method", f"ties[{k}]."),
                    evidence=self.text(t, "evidence", f"ties[{k}].", ""),
                )
                for k, t in enumerate(ties)
            ),
            quota=self.maybe_number(d.get("quota"), "quota"),
            places=places,
            source=self.text(d, "source", "", ""),
            ballots_read=self.number(d.get("ballots_read", "0"), "ballots_read"),
            valid=self.number(d.get("valid", "0"), "valid"),
            invalid=self.numbers(d.get("invalid", {}), "invalid"),
            withdrawn=self.names_of(d, "withdrawn", ""),
            options=self.value(d.get("options", {})),
            ballot_rules={k: v for k, v in d.get("ballot_rules", {}).items()},
            notes=self.names_of(d, "notes", ""),
            extra=self.value(d.get("extra", {})),
            election_title=self.text(election, "title", "election.", ""),
            organisation=self.text(election, "organisation", "election.", ""),
            office=self.text(election, "office", "election.", ""),
            date=self.text(election, "date", "election.", ""),
            source_sha256=self.text(source_input, "sha256", "input.", ""),
            preset=self.text(d, "preset", "", ""),
            election_file=self.text(source_input, "election_file", "input.", ""),
            election_file_sha256=self.text(source_input, "election_file_sha256", "input.", ""),
        )


def record_from_json(data: str | bytes | Mapping[str, Any]) -> CountRecord:
    """The record of a ``tallyroom.result/1`` document (its text, or its object)."""
    if isinstance(data, str | bytes):
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError) as e:
            raise RecordError(f"a {FORMAT} document: not JSON ({e})") from None
    else:
        doc = data
    if not isinstance(doc, Mapping):
        raise RecordError(f"a {FORMAT} document is one JSON object, not {type(doc).__name__}")
    return _Reader(doc).record()


def records_from_json(text: str) -> list[CountRecord]:
    """Every record of ``--format json`` output (one object, or a list of them) or of
    ``--format jsonl`` (one object a line)."""
    try:
        doc = json.loads(text)
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise RecordError(f"a {FORMAT} document: not JSON") from None
        return [record_from_json(line) for line in lines]
    if isinstance(doc, list):
        return [record_from_json(d) for d in doc]
    return [record_from_json(doc)]
