"""Limits on guessing voting codes, shared by every app process (they live in the database),
and the alarm that tells the returning officer someone is trying.

A code has 105 random bits, so guessing one is hopeless; the limits are there so that a
guesser is slowed down and, above all, *noticed*. Only failures are counted (a wrong or
malformed code): a right code writes nothing, so a polling station's one address, or a
load test's, may let in as many voters as come, and the table says nothing about who voted.

* per address: at most :data:`ADDRESS_FAILURES` failures in :data:`WINDOW` seconds, over all
  elections; the next try is refused with 429 until the window has moved on;
* per election: once :data:`ELECTION_FAILURES` failures have come from anywhere within a
  window, the election is *under attack*: each address may then fail only
  :data:`ADDRESS_FAILURES_UNDER_ATTACK` times, and the returning officer is alarmed: an
  incident for the scrutineer's report, an entry in the audit log, and a mail to every
  returning officer of the organisation (administrators when there is none), at most once
  per window.

The address is stored as an HMAC under the service's secret (never in clear) and each row
is deleted once its window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from sqlalchemy import delete, func, select
from starlette.datastructures import MutableHeaders

from tallyroom.service import schema
from tallyroom.service.core import Service, _audit, _job
from tallyroom.service.db import iso, now, reading

WINDOW = 600
ADDRESS_FAILURES = 10
ELECTION_FAILURES = 100
ADDRESS_FAILURES_UNDER_ATTACK = 3


def _address(svc: Service, address: str) -> str:
    return hmac.new(svc.secret.encode(), f"address|{address}".encode(), hashlib.sha256).hexdigest()


def code_allowed(svc: Service, election_id: str, address: str) -> bool:
    """Whether this address may try a code in this election now."""
    since = int(time.time()) - WINDOW
    f = schema.code_failure.c
    with reading(svc.engine) as conn:
        mine = conn.execute(
            select(func.count()).where(f.address == _address(svc, address), f.at > since)
        ).scalar_one()
        if mine >= ADDRESS_FAILURES:
            return False
        if mine < ADDRESS_FAILURES_UNDER_ATTACK:
            return True
        everyone = conn.execute(
            select(func.count()).where(f.election_id == election_id, f.at > since)
        ).scalar_one()
    return bool(everyone < ELECTION_FAILURES)


def code_failed(svc: Service, election_id: str, address: str) -> None:
    """Count a failed try; raise the alarm when the election's failures reach the limit."""
    t = int(time.time())
    f = schema.code_failure.c
    with svc.engine.begin() as conn:
        conn.execute(
            schema.code_failure.insert().values(
                election_id=election_id, address=_address(svc, address), at=t
            )
        )
        conn.execute(delete(schema.code_failure).where(f.at <= t - WINDOW))
        everyone = conn.execute(
            select(func.count()).where(f.election_id == election_id, f.at > t - WINDOW)
        ).scalar_one()
        if everyone < ELECTION_FAILURES:
            return
        e = conn.execute(
            select(schema.election.c.organisation_id).where(schema.election.c.id == election_id)
        ).first()
        if e is None:
            return
        # one alarm per election and window (the job's key makes it idempotent)
        window = t // WINDOW
        if _job(
            conn,
            f"alarm:{election_id}:{window}",
            "alarm",
            {"election": election_id, "failures": everyone, "window_seconds": WINDOW},
            now(),
        ):
            text = (
                f"{everyone} wrong voting codes were entered in {WINDOW // 60} minutes: "
                "someone may be guessing codes; each address is now limited to "
                f"{ADDRESS_FAILURES_UNDER_ATTACK} wrong codes per {WINDOW // 60} minutes"
            )
            conn.execute(
                schema.incident.insert().values(
                    election_id=election_id, at=iso(now()), kind="code guessing", text=text
                )
            )
            _audit(
                conn,
                e.organisation_id,
                "the service",
                "code guessing alarm",
                {"election": election_id, "failures": everyone},
            )


def send_alarm(svc: Service, job: Mapping[str, Any]) -> None:
    """Mail the alarm to the organisation's returning officers (the alarm job's work)."""
    with svc.engine.begin() as conn:
        e = conn.execute(
            select(schema.election.c.title, schema.election.c.organisation_id).where(
                schema.election.c.id == job["election"]
            )
        ).one()
        staff = conn.execute(
            select(schema.admin.c.email, schema.admin.c.role).where(
                schema.admin.c.organisation_id == e.organisation_id
            )
        ).all()
    to = [s.email for s in staff if s.role == "returning_officer"] or [
        s.email for s in staff if s.role == "administrator"
    ]
    if not to:
        return
    msg = EmailMessage()
    msg["From"] = svc.mail_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = f"Alarm: wrong voting codes in {e.title}"
    msg.set_content(
        f"{job['failures']} wrong voting codes were entered in {e.title} within "
        f"{int(job['window_seconds']) // 60} minutes. Someone may be guessing codes.\n\n"
        "Each address is now held to a few wrong codes; voters with their right code are not "
        "affected. The incident is recorded for the scrutineer's report.\n"
    )
    if svc.smtp is not None:
        from tallyroom.service.mail import Mailer

        mailer = Mailer(svc.smtp)
        try:
            mailer.send(msg)
        finally:
            mailer.close()
    elif svc.outbox is not None:
        from tallyroom.service.mail import to_outbox

        to_outbox(svc.outbox, f"alarm-{job['election']}-{int(time.time())}.eml", msg)


# -- signing in ---------------------------------------------------------------------------------
#: failed sign-ins allowed per address, and per account (from anywhere), in LOGIN_WINDOW
#: seconds; the account's limit is higher, so that a guesser cannot lock the returning
#: officer out on the night with a few tries
LOGIN_WINDOW = 600
LOGIN_ADDRESS_FAILURES = 10
LOGIN_ACCOUNT_FAILURES = 50
#: how long a sign-in lasts, server-side, whatever the cookie says (the cookie's own max-age)
SESSION_SECONDS = 4 * 3600


def _account(svc: Service, email: str) -> str:
    return hmac.new(
        svc.secret.encode(), f"account|{email.strip().lower()}".encode(), hashlib.sha256
    ).hexdigest()


def login_allowed(svc: Service, address: str, email: str) -> bool:
    """Whether this address may try to sign in to this account now (limits shared by every
    app process: the failures are counted in the database)."""
    since = int(time.time()) - LOGIN_WINDOW
    f = schema.login_failure.c
    with reading(svc.engine) as conn:
        mine = conn.execute(
            select(func.count()).where(f.address == _address(svc, address), f.at > since)
        ).scalar_one()
        if mine >= LOGIN_ADDRESS_FAILURES:
            return False
        theirs = conn.execute(
            select(func.count()).where(f.account == _account(svc, email), f.at > since)
        ).scalar_one()
    return bool(theirs < LOGIN_ACCOUNT_FAILURES)


def login_failed(svc: Service, address: str, email: str) -> None:
    t = int(time.time())
    with svc.engine.begin() as conn:
        conn.execute(
            schema.login_failure.insert().values(
                address=_address(svc, address), account=_account(svc, email), at=t
            )
        )
        conn.execute(
            delete(schema.login_failure).where(schema.login_failure.c.at <= t - LOGIN_WINDOW)
        )


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(svc: Service, admin_id: str) -> str:
    """A new sign-in: a random token for the cookie; the database keeps its SHA-256."""
    token = secrets.token_urlsafe(32)
    t = int(time.time())
    s = schema.admin_session.c
    with svc.engine.begin() as conn:
        conn.execute(
            schema.admin_session.insert().values(
                token_sha256=_token_sha256(token), admin_id=admin_id, at=t
            )
        )
        conn.execute(delete(schema.admin_session).where(s.at <= t - SESSION_SECONDS))
    return token


def session_admin(svc: Service, token: str) -> dict[str, Any] | None:
    """The admin signed in with this token, or None: signed out, expired, or never."""
    if not token:
        return None
    s = schema.admin_session.c
    with reading(svc.engine) as conn:
        row = conn.execute(
            select(schema.admin)
            .join(schema.admin_session, s.admin_id == schema.admin.c.id)
            .where(
                s.token_sha256 == _token_sha256(token),
                s.at > int(time.time()) - SESSION_SECONDS,
            )
        ).first()
    return dict(row._mapping) if row else None


def end_session(svc: Service, token: str) -> None:
    """Sign out: the token opens nothing from now on, in any app process."""
    if token:
        with svc.engine.begin() as conn:
            conn.execute(
                delete(schema.admin_session).where(
                    schema.admin_session.c.token_sha256 == _token_sha256(token)
                )
            )


# -- response headers -----------------------------------------------------------------------
class Headers:
    """Every answer's security headers: a strict Content-Security-Policy (unless the route
    set its own), no framing (``SAMEORIGIN`` for a sandboxed page), no sniffing, no
    referrer, no caching. A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` cost
    a task group and two memory streams a request."""

    def __init__(self, app: Any, csp: str) -> None:
        self.app, self.csp = app, csp

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                csp = h.setdefault("Content-Security-Policy", self.csp)
                h["X-Frame-Options"] = "SAMEORIGIN" if "sandbox" in csp else "DENY"
                h["X-Content-Type-Options"] = "nosniff"
                h["Referrer-Policy"] = "no-referrer"
                h["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


# -- request bodies -------------------------------------------------------------------------
#: the largest body a voter's or sign-in form may send (a full ballot of 200 candidates is
#: about 6 KB); rolls may be large, everything else is small
FORM_LIMIT = 64 * 1024
API_LIMIT = 1024 * 1024
ROLL_LIMIT = 512 * 1024 * 1024
SEALED_LIMIT = 512 * 1024 * 1024


#: the sealed box's uploads (a mixer's shuffle or a trustee's decryption: ~500 B a ballot);
#: their routes refuse anyone but signed-in staff before the body is read (sealed_web)
SEALED_UPLOAD = re.compile(r"/e/[^/]+/sealed/[^/]+/(?:shuffle|decryption|upload)")


def body_limit(path: str) -> int:
    if path.endswith("/roll/upload") or path.endswith("/roll"):
        return ROLL_LIMIT
    if SEALED_UPLOAD.fullmatch(path):
        return SEALED_LIMIT
    if path.startswith("/api/") or path.startswith("/admin/"):
        return API_LIMIT
    return FORM_LIMIT


class BodyLimit:
    """Refuse a request body over its route's limit with 413, before it is read into
    memory: by its Content-Length at once, or, sent in chunks, as soon as it passes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception as err:
            # the inner middleware runs the app in a task group, which wraps the error
            if not _too_large_in(err):
                raise
            if not started:
                await _too_large(send, limit)


class _TooLarge(Exception):
    pass


def _too_large_in(err: BaseException) -> bool:
    if isinstance(err, _TooLarge):
        return True
    if isinstance(err, BaseExceptionGroup):
        return err.subgroup(_TooLarge) is not None
    return err.__cause__ is not None and _too_large_in(err.__cause__)


async def _too_large(send: Any, limit: int) -> None:
    body = f"Too large: this address takes at most {limit} bytes.\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
                (b"x-frame-options", b"DENY"),
                (b"x-content-type-options", b"nosniff"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
