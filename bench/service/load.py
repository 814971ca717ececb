"""Casting under load (issue 18, targets 4 and 5), on 127.0.0.1 only, bounded in time and
in requests: a roll and pre-made ballots are generated, ``tallyroom serve`` is started,
and a bounded asyncio client casts (code page, code, cast: three requests per ballot) at
a target rate with at most ``--connections`` in flight; the latency of each whole cast is
recorded, then the books are checked from the database. Figures go to a JSON file.

    uv run python bench/service/load.py --members 20000 --rate 200 --seconds 60 \\
        --connections 200 [--database postgresql://...] --out bench/results/service-load.json

``--kills N`` (target 6) kills the server with SIGKILL at N random moments of the run:
new casts wait, the casts in flight fail (counted apart: not acknowledged, so not owed),
the server is restarted, the time until it answers again is recorded, and the books are
checked before casting goes on. After the run (target 8) the server's own log is searched
for every code and every tracker, and, on SQLite, a dump of the database (``iterdump``) is
searched for a link between the voters' side and the box: a slot's or member's id in the
box, a ballot's tracker or id outside it, a time of day beside a ballot or a slot, and the
correlation of the box's stored order with the order the ballots were cast.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "service"))
from harness import (  # noqa: E402
    Server,
    books,
    books_balance,
    dump,
    make_election,
    paper,
    spearman,
    unbalanced,
)

CSRF = re.compile(rb'name="csrf" value="([^"]+)"')
TRACKER = re.compile(rb'class="tracker">([0-9a-f]+)<')


class HttpxVoter:
    """One connection of the driver, on httpx (the client of the tests)."""

    def __init__(self) -> None:
        # an idle connection is dropped by the client before the server's keep-alive
        # timeout (uvicorn's 5 s) can close it: a request sent on a connection the server
        # is closing at that moment fails without an answer (RFC 9112 9.3.1: a client may
        # retry such a request; a browser does, httpx does not)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=2.0)
        self.client = httpx.AsyncClient(timeout=30, follow_redirects=True, limits=limits)

    async def request(self, method: str, url: str, data: dict | None = None) -> tuple[int, bytes]:
        r = await self.client.request(method, url, data=data)
        return r.status_code, r.content

    def forget(self) -> None:
        self.client.cookies.clear()

    async def close(self) -> None:
        await self.client.aclose()


class AiohttpVoter:
    """One connection of the driver, on aiohttp: a quarter of httpx's CPU a ballot
    (bench/README.md, "The slowdown, the driver and the machine"), which on two cores is
    CPU the server gets back."""

    def __init__(self) -> None:
        self.client = aiohttp.ClientSession(
            # one connection, kept alive 2 s (below uvicorn's 5 s: see HttpxVoter)
            connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=2.0),
            # the server is 127.0.0.1: aiohttp's jar takes no cookie from an IP address
            # unless told to
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=30),
        )

    async def request(self, method: str, url: str, data: dict | None = None) -> tuple[int, bytes]:
        async with self.client.request(method, url, data=data) as r:
            return r.status, await r.read()

    def forget(self) -> None:
        self.client.cookie_jar.clear()

    async def close(self) -> None:
        await self.client.close()


CLIENTS = {"aiohttp": AiohttpVoter, "httpx": HttpxVoter}


async def cast(
    client: AiohttpVoter | HttpxVoter, base: str, eid: str, code: str, form: dict
) -> str:
    client.forget()
    _status, body = await client.request("GET", f"{base}/e/{eid}/vote")
    token = CSRF.search(body).group(1).decode()  # type: ignore[union-attr]
    _status, body = await client.request(
        "POST", f"{base}/e/{eid}/vote", data={"csrf": token, "code": code}
    )
    token = CSRF.search(body).group(1).decode()  # type: ignore[union-attr]
    status, body = await client.request(
        "POST", f"{base}/e/{eid}/cast", data={"csrf": token, **form}
    )
    m = TRACKER.search(body)
    if status != 200 or not m:
        raise RuntimeError(f"cast answered {status}")
    return m.group(1).decode()


async def drive(
    base: str,
    e,
    rate: float,
    seconds: float,
    connections: int,
    server=None,
    kills: int = 0,
    client: str = "aiohttp",
) -> dict:
    rng = random.Random(4)
    gate = asyncio.Event()
    gate.set()
    epoch = [0]  # kills so far: a cast that fails across one was interrupted, not refused
    in_flight = [0]
    interrupted: list[str] = []
    restarts: list[float] = []
    after_restart: list[list[str]] = []
    voters = list(e.codes)
    rng.shuffle(voters)
    limit = min(len(voters), int(rate * seconds))
    sem = asyncio.Semaphore(connections)
    latencies: list[float] = []
    errors: list[str] = []
    trackers: list[str] = []
    clients = [CLIENTS[client]() for _ in range(connections)]
    free = list(range(connections))

    async def one(v) -> None:
        async with sem:
            await gate.wait()
            i = free.pop()
            t0, seen = time.perf_counter(), epoch[0]
            in_flight[0] += 1
            try:
                trackers.append(await cast(clients[i], base, e.eid, v[1], paper(e, v[2], rng)))
                latencies.append(time.perf_counter() - t0)
            except Exception as err:  # counted, never hidden
                what = f"{type(err).__name__}: {err}"[:200]
                (interrupted if epoch[0] != seen or not gate.is_set() else errors).append(what)
            finally:
                in_flight[0] -= 1
                free.append(i)

    async def killer() -> None:
        moments = sorted(rng.uniform(0.05, 0.95) * seconds for _ in range(kills))
        for m in moments:
            await asyncio.sleep(max(0.0, start + m - time.perf_counter()))
            gate.clear()
            epoch[0] += 1
            server.kill()
            while in_flight[0]:
                await asyncio.sleep(0.01)
            restarts.append(await asyncio.to_thread(server.start))
            b = await asyncio.to_thread(books, e, list(trackers))
            after_restart.append(unbalanced(b))
            gate.set()

    start = time.perf_counter()
    # only the casts still running are held: a 30-minute run starts 360,000, and holding
    # every finished task grew the driver's heap (and its garbage collector's pauses) all
    # through the run
    tasks: set[asyncio.Task] = set()
    killing = asyncio.create_task(killer()) if kills else None
    for n, v in enumerate(voters[:limit]):
        # open-loop arrivals at the target rate, bounded by the connections in flight
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.perf_counter() - start > seconds:
            break
        task = asyncio.create_task(one(v))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    if killing is not None:
        await killing
    wall = time.perf_counter() - start
    for c in clients:
        await c.close()
    lat = sorted(latencies)
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None
    return {
        "offered_rate_per_s": rate,
        "ballots_cast": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "wall_seconds": round(wall, 1),
        "achieved_ballots_per_s": round(len(latencies) / wall, 1),
        "cast_latency_ms": {
            "p50": q(0.50),
            "p90": q(0.90),
            "p99": q(0.99),
            "max": q(1.0),
            "mean": round(statistics.mean(lat) * 1000, 1) if lat else None,
        },
        "trackers": trackers,
        **(
            {
                "kills": {
                    "kills": len(restarts),
                    "casts_interrupted_by_a_kill": len(interrupted),
                    "restart_seconds_max": round(max(restarts), 2),
                    "restart_seconds_median": round(statistics.median(restarts), 2),
                    "books_checks_failed_after_restarts": [x for x in after_restart if x],
                }
            }
            if kills
            else {}
        ),
    }


def secrecy(e, server: Server, trackers: list[str], database: str | None) -> dict:
    """Target 8 after the load: the server's log, and on SQLite a dump of the database.

    Searched by tokens, so that a million-member roll is searched in seconds: ids, trackers
    and the box's keys are random hex, found as whole runs of hex digits; a code is looked
    for in every 22-character window of every run of its alphabet (dashes dropped), as it
    would appear typed into a form or an address."""
    import sqlite3

    log = (e.data / f"server-{server.port}.log").read_text(errors="replace")
    windows = set()
    for run in re.findall(r"[0-9A-Za-z*~$=-]{22,}", log):
        run = run.replace("-", "").upper()
        windows.update(run[i : i + 22] for i in range(len(run) - 21))
    found = {
        "log_lines": log.count("\n"),
        "codes_in_the_log": len(windows & {code for _s, code, _c in e.codes}),
        "trackers_in_the_log": len(_hex_runs(log) & set(trackers)),
    }
    if database:
        found["dump"] = "not run: PostgreSQL keeps insertion order and xmin (docs/service.md)"
        return found
    db = sqlite3.connect(e.data / "tallyroom.sqlite3")
    try:
        in_box: set[str] = set()
        elsewhere: set[str] = set()
        times = 0
        for line in db.iterdump():
            box = line.startswith('INSERT INTO "ballot"')
            (in_box if box else elsewhere).update(_hex_runs(line))
            if (box or line.startswith('INSERT INTO "slot"')) and re.search(
                r"\d\d:\d\d:\d\d", line
            ):
                times += 1
        voters = {r[0] for r in db.execute("SELECT id FROM slot")}
        voters |= {r[0] for r in db.execute("SELECT id FROM member")}
        ballot_ids = {r[0] for r in db.execute("SELECT id FROM ballot")}
        stored = [r[0] for r in db.execute("SELECT tracker FROM ballot")]
    finally:
        db.close()
    cast_at = {t: i for i, t in enumerate(trackers)}
    # a paper's ballots (one a contest) share its tracker: each paper at its first place
    order = [cast_at[t] for t in dict.fromkeys(stored) if t in cast_at]
    found |= {
        "voter_ids_in_the_box": len(voters & in_box),
        "trackers_or_ballot_ids_outside_the_box": len((set(stored) | ballot_ids) & elsewhere),
        "rows_of_the_box_or_slots_with_a_time_of_day": times,
        "papers_compared": len(order),
        # Spearman's rho of stored order against casting order: about 0 (standard
        # deviation 1/sqrt(n-1)) for unrelated orders, 1 for a box that kept the order
        "stored_vs_cast_order_rho": round(spearman(list(range(len(order))), order), 4)
        if len(order) > 2
        else None,
    }
    return found


def _hex_runs(text: str) -> set[str]:
    return set(re.findall(r"[0-9a-f]{16,}", text))


def wait_for_mail(e, server: Server, timeout: float) -> dict:
    """Let the server send the opening mail (one code a member with an email) before the
    casting starts, and time it: casting is measured on its own (target 4), the mail
    rate is target 3 (here to the outbox folder, not to an SMTP server)."""
    from sqlalchemy import func, select

    from tallyroom.service import core, schema

    svc = core.Service.open(e.url)
    t0, cpu0 = time.perf_counter(), cpu_seconds(server.proc.pid)
    try:
        while True:
            with svc.engine.connect() as conn:
                left = conn.execute(
                    select(func.count()).where(
                        schema.job.c.kind == "mail", schema.job.c.done.is_(False)
                    )
                ).scalar_one()
                sent = conn.execute(select(func.count()).select_from(schema.delivery)).scalar_one()
            if not left or time.perf_counter() - t0 > timeout:
                break
            time.sleep(0.2)
    finally:
        svc.engine.dispose()
    wall = time.perf_counter() - t0
    return {
        "messages": sent,
        "left_unsent": left,
        "seconds": round(wall, 1),
        "messages_per_s": round(sent / wall, 1),
        "server_cpu_ms_per_message": round(
            (cpu_seconds(server.proc.pid) - cpu0) / max(1, sent) * 1000, 2
        ),
    }


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (best of three), measured before the run:
    machines lent under the same name differ (one took 3.2 ms of server CPU a ballot, a
    later one 12 ms), and a figure says little without the speed of the machine it ran on."""
    best = float("inf")
    for _ in range(3):
        t0, s = time.perf_counter(), 0
        for i in range(5_000_000):
            s += i
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, and its children's (``serve --workers``: user +
    system, from /proc): what a ballot costs the server whatever else the machine does."""

    def of(stat: str) -> tuple[int, float]:
        fields = stat.rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    total = of(Path(f"/proc/{pid}/stat").read_text())[1]
    for p in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid, cpu = of(p.read_text())
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
        if ppid == pid:
            total += cpu
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--database", default=None)
    ap.add_argument("--workers", type=int, default=1, help="tallyroom serve --workers")
    ap.add_argument(
        "--with-email",
        type=float,
        default=0.5,
        help="share of members with an email (their opening mail is sent before casting)",
    )
    ap.add_argument("--kills", type=int, default=0, help="SIGKILLs during the run (target 6)")
    ap.add_argument(
        "--client", choices=sorted(CLIENTS), default="aiohttp", help="the driver's HTTP client"
    )
    ap.add_argument("--out", default="bench/results/service-load.json")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    speed = machine_speed()
    with tempfile.TemporaryDirectory(prefix="tallyroom-load-") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        e = make_election(data, a.database, a.members, with_email=a.with_email)
        # the roll's million codes live to the end: out of the garbage collector's sight, so
        # that its full collections do not walk them again and again while casting
        gc.freeze()
        setup = time.perf_counter() - t0
        server = Server(data, a.database, extra=("--workers", str(a.workers)))
        server.start()
        try:
            mail = wait_for_mail(e, server, timeout=max(60.0, a.members / 20))
            cpu0, mine0 = cpu_seconds(server.proc.pid), time.process_time()  # type: ignore[union-attr]
            got = asyncio.run(
                drive(server.base, e, a.rate, a.seconds, a.connections, server, a.kills, a.client)
            )
            cpu1, mine1 = cpu_seconds(server.proc.pid), time.process_time()  # type: ignore[union-attr]
        finally:
            server.stop()
        n = max(1, got["ballots_cast"])
        got["cpu_ms_per_ballot"] = {
            # a killed server's CPU time is gone with it: stated only for a run without kills
            "server": round((cpu1 - cpu0) / n * 1000, 2) if not a.kills else None,
            "client": round((mine1 - mine0) / n * 1000, 2),
        }
        got["opening_mail"] = mail
        trackers = got.pop("trackers")
        b = books(e, trackers)
        got["secrecy"] = secrecy(e, server, trackers, a.database)
    figures = {
        "database": "postgresql" if a.database else "sqlite",
        "members": a.members,
        "connections": a.connections,
        "server_processes": a.workers,
        "client": a.client,
        "python_loop_5m_seconds": speed,
        "setup_seconds_roll_import_and_open": round(setup, 1),
        **got,
        "books": b,
        "books_balance": books_balance(b),
        "note": "client and server on one machine of "
        f"{os.cpu_count()} cores; load average (1 min) {load0:.2f} before the run, "
        f"{os.getloadavg()[0]:.2f} after",
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    dump(Path(a.out), figures)
    print({k: v for k, v in figures.items() if k != "books"})


if __name__ == "__main__":
    main()
