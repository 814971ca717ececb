"""What the service does, independent of HTTP: organisations, elections, the roll, codes,
casting, closing, counting and the scrutineer's report.

Every function takes the :class:`Service` and works in one database transaction. Counting
uses tallyroom's public API only (``tallyroom.count`` on a ``tallyroom.Profile``); the
reports are the library's (``tallyroom.reports.render``) and the ballot files its writers
(``tallyroom.ballots.formats.write``).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import inspect
import io
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import Connection, Engine, func, select, update

import tallyroom
from tallyroom import BallotRules, Candidate, Election, Profile, TallyroomError
from tallyroom.service import codes, schema
from tallyroom.service import eligibility as rules
from tallyroom.service.box import BallotBox
from tallyroom.service.db import engine_for, iso, migrate, new_id, now, parse_time, reading
from tallyroom.service.sealed import SealingBox

T = TypeVar("T")

ROLES = ("administrator", "returning_officer", "scrutineer", "observer")
#: who may change an election (scrutineers and observers only read)
MANAGERS = ("administrator", "returning_officer")
BALLOT_TYPES = ("ranked", "x", "approval", "yesno")
_HASHER = PasswordHasher()


class ServiceError(TallyroomError):
    """A request the service refuses, with a plain reason."""


class NotFound(ServiceError):
    """Not there, or not this organisation's (the two are never told apart)."""


class Forbidden(ServiceError):
    pass


class AlreadyVoted(ServiceError):
    pass


class NotOpen(ServiceError):
    pass


class RollError(ServiceError):
    """A roll file with errors; ``errors`` holds one line per bad row."""

    def __init__(self, name: str, errors: list[str]):
        self.errors = errors
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{name}: {errors[0]}{more}")


@dataclass
class Service:
    engine: Engine
    base_url: str = "http://127.0.0.1:8000"
    outbox: Path | None = None  # mail written here as .eml when no SMTP server is set
    smtp: tuple[str, int] | None = None
    mail_from: str = "returning-officer@tallyroom.invalid"
    box: BallotBox = field(default_factory=SealingBox)
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    #: how old the public turnout may be, in seconds (`public_turnout`)
    turnout_max_age: float = 2.0
    _turnout: dict[str, tuple[float, dict[str, Any] | None]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _turnout_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    #: how old the voter's view of an election may be, in seconds (`voters_view`)
    view_max_age: float = 1.0
    _views: dict[str, tuple[float, dict[str, Any]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: an election's contests and organisation name, which never change once written (the
    #: contests are inserted with the election and never updated): read once per process
    #: instead of twice on every page of the voter's journey
    _fixed: dict[str, tuple[list[dict[str, Any]], str]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def open(cls, url: str, **kwargs: Any) -> Service:
        engine = engine_for(url)
        migrate(engine)
        return cls(engine=engine, **kwargs)


# -- what a process keeps of an election ------------------------------------------------------
def _forget(svc: Service, election_id: str) -> None:
    """Drop what this process keeps of an election's state (the voter's view, the public
    turnout): called when the election changes here. Another process's copy lives out its
    age (``svc.view_max_age``, ``svc.turnout_max_age``); a cast, a code and every admin
    action read the database itself."""
    svc._views.pop(election_id, None)
    svc._turnout.pop(election_id, None)


def _changes_election(f: Callable[..., T]) -> Callable[..., T]:
    """For a function ``f(svc, ..., election_id, ...)`` that changes the election's row."""

    signature = inspect.signature(f)

    @functools.wraps(f)
    def changing(svc: Service, *args: Any, **kwargs: Any) -> T:
        election_id = signature.bind(svc, *args, **kwargs).arguments["election_id"]
        try:
            return f(svc, *args, **kwargs)
        finally:
            _forget(svc, election_id)

    return changing


# -- audit log --------------------------------------------------------------------------------
def _audit(
    conn: Connection, organisation_id: str, actor: str, action: str, detail: Mapping[str, Any]
) -> str:
    """Append to the organisation's hash chain: hash = SHA-256(prev | canonical entry)."""
    # lock the organisation's row so two appends cannot take the same seq (PostgreSQL);
    # SQLite's BEGIN IMMEDIATE already serialises writers
    conn.execute(
        select(schema.organisation.c.id)
        .where(schema.organisation.c.id == organisation_id)
        .with_for_update()
    )
    last = conn.execute(
        select(schema.audit.c.seq, schema.audit.c.hash)
        .where(schema.audit.c.organisation_id == organisation_id)
        .order_by(schema.audit.c.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, "0" * 64)
    at = iso(now())
    entry = json.dumps(
        {"seq": seq, "at": at, "actor": actor, "action": action, "detail": dict(detail)},
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256((prev + "|" + entry).encode()).hexdigest()
    conn.execute(
        schema.audit.insert().values(
            organisation_id=organisation_id,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            detail=dict(detail),
            prev_hash=prev,
            hash=digest,
        )
    )
    return digest


def audit_log(svc: Service, organisation_id: str) -> list[dict[str, Any]]:
    with svc.engine.begin() as conn:
        rows = conn.execute(
            select(schema.audit)
            .where(schema.audit.c.organisation_id == organisation_id)
            .order_by(schema.audit.c.seq)
        )
        return [dict(r._mapping) for r in rows]


def verify_audit(entries: Sequence[Mapping[str, Any]]) -> bool:
    prev = "0" * 64
    for e in entries:
        entry = json.dumps(
            {k: e[k] for k in ("seq", "at", "actor", "action", "detail")},
            sort_keys=True,
            separators=(",", ":"),
        )
        if (
            e["prev_hash"] != prev
            or hashlib.sha256((prev + "|" + entry).encode()).hexdigest() != e["hash"]
        ):
            return False
        prev = e["hash"]
    return True


# -- organisations and administrators -------------------------------------------------------
def first_run_link(svc: Service) -> str | None:
    """A one-time link to create the first administrator, while there is none."""
    with svc.engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(schema.admin)).scalar_one():
            return None
        token = secrets.token_urlsafe(24)
        conn.execute(
            schema.invitation.insert().values(
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                organisation_id=None,
                role="administrator",
                used=False,
            )
        )
    return f"{svc.base_url}/setup/{token}"


def invite(svc: Service, actor: dict[str, Any], role: str) -> str:
    _require(actor, ("administrator",))
    if role not in ROLES:
        raise ServiceError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(24)
    with svc.engine.begin() as conn:
        conn.execute(
            schema.invitation.insert().values(
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                organisation_id=actor["organisation_id"],
                role=role,
                used=False,
            )
        )
        _audit(conn, actor["organisation_id"], actor["email"], "invite", {"role": role})
    return f"{svc.base_url}/setup/{token}"


def accept_invitation(
    svc: Service, token: str, email: str, password: str, organisation: str = ""
) -> dict[str, Any]:
    if len(password) < 12:
        raise ServiceError("a password needs at least 12 characters")
    digest = hashlib.sha256(token.encode()).hexdigest()
    with svc.engine.begin() as conn:
        inv = conn.execute(
            select(schema.invitation).where(schema.invitation.c.token_sha256 == digest)
        ).first()
        if inv is None or inv.used:
            raise NotFound("this link is unknown or has been used")
        # the conditional update makes the link single-use even under a double submit
        claimed = conn.execute(
            update(schema.invitation)
            .where(schema.invitation.c.token_sha256 == digest, schema.invitation.c.used.is_(False))
            .values(used=True)
        ).rowcount
        if claimed != 1:
            raise NotFound("this link is unknown or has been used")
        org_id = inv.organisation_id
        if org_id is None:
            if not organisation.strip():
                raise ServiceError("name the organisation")
            org_id = new_id()
            conn.execute(schema.organisation.insert().values(id=org_id, name=organisation.strip()))
        if conn.execute(select(schema.admin.c.id).where(schema.admin.c.email == email)).first():
            raise ServiceError(f"{email} already has an account")
        admin = {
            "id": new_id(),
            "organisation_id": org_id,
            "email": email,
            "password_hash": _HASHER.hash(password),
            "role": inv.role,
        }
        conn.execute(schema.admin.insert().values(**admin))
        _audit(conn, org_id, email, "account created", {"role": inv.role})
    return admin


def create_organisation(svc: Service, name: str, email: str, password: str) -> dict[str, Any]:
    """An organisation with its first administrator (the CLI's and the demo's way in)."""
    with svc.engine.begin() as conn:
        token = secrets.token_urlsafe(24)
        conn.execute(
            schema.invitation.insert().values(
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                organisation_id=None,
                role="administrator",
                used=False,
            )
        )
    return accept_invitation(svc, token, email, password, name)


def authenticate(svc: Service, email: str, password: str) -> dict[str, Any] | None:
    with svc.engine.begin() as conn:
        row = conn.execute(select(schema.admin).where(schema.admin.c.email == email)).first()
    if row is None:
        _HASHER.hash(password)  # the same work whether or not the account exists
        return None
    try:
        _HASHER.verify(row.password_hash, password)
    except VerificationError:
        return None
    return dict(row._mapping)


def admin_by_id(svc: Service, admin_id: str) -> dict[str, Any] | None:
    with reading(svc.engine) as conn:
        row = conn.execute(select(schema.admin).where(schema.admin.c.id == admin_id)).first()
    return dict(row._mapping) if row else None


def _require(actor: Mapping[str, Any], roles: Sequence[str]) -> None:
    if actor["role"] not in roles:
        raise Forbidden(f"a {actor['role'].replace('_', ' ')} may not do this")


# -- elections ----------------------------------------------------------------------------------
def _election(conn: Connection, actor: Mapping[str, Any], election_id: str) -> Any:
    row = conn.execute(
        select(schema.election).where(
            schema.election.c.id == election_id,
            schema.election.c.organisation_id == actor["organisation_id"],
        )
    ).first()
    if row is None:
        raise NotFound(f"no election {election_id}")
    return row


def _time(text: Any, what: str) -> datetime:
    try:
        return parse_time(str(text or ""))
    except ValueError:
        raise ServiceError(
            f"{what}: {text!r} is not a time with its UTC offset (e.g. 2026-12-09T17:00:00+00:00)"
        ) from None


def create_election(svc: Service, actor: dict[str, Any], spec: Mapping[str, Any]) -> str:
    """An election from a plain description (the JSON API's body; see docs/service.md)."""
    _require(actor, MANAGERS)
    if not isinstance(spec, Mapping) or not str(spec.get("title") or "").strip():
        raise ServiceError("an election needs a title")
    for n, c in enumerate(spec.get("contests") or [], 1):
        if not isinstance(c, Mapping) or not str(c.get("title") or "").strip():
            raise ServiceError(f"contest {n} needs a title")
    opens = _time(spec.get("opens_at"), "opens_at")
    closes = _time(spec.get("closes_at"), "closes_at")
    if closes <= opens:
        raise ServiceError("the election must close after it opens")
    contests = spec.get("contests") or []
    if not contests:
        raise ServiceError("an election needs at least one contest")
    try:
        eligibility = rules.normalise(spec.get("eligibility"), "eligibility")
        electorates = [
            rules.normalise(c.get("electorate"), f"contest {c.get('title', n)!r}, electorate")
            for n, c in enumerate(contests, 1)
        ]
    except rules.RuleSpecError as err:
        raise ServiceError(str(err)) from None
    weighted = spec.get("weighted", False)
    if not isinstance(weighted, bool):
        raise ServiceError(f"weighted: expected true or false, found {weighted!r}")
    limit = spec.get("statement_length", STATEMENT_LENGTH)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ServiceError(f"statement_length: expected a whole number, 1 or more, found {limit!r}")
    timetable = reissue_timetable(
        spec.get("reissue_timetable"), opens, closes, str(spec.get("time_zone") or "UTC")
    )
    election_id = new_id()
    with svc.engine.begin() as conn:
        conn.execute(
            schema.election.insert().values(
                id=election_id,
                organisation_id=actor["organisation_id"],
                title=spec["title"],
                rule_book=spec.get("rule_book", ""),
                notice=spec.get("notice", ""),
                opens_at=iso(opens),
                closes_at=iso(closes),
                time_zone=spec.get("time_zone", "UTC"),
                state="draft",
                key=secrets.token_hex(32),
                eligibility=eligibility,
                retention_days=int(spec.get("retention_days", 365)),
                reissue_timetable=timetable,
                weighted=weighted,
            )
        )
        for position, c in enumerate(contests):
            kind = c.get("ballot_type", "ranked")
            if kind not in BALLOT_TYPES:
                raise ServiceError(f"ballot type {kind!r}: expected one of {BALLOT_TYPES}")
            candidates = [
                {
                    "name": x["name"] if isinstance(x, Mapping) else str(x),
                    "statement": _statement(x, c["title"], limit),
                    "attributes": dict(x.get("attributes", {})) if isinstance(x, Mapping) else {},
                }
                for x in (c.get("candidates") or ([] if kind != "yesno" else ["Yes", "No"]))
            ]
            rule_id = c.get("rule", "fptp" if kind == "yesno" else "")
            if c.get("candidate_order", "entered") not in ("entered", "alphabetical", "rotated"):
                raise ServiceError(
                    f"contest {c['title']!r}: candidate_order expected entered, alphabetical "
                    "or rotated"
                )
            row = {
                "id": new_id(),
                "election_id": election_id,
                "position": position,
                "title": c["title"],
                "rule_id": rule_id,
                "options": dict(c.get("options", {})),
                "seats": int(c.get("seats", 1)),
                "ballot_type": kind,
                "max_marks": c.get("max_marks"),
                "candidates": candidates,
                "constraints": list(c.get("constraints", [])),
                "candidate_order": c.get("candidate_order", "entered"),
                "electorate": electorates[position] or None,
            }
            _trial_count(row)
            conn.execute(schema.contest.insert().values(**row))
        _audit(
            conn,
            actor["organisation_id"],
            actor["email"],
            "election created",
            {"election": election_id, "title": spec["title"]},
        )
        _job(conn, f"open:{election_id}", "open", {"election": election_id}, opens)
    return election_id


CHANNELS = ("email", "post")
#: the longest candidate's statement unless the election says otherwise (``statement_length``)
STATEMENT_LENGTH = 500


def _statement(candidate: Any, contest: str, limit: int) -> str:
    """A candidate's statement, held to the election's length (the same for everyone): a
    longer one is refused, never cut."""
    text = candidate.get("statement", "") if isinstance(candidate, Mapping) else ""
    if not isinstance(text, str):
        raise ServiceError(f"contest {contest!r}, {candidate['name']}: a statement is text")
    text = text.strip()
    if len(text) > limit:
        raise ServiceError(
            f"contest {contest!r}, {candidate['name']}: the statement has {len(text)} "
            f"characters; at most {limit} (statement_length), the same for every candidate"
        )
    return text


def reissue_timetable(
    given: Any, opens: datetime, closes: datetime, time_zone: str
) -> dict[str, dict[str, str]] | None:
    """The re-issue timetable by channel: for each channel named, the last moment a lost
    code may be re-issued by it. A value is a day (``2026-12-04``: re-issue by that channel
    ends at the end of that day in the election's time zone) or a time with its UTC offset;
    a channel not named may re-issue until the close. Stored as ``{"post": {"last": as
    given, "until": the instant re-issue stops}}``; None when there is no timetable."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if given in (None, "", {}):
        return None
    if not isinstance(given, Mapping):
        raise ServiceError(
            'reissue_timetable: expected an object such as {"post": "2026-12-04", '
            f'"email": "2026-12-09T12:00:00+00:00"}}, found {given!r}'
        )
    unknown = sorted(set(map(str, given)) - set(CHANNELS))
    if unknown:
        raise ServiceError(
            f"reissue_timetable: no channel {', '.join(map(repr, unknown))}; expected email or post"
        )
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(
            f"time_zone: {time_zone!r} is not a time zone; expected a name such as Europe/London"
        ) from None
    out: dict[str, dict[str, str]] = {}
    for channel, value in given.items():
        if value in (None, ""):
            continue
        text = str(value).strip()
        what = f"reissue_timetable, {channel}"
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is not None:
            # the end of the last day: midnight at its start of the next day, there
            until = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        else:
            until = _time(text, what)
        if until <= opens:
            raise ServiceError(f"{what}: {text} is before the election opens ({iso(opens)})")
        if until > closes:
            raise ServiceError(
                f"{what}: {text} ends after the close ({iso(closes)}); leave the channel out "
                "to re-issue by it until the close"
            )
        out[channel] = {"last": text, "until": iso(until)}
    return out or None


def reissue_until(e: Any, channel: str) -> str:
    """The instant re-issue by ``channel`` stops: the timetable's, or the close."""
    timetable = e.reissue_timetable or {}
    return str(timetable.get(channel, {}).get("until") or e.closes_at)


def _trial_count(contest: Mapping[str, Any]) -> None:
    """Count one paper (every candidate, in the order entered) under the contest's rule,
    options and constraints, so that a rule, option or constraint the library refuses is
    refused now, when the election is made, not at the close."""
    try:
        profile = profile_of(contest, [_trial_paper(contest)])
        tallyroom.count(profile, contest["rule_id"], **_count_options(contest))
    except (TallyroomError, TypeError, ValueError) as err:
        raise ServiceError(f"contest {contest['title']!r} cannot be counted: {err}") from None


def _trial_paper(contest: Mapping[str, Any]) -> Any:
    """A valid paper of the contest: every candidate in the order entered."""
    n = len(contest["candidates"])
    if contest["ballot_type"] == "ranked":
        return {str(i): i + 1 for i in range(n)}
    if contest["ballot_type"] == "yesno":
        return [0]
    return list(range(min(n, contest["max_marks"] or n)))


def _count_options(contest: Mapping[str, Any]) -> dict[str, Any]:
    options = {k: v for k, v in contest["options"].items() if k != "ballot_rules"}
    if contest["constraints"]:
        options["constraints"] = list(contest["constraints"])
    return options


def elections(svc: Service, actor: Mapping[str, Any]) -> list[dict[str, Any]]:
    with svc.engine.begin() as conn:
        rows = conn.execute(
            select(schema.election)
            .where(schema.election.c.organisation_id == actor["organisation_id"])
            .order_by(schema.election.c.opens_at)
        )
        return [_public_election(r) for r in rows]


def _public_election(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d.pop("key")
    return d


def election_info(svc: Service, actor: Mapping[str, Any], election_id: str) -> dict[str, Any]:
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        info = _public_election(e)
        info["contests"] = _contests(conn, election_id)
        info["turnout"] = _turnout(conn, election_id)
        info["reissue_until"] = {c: reissue_until(e, c) for c in CHANNELS}
        info["organisation"] = conn.execute(
            select(schema.organisation.c.name).where(schema.organisation.c.id == e.organisation_id)
        ).scalar_one()
    return info


def _contests(conn: Connection, election_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(schema.contest)
        .where(schema.contest.c.election_id == election_id)
        .order_by(schema.contest.c.position)
    )
    return [dict(r._mapping) for r in rows]


# -- the roll -------------------------------------------------------------------------------------
ROLL_FIELDS = (
    "number", "name", "email", "address", "joined_on", "paid_until",
    "status", "section", "region", "birth_date", "weight",
)  # fmt: skip
_DATE_FIELDS = ("joined_on", "paid_until", "birth_date")
#: a vote weight as the roll writes it: a whole number of votes, up to 999,999,999 (so that
#: a roll of millions sums far inside the library's 64-bit fast paths). Whole numbers only:
#: a paper of weight w is then exactly w identical papers, which every rule book defines,
#: where a fractional paper is not (the Dail and Meek rules refuse one, and the Scottish
#: rule's fixed decimals did not balance its books with one in a trial: see
#: docs/service.md, "Vote weights")
_WEIGHT = re.compile(r"[0-9]{1,9}")


def parse_weight(text: str) -> Fraction:
    """A roll's weight, exactly; ValueError says why not."""
    if _WEIGHT.fullmatch(text) is None:
        raise ValueError(
            f"{text!r} is not a weight; expected a whole number of votes, 1 to 999999999"
        )
    w = Fraction(int(text))
    if w == 0:
        raise ValueError(
            "a weight of 0; leave a member who may not vote off the roll, or exclude them by a rule"
        )
    return w


def weight_text(w: Fraction) -> str:
    """A weight's canonical text: ``"3"`` (for ``"003"``)."""
    if w.denominator != 1:
        raise ValueError(f"weight {w}: expected a whole number")
    return str(w.numerator)


def weight_of(text: str | None) -> int | Fraction:
    """A stored weight (null: 1) as the library's exact weight."""
    if text is None:
        return 1
    w = parse_weight(text)
    return int(w) if w.denominator == 1 else w


def import_roll(
    svc: Service,
    actor: dict[str, Any],
    election_id: str,
    text: str,
    mapping: Mapping[str, str] | None = None,
    name: str = "roll.csv",
) -> dict[str, Any]:
    """Replace the election's roll with a CSV. ``mapping`` names, for each roll field, the
    file's column (the field's own name by default). Any bad row refuses the whole file,
    with every bad row listed: a roll is never half imported."""
    _require(actor, MANAGERS)
    unknown = sorted(set(mapping or {}) - set(ROLL_FIELDS))
    if unknown:
        raise RollError(
            name, [f"mapping: no roll field {', '.join(unknown)}; fields: {', '.join(ROLL_FIELDS)}"]
        )
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        weighted = bool(e.weighted)
        used = {"weight"} if weighted else set()
        used |= {_RULE_FIELD[r["rule"]] for r in e.eligibility} | {
            _RULE_FIELD[r["rule"]]
            for c in _contests(conn, election_id)
            for r in rules.normalise(c["electorate"], "electorate")
        }
    explicit = set(mapping or {})
    mapping = {f: (mapping or {}).get(f, f) for f in ROLL_FIELDS}
    reader = csv.DictReader(_lines(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as err:
        raise RollError(name, [f"line 1: {err}"]) from None
    # a column the roll needs (number, name, any the rules read) or one the mapping names
    # must be there: a missing column would otherwise exclude everyone, or no one, quietly
    for f in ROLL_FIELDS:
        if mapping[f] not in header and (f in ("number", "name") or f in used or f in explicit):
            why = (
                "the member's " + f
                if f in ("number", "name") or f in explicit
                else "the member's vote weight, which this weighted election reads"
                if f == "weight"
                else f"{f}, which the eligibility rules or a contest's electorate read"
            )
            raise RollError(
                name,
                [
                    f"line 1: no column {mapping[f]!r} for {why}; "
                    f"found {', '.join(header) or 'no header'}"
                ],
            )
    # two passes over the text, so that a million-row roll is never a million dicts in
    # memory: the first checks every row (any error refuses the file), the second writes
    # the rows a batch at a time in one transaction
    errors: list[str] = []
    for _row in _roll_rows(reader, header, mapping, weighted, errors):
        pass
    if errors:
        raise RollError(name, errors)
    imported, eligible, emails, excluded = 0, 0, Counter[str](), Counter[str]()
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        if e.state != "draft":
            raise ServiceError("the roll is frozen: the election has opened")
        conn.execute(schema.member.delete().where(schema.member.c.election_id == election_id))
        batch: list[dict[str, Any]] = []
        again = csv.DictReader(_lines(text))
        for row in _roll_rows(again, header, mapping, weighted, errors):
            failed = rules.failed(row, e.eligibility)
            row.update(
                id=new_id(), election_id=election_id, eligible=not failed, excluded_by=failed
            )
            imported += 1
            excluded.update(failed)
            if not failed:
                eligible += 1
                if row["email"]:
                    emails[_email_key(row["email"])] += 1
            batch.append(row)
            if len(batch) == _ROLL_BATCH:
                conn.execute(schema.member.insert(), batch)
                batch = []
        assert not errors, errors  # the same text, checked above
        if batch:
            conn.execute(schema.member.insert(), batch)
        _audit(
            conn,
            actor["organisation_id"],
            actor["email"],
            "roll imported",
            {
                "election": election_id,
                "rows": imported,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
        )
    by_email = sum(1 for n in emails.values() if n == 1)  # the rule of `_channels`
    channels = {"email": by_email, "post": eligible - by_email}
    return {
        "imported": imported,
        "eligible": eligible,
        "excluded_by_rule": dict(excluded),
        "channels": {k: n for k, n in channels.items() if n},
    }


#: rows written to the roll per statement
_ROLL_BATCH = 5_000


def _roll_rows(
    reader: csv.DictReader[str],
    header: Sequence[str],
    mapping: Mapping[str, str],
    weighted: bool,
    errors: list[str],
) -> Iterator[dict[str, Any]]:
    """The roll's rows as the member table stores them (without ids and eligibility), each
    checked: what is wrong with a row goes into ``errors``, naming its line and column."""
    seen: set[str] = set()
    lines = iter(enumerate(reader, start=2))
    while True:
        try:
            line, raw = next(lines)
        except StopIteration:
            break
        except csv.Error as err:
            errors.append(f"line {reader.line_num}: {err}")
            break
        if None in raw:
            errors.append(f"line {line}: more cells than the header has columns")
            continue
        row: dict[str, Any] = {}
        for f in ROLL_FIELDS:
            value = (raw.get(mapping[f]) or "").strip() if mapping[f] in header else ""
            row[f] = value or None
        if not row["number"]:
            errors.append(f"line {line}: no member number")
            continue
        if row["number"] in seen:
            errors.append(f"line {line}: member number {row['number']} appears twice")
            continue
        seen.add(row["number"])
        if not row["name"]:
            errors.append(f"line {line}: member {row['number']} has no name")
        for f in _DATE_FIELDS:
            if row[f]:
                try:
                    date.fromisoformat(row[f])
                except ValueError:
                    errors.append(
                        f"line {line}, column {mapping[f]}: {row[f]!r} is not a date (YYYY-MM-DD)"
                    )
        if row["weight"] or weighted:
            where = f"line {line}, column {mapping['weight']}"
            try:
                if not row["weight"]:
                    raise ValueError(f"member {row['number']} has no weight")
                w = parse_weight(row["weight"])
            except ValueError as err:
                errors.append(f"{where}: {err}")
            else:
                if not weighted and w != 1:
                    errors.append(
                        f"{where}: weight {row['weight']}, but this election gives every "
                        "member one vote (create it with weighted votes to use the weights)"
                    )
                # stored only in a weighted election, where every member has one
                row["weight"] = weight_text(w) if weighted else None
        if row["email"] and "@" not in row["email"]:
            errors.append(
                f"line {line}, column {mapping['email']}: {row['email']!r} is not an email address"
            )
        yield row


def _lines(text: str) -> Iterator[str]:
    """The text's lines (each with its newline), as ``io.StringIO(text)`` gives them but
    without its copy of the whole text (four bytes a character: 1 GB for a 1 M-row roll)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def _email_key(email: str) -> str:
    return email.strip().lower()


def _channels(eligible: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Member id (or number) -> "email" or "post": email only where the member has an
    address that no other eligible member shares (a shared address cannot carry a secret
    code); the comparison ignores case and surrounding space."""
    emails = Counter(_email_key(m["email"]) for m in eligible if m["email"])
    return {
        m.get("id") or m["number"]: (
            "email" if m["email"] and emails[_email_key(m["email"])] == 1 else "post"
        )
        for m in eligible
    }


_RULE_FIELD = {
    "joined_by": "joined_on",
    "paid_up_at": "paid_until",
    "status": "status",
    "section": "section",
    "region": "region",
    "age_at_least": "birth_date",
    "age_under": "birth_date",
}


def _receives(member: Mapping[str, Any], electorate: Any) -> bool:
    """The ballot style: whether a member receives a contest (every rule of its
    electorate passed; no electorate: every eligible member)."""
    return not rules.failed(member, rules.normalise(electorate, "electorate"))


def _roll_sha256(members: Sequence[Mapping[str, Any]]) -> str:
    """Canonical: one JSON line per member (sorted keys), sorted by member number."""
    h = hashlib.sha256()
    for m in sorted(members, key=lambda m: m["number"]):
        # the weight only where the roll has one, so an unweighted roll hashes as before
        line = {f: m[f] for f in ROLL_FIELDS if f != "weight" or m.get("weight") is not None}
        line["eligible"] = bool(m["eligible"])
        h.update(json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    return h.hexdigest()


# -- opening: freeze the roll, make the slots and the codes ------------------------------------------
@_changes_election
def open_election(svc: Service, actor: Mapping[str, Any], election_id: str) -> dict[str, Any]:
    _require(actor, MANAGERS)
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        cert = _open(conn, e, actor["email"])
    return cert


def _open(conn: Connection, e: Any, actor: str) -> dict[str, Any]:
    if e.state != "draft":
        raise ServiceError(f"the election is {e.state}, not a draft")
    members = [
        dict(r._mapping)
        for r in conn.execute(select(schema.member).where(schema.member.c.election_id == e.id))
    ]
    eligible = [m for m in members if m["eligible"]]
    if not eligible:
        raise ServiceError("nobody on the roll is eligible")
    contests = _contests(conn, e.id)
    # an address that two eligible members share cannot carry a secret code: post instead
    channels = _channels(eligible)
    slots = []
    for m in eligible:
        channel = channels[m["id"]]
        style = [c["id"] for c in contests if _receives(m, c["electorate"])]
        if not style:
            continue
        slot_id = new_id()
        slots.append(
            {
                "id": slot_id,
                "election_id": e.id,
                "member_id": m["id"],
                "code_hmac": codes.lookup(e.key, codes.derive(e.key, slot_id, 1)),
                "issue": 1,
                "channel": channel,
                "contests": style,
                "voted": False,
                "weight": m["weight"] if e.weighted else None,
            }
        )
    weights: Counter[str] = Counter(s["weight"] for s in slots if s["weight"] is not None)
    if e.weighted:
        _check_weights(conn, e, contests, slots)
    conn.execute(schema.slot.insert(), slots)
    cert = {
        "roll_sha256": _roll_sha256(members),
        "members": len(members),
        "eligible": len(eligible),
        "slots": len(slots),
        "excluded_by_rule": dict(Counter(r for m in members for r in m["excluded_by"])),
        "channels": dict(Counter(s["channel"] for s in slots)),
        "shared_email_sent_by_post": sum(
            1 for m in eligible if m["email"] and channels[m["id"]] == "post"
        ),
        "frozen_at": iso(now()),
    }
    if e.weighted:
        cert["weights"] = {
            "total": weight_text(
                sum((parse_weight(w) * n for w, n in weights.items()), Fraction())
            ),
            "slots_by_weight": dict(sorted(weights.items(), key=lambda x: parse_weight(x[0]))),
            # a weight that one member alone holds marks that member's ballot in the box
            "slots_with_a_weight_no_other_holds": sum(1 for n in weights.values() if n == 1),
        }
    conn.execute(
        update(schema.election)
        .where(schema.election.c.id == e.id)
        .values(state="open", roll_sha256=cert["roll_sha256"], roll_certificate=cert)
    )
    # the first codes' mail, queued in one statement (a draft has no mail jobs yet: the
    # keys are new); a restart finds them in the job table and sends each once more at most
    at = iso(now())
    mail_jobs = [
        {
            "key": f"mail:{s['id']}:1:code",
            "kind": "mail",
            "payload": {"election": e.id, "slot": s["id"], "issue": 1, "kind": "code"},
            "run_after": at,
            "done": False,
            "attempts": 0,
        }
        for s in slots
        if s["channel"] == "email"
    ]
    if mail_jobs:
        conn.execute(schema.job.insert(), mail_jobs)
    _job(conn, f"close:{e.id}:{e.closes_at}", "close", {"election": e.id}, parse_time(e.closes_at))
    _audit(
        conn,
        e.organisation_id,
        actor,
        "election opened",
        {"election": e.id, "roll_sha256": cert["roll_sha256"], "eligible": cert["eligible"]},
    )
    return cert


def _check_weights(
    conn: Connection, e: Any, contests: Sequence[Mapping[str, Any]], slots: Sequence[Any]
) -> None:
    """Refuse to open a weighted election that cannot be counted with its weights: a sealed
    box (it opens one unweighted paper per voter), or a count the library refuses with the
    roll's total weight; found now, by a trial count, not at the close."""
    from tallyroom.service.sealed import sealed_election

    if conn.execute(
        select(sealed_election.c.election_id).where(sealed_election.c.election_id == e.id)
    ).first():
        raise ServiceError(
            "a sealed election cannot carry vote weights: the sealed box opens one paper "
            "per voter, unweighted; create the election without weights, or unsealed"
        )
    for c in contests:
        total = sum((weight_of(s["weight"]) for s in slots if c["id"] in s["contests"]), 0)
        if not total:
            continue
        try:
            # every weight of the contest's voters on one paper: the largest total the count
            # can meet
            profile = profile_of(c, [_trial_paper(c)], weights=[total])
            tallyroom.count(profile, c["rule_id"], **_count_options(c))
        except (TallyroomError, TypeError, ValueError) as err:
            raise ServiceError(
                f"contest {c['title']!r} cannot be counted with the roll's weights: {err}"
            ) from None


# -- voters ---------------------------------------------------------------------------------------
def voters_view(svc: Service, election_id: str) -> dict[str, Any]:
    """`public_election` without the turnout, as the voter's journey shows it: read at most
    once every ``svc.view_max_age`` seconds in this process (and again at once after a
    change made here). A page shown from it may be that old; what it leads to is not: the
    code, the ballot and the cast each check the election in the database."""
    hit = fresh_voters_view(svc, election_id)
    if hit is not None:
        return hit
    info = public_election(svc, election_id, turnout=False)
    svc._views[election_id] = (time.monotonic(), info)
    return _copy(info)


def fresh_voters_view(svc: Service, election_id: str) -> dict[str, Any] | None:
    """The voter's view if this process has a fresh one, without touching the database
    (so an async page can skip a worker thread); else ``None``."""
    hit = svc._views.get(election_id)
    if hit is None or time.monotonic() - hit[0] >= svc.view_max_age:
        return None
    return _copy(hit[1])


def _copy(info: dict[str, Any]) -> dict[str, Any]:
    # a copy of each contest: a page may add to it (the voter's candidate order)
    return info | {"contests": [dict(c) for c in info["contests"]]}


def public_election(svc: Service, election_id: str, turnout: bool = True) -> dict[str, Any]:
    """What a voter may see of an election (no key, no roll). ``turnout=False`` leaves out
    the turnout, a count over the whole roll that the pages of the voter's journey do not
    show (with a large roll it cost more than the rest of the cast)."""
    with reading(svc.engine) as conn:
        e = conn.execute(select(schema.election).where(schema.election.c.id == election_id)).first()
        if e is None:
            raise NotFound("no such election")
        info = _public_election(e)
        fixed = svc._fixed.get(election_id)
        if fixed is None:
            fixed = (
                [c | {"options_shown": options_in_words(c)} for c in _contests(conn, election_id)],
                conn.execute(
                    select(schema.organisation.c.name).where(
                        schema.organisation.c.id == e.organisation_id
                    )
                ).scalar_one(),
            )
            if len(svc._fixed) >= 1024:  # a bound, not a policy: any entry may go
                svc._fixed.pop(next(iter(svc._fixed)), None)
            svc._fixed[election_id] = fixed
        # a copy of each contest: a page may add to it (the voter's candidate order)
        info["contests"] = [dict(c) for c in fixed[0]]
        info["organisation"] = fixed[1]
        if e.state == "open" and turnout:
            info["turnout"] = _turnout(conn, election_id)
    return info


def public_turnout(svc: Service, election_id: str) -> dict[str, Any] | None:
    """The turnout the public pages show: counted over the whole roll at most once every
    ``svc.turnout_max_age`` seconds in this process, however many ask meanwhile (one count
    of a 100,000-slot roll costs tens of milliseconds; in the last hour before close every
    voter's notice page would ask for it). ``as_of`` says when it was counted. ``None``
    when the election is not open (the public pages show it only while open)."""
    with svc._turnout_lock:  # one count at a time: the others wait and take its answer
        hit = svc._turnout.get(election_id)
        if hit is not None and time.monotonic() - hit[0] < svc.turnout_max_age:
            return hit[1]
        with reading(svc.engine) as conn:
            state = conn.execute(
                select(schema.election.c.state).where(schema.election.c.id == election_id)
            ).scalar()
            if state is None:
                raise NotFound("no such election")
            counted = _turnout(conn, election_id) | {"as_of": iso(now())}
        value = counted if state == "open" else None
        svc._turnout[election_id] = (time.monotonic(), value)
        return value


def options_in_words(contest: Mapping[str, Any]) -> list[str]:
    """The contest's counting options as a voter reads them: ``quota = hare``, and the
    ballot rules as ``a ranked paper's overvote: skip``."""
    out = []
    for k, v in contest["options"].items():
        if k == "ballot_rules":
            continue
        shown = ", ".join(map(str, v)) if isinstance(v, list) else v
        shown = {True: "yes", False: "no"}.get(shown, shown) if isinstance(shown, bool) else shown
        out.append(f"{k.replace('_', ' ')} = {shown}")
    for k, v in contest["options"].get("ballot_rules", {}).items():
        out.append(f"a paper's {k.replace('_', ' ')}: {'none' if v is None else v}")
    return out


def _is_open(e: Any) -> bool:
    # the closing time is checked on every cast: voting stops at the minute even if the
    # close job runs late
    return e.state == "open" and now() < parse_time(e.closes_at)


def enter_code(svc: Service, election_id: str, typed: str) -> dict[str, Any]:
    """The slot a code opens (its id and contests), or a refusal that does not say
    whether the code exists."""
    code = codes.normalise(typed)
    if code is None:
        raise ServiceError("that is not a voting code: check each character and try again")
    with reading(svc.engine) as conn:
        e = conn.execute(select(schema.election).where(schema.election.c.id == election_id)).first()
        if e is None:
            raise NotFound("no such election")
        if not _is_open(e):
            raise NotOpen("voting is not open")
        s = conn.execute(
            select(schema.slot).where(
                schema.slot.c.code_hmac == codes.lookup(e.key, code),
                schema.slot.c.election_id == election_id,
            )
        ).first()
    if s is None:
        raise ServiceError("that code is not valid for this election")
    if s.voted:
        raise AlreadyVoted("a ballot has already been cast with this code")
    # the weight the voter's paper carries (a weighted election only): the ballot says so
    return {"slot": s.id, "issue": s.issue, "contests": list(s.contests), "weight": s.weight}


def cast(
    svc: Service,
    election_id: str,
    slot_id: str,
    issue: int,
    papers: Mapping[str, Any],
    channel: str = "online",
) -> str:
    """Cast one paper; return its tracking code. The slot is marked voted and the ballot
    put in the box in one transaction; the conditional update is what allows one ballot
    per slot (a concurrent second cast updates no row and is refused)."""
    with svc.engine.begin() as conn:
        e = conn.execute(select(schema.election).where(schema.election.c.id == election_id)).first()
        if e is None or not _is_open(e):
            raise NotOpen("voting is not open")
        s = conn.execute(
            select(schema.slot.c.contests, schema.slot.c.weight).where(
                schema.slot.c.id == slot_id, schema.slot.c.election_id == election_id
            )
        ).first()
        if s is None or set(papers) - set(s.contests):
            raise ServiceError("this paper holds a contest the voter does not receive")
        marked = conn.execute(
            update(schema.slot)
            .where(
                schema.slot.c.id == slot_id,
                schema.slot.c.voted.is_(False),
                schema.slot.c.issue == issue,
            )
            .values(voted=True, voted_channel=channel, voted_day=now().date().isoformat())
        ).rowcount
        if marked != 1:
            raise AlreadyVoted("a ballot has already been cast with this code")
        paper = {c: papers.get(c) for c in s.contests}
        if s.weight is None:
            return svc.box.cast(conn, paper, channel=channel)
        # the weight goes into the box with the paper (never the slot, the member or a time)
        return svc.box.cast(conn, paper, channel=channel, weight=s.weight)


def validate_paper(contest: Mapping[str, Any], form: Mapping[str, str]) -> tuple[Any, list[str]]:
    """The marks a form gives for one contest, and the problems with the form's fields
    (a number that is not one, out of range): those are sent back, never stored."""
    n = len(contest["candidates"])
    cid = contest["id"]
    problems = []
    if contest["ballot_type"] == "ranked":
        marks: dict[str, int] = {}
        for i in range(n):
            v = form.get(f"c-{cid}-{i}", "").strip()
            if not v:
                continue
            # ASCII digits only: "²" is a digit to str.isdigit but not to int()
            if not (v.isascii() and v.isdigit() and len(v) <= 6) or not 1 <= int(v) <= n:
                problems.append(
                    f"{contest['candidates'][i]['name']}: write a number from 1 to {n}, or leave blank"
                )
            else:
                marks[str(i)] = int(v)
        return marks, problems
    if contest["ballot_type"] == "yesno":
        v = form.get(f"c-{cid}", "")
        return ([int(v)] if v in ("0", "1") else []), problems
    return sorted(
        int(v[len(f"c-{cid}-") :])
        for v in form
        if v.startswith(f"c-{cid}-")
        and v[len(f"c-{cid}-") :].isascii()
        and v[len(f"c-{cid}-") :].isdigit()
        and len(v) - len(f"c-{cid}-") <= 6
        and int(v[len(f"c-{cid}-") :]) < n
    ), problems


def _ranked_marks(marks: Mapping[str, int]) -> tuple[Any, ...]:
    by_number: dict[int, list[int]] = {}
    for i, k in marks.items():
        by_number.setdefault(k, []).append(int(i))
    top = max(by_number, default=0)
    return tuple(
        None
        if k not in by_number
        else (by_number[k][0] if len(by_number[k]) == 1 else tuple(sorted(by_number[k])))
        for k in range(1, top + 1)
    )


def _ballot_rules(contest: Mapping[str, Any]) -> BallotRules:
    return BallotRules(**contest["options"].get("ballot_rules", {}))


def explain(contest: Mapping[str, Any], marks: Any) -> list[str]:
    """What the paper will count for, in plain words, under the contest's ballot rules
    (worked out by the library's own reading of the marks)."""
    names = [c["name"] for c in contest["candidates"]]
    kind = contest["ballot_type"]
    if kind == "ranked":
        raw = _ranked_marks(marks or {})
        p = Profile.from_marks(_election_of(contest), {raw: 1}, _ballot_rules(contest))
        notes = []
        numbers = Counter((marks or {}).values())
        for k in sorted(numbers):
            if numbers[k] > 1:
                notes.append(f"You gave {numbers[k]} candidates the number {k}.")
        missing = [k for k in range(1, max(numbers, default=0)) if k not in numbers]
        if missing:
            notes.append("You did not use the number " + ", ".join(map(str, missing)) + ".")
        if p.invalid:
            reason = next(iter(p.invalid))
            return notes + [f"This paper will not count for any candidate ({reason})."]
        counted = [names[i] for i in p.ballots[0]]
        used = sum(numbers.values())
        lines = notes + [
            "Your vote counts for, in this order: "
            + ", ".join(f"{j}. {n}" for j, n in enumerate(counted, 1))
        ]
        if len(counted) < used:
            lines.append(f"Only {len(counted)} of your {used} preferences will count.")
        return lines
    chosen = [names[i] for i in marks or []]
    limit = contest["max_marks"] or (1 if kind == "yesno" else len(names))
    if not chosen:
        return ["You have marked nothing: this paper will count for no one (a blank paper)."]
    if len(chosen) > limit:
        return [
            f"You marked {len(chosen)} but may mark at most {limit}: this paper will not count."
        ]
    return ["Your vote counts for: " + ", ".join(chosen) + "."]


def _election_of(contest: Mapping[str, Any], title: str = "") -> Election:
    return Election(
        candidates=tuple(
            Candidate(c["name"], c.get("attributes", {})) for c in contest["candidates"]
        ),
        seats=contest["seats"],
        title=title or contest["title"],
        office=contest["title"],
    )


def _turnout(conn: Connection, election_id: str) -> dict[str, Any]:
    rows = conn.execute(
        select(
            schema.slot.c.channel, schema.slot.c.voted, schema.slot.c.voted_channel, func.count()
        )
        .where(schema.slot.c.election_id == election_id)
        .group_by(schema.slot.c.channel, schema.slot.c.voted, schema.slot.c.voted_channel)
    ).all()
    distributed: Counter[str] = Counter()
    returned: Counter[str] = Counter()
    means: Counter[str] = Counter()
    for channel, voted, voted_channel, n in rows:
        distributed[channel] += n
        if voted:
            returned[channel] += n
            means[voted_channel] += n
    return {
        "slots": sum(distributed.values()),
        "voted": sum(returned.values()),
        # by the channel that carried the voting paper (the code): email or post
        "distributed_by_channel": dict(distributed),
        "returned_by_channel": dict(returned),
        # and how the ballot itself came back (online, for now)
        "returned_by_means": dict(means),
    }


# -- re-issue and reminders --------------------------------------------------------------------------
def reissue(
    svc: Service,
    actor: Mapping[str, Any],
    election_id: str,
    member_number: str,
    channel: str | None = None,
) -> str:
    """Revoke the member's code and issue a new one for the same slot, by the slot's
    channel or by ``channel`` ("post" for a bounced or lost email; "email" only to an
    address that no other eligible member shares). Refused once the member has voted, and
    after the election's re-issue timetable for the channel (the refusal is logged, for
    the scrutineer's report). Returns the channel the new code goes by."""
    _require(actor, MANAGERS)
    if channel not in (None, "", "email", "post"):
        raise ServiceError(f"channel {channel!r}: expected email or post")
    late = _reissue(svc, actor, election_id, member_number, channel)
    if isinstance(late, ServiceError):
        raise late
    return late


def _reissue(
    svc: Service,
    actor: Mapping[str, Any],
    election_id: str,
    member_number: str,
    channel: str | None,
) -> str | ServiceError:
    """The re-issue, or the refusal after the timetable (returned, not raised, so that the
    refusal's audit entry is committed)."""
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        if not _is_open(e):
            raise NotOpen("voting is not open")
        row = conn.execute(
            select(schema.slot, schema.member.c.email)
            .join(schema.member, schema.member.c.id == schema.slot.c.member_id)
            .where(
                schema.member.c.election_id == election_id, schema.member.c.number == member_number
            )
        ).first()
        if row is None:
            raise NotFound(f"member {member_number} has no voting slot")
        if row.voted:
            raise AlreadyVoted(f"member {member_number} has voted")
        way = channel or row.channel
        until = reissue_until(e, way)
        if now() >= parse_time(until):
            others = [c for c in CHANNELS if c != way and now() < parse_time(reissue_until(e, c))]
            _audit(
                conn,
                e.organisation_id,
                actor["email"],
                "re-issue refused",
                {
                    "election": e.id,
                    "member": member_number,
                    "channel": way,
                    "reason": "after the re-issue timetable",
                    "until": until,
                },
            )
            from tallyroom.service.mail import when

            return ServiceError(
                f"re-issue by {way} closed at {when(until, e.time_zone)} under the election's "
                "timetable"
                + "".join(
                    f"; by {c} it is open until {when(reissue_until(e, c), e.time_zone)}"
                    for c in others
                )
            )
        if way == "email" and row.channel != "email":
            shared = (
                conn.execute(
                    select(func.count())
                    .select_from(schema.member)
                    .where(
                        schema.member.c.election_id == election_id,
                        schema.member.c.eligible.is_(True),
                        func.lower(func.trim(schema.member.c.email))
                        == (row.email or "").strip().lower(),
                    )
                ).scalar_one()
                if row.email
                else 0
            )
            if shared != 1:
                raise ServiceError(
                    f"member {member_number} has no email address of their own: send by post"
                )
        issue = row.issue + 1
        conn.execute(
            update(schema.slot)
            .where(schema.slot.c.id == row.id)
            .values(
                issue=issue,
                channel=way,
                code_hmac=codes.lookup(e.key, codes.derive(e.key, row.id, issue)),
            )
        )
        if way == "email":
            _job(
                conn,
                f"mail:{row.id}:{issue}:code",
                "mail",
                {"election": e.id, "slot": row.id, "issue": issue, "kind": "code"},
                now(),
            )
        _audit(
            conn,
            e.organisation_id,
            actor["email"],
            "code re-issued",
            {"election": e.id, "member": member_number, "issue": issue, "channel": way},
        )
    return way


def remind(svc: Service, actor: Mapping[str, Any], election_id: str) -> int:
    """Queue a reminder (with the current code) to every email voter who has not voted."""
    _require(actor, MANAGERS)
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        rows = conn.execute(
            select(schema.slot.c.id, schema.slot.c.issue).where(
                schema.slot.c.election_id == election_id,
                schema.slot.c.voted.is_(False),
                schema.slot.c.channel == "email",
            )
        ).all()
        n = sum(
            _job(
                conn,
                f"mail:{r.id}:{r.issue}:reminder:{iso(now())[:10]}",
                "mail",
                {"election": e.id, "slot": r.id, "issue": r.issue, "kind": "reminder"},
                now(),
            )
            for r in rows
        )
        _audit(
            conn,
            e.organisation_id,
            actor["email"],
            "reminders queued",
            {"election": e.id, "count": n},
        )
    return n


@_changes_election
def extend(
    svc: Service, actor: Mapping[str, Any], election_id: str, closes_at: str, reason: str
) -> None:
    _require(actor, MANAGERS)
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        new = _time(closes_at, "the new closing time")
        if e.state != "open" or new <= parse_time(e.closes_at):
            raise ServiceError("only an open election's closing time can be put later")
        conn.execute(
            update(schema.election).where(schema.election.c.id == e.id).values(closes_at=iso(new))
        )
        conn.execute(
            update(schema.job)
            .where(schema.job.c.key == f"close:{e.id}:{e.closes_at}")
            .values(done=True, error="superseded by an extension")
        )
        _job(conn, f"close:{e.id}:{iso(new)}", "close", {"election": e.id}, new)
        conn.execute(
            schema.incident.insert().values(
                election_id=e.id,
                at=iso(now()),
                kind="extension",
                text=f"closing time moved from {e.closes_at} to {iso(new)}: {reason}",
            )
        )
        _audit(
            conn,
            e.organisation_id,
            actor["email"],
            "closing extended",
            {"election": e.id, "from": e.closes_at, "to": iso(new), "reason": reason},
        )


# -- closing and counting -----------------------------------------------------------------------------
@_changes_election
def close_election(svc: Service, actor: Mapping[str, Any] | None, election_id: str) -> None:
    """Close (by the clock when ``actor`` is None, or by hand: an early close is logged as
    an incident) and count."""
    with svc.engine.begin() as conn:
        if actor is not None:
            _require(actor, MANAGERS)
            e = _election(conn, actor, election_id)
        else:
            e = conn.execute(
                select(schema.election).where(schema.election.c.id == election_id)
            ).one()
        if e.state != "open":
            return
        early = now() < parse_time(e.closes_at)
        conn.execute(
            update(schema.election).where(schema.election.c.id == e.id).values(state="closed")
        )
        if actor is not None and early:
            conn.execute(
                schema.incident.insert().values(
                    election_id=e.id,
                    at=iso(now()),
                    kind="early close",
                    text=f"closed by {actor['email']} before the closing time {e.closes_at}",
                )
            )
        _audit(
            conn,
            e.organisation_id,
            actor["email"] if actor else "the clock",
            "election closed",
            {"election": e.id},
        )
        # the count job is the fallback should the process die before the count below
        _job(conn, f"count:{e.id}", "count", {"election": e.id}, now())
    _count(svc, election_id)


@_changes_election
def _count(svc: Service, election_id: str) -> None:
    from tallyroom.ballots.formats import write
    from tallyroom.reports import render

    with svc.engine.begin() as conn:
        e = conn.execute(select(schema.election).where(schema.election.c.id == election_id)).one()
        if e.state != "closed" or not svc.box.prepare_opening(conn, election_id):
            return  # a sealed box waits for its mix and trustees (tallyroom.service.sealed)
        org = conn.execute(
            select(schema.organisation.c.name).where(schema.organisation.c.id == e.organisation_id)
        ).scalar_one()
        for c in _contests(conn, election_id):
            if e.weighted:
                pairs = svc.box.opened_weighted(conn, c["id"])
                papers, weights = [p for p, _ in pairs], [weight_of(w) for _, w in pairs]
            else:
                papers, weights = svc.box.opened(conn, c["id"]), None
            profile = profile_of(c, papers, e.title, org, e.closes_at[:10], weights=weights)
            record = tallyroom.count(profile, c["rule_id"], **_count_options(c))
            files = {}
            for fmt in ("blt", "csv"):
                buf = io.StringIO()
                try:
                    write(profile, buf, fmt)
                    files[fmt] = buf.getvalue()
                except TallyroomError as err:
                    files[fmt] = f"# {err}\n"
            conn.execute(
                schema.result.insert().values(
                    contest_id=c["id"],
                    record_json=render([record], "json"),
                    html=render([record], "html"),
                    blt=files["blt"],
                    csv=files["csv"],
                )
            )
        published = now()
        conn.execute(
            update(schema.election)
            .where(schema.election.c.id == e.id)
            .values(state="counted", published_at=iso(published))
        )
        _audit(conn, e.organisation_id, "the service", "result published", {"election": e.id})
        _job(
            conn,
            f"purge:{e.id}",
            "purge",
            {"election": e.id},
            published + timedelta(days=e.retention_days),
        )


def profile_of(
    contest: Mapping[str, Any],
    ballots: Sequence[Any],
    title: str = "",
    organisation: str = "",
    day: str = "",
    weights: Sequence[int | Fraction] | None = None,
) -> Profile:
    """The contest's papers as a tallyroom Profile, read under its ballot rules; each paper
    counts ``weights[i]`` (exactly: whole numbers or Fractions) in a weighted election, 1
    otherwise."""
    ws: Sequence[int | Fraction] = weights if weights is not None else [1] * len(ballots)
    election = Election(
        candidates=tuple(
            Candidate(c["name"], c.get("attributes", {})) for c in contest["candidates"]
        ),
        seats=contest["seats"],
        title=title or contest["title"],
        organisation=organisation,
        office=contest["title"],
        date=day,
    )
    if contest["ballot_type"] in ("ranked", "yesno"):
        raw: dict[tuple[Any, ...], int | Fraction] = {}
        for b, w in zip(ballots, ws, strict=True):
            key = _ranked_marks(b) if contest["ballot_type"] == "ranked" else tuple(b or ())
            raw[key] = raw.get(key, 0) + w
        return Profile.from_marks(
            election, dict(raw), _ballot_rules(contest), source=contest["title"]
        )
    limit = contest["max_marks"] or len(contest["candidates"])
    invalid: dict[str, int | Fraction] = {}
    papers: dict[tuple[int, ...], int | Fraction] = {}
    for b, w in zip(ballots, ws, strict=True):
        if not b:
            invalid["blank"] = invalid.get("blank", 0) + w
        elif len(b) > limit:
            why = "more marks than votes allowed"
            invalid[why] = invalid.get(why, 0) + w
        else:
            papers[tuple(sorted(b))] = papers.get(tuple(sorted(b)), 0) + w
    return Profile.build(
        election, papers.items(), kind="approval", invalid=dict(invalid), source=contest["title"]
    )


def result(svc: Service, election_id: str) -> list[dict[str, Any]]:
    """The published results (anyone may read them once counted)."""
    with svc.engine.begin() as conn:
        e = conn.execute(select(schema.election).where(schema.election.c.id == election_id)).first()
        if e is None or e.state not in ("counted", "purged"):
            raise NotFound("no published result")
        out = []
        for c in _contests(conn, election_id):
            r = conn.execute(
                select(schema.result).where(schema.result.c.contest_id == c["id"])
            ).one()
            rec = json.loads(r.record_json)
            out.append(
                c
                | dict(r._mapping)
                | {
                    "recount": recount_command(c),
                    "elected": rec.get("elected", []),
                    "valid": rec.get("valid"),
                    "invalid": rec.get("invalid", {}),
                }
            )
    return out


def candidates_csv(contest: Mapping[str, Any]) -> str:
    """The contest's candidates with their attributes, as ``tallyroom count --candidates``
    reads them (what a constraint such as ``gender=woman:min=4`` needs to recount)."""
    keys = sorted({k for c in contest["candidates"] for k in c.get("attributes", {})})
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["name", *keys])
    for c in contest["candidates"]:
        w.writerow([c["name"], *(c.get("attributes", {}).get(k, "") for k in keys)])
    return out.getvalue()


def recount_command(contest: Mapping[str, Any]) -> str:
    """The command that recounts the published ballots with the library's CLI."""
    cid = contest["id"]
    parts = ["tallyroom", "count", f"{cid}.blt", "--method", contest["rule_id"]]
    if contest["constraints"]:
        parts += ["--candidates", f"{cid}-candidates.csv"]
        for k in contest["constraints"]:
            parts += ["--constraint", k]
    for k, v in contest["options"].items():
        if k != "ballot_rules":
            # as --option reads them: a list of names with commas, true / false
            text = ",".join(map(str, v)) if isinstance(v, list | tuple) else v
            text = str(text).lower() if isinstance(text, bool) else text
            parts += ["--option", f"{k}={text}"]
    for k, v in contest["options"].get("ballot_rules", {}).items():
        if v is not None:
            parts += ["--" + k.replace("_", "-"), str(v)]
    return " ".join(f"'{p}'" if " " in p else p for p in parts)


# -- the scrutineer's report ---------------------------------------------------------------------------
def scrutineer_report(svc: Service, actor: Mapping[str, Any], election_id: str) -> dict[str, Any]:
    """What TULRCA 1992 s.52 asks a scrutineer's report to state, from the books."""
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        turnout = _turnout(conn, election_id)
        reissues = conn.execute(
            select(func.coalesce(func.sum(schema.slot.c.issue - 1), 0)).where(
                schema.slot.c.election_id == election_id
            )
        ).scalar_one()
        incidents = [
            dict(r._mapping)
            for r in conn.execute(
                select(schema.incident).where(schema.incident.c.election_id == election_id)
            )
        ]
        deliveries = conn.execute(
            select(schema.delivery.c.kind, schema.delivery.c.outcome, func.count())
            .where(schema.delivery.c.election_id == election_id)
            .group_by(schema.delivery.c.kind, schema.delivery.c.outcome)
        ).all()
        head = conn.execute(
            select(schema.audit.c.hash)
            .where(schema.audit.c.organisation_id == e.organisation_id)
            .order_by(schema.audit.c.seq.desc())
            .limit(1)
        ).scalar_one()
        ballots_in_box = conn.execute(
            select(func.count(func.distinct(schema.ballot.c.tracker))).where(
                schema.ballot.c.contest_id.in_([c["id"] for c in _contests(conn, election_id)])
            )
        ).scalar_one()
        contests = []
        if e.state in ("counted", "purged"):
            for c in _contests(conn, election_id):
                r = conn.execute(
                    select(schema.result.c.record_json).where(schema.result.c.contest_id == c["id"])
                ).scalar_one()
                rec = json.loads(r)
                contests.append(
                    {
                        "title": c["title"],
                        "rule": c["rule_id"],
                        "seats": c["seats"],
                        "papers": rec.get("ballots_read"),
                        "valid": rec.get("valid"),
                        "invalid_by_reason": rec.get("invalid", {}),
                        "elected": rec.get("elected", []),
                        "record": rec,
                    }
                )
        entries = [
            dict(r._mapping)
            for r in conn.execute(
                select(schema.audit.c.action, schema.audit.c.detail, schema.audit.c.at)
                .where(schema.audit.c.organisation_id == e.organisation_id)
                .order_by(schema.audit.c.seq)
            )
        ]
    mine = [x for x in entries if x["detail"].get("election") == election_id]
    reissued_by_channel = Counter(
        x["detail"].get("channel", "?") for x in mine if x["action"] == "code re-issued"
    )
    refused_by_channel = Counter(
        x["detail"].get("channel", "?") for x in mine if x["action"] == "re-issue refused"
    )
    sign_offs = [
        {"at": x["at"], **{k: v for k, v in x["detail"].items() if k != "election"}}
        for x in mine
        if x["action"] == "scrutineer signed off"
    ]
    body = {
        "election": {
            "id": e.id,
            "title": e.title,
            "rule_book": e.rule_book,
            "opens_at": e.opens_at,
            "closes_at": e.closes_at,
            "state": e.state,
            "weighted": bool(e.weighted),
        },
        "voting_papers_distributed_by_channel": turnout["distributed_by_channel"],
        "voting_papers_returned_by_channel": turnout["returned_by_channel"],
        "papers_in_ballot_box": ballots_in_box,
        "slots_marked_voted": turnout["voted"],
        "reissued_codes": int(reissues),
        "reissued_codes_by_channel": dict(reissued_by_channel),
        # the last moment a code could be re-issued, by channel (the close where the
        # timetable names none), and the requests refused after it
        "reissue_timetable": {
            c: {
                "last": (e.reissue_timetable or {}).get(c, {}).get("last", "the close"),
                "until": reissue_until(e, c),
            }
            for c in CHANNELS
        },
        "reissues_refused_after_timetable_by_channel": dict(refused_by_channel),
        "deliveries": [{"kind": k, "outcome": o, "count": n} for k, o, n in deliveries],
        "incidents_and_extensions": incidents,
        "roll_certificate": e.roll_certificate,
        "audit_log_head_sha256": head,
        "contests": contests,
    }
    # what a sign-off signs: the report's numbers, without the head of the log (which the
    # sign-off itself moves on) and without the sign-offs
    body["report_sha256"] = _report_digest(body)
    body["sign_offs"] = sign_offs
    return body


def _report_digest(body: Mapping[str, Any]) -> str:
    fixed = {k: v for k, v in body.items() if k not in ("audit_log_head_sha256", "sign_offs")}
    canonical = json.dumps(fixed, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sign_off(
    svc: Service, actor: Mapping[str, Any], election_id: str, statement: str, report_sha256: str
) -> dict[str, Any]:
    """The scrutineer signs off the counted election: the statement and the digest of the
    report they read go into the audit log (a report that has changed since is refused)."""
    _require(actor, ("scrutineer",))
    report = scrutineer_report(svc, actor, election_id)
    if report["election"]["state"] not in ("counted", "purged"):
        raise ServiceError("the result is signed off after the count")
    if report_sha256 != report["report_sha256"]:
        raise ServiceError(
            "the report has changed since you read it: read it again before signing off"
        )
    with svc.engine.begin() as conn:
        e = _election(conn, actor, election_id)
        _audit(
            conn,
            e.organisation_id,
            actor["email"],
            "scrutineer signed off",
            {
                "election": election_id,
                "scrutineer": actor["email"],
                "statement": statement.strip(),
                "report_sha256": report_sha256,
            },
        )
    return scrutineer_report(svc, actor, election_id)


# -- retention ----------------------------------------------------------------------------------------------
@_changes_election
def purge(svc: Service, election_id: str, actor: str = "the retention clock") -> None:
    """Delete the roll's personal data; slots lose their member link; results, ballots
    and the audit log stay."""
    with svc.engine.begin() as conn:
        e = conn.execute(select(schema.election).where(schema.election.c.id == election_id)).one()
        if e.state != "counted":
            return
        n = conn.execute(
            schema.member.delete().where(schema.member.c.election_id == election_id)
        ).rowcount
        conn.execute(
            update(schema.slot)
            .where(schema.slot.c.election_id == election_id)
            .values(member_id=None)
        )
        conn.execute(
            update(schema.election).where(schema.election.c.id == e.id).values(state="purged")
        )
        _audit(
            conn,
            e.organisation_id,
            actor,
            "personal data purged",
            {"election": e.id, "members_deleted": n},
        )


# -- jobs ---------------------------------------------------------------------------------------------------
def _job(conn: Connection, key: str, kind: str, payload: Mapping[str, Any], when: datetime) -> int:
    """Queue a job once: a key already queued is left alone (idempotent across restarts)."""
    if conn.execute(select(schema.job.c.id).where(schema.job.c.key == key)).first():
        return 0
    conn.execute(
        schema.job.insert().values(
            key=key, kind=kind, payload=dict(payload), run_after=iso(when), done=False, attempts=0
        )
    )
    return 1


#: how long a claimed job is left to its claimant before another process may run it
JOB_LEASE = timedelta(seconds=120)


#: mail jobs whose delivery records and done marks are written in one commit
JOB_BATCH = 50


def run_due_jobs(svc: Service, limit: int = 200) -> int:
    """Run the jobs that are due. They are claimed a batch per transaction, and each is marked
    done after it ran, so a crash in between runs it again (mail then sends the same code
    again, never another). Mail is sent at a rate the disk would not allow with three
    commits a message: the done marks and delivery records of up to :data:`JOB_BATCH`
    mails are written in one transaction (a crash sends those again); every other job is
    marked done in its own."""
    with reading(svc.engine) as conn:
        due = conn.execute(
            select(schema.job)
            .where(
                schema.job.c.done.is_(False),
                schema.job.c.run_after <= iso(now()),
                schema.job.c.attempts < 5,
            )
            .order_by(schema.job.c.run_after, schema.job.c.id)
            .limit(limit)
        ).all()
    ran = 0
    for start in range(0, len(due), JOB_BATCH):
        ran += _run_jobs(svc, due[start : start + JOB_BATCH])
    return ran


def _run_jobs(svc: Service, due: Sequence[Any]) -> int:
    from tallyroom.service import mail

    # claim the jobs before running them, so that two app processes draining the same
    # table do not both run one: the conditional update succeeds in one of them only, and
    # moves run_after on by a lease, after which a claimant that died is replaced (a batch
    # is claimed only when its turn comes, so its lease is not spent waiting)
    claimed = []
    with svc.engine.begin() as conn:
        lease = iso(now() + JOB_LEASE)
        for j in due:
            if conn.execute(
                update(schema.job)
                .where(
                    schema.job.c.id == j.id,
                    schema.job.c.done.is_(False),
                    schema.job.c.attempts == j.attempts,
                )
                .values(attempts=j.attempts + 1, run_after=lease)
            ).rowcount:
                claimed.append(j)
    ran = 0
    sent: list[int] = []
    records: list[tuple[Any, ...]] = []

    def mark_done(ids: list[int], deliveries: list[tuple[Any, ...]]) -> None:
        with svc.engine.begin() as conn:
            mail._record_many(conn, deliveries)
            conn.execute(update(schema.job).where(schema.job.c.id.in_(ids)).values(done=True))

    mailer = mail.Mailer(svc.smtp) if svc.smtp is not None else None
    try:
        for j in claimed:
            try:
                if j.kind == "mail":
                    mail.send_code(svc, j.payload, records, mailer)
                    sent.append(j.id)
                    continue
                if j.kind == "open":
                    with svc.engine.begin() as conn:
                        e = conn.execute(
                            select(schema.election).where(
                                schema.election.c.id == j.payload["election"]
                            )
                        ).one()
                        has_roll = conn.execute(
                            select(schema.member.c.id)
                            .where(schema.member.c.election_id == e.id)
                            .limit(1)
                        ).first()
                        if e.state == "draft" and has_roll:
                            _open(conn, e, "the clock")
                    _forget(svc, j.payload["election"])
                elif j.kind == "close":
                    close_election(svc, None, j.payload["election"])
                elif j.kind == "count":
                    _count(svc, j.payload["election"])
                elif j.kind == "purge":
                    purge(svc, j.payload["election"])
                elif j.kind == "alarm":
                    from tallyroom.service import security

                    security.send_alarm(svc, j.payload)
                elif j.kind.startswith("box:"):  # the ballot box's own (the sealed box's mix)
                    svc.box.run_job(svc, j)
                mark_done([j.id], [])
                ran += 1
            except Exception as err:  # a failed job is retried, and its error kept
                with svc.engine.begin() as conn:
                    conn.execute(
                        update(schema.job)
                        .where(schema.job.c.id == j.id)
                        .values(error=f"{type(err).__name__}: {err}"[:500])
                    )
    finally:
        if mailer is not None:
            mailer.close()
        if sent:  # the mails sent are marked done even when a later job failed
            mark_done(sent, records)
            ran += len(sent)
    return ran
