"""Real server processes for the multi-process, fault and load tests (issue 18): start
``tallyroom serve`` on 127.0.0.1, kill it with SIGKILL, restart it, and check the books
from the database. The bench (``bench/service/``) drives the same code for longer.

Everything listens on 127.0.0.1 only and every wait is bounded.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from tallyroom.service import codes, core, schema
from tallyroom.service.db import iso, now, sqlite_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One ``tallyroom serve`` process; ``start`` returns the seconds until it answered."""

    data: Path
    database: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    extra: Sequence[str] = ()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        t0 = time.monotonic()
        args = [sys.executable, "-c", "from tallyroom.cli import main; main()", "serve"]
        args += ["--data", str(self.data), "--port", str(self.port), "--host", "127.0.0.1"]
        if self.database:
            args += ["--database", self.database]
        log = open(self.data / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([*args, *self.extra], stdout=log, stderr=log)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped: see {log.name}")
            try:
                if httpx.get(self.base + "/", timeout=1.0).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"the server did not answer within {timeout} s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def roll_csv(members: int, seed: int = 1, with_email: float = 0.5) -> str:
    """A fictional roll: numbers M0000001..., a region each, an email for a share."""
    rng = random.Random(seed)
    lines = ["number,name,email,region,status"]
    for i in range(1, members + 1):
        email = f"m{i}@example.org" if rng.random() < with_email else ""
        region = rng.choice(("North", "South", "East", "West"))
        lines.append(f"M{i:07d},Member {i},{email},{region},member")
    return "\n".join(lines) + "\n"


SPEC_CANDIDATES = ("Ann", "Bob", "Cat", "Dan", "Eve", "Fay")


def spec(hours: float = 6.0) -> dict[str, Any]:
    return {
        "title": "Executive election (load and fault harness)",
        "opens_at": iso(now() - timedelta(minutes=1)),
        "closes_at": iso(now() + timedelta(hours=hours)),
        "eligibility": [{"rule": "status", "in": ["member"]}],
        "contests": [
            {
                "title": "Executive",
                "rule": "ers97-stv",
                "seats": 3,
                "ballot_type": "ranked",
                "candidates": [{"name": n} for n in SPEC_CANDIDATES],
            },
            {
                "title": "North seat",
                "rule": "irv",
                "seats": 1,
                "ballot_type": "ranked",
                "candidates": [{"name": n} for n in ("Gil", "Hal")],
                "electorate": {"region": ["North"]},
            },
        ],
    }


@dataclass
class Election:
    url: str
    data: Path
    eid: str
    admin: dict[str, Any]
    codes: list[tuple[str, str, list[str]]]  # (slot, code, contests)
    contests: dict[str, str]  # title -> id


def make_election(
    data: Path, database: str | None, members: int, seed: int = 1, with_email: float = 0.5
) -> Election:
    """An organisation and an open election on ``members`` members (their mail queued),
    and every slot's code worked out from the election key, as a mail house would."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "session-secret").write_text(os.urandom(32).hex())
    url = database or sqlite_url(data)
    svc = core.Service.open(url, outbox=data / "outbox")
    a = core.create_organisation(svc, "Harness Union", "ro@harness.example", "harness-password")
    eid = core.create_election(svc, a, spec())
    core.import_roll(svc, a, eid, roll_csv(members, seed, with_email))
    core.open_election(svc, a, eid)
    with svc.engine.begin() as conn:
        key = conn.execute(
            select(schema.election.c.key).where(schema.election.c.id == eid)
        ).scalar_one()
        slots = conn.execute(
            select(schema.slot.c.id, schema.slot.c.issue, schema.slot.c.contests).where(
                schema.slot.c.election_id == eid
            )
        ).all()
    info = core.election_info(svc, a, eid)
    svc.engine.dispose()
    return Election(
        url=url,
        data=data,
        eid=eid,
        admin=a,
        codes=[(s.id, codes.derive(key, s.id, s.issue), list(s.contests)) for s in slots],
        contests={c["title"]: c["id"] for c in info["contests"]},
    )


def paper(e: Election, contests: Sequence[str], rng: random.Random) -> dict[str, str]:
    """A pre-made ranked paper for each contest the voter receives."""
    form = {}
    for title, cid in e.contests.items():
        if cid not in contests:
            continue
        n = len(SPEC_CANDIDATES) if title == "Executive" else 2
        order = rng.sample(range(n), rng.randint(1, n))
        form.update({f"c-{cid}-{i}": str(k) for k, i in enumerate(order, 1)})
    return form


_CSRF = re.compile(rb'name="csrf" value="([^"]+)"')
_TRACKER = re.compile(rb'class="tracker">([0-9a-f]+)<')


def cast_over_http(
    client: httpx.Client, base: str, eid: str, code: str, form: dict[str, str]
) -> tuple[str, str | None]:
    """A voter's journey (code page, code, ballot page, cast): ("cast", tracker),
    ("already", None) when the slot had voted, or ("error", detail)."""
    client.cookies.clear()
    r = client.get(f"{base}/e/{eid}/vote")
    m = _CSRF.search(r.content)
    if r.status_code != 200 or not m:
        return "error", f"code page {r.status_code}"
    r = client.post(f"{base}/e/{eid}/vote", data={"csrf": m.group(1).decode(), "code": code})
    if b"already been cast" in r.content:
        return "already", None
    m = _CSRF.search(r.content)
    if r.status_code != 200 or not m:
        return "error", f"code {r.status_code}"
    r = client.post(f"{base}/e/{eid}/cast", data={"csrf": m.group(1).decode(), **form})
    if r.status_code == 409:
        return "already", None
    t = _TRACKER.search(r.content)
    if r.status_code != 200 or not t:
        return "error", f"cast {r.status_code}"
    return "cast", t.group(1).decode()


def books(e: Election, acknowledged: Sequence[str]) -> dict[str, Any]:
    """The books, read from the database: what must hold after every restart."""
    svc = core.Service.open(e.url)
    try:
        with svc.engine.begin() as conn:
            voted = conn.execute(
                select(schema.slot.c.contests).where(
                    schema.slot.c.election_id == e.eid, schema.slot.c.voted.is_(True)
                )
            ).all()
            per_contest = dict(
                conn.execute(
                    select(schema.ballot.c.contest_id, func.count()).group_by(
                        schema.ballot.c.contest_id
                    )
                ).all()
            )
            trackers = {r.tracker for r in conn.execute(select(schema.ballot.c.tracker))}
            key = conn.execute(
                select(schema.election.c.key).where(schema.election.c.id == e.eid)
            ).scalar_one()
            issues = dict(conn.execute(select(schema.slot.c.id, schema.slot.c.issue)).all())
        log = core.audit_log(svc, e.admin["organisation_id"])
    finally:
        svc.engine.dispose()
    expected = {cid: sum(cid in v.contests for v in voted) for cid in e.contests.values()}
    got = {cid: int(per_contest.get(cid, 0)) for cid in e.contests.values()}
    # every mail in the outbox carries the code of its slot's issue: never a second code
    wrong_codes = 0
    for f in (e.data / "outbox").glob("*-code.eml"):
        slot_id, issue = f.name.split("-")[:2]
        body = f.read_text()
        if codes.display(codes.derive(key, slot_id, int(issue))) not in body or int(
            issue
        ) != issues.get(slot_id):
            wrong_codes += 1
    return {
        "slots_voted": len(voted),
        "papers": len(trackers),
        "ballots_by_contest": got,
        "expected_by_contest": expected,
        "acknowledged_missing": len(set(acknowledged) - trackers),
        "audit_chain_verifies": core.verify_audit(log),
        "mail_files": len(list((e.data / "outbox").glob("*-code.eml"))),
        "mail_with_a_wrong_code": wrong_codes,
    }


def unbalanced(b: dict[str, Any]) -> list[str]:
    """The checks of the books that fail, each with its figures (empty when they balance)."""
    failed = []
    if b["slots_voted"] != b["papers"]:
        failed.append(f"slots voted {b['slots_voted']} != papers {b['papers']}")
    if b["ballots_by_contest"] != b["expected_by_contest"]:
        failed.append(
            f"ballots by contest {b['ballots_by_contest']} != expected {b['expected_by_contest']}"
        )
    if b["acknowledged_missing"]:
        failed.append(f"{b['acknowledged_missing']} acknowledged ballots not in the box")
    if not b["audit_chain_verifies"]:
        failed.append("the audit chain does not verify")
    if b["mail_with_a_wrong_code"]:
        failed.append(f"{b['mail_with_a_wrong_code']} mails without their slot's code")
    return failed


def books_balance(b: dict[str, Any]) -> bool:
    return not unbalanced(b)


def dump(path: Path, figures: dict[str, Any]) -> None:
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def spearman(xs: Sequence[int], ys: Sequence[int]) -> float:
    """Spearman's rho of two orders of distinct values (the secrecy checks: the box's
    stored order against the casting order; about 0, with standard deviation
    1/sqrt(n - 1), for unrelated orders, and 1 for a box that kept the order)."""
    n = len(xs)
    rx = {v: i for i, v in enumerate(sorted(xs))}
    ry = {v: i for i, v in enumerate(sorted(ys))}
    d2 = sum((rx[x] - ry[y]) ** 2 for x, y in zip(xs, ys))
    return 1 - 6 * d2 / (n * (n * n - 1))
