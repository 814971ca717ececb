"""Mail under a fault (issue 18, target 3), on 127.0.0.1 only, bounded in time: an
election is opened on a roll of ``--members`` (every member with an email, so the opening
queues one mail job each), a local SMTP sink (aiosmtpd) is started in this process,
``tallyroom serve --smtp`` sends the codes, and the server is killed with SIGKILL once
``--kill-at`` of the messages have arrived; it is restarted and left to finish. Then, from
the messages the sink received, every member must have been sent one code only, the code
of their slot's current issue (a message sent twice, after the kill, carries the same
code; it is counted). Figures go to a JSON file.

    uv run python bench/service/mail.py --members 20000 [--database postgresql://...] \\
        --out bench/results/service-mail-sqlite.json
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from email import message_from_bytes
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "service"))
from harness import Server, dump, make_election  # noqa: E402

CODE_LINE = re.compile(r"^ {4}([0-9A-Z*~$=-]+)$", re.M)


class Sink:
    """An SMTP server on 127.0.0.1 that keeps (recipient, code, arrival time) of every
    message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller
        from harness import free_port

        self.got: list[tuple[str, str, float]] = []
        self.connections: set[tuple[Any, ...]] = set()  # each SMTP connection's peer
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                m = message_from_bytes(envelope.content)
                body = m.get_payload(decode=True).decode().replace("\r\n", "\n")
                found = CODE_LINE.search(body)
                with sink.lock:
                    sink.connections.add(tuple(session.peer))
                    sink.got.append(
                        (str(m["To"]), found.group(1) if found else "", time.perf_counter())
                    )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def count(self) -> int:
        with self.lock:
            return len(self.got)


def expected_codes(e: Any) -> dict[str, str]:
    """Each member's email -> the displayed code of their slot's current issue, from the
    election key (as a mail house would work it out)."""
    from sqlalchemy import select

    from tallyroom.service import codes, core, schema

    svc = core.Service.open(e.url)
    try:
        with svc.engine.connect() as conn:
            key = conn.execute(
                select(schema.election.c.key).where(schema.election.c.id == e.eid)
            ).scalar_one()
            rows = conn.execute(
                select(schema.member.c.email, schema.slot.c.id, schema.slot.c.issue)
                .join(schema.slot, schema.slot.c.member_id == schema.member.c.id)
                .where(schema.slot.c.election_id == e.eid, schema.member.c.email != "")
            ).all()
    finally:
        svc.engine.dispose()
    return {r.email: codes.display(codes.derive(key, r.id, r.issue)) for r in rows if r.email}


def _expire_leases(e: Any) -> None:
    from sqlalchemy import update

    from tallyroom.service import core, schema
    from tallyroom.service.db import iso, now

    svc = core.Service.open(e.url)
    try:
        with svc.engine.begin() as conn:
            conn.execute(
                update(schema.job)
                .where(schema.job.c.kind == "mail", schema.job.c.done.is_(False))
                .values(run_after=iso(now()))
            )
    finally:
        svc.engine.dispose()


def check(got: list[tuple[str, str, float]], expected: dict[str, str]) -> dict[str, Any]:
    """The facts from the sink: members sent two different codes (must be 0), messages
    whose code is not the member's current one (must be 0), members never sent their
    code (must be 0), and messages sent twice with the same code (allowed after a kill)."""
    sent: dict[str, list[str]] = defaultdict(list)
    for to, code, _t in got:
        sent[to].append(code)
    return {
        "members_with_two_different_codes": sum(len(set(c)) > 1 for c in sent.values()),
        "messages_with_a_wrong_code": sum(
            c != expected.get(to) for to, cs in sent.items() for c in cs
        ),
        "members_never_sent_a_code": len(set(expected) - set(sent)),
        "messages_sent_again_same_code": sum(len(c) - 1 for c in sent.values()),
        "messages_received": len(got),
        "members_mailed": len(sent),
    }


def run(
    data: Path,
    database: str | None,
    members: int,
    kill_at: float,
    timeout: float,
    expire_leases: bool = False,
) -> dict[str, Any]:
    """One run. ``expire_leases`` (the short test's): after the kill, the jobs the killed
    process had claimed are made due at once, as if their lease had run out."""
    e = make_election(data, database, members, with_email=1.0)
    expected = expected_codes(e)
    sink = Sink()
    sink.controller.start()
    server = Server(data, database, extra=("--smtp", f"127.0.0.1:{sink.port}"))
    try:
        t0 = time.perf_counter()
        server.start()
        deadline = t0 + timeout
        while sink.count() < kill_at * len(expected) and time.perf_counter() < deadline:
            time.sleep(0.01)
        server.kill()
        t_kill = time.perf_counter()
        before = sink.count()
        if expire_leases:
            _expire_leases(e)
        restart_s = server.start()
        t_back = time.perf_counter()
        while (
            len({to for to, _c, _t in list(sink.got)}) < len(expected)
            and time.perf_counter() < deadline
        ):
            time.sleep(0.05)
        time.sleep(1.5)  # a last drain's mail, if the books were short of it
        t_end = time.perf_counter()
    finally:
        server.stop()
        sink.controller.stop()
    got = list(sink.got)
    first = min((t for _to, _c, t in got), default=t0)
    last = max((t for _to, _c, t in got), default=t0)
    after = sorted(t for _to, _c, t in got if t >= t_back)
    # the jobs the killed process had claimed and not sent wait for their lease
    # (core.JOB_LEASE) to run out before another process takes them: the rate after the
    # restart is the run up to that wait, and the wait is stated on its own
    gap = next((i for i in range(1, len(after)) if after[i] - after[i - 1] > 5.0), len(after))
    leased = after[gap:]
    after = after[:gap]
    facts = check(got, expected)
    return {
        "database": "postgresql" if database else "sqlite",
        "members_with_email": len(expected),
        "killed_after_messages": before,
        "restart_seconds": round(restart_s, 2),
        "rate_before_kill_messages_per_s": round(before / max(1e-9, t_kill - first), 1),
        "rate_after_restart_messages_per_s": (
            round(len(after) / max(1e-9, max(after) - t_back), 1) if after else None
        ),
        "messages_after_the_lease_wait": len(leased),
        "smtp_connections": len(sink.connections),
        "last_message_seconds_after_kill": round(max(leased or after or [t_kill]) - t_kill, 1),
        "whole_run_messages_per_s": round(len(got) / max(1e-9, last - first), 1),
        "whole_run_seconds": round(t_end - t0, 1),
        **facts,
        "ok": facts["members_with_two_different_codes"] == 0
        and facts["messages_with_a_wrong_code"] == 0
        and facts["members_never_sent_a_code"] == 0,
        "note": f"sink and server on one machine of {os.cpu_count()} cores; load average "
        f"(1 min) {os.getloadavg()[0]:.2f} at the end",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=20000)
    ap.add_argument("--database", default=None)
    ap.add_argument("--kill-at", type=float, default=0.4, help="share of messages before the kill")
    ap.add_argument("--timeout", type=float, default=600.0, help="the whole run's bound (s)")
    ap.add_argument("--out", default="bench/results/service-mail.json")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tallyroom-mail-") as tmp:
        figures = run(Path(tmp), a.database, a.members, a.kill_at, a.timeout)
    figures["command"] = "python bench/service/mail.py " + " ".join(sys.argv[1:])
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    dump(Path(a.out), figures)
    print(figures)
    if not figures["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
