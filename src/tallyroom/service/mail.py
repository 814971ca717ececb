"""Codes by email (the standard library's smtplib) and by letter (reportlab, with a segno QR code).

The code is derived from the slot and issue (``codes.derive``), so a mail job run twice
(after a crash between sending and marking the job done) sends the same code again, never a
different one. The letter's QR code carries the code in the URL *fragment*
(``.../vote#CODE``), which browsers do not send to the server, so it never reaches a log.
"""

from __future__ import annotations

import io
import os
import smtplib
import tempfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, select

from tallyroom.service import codes, schema
from tallyroom.service.core import Service, _election, _require
from tallyroom.service.db import reading


def when(text: str | None, zone: str = "UTC") -> str:
    """A time as people read it, in the election's time zone: "Wednesday 9 December 2026,
    17:00 (Europe/London)"."""
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not text:
        return ""
    try:
        t = datetime.fromisoformat(text).astimezone(ZoneInfo(zone or "UTC"))
    except (ValueError, ZoneInfoNotFoundError):
        return text
    return f"{t:%A} {t.day} {t:%B %Y, %H:%M} ({zone or 'UTC'})"


def to_outbox(outbox: Path, name: str, msg: EmailMessage) -> None:
    """Put a message in the outbox folder whole or not at all: written to a temporary file,
    flushed to disk, then renamed to its name. A process killed while writing leaves no
    half-written mail that a pickup could send (the job runs again after a restart and
    writes the same message, since the code is derived from the slot and issue)."""
    outbox.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sending-", suffix=".tmp", dir=outbox)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(msg))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)  # a voting code: readable by the service's user alone
        os.replace(tmp, outbox / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def vote_url(svc: Service, election_id: str) -> str:
    return f"{svc.base_url}/e/{election_id}/vote"


def _record(
    conn: Connection,
    election_id: str,
    slot_id: str,
    issue: int,
    kind: str,
    channel: str,
    outcome: str,
) -> None:
    _record_many(conn, [(election_id, slot_id, issue, kind, channel, outcome)])


def _record_many(conn: Connection, records: Sequence[tuple[Any, ...]]) -> None:
    """Record deliveries ``(election, slot, issue, kind, channel, outcome)``; one already
    recorded for its (slot, issue, kind) stays as it was (a mail sent again after a crash,
    letters printed twice). A few statements per thousand, not two a delivery."""
    d = schema.delivery.c
    for i in range(0, len(records), 1_000):
        chunk = records[i : i + 1_000]
        there = {
            (row.slot_id, row.issue, row.kind)
            for row in conn.execute(
                select(d.slot_id, d.issue, d.kind).where(d.slot_id.in_({r[1] for r in chunk}))
            )
        }
        new: dict[tuple[Any, ...], dict[str, Any]] = {}
        for election_id, slot_id, issue, kind, channel, outcome in chunk:
            key = (slot_id, issue, kind)
            if key not in there and key not in new:
                new[key] = {
                    "election_id": election_id,
                    "slot_id": slot_id,
                    "issue": issue,
                    "kind": kind,
                    "channel": channel,
                    "outcome": outcome,
                }
        if new:
            conn.execute(schema.delivery.insert(), list(new.values()))


class Mailer:
    """One SMTP connection for a batch of messages: opened at the first, reused, closed by
    :meth:`close` (``core.run_due_jobs`` keeps one per batch of mail jobs; a connection per
    message cost a TCP and SMTP handshake each). A connection the server dropped between
    two messages is opened again once; any other failure is the caller's (the job is
    retried, with the same code)."""

    def __init__(self, smtp: tuple[str, int]) -> None:
        self.smtp = smtp
        self._conn: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> str:
        """``"sent"``, or ``"bounced"`` when the server refused the recipient."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = smtplib.SMTP(self.smtp[0], self.smtp[1], timeout=30)
            try:
                self._conn.send_message(msg)
            except smtplib.SMTPRecipientsRefused:
                return "bounced"  # recorded; the member's code can go by post on re-issue
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
            else:
                return "sent"
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None


def send_code(
    svc: Service,
    job: dict[str, Any],
    done: list[tuple[Any, ...]] | None = None,
    mailer: Mailer | None = None,
) -> None:
    """Send one code (a mail job's work) and record its delivery. Given ``done``, the
    delivery record is appended there instead, for the caller to write in one transaction
    with others and with the jobs' done marks (``core.run_due_jobs``: a commit per batch,
    not per mail; a crash before it sends the same code again, never another). Given
    ``mailer``, the message goes over its connection."""
    with reading(svc.engine) as conn:
        row = conn.execute(
            select(
                schema.slot.c.issue,
                schema.slot.c.voted,
                schema.member.c.name,
                schema.member.c.email,
                schema.election.c.key,
                schema.election.c.title,
                schema.election.c.closes_at,
                schema.election.c.time_zone,
                schema.election.c.state,
            )
            .join(schema.member, schema.member.c.id == schema.slot.c.member_id)
            .join(schema.election, schema.election.c.id == schema.slot.c.election_id)
            .where(schema.slot.c.id == job["slot"])
        ).first()
    # a superseded issue, a voter who has voted, or a closed election: nothing to send
    if row is None or row.issue != job["issue"] or row.state != "open":
        return
    if job["kind"] == "reminder" and row.voted:
        return
    code = codes.derive(row.key, job["slot"], job["issue"])
    msg = EmailMessage()
    msg["From"] = svc.mail_from
    msg["To"] = row.email
    msg["Subject"] = ("Reminder: " if job["kind"] == "reminder" else "") + f"Your vote: {row.title}"
    msg.set_content(
        f"Dear {row.name},\n\nYou may vote in {row.title} until "
        f"{when(row.closes_at, row.time_zone)}.\n\n"
        f"Go to {vote_url(svc, job['election'])}\nand enter your voting code:\n\n"
        f"    {codes.display(code)}\n\nThe code is yours alone: do not pass it on.\n"
        + ("A code sent to you earlier no longer works.\n" if job["issue"] > 1 else "")
    )
    outcome = "sent"
    if svc.smtp is not None:
        if mailer is not None:
            outcome = mailer.send(msg)
        else:
            one = Mailer(svc.smtp)
            try:
                outcome = one.send(msg)
            finally:
                one.close()
    elif svc.outbox is not None:
        to_outbox(svc.outbox, f"{job['slot']}-{job['issue']}-{job['kind']}.eml", msg)
    record = (job["election"], job["slot"], job["issue"], job["kind"], "email", outcome)
    if done is not None:
        done.append(record)
        return
    with svc.engine.begin() as conn:
        _record(conn, *record)


def _postal_voters(election_id: str) -> Select[Any]:
    """The postal voters who have not voted, with their slot's current issue, by number:
    whom the letters and the mail house's file are for."""
    return (
        select(
            schema.slot.c.id,
            schema.slot.c.issue,
            schema.member.c.name,
            schema.member.c.address,
            schema.member.c.number,
        )
        .join(schema.member, schema.member.c.id == schema.slot.c.member_id)
        .where(
            schema.slot.c.election_id == election_id,
            schema.slot.c.channel == "post",
            schema.slot.c.voted.is_(False),
        )
        .order_by(schema.member.c.number)
    )


def letters(svc: Service, actor: dict[str, Any], election_id: str) -> bytes:
    """A PDF with one letter per postal voter who has not voted (current codes)."""
    import segno
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    _require(actor, ("administrator", "returning_officer"))
    # read, then make the PDF, then record the letters in one short write: the write lock
    # is not held while thousands of pages are drawn (on SQLite it would stop all casting)
    with reading(svc.engine) as conn:
        e = _election(conn, actor, election_id)
        rows = conn.execute(_postal_voters(election_id)).all()
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4)
    pdf.setTitle(f"Voting letters: {e.title}")
    for r in rows:
        code = codes.derive(e.key, r.id, r.issue)
        url = f"{vote_url(svc, election_id)}#{code}"
        y = 270 * mm
        pdf.setFont("Helvetica", 11)
        for line in [r.name, *(r.address or "").split(";")]:
            pdf.drawString(25 * mm, y, line.strip())
            y -= 5 * mm
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(25 * mm, 215 * mm, e.title)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(25 * mm, 205 * mm, f"Vote at {vote_url(svc, election_id)}")
        pdf.drawString(25 * mm, 199 * mm, f"by {when(e.closes_at, e.time_zone)}, with this code:")
        pdf.setFont("Courier-Bold", 14)
        pdf.drawString(25 * mm, 189 * mm, codes.display(code))
        _draw_qr(pdf, segno.make(url, error="m"), 140 * mm, 180 * mm, 45 * mm)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(
            25 * mm,
            175 * mm,
            "Or scan the square: it opens the ballot with the code filled in.",
        )
        pdf.showPage()
    pdf.save()
    with svc.engine.begin() as conn:
        _record_many(conn, [(election_id, r.id, r.issue, "code", "post", "printed") for r in rows])
    return buf.getvalue()


def _draw_qr(pdf: Any, qr: Any, x: float, y: float, size: float, border: int = 2) -> None:
    """Draw a segno QR code as vector squares, a rectangle per run of dark modules in a
    row, with a light border of ``border`` modules (ISO/IEC 18004 asks for 4; the letter's
    white paper around it adds the rest). Sharp at any print resolution, and much cheaper
    than a PNG per letter that the PDF must decode and embed again."""
    matrix = qr.matrix
    n = len(matrix) + 2 * border
    m = size / n
    top = y + size - border * m
    path = pdf.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + (border + start) * m, top - (r + 1) * m, (c - start) * m, m)
            else:
                c += 1
    pdf.saveState()
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.restoreState()


def mail_house_csv(svc: Service, actor: dict[str, Any], election_id: str) -> str:
    """The postal voters' names, addresses and current codes, for a mail house."""
    import csv

    _require(actor, ("administrator", "returning_officer"))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["member", "name", "address", "code", "url"])
    with reading(svc.engine) as conn:  # a read: it takes no write lock
        e = _election(conn, actor, election_id)
        for r in conn.execute(_postal_voters(election_id)):
            code = codes.derive(e.key, r.id, r.issue)
            w.writerow(
                [
                    r.number,
                    r.name,
                    r.address,
                    codes.display(code),
                    f"{vote_url(svc, election_id)}#{code}",
                ]
            )
    return out.getvalue()
