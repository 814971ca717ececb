"""The election file: one TOML file that says what is counted and how (docs/election-file.md).

::

    title = "Ward 1 Linn"
    organisation = "Aberdeen City Council"
    office = "Councillor"
    date = 2017-05-04
    ballots = "aberdeen_2017_ward1.blt"     # relative to this file
    rule = "scottish-stv"                   # or: preset = "minneapolis-irv-2013"
    seats = 4

``tallyroom count election.toml`` counts it; :func:`load_election` reads it into an
:class:`ElectionFile` (the ballot file's path, how to read it and a
:class:`~tallyroom.rules.request.CountRequest`), and :func:`count_election` counts it.  The
file is checked whole before any ballot is read: an unknown key, a value of the wrong kind
or an option the rule does not have is an :class:`~tallyroom.errors.ElectionFileError`
naming the file, the key, what was found and what was expected.  The record of the count
keeps the file's name and SHA-256, and the preset's name when one was used.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tallyroom.ballots.model import BallotRules, Profile
from tallyroom.errors import QUOTE_LIMIT, ElectionFileError, RuleError, TallyroomError
from tallyroom.record import CountRecord
from tallyroom.rules.request import CountRequest, TieRules

#: every key an election file may hold, with what it is (for the message on a typo)
KEYS: Mapping[str, str] = {
    "title": "the election's name, on every sheet",
    "organisation": "who holds the election",
    "office": "the office or body elected",
    "date": "the date of the poll (a TOML date, or text)",
    "ballots": "the ballot file, relative to the election file",
    "format": "the ballot file's format (default: from its extension or content)",
    "contest": "the contest to read from a cast-vote-record file of several",
    "seats": "seats to fill (default: the ballot file's)",
    "rule": "the counting rule's id (tallyroom methods)",
    "preset": "a named preset (rule, options and ballot rules; tallyroom methods)",
    "options": "a table of the rule's options",
    "ballot_rules": "a table: overvote, skipped_ranks, duplicates",
    "ties": "a table: seed, fallback, order, decisions",
    "withdrawn": "candidates withdrawn before the count",
    "countback": "the departed member whose vacancy a countback fills",
    "candidates": "a candidates file (CSV), or a table of each candidate's attributes",
    "constraints": "a constraints file (CSV or TOML)",
    "constraint": "[[constraint]] tables: seats per group (docs/constraints.md)",
}
BALLOT_RULE_KEYS = ("overvote", "skipped_ranks", "duplicates")
TIE_KEYS = ("seed", "fallback", "order", "decisions")
#: the largest election file read (it is a page of settings, not data)
MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class ElectionFile:
    """An election file, read and checked: everything needed to count it."""

    #: the election file as named, and the SHA-256 of its bytes
    path: str
    sha256: str
    #: the ballot file (its path resolved against the election file's folder)
    ballots: str
    input_format: str | None
    contest: str | None
    seats: int | None
    #: the rule, its options, ties, withdrawals, attributes, constraints, title ...
    request: CountRequest

    @property
    def ballot_rules(self) -> BallotRules:
        assert self.request.ballot_rules is not None
        return self.request.ballot_rules

    def read_ballots(self) -> Profile:
        """The ballot file, read under the file's ballot rules and seats."""
        from tallyroom.ballots.formats import read

        profile = read(
            self.ballots,
            self.input_format,
            rules=self.ballot_rules,
            seats=self.seats,
            contest=self.contest,
        )
        self.check(profile)
        return profile

    def check(self, profile: Profile) -> None:
        """Every name the file gives (withdrawn, countback, ties, candidates) is a
        candidate of the ballot file: else an ElectionFileError naming the key."""
        from tallyroom.errors import ElectionError

        r = self.request
        given = [("withdrawn", n) for n in r.withdrawn]
        given += [("countback", r.countback)] if r.countback else []
        given += [("ties.order", n) for n in r.ties.order]
        given += [("ties.decisions", n) for n in r.ties.decisions]
        given += [("candidates", n) for n in r.attributes if r.attributes_from == self.path]
        for key, name in given:
            try:
                profile.election.index(name)
            except ElectionError:
                raise ElectionFileError(
                    self.path,
                    key,
                    f"{name!r}, not a candidate of {os.path.basename(self.ballots)}",
                    "a name as the ballot file spells it: " + ", ".join(profile.election.names),
                ) from None


def count_election(path: str | os.PathLike[str]) -> CountRecord:
    """Count the election an election file describes (:func:`load_election`, then
    :func:`~tallyroom.rules.request.run_count`)."""
    from tallyroom.rules.request import run_count

    election = load_election(path)
    return run_count(election.read_ballots(), election.request)


def load_election(path: str | os.PathLike[str]) -> ElectionFile:
    """The election file at ``path``, checked whole (no ballot is read yet)."""
    name = os.fspath(path)
    data, digest = _read_toml(name)
    return _Reader(name, digest).election(data)


def preset_request(
    name: str,
    *,
    options: Mapping[str, Any] | None = None,
    ballot_rules: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, Any], BallotRules]:
    """A preset's rule, typed options and ballot rules, with ``options`` and
    ``ballot_rules`` (typed, e.g. from the command line) given over the preset's."""
    from tallyroom.rules import get
    from tallyroom.rules.election_presets import preset

    p = preset(name)
    rule = get(p.rule)
    merged = rule.check_options({**p.options, **(options or {})})
    rules = BallotRules(**{**p.ballot_rules, **(ballot_rules or {})})
    return rule.id, merged, rules


# -- reading ---------------------------------------------------------------------------------
_AT = re.compile(r"\(at line (\d+), column (\d+)\)$")


def _read_toml(path: str) -> tuple[dict[str, Any], str]:
    what = "an election file (TOML, UTF-8)"
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ElectionFileError(path, "", "no such file", what) from None
    except IsADirectoryError:
        raise ElectionFileError(path, "", "a directory", what) from None
    except PermissionError:
        raise ElectionFileError(path, "", "no permission to read", what) from None
    if len(raw) > MAX_BYTES:
        raise ElectionFileError(path, "", f"a file over {MAX_BYTES >> 20} MiB", what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise ElectionFileError(
            path,
            "",
            f"a byte that is not UTF-8 (0x{raw[e.start]:02x})",
            what,
            line=line,
            column=col,
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        at = _AT.search(message)
        found = _AT.sub("", message).strip().rstrip(".") or "text that is not TOML"
        raise ElectionFileError(
            path,
            "",
            f"text that is not TOML ({found[0].lower() + found[1:]})",
            "TOML: key = value lines and [tables] (docs/election-file.md)",
            line=int(at.group(1)) if at else None,
            column=int(at.group(2)) if at else None,
        ) from None
    except (ValueError, RecursionError) as e:  # an integer past Python's digit limit, say
        raise ElectionFileError(path, "", f"a value TOML cannot hold here ({e})", what) from None
    return data, hashlib.sha256(raw).hexdigest()


def _shown(value: Any) -> str:
    """A TOML value as a message quotes it, with its TOML kind."""
    kinds = {
        bool: "true or false",
        int: "a whole number",
        float: "a decimal number",
        str: "text",
        list: "a list",
        dict: "a table",
        datetime.date: "a date",
        datetime.datetime: "a date and time",
        datetime.time: "a time",
    }
    kind = next((k for t, k in kinds.items() if type(value) is t), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{kind} {shown}"


def _near(word: str, known: Any) -> str:
    """ "NAME (the nearest known word), or " before a message's list, when one is close."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f"{close[0]} (the nearest), or " if close else ""


class _Reader:
    """Checks an election file's keys one by one, each message naming the key."""

    def __init__(self, path: str, digest: str) -> None:
        self.path = path
        self.digest = digest
        self.folder = os.path.dirname(os.path.abspath(path))

    def fail(self, key: str, value: Any, expected: str) -> ElectionFileError:
        return ElectionFileError(self.path, key, _shown(value), expected)

    def text(self, data: Mapping[str, Any], key: str, where: str = "") -> str:
        value = data.get(key, "")
        if isinstance(value, datetime.date) and key == "date":
            return value.isoformat()
        if not isinstance(value, str):
            raise self.fail(where + key, value, "text in double quotes")
        text = value.strip()
        if value and (not text or not text.isprintable() or len(text) > QUOTE_LIMIT):
            raise self.fail(
                where + key,
                value,
                f"one line of printable text of at most {QUOTE_LIMIT} characters",
            )
        return text

    def names(self, data: Mapping[str, Any], key: str, where: str = "") -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise self.fail(where + key, value, 'a list of candidates\' names, ["A", "B"]')
        return tuple(value)

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, value, f"a table [{key}]")
        return value

    def file(self, data: Mapping[str, Any], key: str) -> str:
        given = self.text(data, key)
        where = os.path.join(self.folder, given)
        if not given or not os.path.isfile(where):
            raise self.fail(
                key,
                data.get(key),
                f"the path of an existing file, relative to the election file (no file at {where})",
            )
        return where

    def election(self, data: dict[str, Any]) -> ElectionFile:
        from tallyroom.rules import get
        from tallyroom.rules.election_presets import PRESETS

        unknown = [k for k in data if k not in KEYS]
        if unknown:
            raise ElectionFileError(
                self.path,
                unknown[0],
                "a key an election file does not have",
                _near(unknown[0], KEYS) + "one of: " + ", ".join(KEYS),
            )
        if "ballots" not in data:
            raise ElectionFileError(
                self.path, "ballots", "no ballots key", 'ballots = "FILE", the ballot file'
            )
        ballots = self.file(data, "ballots")
        preset_name = self.text(data, "preset")
        rule_id = self.text(data, "rule")
        options = self.table(data, "options")
        ballot_rules = self.table(data, "ballot_rules")
        if preset_name:
            if rule_id:
                raise self.fail(
                    "rule", data["rule"], f"no rule beside preset = {preset_name!r} (it names one)"
                )
            if preset_name not in PRESETS:
                raise self.fail(
                    "preset", data["preset"], "one of the presets: " + ", ".join(sorted(PRESETS))
                )
            p = PRESETS[preset_name]
            rule_id = p.rule
            options = {**p.options, **options}
            ballot_rules = {**p.ballot_rules, **ballot_rules}
        if not rule_id:
            raise ElectionFileError(
                self.path,
                "rule",
                "neither a rule nor a preset",
                'rule = "RULE" or preset = "NAME" (tallyroom methods lists both)',
            )
        try:
            rule = get(rule_id)
        except RuleError:
            from tallyroom.rules import rules

            raise self.fail(
                "rule",
                rule_id,
                _near(rule_id, [r.id for r in rules()])
                + "a rule id (tallyroom methods lists them)",
            ) from None
        typed = self.options(rule, options)
        seats = data.get("seats")
        if seats is not None and (
            isinstance(seats, bool) or not isinstance(seats, int) or seats < 1
        ):
            raise self.fail("seats", seats, "a whole number of seats, 1 or more")
        fmt = self.text(data, "format") or None
        if fmt is not None:
            from tallyroom.ballots.formats import FORMATS

            if fmt.lower() not in FORMATS:
                raise self.fail("format", fmt, "one of the formats: " + ", ".join(FORMATS))
        countback = self.text(data, "countback") or None
        attributes, attributes_from = self.candidates(data)
        try:
            request = CountRequest(
                rule.id,
                options=typed,
                ties=self.ties(self.table(data, "ties")),
                withdrawn=self.names(data, "withdrawn"),
                attributes=attributes,
                attributes_from=attributes_from,
                constraints=self.constraints(data),
                countback=countback,
                ballot_rules=self.ballot_rules(ballot_rules),
                title=self.text(data, "title"),
                organisation=self.text(data, "organisation"),
                office=self.text(data, "office"),
                date=self.text(data, "date"),
                preset=preset_name,
                election_file=self.path,
                election_file_sha256=self.digest,
            )
        except ElectionFileError:
            raise
        except TallyroomError as e:
            raise ElectionFileError(self.path, "", str(e), "settings that agree") from None
        return ElectionFile(
            path=self.path,
            sha256=self.digest,
            ballots=ballots,
            input_format=fmt,
            contest=self.text(data, "contest") or None,
            seats=seats,
            request=request,
        )

    def options(self, rule: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        by_name = {p.name: p for p in rule.parameters}
        out: dict[str, Any] = {}
        for name, value in options.items():
            key = f"options.{name}"
            p = by_name.get(name)
            if p is None:
                raise ElectionFileError(
                    self.path,
                    key,
                    f"an option {rule.id} does not have",
                    _near(name, by_name)
                    + "one of: "
                    + (", ".join(sorted(by_name)) or f"none ({rule.id} has no options)"),
                )
            if isinstance(value, float):
                raise self.fail(
                    key,
                    value,
                    'an exact number: a whole number, or text such as "0.5" or "1/3" '
                    "(a TOML decimal is binary, not exact)",
                )
            try:
                if isinstance(value, str) and p.kind in ("int", "number", "bool", "mapping"):
                    out[name] = p.parse(rule.id, value)
                elif p.kind == "constraints":
                    out[name] = value
                else:
                    out[name] = p.check(rule.id, value)
            except RuleError as e:
                expected = str(e).partition("; expected ")[2] or str(e)
                raise self.fail(key, value, expected) from None
        return out

    def ballot_rules(self, table: Mapping[str, Any]) -> BallotRules:
        for k in table:
            if k not in BALLOT_RULE_KEYS:
                raise ElectionFileError(
                    self.path,
                    f"ballot_rules.{k}",
                    "a key [ballot_rules] does not have",
                    "one of: " + ", ".join(BALLOT_RULE_KEYS),
                )
        choices = {
            "overvote": ("exhaust", "skip", "exhaust-if-multiple-continuing"),
            "duplicates": ("skip", "exhaust"),
        }
        for k, allowed in choices.items():
            if k in table and table[k] not in allowed:
                raise self.fail(f"ballot_rules.{k}", table[k], "one of: " + ", ".join(allowed))
        skipped = table.get("skipped_ranks")
        if skipped is not None and (
            isinstance(skipped, bool) or not isinstance(skipped, int) or skipped < 0
        ):
            raise self.fail(
                "ballot_rules.skipped_ranks",
                skipped,
                "a whole number, 0 or more (leave it out for any number)",
            )
        return BallotRules(**dict(table))

    def ties(self, table: Mapping[str, Any]) -> TieRules:
        for k in table:
            if k not in TIE_KEYS:
                raise ElectionFileError(
                    self.path,
                    f"ties.{k}",
                    "a key [ties] does not have",
                    "one of: " + ", ".join(TIE_KEYS),
                )
        seed = table.get("seed", 1)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise self.fail("ties.seed", seed, "a whole number (the seed for ties by lot)")
        fallback = table.get("fallback")
        if fallback is not None and fallback not in ("lot", "order", "decision"):
            raise self.fail("ties.fallback", fallback, "one of: lot, order, decision")
        try:
            return TieRules(
                seed=seed,
                fallback=fallback,
                order=self.names(table, "order", "ties."),
                decisions=self.names(table, "decisions", "ties."),
            )
        except RuleError as e:
            raise ElectionFileError(self.path, "ties", str(e), "tie rules that agree") from None

    def candidates(self, data: Mapping[str, Any]) -> tuple[dict[str, dict[str, str]], str]:
        """The candidates' attributes, and where they came from (a file, or this one)."""
        from tallyroom.ballots.candidates_file import read_candidates_file

        value = data.get("candidates")
        if value is None:
            return {}, ""
        if isinstance(value, str):
            where = self.file(data, "candidates")
            return read_candidates_file(where), where
        if not isinstance(value, dict):
            raise self.fail(
                "candidates", value, 'a candidates file ("FILE.csv") or a table [candidates]'
            )
        out: dict[str, dict[str, str]] = {}
        for name, attributes in value.items():
            key = f'candidates."{name}"'
            if not isinstance(attributes, dict):
                raise self.fail(key, attributes, 'a table of attributes, { party = "..." }')
            for a, v in attributes.items():
                if isinstance(v, bool) or not isinstance(v, str | int):
                    raise self.fail(f"{key}.{a}", v, "text (or a whole number)")
            out[name] = {a: str(v) for a, v in attributes.items()}
        return out, self.path

    def constraints(self, data: Mapping[str, Any]) -> tuple[Any, ...]:
        from tallyroom.rules.constraints import constraints_from_tables, read_constraints_file

        out = []
        if "constraints" in data:
            out += read_constraints_file(self.file(data, "constraints"))
        rows = data.get("constraint", [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise self.fail("constraint", rows, "[[constraint]] tables (docs/constraints.md)")
        for i, row in enumerate(rows, start=1):
            try:
                out += constraints_from_tables([row], "")
            except RuleError as e:
                problem = str(e).partition(": ")[2] or str(e)
                raise ElectionFileError(
                    self.path,
                    f"[[constraint]] {i}",
                    problem.partition("; a constraint is")[0],
                    'the group\'s attributes (party = "X") with min = N and/or max = N '
                    "(docs/constraints.md)",
                ) from None
        return tuple(out)
