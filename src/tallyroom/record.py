"""The count record: what happened at each stage of a count, and why.

Every counting rule returns a :class:`CountRecord`; every report reads only the record.
Values are exact :class:`fractions.Fraction` (a fixed-point count's values are exact at its
places); ``places`` says how many decimals the rule's arithmetic works in, for display.

A stage of an STV count is one operation: the first preferences, the transfer of one
surplus, the exclusion of one candidate (or of several together in bulk), or a sub-stage
of an exclusion where a rule transfers papers parcel by parcel.  Other rules use stages for
their rounds (IRV), their steps (sequential committees), or a single stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from tallyroom.errors import CountError

Number = Fraction


def _frozen(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(m or {}))


def _plain_value(v: Any) -> Any:
    """A value of ``extra`` or ``options`` in one canonical shape: every sequence a tuple,
    every mapping a dict, recursively, so that a record loaded from its JSON is equal to
    the one written (JSON knows only one kind of each)."""
    if isinstance(v, Mapping):
        return {k: _plain_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return tuple(_plain_value(x) for x in v)
    return v


def _frozen_values(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType({k: _plain_value(v) for k, v in (m or {}).items()})


def _numbers(m: Mapping[str, Any] | None) -> Mapping[str, Fraction]:
    return MappingProxyType({k: Fraction(v) for k, v in (m or {}).items()})


def _number(v: Any) -> Fraction | None:
    return None if v is None else Fraction(v)


@dataclass(frozen=True)
class TieBreak:
    """A tie and how it was broken.

    ``purpose`` says what was being decided ("exclusion", "order of surpluses",
    "order of election", "last seat", ...), ``method`` how ("earlier stages",
    "by lot", "given order", "returning officer's decision"), ``evidence`` the figures
    or seed that decided it, in plain words.
    """

    stage: int
    purpose: str
    tied: tuple[str, ...]
    chosen: str
    method: str
    evidence: str = ""


@dataclass(frozen=True)
class Event:
    """Something that happened to a candidate at a stage."""

    kind: str  # elected, excluded, withdrawn, deferred, guarded, doomed, ...
    candidate: str
    reason: str = ""


@dataclass(frozen=True)
class Stage:
    """One stage of a count.

    ``totals`` are each candidate's votes at the end of the stage; ``transfers`` the change
    this stage made to them.  ``exhausted`` (votes) and ``exhausted_papers`` are
    cumulative, as is ``loss`` (votes lost to rounding; negative when rounding gained).
    """

    number: int
    action: str  # "first preferences", "surplus", "exclusion", "round", ...
    subjects: tuple[str, ...] = ()
    description: str = ""
    transfer_value: Number | None = None
    totals: Mapping[str, Number] = field(default_factory=dict)
    transfers: Mapping[str, Number] = field(default_factory=dict)
    exhausted: Number = Fraction(0)
    exhausted_papers: Number = Fraction(0)
    loss: Number = Fraction(0)
    quota: Number | None = None
    elected: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every figure a Fraction, whatever number type the rule counted in, so that a
        # record and its JSON read back are the same record, rendered the same
        object.__setattr__(self, "totals", _numbers(self.totals))
        object.__setattr__(self, "transfers", _numbers(self.transfers))
        object.__setattr__(self, "extra", _frozen_values(self.extra))
        object.__setattr__(self, "transfer_value", _number(self.transfer_value))
        object.__setattr__(self, "quota", _number(self.quota))
        for name in ("exhausted", "exhausted_papers", "loss"):
            object.__setattr__(self, name, Fraction(getattr(self, name)))
        object.__setattr__(self, "subjects", tuple(self.subjects))
        object.__setattr__(self, "elected", tuple(self.elected))
        object.__setattr__(self, "excluded", tuple(self.excluded))
        object.__setattr__(self, "events", tuple(self.events))


@dataclass(frozen=True)
class CountRecord:
    """The complete, immutable record of one count."""

    method: str  # registered id, e.g. "scottish-stv"
    title: str  # the rule's name in words
    rule_text: str  # the statute or rule book it follows
    candidates: tuple[str, ...]
    seats: int
    elected: tuple[str, ...]
    stages: tuple[Stage, ...]
    ties: tuple[TieBreak, ...] = ()
    quota: Number | None = None
    places: int | None = 5  # decimals the arithmetic works in (None: exact rationals)
    source: str = ""
    ballots_read: Number = Fraction(0)
    valid: Number = Fraction(0)
    invalid: Mapping[str, Number] = field(default_factory=dict)
    withdrawn: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    ballot_rules: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the election counted: its title (from the file, or given), the organisation holding it,
    #: the office and the date, each "" when not known
    election_title: str = ""
    organisation: str = ""
    office: str = ""
    date: str = ""
    #: SHA-256 (hex) of the input as read ("" when not known); ``source`` names the file
    source_sha256: str = ""
    #: the named preset the count was asked for under ("" when none), and the election file
    #: (TOML) that described it, with the SHA-256 of its bytes ("" when counted without one)
    preset: str = ""
    election_file: str = ""
    election_file_sha256: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "invalid", _numbers(self.invalid))
        object.__setattr__(self, "options", _frozen_values(self.options))
        object.__setattr__(self, "ballot_rules", _frozen_values(self.ballot_rules))
        object.__setattr__(self, "extra", _frozen_values(self.extra))
        object.__setattr__(self, "quota", _number(self.quota))
        object.__setattr__(self, "ballots_read", Fraction(self.ballots_read))
        object.__setattr__(self, "valid", Fraction(self.valid))
        for name in ("candidates", "elected", "stages", "ties", "withdrawn", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> CountRecord:
        """The record a ``tallyroom.result/1`` JSON document holds (the text, or the object
        ``json.loads`` made of it): equal to the record it was written from.

        A :class:`~tallyroom.errors.RuleError` if it is not such a document.
        """
        from tallyroom._result_json import record_from_json

        return record_from_json(data)

    @property
    def excluded(self) -> tuple[str, ...]:
        return tuple(n for s in self.stages for n in s.excluded)

    def election_reasons(self) -> dict[str, tuple[int, str]]:
        """Each elected candidate's stage and the test they met (the ``elected`` event's
        reason: "reached the quota", a 5.4.9(b) threshold, the last places...), for every
        sheet to show; ``(stage, "")`` when the rule gave no reason."""
        out: dict[str, tuple[int, str]] = {}
        for s in self.stages:
            reasons = {e.candidate: e.reason for e in s.events if e.kind == "elected"}
            for n in s.elected:
                out.setdefault(n, (s.number, reasons.get(n, "")))
        return out

    @property
    def display_places(self) -> int:
        return 5 if self.places is None else self.places

    def check_balance(self) -> None:
        """Candidate totals + exhausted + loss = valid poll at every stage (else CountError)."""
        for s in self.stages:
            if not s.totals:
                continue
            total = sum(s.totals.values(), Fraction(0)) + s.exhausted + s.loss
            if total != self.valid:
                raise CountError(
                    f"{self.method}: the books do not balance at stage {s.number}: "
                    f"candidates {sum(s.totals.values(), Fraction(0))} + exhausted {s.exhausted}"
                    f" + loss {s.loss} = {total}, valid poll {self.valid}"
                )
