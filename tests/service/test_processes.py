"""Real server processes (issue 18): two app processes against one database share
everything (sessions, limits, jobs, the one-ballot-per-slot rule), and SIGKILL at random
moments while ballots are cast and mail is sent loses nothing and doubles nothing.

On SQLite, and on PostgreSQL when ``TALLYROOM_TEST_POSTGRES_URL`` is set. Short, seeded
versions: the long runs are ``bench/service/load.py --kills N`` and ``bench/service/mail.py``.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx
import pytest

from tallyroom.service import security

from .conftest import DATABASES, _postgres_database
from .harness import Server, books, cast_over_http, make_election, paper, roll_csv, unbalanced


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "sqlite" else _postgres_database()


def test_two_app_processes_share_one_database(tmp_path: Path, database: str | None) -> None:
    e = make_election(tmp_path, database, members=40, seed=7)
    one, two = Server(tmp_path, database), Server(tmp_path, database)
    try:
        one.start()
        two.start()
        rng = random.Random(7)
        acknowledged = []
        with httpx.Client(timeout=30, follow_redirects=True) as c:
            for n, (_slot, code, contests) in enumerate(e.codes[:20]):
                # the code entered at one process, the paper cast at the other: the session
                # is a signed cookie both can read, and nothing lives in either process
                first, second = (one, two) if n % 2 else (two, one)
                c.cookies.clear()
                r = c.get(f"{first.base}/e/{e.eid}/vote")
                token = r.text.split('name="csrf" value="')[1].split('"')[0]
                r = c.post(f"{first.base}/e/{e.eid}/vote", data={"csrf": token, "code": code})
                assert r.status_code == 200 and "your ballot" in r.text
                token = r.text.split('name="csrf" value="')[1].split('"')[0]
                r = c.post(
                    f"{second.base}/e/{e.eid}/cast",
                    data={"csrf": token, **paper(e, contests, rng)},
                )
                assert r.status_code == 200, r.text
                acknowledged.append(r.text.split('class="tracker">')[1].split("<")[0])
        # a voter checks a tracker (in the form's body), and a client puts one in an
        # address anyway: neither reaches the access log (checked when the servers stop)
        with httpx.Client(timeout=30) as c:
            r = c.get(f"{one.base}/e/{e.eid}/tracker")
            token = r.text.split('name="csrf" value="')[1].split('"')[0]
            r = c.post(f"{one.base}/e/{e.eid}/tracker", data={"csrf": token, "t": acknowledged[0]})
            assert "This ballot is in the box." in r.text
            c.get(f"{two.base}/e/{e.eid}/tracker?t={acknowledged[1]}")
        # one paper cast at both processes at once: one ballot
        _slot, code, contests = e.codes[20]
        with httpx.Client(timeout=30, follow_redirects=True) as c:
            r = c.get(f"{one.base}/e/{e.eid}/vote")
            token = r.text.split('name="csrf" value="')[1].split('"')[0]
            r = c.post(f"{one.base}/e/{e.eid}/vote", data={"csrf": token, "code": code})
            token = r.text.split('name="csrf" value="')[1].split('"')[0]
            cookie = c.cookies["tallyroom"]
        statuses: list[int] = []
        barrier = threading.Barrier(6)

        def cast(server: Server) -> None:
            with httpx.Client(timeout=30, cookies={"tallyroom": cookie}) as tab:
                barrier.wait()
                statuses.append(
                    tab.post(
                        f"{server.base}/e/{e.eid}/cast",
                        data={"csrf": token, **paper(e, contests, random.Random(1))},
                    ).status_code
                )

        threads = [threading.Thread(target=cast, args=(s,)) for s in (one, two) * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200] + [409] * 5
        # the guessing limit is the database's, not a process's
        with httpx.Client(timeout=30, follow_redirects=True) as c:
            for i in range(security.ADDRESS_FAILURES):
                server = (one, two)[i % 2]
                r = c.get(f"{server.base}/e/{e.eid}/vote")
                token = r.text.split('name="csrf" value="')[1].split('"')[0]
                r = c.post(
                    f"{server.base}/e/{e.eid}/vote",
                    data={"csrf": token, "code": "0000-0000-0000-0000-0000-01"},
                )
                assert r.status_code == 400
            r = c.get(f"{one.base}/e/{e.eid}/vote")
            token = r.text.split('name="csrf" value="')[1].split('"')[0]
            r = c.post(f"{one.base}/e/{e.eid}/vote", data={"csrf": token, "code": e.codes[30][1]})
            assert r.status_code == 429
        # both processes drain the one job table: every email voter's code is sent
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            b = books(e, acknowledged)
            if b["mail_files"] == sum(1 for line in _roll_emails(e)):
                break
            time.sleep(0.5)
        assert b["mail_files"] == len(_roll_emails(e))
        assert not unbalanced(b), (unbalanced(b), b)
        assert b["slots_voted"] == 21
    finally:
        one.stop()
        two.stop()
    # the servers' own logs (uvicorn's access log is on): no tracker and no code in them
    logs = "".join((tmp_path / f"server-{s.port}.log").read_text() for s in (one, two))
    assert f"/e/{e.eid}/tracker" in logs and f"/e/{e.eid}/cast" in logs
    assert not [t for t in acknowledged if t in logs]
    assert not [code for _slot, code, _c in e.codes if code in logs]


def test_serve_with_workers(tmp_path: Path, database: str | None) -> None:
    """``tallyroom serve --workers 2``: two app processes behind one port (uvicorn's), each
    building its app from the same settings; voters cast through either, the books balance
    and every email voter's code goes out once."""
    e = make_election(tmp_path, database, members=30, seed=11)
    server = Server(tmp_path, database, extra=("--workers", "2"))
    try:
        server.start()
        assert server.proc is not None
        children = [
            p
            for p in Path("/proc").glob("[0-9]*/stat")
            if _ppid(p) == server.proc.pid and b"spawn_main" in _cmdline(p)
        ]
        assert len(children) == 2
        rng = random.Random(11)
        acknowledged = []
        with httpx.Client(timeout=30, follow_redirects=True) as c:
            for _slot, code, contests in e.codes[:12]:
                kind, tracker = cast_over_http(c, server.base, e.eid, code, paper(e, contests, rng))
                assert kind == "cast", tracker
                acknowledged.append(tracker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            b = books(e, acknowledged)
            if b["mail_files"] == len([r for r in roll_csv(30, 11).splitlines()[1:] if "@" in r]):
                break
            time.sleep(0.5)
        assert not unbalanced(b), (unbalanced(b), b)
        assert b["slots_voted"] == 12 and b["papers"] == 12
        assert b["mail_files"] == len([r for r in roll_csv(30, 11).splitlines()[1:] if "@" in r])
    finally:
        server.stop()


def _ppid(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmdline(stat: Path) -> bytes:
    try:
        return (stat.parent / "cmdline").read_bytes()
    except OSError:
        return b""


def _roll_emails(e: Any) -> list[str]:
    from .harness import roll_csv

    return [line for line in roll_csv(40, 7).splitlines()[1:] if "@" in line]


def test_sigkill_while_casting_and_mailing_loses_nothing(
    tmp_path: Path, database: str | None
) -> None:
    """Six SIGKILLs at seeded random moments while four clients cast and the server sends
    the election's mail; after every restart the books balance: every acknowledged ballot
    is in the box, papers = slots marked voted, each contest's ballots = the voted slots
    that receive it, the audit chain verifies, and every mail carries its slot's code."""
    rng = random.Random(18)
    e = make_election(tmp_path, database, members=400, seed=18)
    server = Server(tmp_path, database)
    voters: Queue[tuple[str, str, list[str]]] = Queue()
    for v in e.codes:
        voters.put(v)
    acknowledged: list[str] = []
    outcomes: dict[str, int] = {"cast": 0, "already": 0, "error": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def client(seed: int) -> None:
        r = random.Random(seed)
        with httpx.Client(timeout=10, follow_redirects=True) as c:
            while not stop.is_set():
                try:
                    v = voters.get(timeout=0.2)
                except Empty:
                    return
                try:
                    what, tracker = cast_over_http(c, server.base, e.eid, v[1], paper(e, v[2], r))
                except httpx.HTTPError:
                    what, tracker = "error", None
                with lock:
                    outcomes[what] += 1
                    if what == "cast" and tracker:
                        acknowledged.append(tracker)
                if what == "error":
                    voters.put(v)  # the voter tries again, as a voter would
                    time.sleep(0.05)

    try:
        server.start()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for _kill in range(6):
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            with lock:
                b = books(e, list(acknowledged))
            assert not unbalanced(b), (unbalanced(b), b)
            server.start()
        for t in threads:
            t.join(120)
        stop.set()
        b = books(e, acknowledged)
    finally:
        stop.set()
        server.stop()
    assert not unbalanced(b), (unbalanced(b), b)
    # everyone voted once: a retry after a kill found the paper cast, or cast it
    assert b["slots_voted"] == len(e.codes)
    assert outcomes["cast"] + outcomes["already"] == len(e.codes)
    assert len(set(acknowledged)) == len(acknowledged) == outcomes["cast"]
