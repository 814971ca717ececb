"""The ballot model every counting rule reads: an :class:`Election` and a :class:`Profile`.

A profile holds *unique* ballots with their weights (how many papers carry that ballot),
merged as they are read.  Ballots are stored by candidate index (0-based, in file order).

* ranked ballots: a tuple of preferences, first preference first.  A preference is a
  candidate index, or a tuple of indices for candidates ranked equal (where a format
  allows it).
* approval ballots ("X" ballots, vote for up to k): a sorted tuple of candidate indices.

Every paper read is accounted for: ``ballots_read == valid + sum(invalid.values())``.
Profiles are immutable once built.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import chain
from types import MappingProxyType
from typing import Any, Literal

from tallyroom.errors import ElectionError, printable

Weight = int | Fraction
Preference = int | tuple[int, ...]
RankedBallot = tuple[Preference, ...]

#: Reasons a paper is not valid.  Readers may add their own, always with a plain name.
BLANK = "blank"  # no preference for any candidate
OVERVOTE_FIRST = "overvote at first preference"
WITHDRAWN_ONLY = "only withdrawn candidates"
#: the mark for an overvote whose candidates a file does not name
OVERVOTE: tuple[int, ...] = ()
NO_VALID_PREFERENCE = "no valid preference"  # marks, but none that counts for a candidate
_INT_ONLY = {int}
#: the most candidates (and ranks) a file may declare: a header line of a few bytes must
#: not make a reader allocate without bound; real elections have at most a few hundred
MAX_CANDIDATES = 100_000
#: the longest candidate name (characters): a name is a line on a ballot paper
MAX_NAME = 500
#: controls, format characters (bidi overrides, zero-width), surrogates, line separators
_NOT_IN_NAMES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
#: ... except what real council files carry, inert on a terminal: a Latin-1 reading of UTF-8
#: (mojibake: "OisÃ\xadn" for Oisín, U+0089 in a 2022 Scottish name) gives the soft hyphen
#: and C1 controls no terminal acts on.  The C1 controls that move the cursor or start an
#: escape sequence (IND, NEL, RI, SS2, SS3, DCS, SOS, ST, CSI, OSC, PM, APC) stay refused.
_MOJIBAKE = frozenset(chr(c) for c in range(0x80, 0xA0)) - frozenset(
    map(chr, (0x84, 0x85, 0x8D, 0x8E, 0x8F, 0x90, 0x98, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F))
) | {"\xad"}


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a candidate's name, or None when it can.

    A name is one line of printable text: not empty, no control character (newline, ESC),
    no format character (bidirectional override, zero-width space), at most
    :data:`MAX_NAME` characters.  A name that is not one would corrupt a BLT written from
    the profile, an audit bundle, or what a reader of a sheet sees.
    """
    if not isinstance(name, str):
        return f"a name that is not text ({type(name).__name__})"
    if not name.strip():
        return "an empty candidate name"
    if len(name) > MAX_NAME:
        return f"a candidate name of {len(name)} characters (at most {MAX_NAME})"
    if not name.isprintable():
        for ch in name:
            if unicodedata.category(ch) in _NOT_IN_NAMES and ch not in _MOJIBAKE:
                return (
                    f"the candidate name '{printable(name, 80)}' with the character "
                    f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a control character').lower()})"
                )
    return None


def names_problem(names: Sequence[str]) -> tuple[int, str] | None:
    """The first name (its index) that cannot stand beside the others, and why; or None.

    Readers call it before building the :class:`Election` so that the refusal names the
    line of the bad name.
    """
    keys: dict[str, int] = {}
    for i, n in enumerate(names):
        problem = name_problem(n)
        if problem is not None:
            return i, problem
        j = keys.setdefault(name_key(n), i)
        if j != i:
            if names[j] == n:
                return i, f"the candidate name '{printable(n, 80)}' twice"
            return i, (
                f"the candidate name '{printable(n, 80)}', which differs from "
                f"'{printable(names[j], 80)}' only in case or Unicode form"
            )
    return None


#: what a refusal of a bad name expects
NAME_EXPECTED = "a candidate name: one line of printable text, told apart from the others"


def name_key(name: str) -> str:
    """The form under which two names are the same to a reader: NFKC, case folded."""
    return unicodedata.normalize("NFKC", name).casefold()


#: the attribute that marks a candidate who can never be elected: a placeholder that collects
#: votes, such as RCTab's "Undeclared Write-ins" (value "yes").  An attribute, so that it
#: travels wherever attributes do (JSON ballots, a ``--candidates`` file, audit bundles).
NEVER_ELECTED = "never-elected"


@dataclass(frozen=True)
class Candidate:
    """A candidate, with optional attributes such as gender, slate, party or region."""

    name: str
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, MappingProxyType):
            object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    @property
    def electable(self) -> bool:
        """False for a candidate who can never be elected (attribute :data:`NEVER_ELECTED`
        "yes").  The rules that know it (``irv``, the STV rules of the Gregory engine) elect
        nobody while such a candidate holds votes and exclude them first, on their own, as
        RCTab does its undeclared write-ins; the other rules refuse to elect them."""
        return self.attributes.get(NEVER_ELECTED) != "yes"

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.attributes.items()))))


@dataclass(frozen=True)
class BallotRules:
    """How marks on a paper are read, recorded with the profile.

    * ``overvote``: a preference shared by two or more candidates (an overvote, or an
      equal ranking): ``exhaust`` the paper there, or ``skip`` that preference, or
      ``exhaust-if-multiple-continuing`` (RCTab): decided at each round of the count --
      the paper exhausts there if two or more of those candidates are still continuing,
      counts for the one who is, or passes on when none is (IRV only).
    * ``skipped_ranks``: how many consecutive skipped ranks a paper may have before it is
      treated as exhausted (``None``: any number are passed over).
    * ``duplicates``: a candidate ranked again later on the same paper: ``skip`` the repeat,
      or ``exhaust`` the paper there.
    """

    overvote: Literal["exhaust", "skip", "exhaust-if-multiple-continuing"] = "exhaust"
    skipped_ranks: int | None = None
    duplicates: Literal["skip", "exhaust"] = "skip"

    def describe(self) -> dict[str, object]:
        return {
            "overvote": self.overvote,
            "skipped_ranks": self.skipped_ranks,
            "duplicates": self.duplicates,
        }


@dataclass(frozen=True)
class Election:
    """Who stands, for how many seats."""

    candidates: tuple[Candidate, ...]
    seats: int
    withdrawn: frozenset[int] = frozenset()
    title: str = ""
    #: an order given in the file for breaking ties by lot (Droop's ``[tie ...]``), first = favoured
    tie_order: tuple[int, ...] | None = None
    #: who holds the election, for what office, and when (shown on every sheet when given)
    organisation: str = ""
    office: str = ""
    date: str = ""
    #: False when the file does not say how many seats (CSV, PrefLib, ES&S, CDF) and none
    #: were given: ``seats`` is then 1, enough for a single-seat rule, and a rule that can
    #: fill more than one seat refuses to count (``--seats N``) rather than assume 1
    seats_given: bool = True

    def __post_init__(self) -> None:
        names = [c.name for c in self.candidates]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ElectionError(f"candidate names must be unique; repeated: {', '.join(dup)}")
        for n in names:
            problem = name_problem(n)
            if problem is not None:
                raise ElectionError(f"{problem}; expected one line of printable text")
        keys: dict[str, str] = {}
        for n in names:
            # NFC/NFD forms of one name, or Bob and BOB, look the same on a sheet (and
            # --withdraw bob could not say which is meant): refused as duplicates
            other = keys.setdefault(name_key(n), n)
            if other != n:
                raise ElectionError(
                    f"candidate names '{printable(other, 80)}' and '{printable(n, 80)}' differ "
                    "only in case or Unicode form; expected names a reader can tell apart"
                )
        if self.seats < 1:
            raise ElectionError(f"an election needs at least one seat, not {self.seats}")
        for w in self.withdrawn:
            if not 0 <= w < len(self.candidates):
                raise ElectionError(f"withdrawn candidate number {w + 1} is out of range")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.candidates)

    def index(self, name: str) -> int:
        """The index of a candidate by name (exact, then case-insensitive)."""
        names = self.names
        if name in names:
            return names.index(name)
        folded = [name_key(n) for n in names]
        key = name_key(name)
        if folded.count(key) == 1:
            return folded.index(key)
        if folded.count(key) > 1:
            same = [n for n, k in zip(names, folded) if k == key]
            raise ElectionError(
                f"the candidate name {name!r} is ambiguous: it could be any of {', '.join(same)}"
            )
        raise ElectionError(f"no candidate named {name!r}; candidates are: {', '.join(names)}")

    def with_changes(
        self,
        *,
        seats: int | None = None,
        withdrawn: Iterable[int] | None = None,
        candidates: tuple[Candidate, ...] | None = None,
    ) -> Election:
        return Election(
            candidates=self.candidates if candidates is None else candidates,
            seats=self.seats if seats is None else seats,
            withdrawn=self.withdrawn if withdrawn is None else frozenset(withdrawn),
            title=self.title,
            tie_order=self.tie_order,
            organisation=self.organisation,
            office=self.office,
            date=self.date,
            seats_given=self.seats_given or seats is not None,
        )


@dataclass(frozen=True)
class Profile:
    """Unique ballots x weights for one election, with the accounting of every paper."""

    election: Election
    ballots: tuple[tuple[Any, ...], ...]
    weights: tuple[Weight, ...]
    kind: Literal["ranked", "approval"] = "ranked"
    invalid: Mapping[str, Weight] = field(default_factory=lambda: MappingProxyType({}))
    rules: BallotRules = BallotRules()
    source: str = ""
    #: SHA-256 (hex) of the input as read: the file's bytes, or the canonical ballots when
    #: the profile came from no file ("" when not known); not part of equality: the same
    #: ballots read by two readers of one file are the same profile
    source_sha256: str = field(default="", compare=False)
    #: optional prebuilt arrays of the same ballots, for the array engines: (preferences
    #: as an int32 matrix padded with -1 and at least one -1 column, weights as int64).
    #: Only for strict ranked ballots with whole weights; not part of equality.
    arrays: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.ballots) != len(self.weights):
            raise ValueError("ballots and weights differ in length")
        if not isinstance(self.invalid, MappingProxyType):
            object.__setattr__(self, "invalid", MappingProxyType(dict(self.invalid)))

    # -- accounting -------------------------------------------------------------------
    @cached_property
    def valid(self) -> Weight:
        """Valid papers (the valid poll)."""
        return sum(self.weights, 0)

    @cached_property
    def preference_matrix(self) -> Any:
        """The ballots as an int32 numpy matrix (one row per unique ballot, candidate indices
        padded with -1, at least one -1 column at the end), or None when they are not
        ranked with one candidate per preference: the fast reader's (:attr:`arrays`), else
        built once and kept (:func:`tallyroom.ballots.arrays.preference_matrix`)."""
        from tallyroom.ballots.arrays import preference_matrix

        return preference_matrix(self)

    @property
    def ballots_read(self) -> Weight:
        return self.valid + sum(self.invalid.values(), 0)

    @property
    def unique(self) -> int:
        return len(self.ballots)

    @property
    def is_strict(self) -> bool:
        """True when no ranked ballot has an equal ranking."""
        if self.kind != "ranked" or self.arrays is not None:
            return True
        # the types of all the preferences, gathered at C speed, then checked
        return all(issubclass(t, int) for t in set(map(type, chain.from_iterable(self.ballots))))

    def first_preferences(self) -> dict[str, Weight]:
        """Papers per candidate at first preference (equal first preferences not counted)."""
        counts: list[Weight] = [0] * len(self.election.candidates)
        for b, w in zip(self.ballots, self.weights):
            if self.kind == "approval":
                for c in b:
                    counts[c] += w
            elif b and isinstance(b[0], int):
                counts[b[0]] += w
        return dict(zip(self.election.names, counts))

    # -- construction -----------------------------------------------------------------
    @classmethod
    def build(
        cls,
        election: Election,
        ballots: Iterable[tuple[Sequence[Any], Weight]],
        *,
        kind: Literal["ranked", "approval"] = "ranked",
        invalid: Mapping[str, Weight] | None = None,
        rules: BallotRules = BallotRules(),
        source: str = "",
    ) -> Profile:
        """Merge identical ballots (keeping first-seen order) into a profile."""
        merged: dict[tuple[Any, ...], Weight] = {}
        for b, w in ballots:
            key = tuple(b)
            merged[key] = merged.get(key, 0) + w
        return cls(
            election=election,
            ballots=tuple(merged),
            weights=tuple(merged.values()),
            kind=kind,
            invalid=dict(invalid or {}),
            rules=rules,
            source=source,
        )

    def strict(self) -> Profile:
        """This profile with equal rankings resolved by the overvote rule.

        A paper whose first preference is an equal ranking under ``overvote=exhaust`` is
        counted as invalid (reason :data:`OVERVOTE_FIRST`), never dropped.
        """
        if self.is_strict:
            return self
        if self.rules.overvote == "exhaust-if-multiple-continuing":
            from tallyroom.errors import RuleError

            raise RuleError(
                "the overvote rule 'exhaust-if-multiple-continuing' depends on who is still "
                "continuing at each round; only irv applies it"
            )
        invalid = dict(self.invalid)
        out: list[tuple[tuple[Any, ...], Weight]] = []
        for b, w in zip(self.ballots, self.weights):
            clean, reason = clean_ranking(b, self.rules)
            if reason is None:
                out.append((clean, w))
            else:
                invalid[reason] = invalid.get(reason, 0) + w
        return Profile.build(
            self.election, out, invalid=invalid, rules=self.rules, source=self.source
        )

    @classmethod
    def from_marks(
        cls,
        election: Election,
        raw: Mapping[tuple[Any, ...], Weight],
        rules: BallotRules = BallotRules(),
        *,
        source: str = "",
        keep_equal: bool = False,
        invalid: Mapping[str, Weight] | None = None,
    ) -> Profile:
        """A profile from papers as marked (merged by their marks), read under ``rules``:
        each is cleaned by :func:`clean_ranking` and counted valid, or invalid with its reason."""
        bad: dict[str, Weight] = dict(invalid or {})
        cleaned: list[tuple[tuple[Any, ...], Weight]] = []
        for marks, w in raw.items():
            if marks and set(map(type, marks)) == _INT_ONLY and len(set(marks)) == len(marks):
                # distinct candidates, one per rank: what clean_ranking would give, at once
                cleaned.append((tuple(marks), w))
                continue
            ballot, reason = clean_ranking(marks, rules, keep_equal=keep_equal)
            if reason is None:
                cleaned.append((ballot, w))
            else:
                bad[reason] = bad.get(reason, 0) + w
        return cls.build(election, cleaned, invalid=bad, rules=rules, source=source)

    def with_election(self, election: Election) -> Profile:
        return Profile(
            election=election,
            ballots=self.ballots,
            weights=self.weights,
            kind=self.kind,
            invalid=self.invalid,
            rules=self.rules,
            source=self.source,
            source_sha256=self.source_sha256,
            arrays=self.arrays,
        )

    def canonical_sha256(self) -> str:
        """SHA-256 (hex) of the ballots in a canonical form, for a profile that came from no
        file (a ballot box): the candidates, seats, withdrawn, kind, ballot rules, and each
        unique ballot with its weight, in a fixed order, with the invalid papers by reason.

        Two profiles holding the same papers for the same election have the same digest,
        whatever order their ballots were merged in.
        """
        import hashlib
        import json

        def mark(m: Any) -> Any:
            return list(m) if isinstance(m, tuple) else m

        rows = sorted(
            json.dumps([[mark(m) for m in b], str(w)], separators=(",", ":"))
            for b, w in zip(self.ballots, self.weights)
        )
        e = self.election
        head = json.dumps(
            {
                "candidates": list(e.names),
                "seats": e.seats,
                "withdrawn": sorted(e.withdrawn),
                "kind": self.kind,
                "rules": self.rules.describe(),
                "invalid": {k: str(v) for k, v in sorted(self.invalid.items())},
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        h = hashlib.sha256(head.encode("utf-8"))
        for row in rows:
            h.update(b"\n" + row.encode("utf-8"))
        return h.hexdigest()

    def same_as(self, other: Profile) -> bool:
        """Same election and the same multiset of ballots (order of unique ballots aside)."""
        if self.election.names != other.election.names:
            return False
        if self.election.seats != other.election.seats:
            return False
        if self.election.withdrawn != other.election.withdrawn:
            return False
        return dict(zip(self.ballots, self.weights)) == dict(zip(other.ballots, other.weights))


def clean_ranking(
    marks: Sequence[Preference | None],
    rules: BallotRules,
    keep_equal: bool = False,
) -> tuple[RankedBallot, str | None]:
    """Apply the ballot rules to a paper's marks, rank by rank.

    ``marks`` holds, per rank, a candidate index, a tuple (overvote or equal ranking; the
    empty tuple :data:`OVERVOTE` for an overvote whose candidates are not named), or
    ``None`` for a skipped rank.  With ``keep_equal`` (formats in which an equal ranking is
    a voter's real statement, such as BLT ``a=b``) equal rankings are kept in the profile
    and the overvote rule is applied by :meth:`Profile.strict` when a rule needs a strict
    order.  Returns the cleaned ballot and, when the paper is not valid, the reason.
    """
    out: list[Preference] = []
    seen: set[int] = set()
    skipped = 0
    for m in marks:
        if m is None:
            skipped += 1
            if rules.skipped_ranks is not None and skipped > rules.skipped_ranks:
                break
            continue
        skipped = 0
        if m == OVERVOTE:
            # an overvote whose candidates the file does not name ($OVERVOTE, "overvote")
            if rules.overvote == "exhaust":
                if not out:
                    return (), OVERVOTE_FIRST
                break
            continue
        if isinstance(m, tuple):
            group = tuple(c for c in dict.fromkeys(m) if c not in seen)
            if len(group) == 1:
                m = group[0]
            elif len(group) == 0:
                continue
            elif keep_equal or rules.overvote == "exhaust-if-multiple-continuing":
                seen.update(group)
                out.append(group)
                continue
            elif rules.overvote == "exhaust":
                if not out:
                    return (), OVERVOTE_FIRST
                break
            else:
                continue
        if m in seen:
            if rules.duplicates == "exhaust":
                break
            continue
        seen.add(m)
        out.append(m)
    if not out:
        marked = any(m is not None for m in marks)
        return (), NO_VALID_PREFERENCE if marked else BLANK
    return tuple(out), None
