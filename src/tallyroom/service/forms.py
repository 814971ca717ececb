"""The admin's "new election" form: the posted fields read into the same plain
description the JSON API takes (``core.create_election``'s ``spec``), with an error per
field naming what was expected. Nothing here creates anything: the page hands the spec to
``core.create_election``, which checks it again (and counts a trial paper) as for the API.

The form's own small syntaxes, one item a line:

- candidates: ``Name`` or ``Name; gender=woman, slate=Red`` (attributes after ``;``);
- constraints: as the library writes them, ``gender=woman:min=4``;
- statements: a line ``## Name`` starts that candidate's statement, which runs to the next
  such line (blank lines keep its paragraphs);
- counting options: ``name=value``, the rule's own as ``tallyroom count --option`` takes
  them (``quota=hare``), and the ballot rules ``overvote``, ``skipped_ranks`` and
  ``duplicates`` (how a ranked paper's repeats and gaps are read);
- eligibility and electorate rules (the vocabulary of :mod:`tallyroom.service.eligibility`):
  ``joined_by 2026-06-30``, ``paid_up_at 2026-12-01``, ``region North, South`` (also
  ``status`` and ``section``), ``age_under 27 on 2026-12-09``, ``age_at_least 65 on ...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

import tallyroom
from tallyroom.service import core, eligibility, schema
from tallyroom.service.core import BALLOT_TYPES, Service

#: the ballot types in words, for the form's choice
BALLOT_NAMES = {
    "ranked": "ranked (1, 2, 3 ...)",
    "x": "X-marks: vote for up to k",
    "approval": "approval: vote for any number",
    "yesno": "yes / no",
}
ORDERS = ("entered", "alphabetical", "rotated")
#: which kind of paper the library counts for each ballot type
_KIND = {"ranked": "ranked", "yesno": "ranked", "x": "approval", "approval": "approval"}
MAX_CONTESTS = 30
#: the longest statement by default (every candidate's is held to the same length)
STATEMENT_LENGTH = core.STATEMENT_LENGTH
#: the ballot rules a contest's options may set (tallyroom.BallotRules), with their choices
BALLOT_RULES: dict[str, tuple[str, ...]] = {
    "overvote": ("exhaust", "skip", "exhaust-if-multiple-continuing"),
    "skipped_ranks": (),  # a whole number, or "none"
    "duplicates": ("skip", "exhaust"),
}


def rule_choices() -> list[tuple[str, list[Any]]]:
    """The library's registered rules by family, for the form's grouped choice."""
    families: dict[str, list[Any]] = {}
    for r in tallyroom.counting_rules():
        families.setdefault(r.family, []).append(r)
    return list(families.items())


def organisation_name(svc: Service, actor: Mapping[str, Any]) -> str:
    """The signed-in officer's organisation: an election is made in it and no other."""
    with svc.engine.begin() as conn:
        name = conn.execute(
            select(schema.organisation.c.name).where(
                schema.organisation.c.id == actor["organisation_id"]
            )
        ).scalar_one_or_none()
    return str(name or "")


def blank_contest(n: int, form: Mapping[str, str]) -> bool:
    p = f"c{n}-"
    return not any(form.get(p + k, "").strip() for k in ("title", "candidates"))


def parse_rules(text: str, where: str) -> list[dict[str, Any]]:
    """Rule lines into the rule vocabulary's list (then checked by ``normalise``)."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), 1):
        words = line.split(None, 1)
        if not words:
            continue
        kind, rest = words[0], (words[1].strip() if len(words) > 1 else "")
        fields = eligibility.RULES.get(kind)
        if fields is None:
            raise eligibility.RuleSpecError(
                f"{where}, line {n}: {kind!r} is not a rule; expected one of "
                f"{', '.join(eligibility.RULES)}"
            )
        if fields == ("date",):
            out.append({"rule": kind, "date": rest})
        elif fields == ("in",):
            values = [v.strip() for v in rest.split(",") if v.strip()]
            out.append({"rule": kind, "in": values})
        else:
            years, _, on = rest.partition(" on ")
            if not years.strip().isdigit() or not on.strip():
                raise eligibility.RuleSpecError(
                    f"{where}, line {n}: expected '{kind} YEARS on YYYY-MM-DD', found {line!r}"
                )
            out.append({"rule": kind, "years": int(years), "on": on.strip()})
    return eligibility.normalise(out, where)


def _candidates(text: str) -> tuple[list[dict[str, Any]], str | None]:
    people: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _, attrs = line.partition(";")
        name = " ".join(name.split())
        if not name:
            return [], f"line {n}: a candidate needs a name before the ';'"
        key = name.casefold()
        if key in seen:
            return [], f"line {n}: {name!r} is already on line {seen[key]}; names must differ"
        seen[key] = n
        attributes: dict[str, str] = {}
        for pair in attrs.split(","):
            if not pair.strip():
                continue
            k, eq, v = pair.partition("=")
            if not eq or not k.strip() or not v.strip():
                return [], f"line {n}: expected attributes as name=value, found {pair.strip()!r}"
            attributes[k.strip()] = v.strip()
        people.append({"name": name, "attributes": attributes})
    return people, None


def _statements(
    text: str, people: list[dict[str, Any]], limit: int
) -> tuple[dict[str, str], str | None]:
    """``## Name`` blocks into {name: statement}; an error names the line and what was
    expected (an unknown name, a name twice, text before the first name, too long)."""
    if not people:
        return {}, ("a yes / no contest has no candidates' statements" if text.strip() else None)
    names = {p["name"].casefold(): p["name"] for p in people}
    out: dict[str, list[str]] = {}
    first: dict[str, int] = {}
    current: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("##"):
            typed = " ".join(line[2:].split())
            name = names.get(typed.casefold())
            if name is None:
                return {}, (
                    f"line {n}: {typed!r} is not a candidate of this contest; expected one of "
                    + ", ".join(p["name"] for p in people)
                )
            if name in out:
                return {}, f"line {n}: {name}'s statement already starts on line {first[name]}"
            current, first[name] = name, n
            out[name] = []
        elif current is None:
            if line.strip():
                return {}, f"line {n}: expected '## ' and a candidate's name before the statement"
        else:
            out[current].append(line.rstrip())
    statements = {k: "\n".join(v).strip() for k, v in out.items()}
    for name, statement in statements.items():
        if len(statement) > limit:
            return {}, (
                f"line {first[name]}: {name}'s statement has {len(statement)} characters; "
                f"at most {limit}, the same for every candidate"
            )
    return statements, None


def _options(text: str, rule: Any) -> tuple[dict[str, Any], str | None]:
    """``name=value`` lines into the contest's options: the rule's own, parsed by the rule
    (as ``--option``), and the ballot rules under ``ballot_rules``."""
    items: list[str] = []
    ballot_rules: dict[str, Any] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, eq, value = (x.strip() for x in line.partition("="))
        if not eq or not name or not value:
            return {}, f"line {n}: expected name=value, found {line.strip()!r}"
        if name == "constraints":
            return {}, f"line {n}: write constraints in the Constraints field, one a line"
        if name in BALLOT_RULES:
            if name == "skipped_ranks":
                if value.lower() == "none":
                    ballot_rules[name] = None
                elif value.isascii() and value.isdigit() and len(value) <= 3:
                    ballot_rules[name] = int(value)
                else:
                    return {}, f"line {n}: skipped_ranks {value!r}: expected a whole number or none"
            elif value not in BALLOT_RULES[name]:
                return {}, (
                    f"line {n}: {name} {value!r}: expected one of {', '.join(BALLOT_RULES[name])}"
                )
            else:
                ballot_rules[name] = value
            continue
        items.append(f"{name}={value}")
    try:
        options = dict(rule.parse_options(items)) if items and rule is not None else {}
    except tallyroom.TallyroomError as err:
        return {}, str(err)
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
    if ballot_rules:
        options["ballot_rules"] = ballot_rules
    return options, None


def rule_parameters(rule_id: str) -> list[Any]:
    """The rule's options as the form lists them (constraints have their own field)."""
    for r in tallyroom.counting_rules():
        if r.id == rule_id:
            return [p for p in r.parameters if p.name != "constraints"]
    return []


def _time(text: str, zone: ZoneInfo | None) -> tuple[str | None, str | None]:
    if not text.strip():
        return None, "expected a date and time (YYYY-MM-DD HH:MM)"
    try:
        t = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        return None, f"{text!r} is not a date and time; expected YYYY-MM-DD HH:MM"
    if zone is None:
        return None, None  # the time zone's own error says why
    if t.tzinfo is None:
        first, second = t.replace(tzinfo=zone, fold=0), t.replace(tzinfo=zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            again = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            why = (
                "does not exist there (the clocks go forward)"
                if again != t
                else "happens twice there (the clocks go back)"
            )
            return None, f"{text.strip()} in {zone.key} {why}; choose another time"
        t = first
    return t.isoformat(), None


def _whole(text: str, least: int) -> int | None:
    t = text.strip()
    return int(t) if t.isdigit() and int(t) >= least else None


def election_spec(form: Mapping[str, str], contests: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec for ``core.create_election`` and the errors by field name (empty: none)."""
    errors: dict[str, str] = {}
    title = form.get("title", "").strip()
    if not title:
        errors["title"] = "Enter the election's title."
    zone: ZoneInfo | None = None
    tz = form.get("time_zone", "").strip() or "UTC"
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = f"{tz!r} is not a time zone; expected a name such as Europe/London."
    opens, err = _time(form.get("opens", ""), zone)
    if err:
        errors["opens"] = f"Opening time: {err}."
    closes, err = _time(form.get("closes", ""), zone)
    if err:
        errors["closes"] = f"Closing time: {err}."
    if opens and closes and datetime.fromisoformat(closes) <= datetime.fromisoformat(opens):
        errors["closes"] = "Closing time: expected a time after the opening time."
    limit = _whole(form.get("statement_length", "") or str(STATEMENT_LENGTH), 1)
    if limit is None:
        errors["statement_length"] = (
            "Longest statement: expected a whole number of characters, 1 or more."
        )
    timetable: dict[str, str] = {}
    post_day = form.get("reissue_post", "").strip()
    if post_day:
        try:
            timetable["post"] = date.fromisoformat(post_day).isoformat()
        except ValueError:
            errors["reissue_post"] = (
                f"Re-issue by post: {post_day!r} is not a day; expected YYYY-MM-DD."
            )
    if form.get("reissue_email", "").strip():
        email_until, err = _time(form.get("reissue_email", ""), zone)
        if err:
            errors["reissue_email"] = f"Re-issue by email: {err}."
        elif email_until:
            timetable["email"] = email_until
    try:
        rules_ = parse_rules(form.get("eligibility", ""), "Who may vote")
    except eligibility.RuleSpecError as e:
        errors["eligibility"], rules_ = f"{e}.", []
    known = {r.id: r for r in tallyroom.counting_rules()}
    out: list[dict[str, Any]] = []
    for n in range(contests):
        if n and blank_contest(n, form):
            continue  # an unused block of the form
        p = f"c{n}-"
        name = form.get(p + "title", "").strip()
        if not name:
            errors[p + "title"] = f"Contest {n + 1}: enter the contest's title."
        kind = form.get(p + "ballot_type", "ranked")
        if kind not in BALLOT_TYPES:
            errors[p + "ballot_type"] = (
                f"Contest {n + 1}: {kind!r} is not a ballot type; expected one of "
                f"{', '.join(BALLOT_TYPES)}."
            )
        rule_id = form.get(p + "rule", "").strip()
        rule = known.get(rule_id)
        if rule is None:
            errors[p + "rule"] = (
                f"Contest {n + 1}: {rule_id!r} is not a rule of tallyroom; choose one from "
                "the list (tallyroom methods lists them)."
                if rule_id
                else f"Contest {n + 1}: choose the counting rule."
            )
        elif kind in _KIND and _KIND[kind] not in rule.kinds:
            errors[p + "rule"] = (
                f"Contest {n + 1}: {rule_id} counts {' or '.join(rule.kinds)} papers, not "
                f"{BALLOT_NAMES[kind]} papers; choose another rule or ballot type."
            )
        seats = _whole(form.get(p + "seats", ""), 1)
        if seats is None:
            errors[p + "seats"] = (
                f"Contest {n + 1}: seats {form.get(p + 'seats', '')!r}: expected a whole "
                "number, 1 or more."
            )
        people, err = _candidates(form.get(p + "candidates", ""))
        if err:
            errors[p + "candidates"] = f"Contest {n + 1}, candidates: {err}."
        elif kind != "yesno" and not people:
            errors[p + "candidates"] = f"Contest {n + 1}: enter the candidates, one a line."
        elif kind != "yesno" and seats is not None and len(people) <= seats:
            errors[p + "candidates"] = (
                f"Contest {n + 1}: {len(people)} candidate(s) for {seats} seat(s); expected "
                "more candidates than seats."
            )
        max_marks = None
        if kind == "x":
            max_marks = _whole(form.get(p + "max_marks", "") or str(seats or 1), 1)
            if max_marks is None:
                errors[p + "max_marks"] = (
                    f"Contest {n + 1}: 'vote for up to' expected a whole number, 1 or more."
                )
        order = form.get(p + "order", "entered")
        if order not in ORDERS:
            errors[p + "order"] = f"Contest {n + 1}: expected one of {', '.join(ORDERS)}."
        try:
            electorate = parse_rules(
                form.get(p + "electorate", ""), f"Contest {n + 1}, who receives it"
            )
        except eligibility.RuleSpecError as e:
            errors[p + "electorate"], electorate = f"{e}.", []
        constraints = [c.strip() for c in form.get(p + "constraints", "").splitlines() if c.strip()]
        statements, err = _statements(
            form.get(p + "statements", ""), people, limit or STATEMENT_LENGTH
        )
        if err:
            errors[p + "statements"] = f"Contest {n + 1}, statements: {err}."
        for person in people:
            if person["name"] in statements:
                person["statement"] = statements[person["name"]]
        options, err = _options(form.get(p + "options", ""), rule)
        if err:
            errors[p + "options"] = f"Contest {n + 1}, counting options: {err}."
        if kind == "yesno":
            people = []  # the paper reads Yes / No
        c: dict[str, Any] = {
            "title": name,
            "rule": rule_id,
            "seats": seats or 1,
            "ballot_type": kind,
            "candidates": people,
            "candidate_order": order,
            "constraints": constraints,
            "electorate": electorate or None,
        }
        if options:
            c["options"] = options
        if max_marks is not None:
            c["max_marks"] = max_marks
        out.append(c)
    spec: dict[str, Any] = {
        "title": title,
        "rule_book": form.get("rule_book", "").strip(),
        "notice": form.get("notice", "").strip(),
        "time_zone": tz,
        "opens_at": opens,
        "closes_at": closes,
        "eligibility": rules_,
        "contests": out,
    }
    if timetable:
        spec["reissue_timetable"] = timetable
    if limit is not None and limit != STATEMENT_LENGTH:
        spec["statement_length"] = limit
    if form.get("weighted"):
        spec["weighted"] = True
    return spec, errors
