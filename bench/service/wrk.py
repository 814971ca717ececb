"""Casting throughput with wrk (issue 18, targets 4 and 5), on 127.0.0.1 only, bounded in
time: a roll is generated, ``tallyroom serve`` started, the opening mail let out, and
wrk (Debian's ``wrk``, ``apt-get install wrk``) runs ``cast.lua`` with one connection per
thread as fast as the server answers for ``--seconds``; then the books are checked from
the database with every tracker wrk was given. Figures go to a JSON file.

wrk is closed-loop (each connection sends its next request when the last is answered),
so it measures the most the server gives; ``load.py`` is the bounded, open-loop
correctness client. Per-ballot latency is not wrk's: it reports per request (a ballot is
four: code page, code, ballot page, cast).

    uv run python bench/service/wrk.py --members 20000 --seconds 60 --connections 200 \\
        [--database postgresql://...] --out bench/results/service-wrk-sqlite.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests" / "service"))
from harness import Server, books, books_balance, dump, make_election, paper  # noqa: E402
from load import cpu_seconds, wait_for_mail  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=20000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--database", default=None)
    ap.add_argument("--workers", type=int, default=1, help="tallyroom serve --workers")
    ap.add_argument(
        "--with-email",
        type=float,
        default=0.5,
        help="share of members with an email (their opening mail is sent before casting)",
    )
    ap.add_argument("--out", default="bench/results/service-wrk.json")
    a = ap.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tallyroom-wrk-") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        e = make_election(data, a.database, a.members, with_email=a.with_email)
        setup = time.perf_counter() - t0
        rng = random.Random(4)
        voters = list(e.codes)
        rng.shuffle(voters)
        (data / "voters.tsv").write_text(
            "".join(
                f"{code}\t{urlencode(paper(e, contests, rng))}\n" for _, code, contests in voters
            )
        )
        server = Server(data, a.database, extra=("--workers", str(a.workers)))
        server.start()
        try:
            mail = wait_for_mail(e, server, timeout=max(60.0, a.members / 20))
            cpu0 = cpu_seconds(server.proc.pid)  # type: ignore[union-attr]
            run = subprocess.run(
                [
                    wrk,
                    "-t",
                    str(a.connections),
                    "-c",
                    str(a.connections),
                    "-d",
                    f"{a.seconds}s",
                    "--timeout",
                    "30s",
                    "--latency",
                    "-s",
                    str(HERE / "cast.lua"),
                    server.base,
                    "--",
                    e.eid,
                    str(data / "voters.tsv"),
                    str(data / "wrk"),
                    str(a.connections),
                ],
                capture_output=True,
                text=True,
                timeout=a.seconds + 120,
                check=False,
            )
            cpu1 = cpu_seconds(server.proc.pid)  # type: ignore[union-attr]
        finally:
            server.stop()
        if run.returncode != 0 or not (data / "wrk.summary").exists():
            sys.exit(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        got = json.loads((data / "wrk.summary").read_text())
        trackers = [t for f in data.glob("wrk.[0-9]*") for t in f.read_text().split()]
        b = books(e, trackers)
    got["achieved_ballots_per_s"] = round(got["ballots_cast"] / got["duration_s"], 1)
    got["server_cpu_ms_per_ballot"] = round((cpu1 - cpu0) / max(1, got["ballots_cast"]) * 1000, 2)
    figures = {
        "driver": "wrk (closed loop, one connection per thread), bench/service/cast.lua",
        "database": "postgresql" if a.database else "sqlite",
        "members": a.members,
        "connections": a.connections,
        "server_processes": a.workers,
        "seconds": a.seconds,
        "setup_seconds_roll_import_and_open": round(setup, 1),
        "opening_mail": mail,
        **got,
        "trackers_returned": len(trackers),
        "books": b,
        "books_balance": books_balance(b),
        "wrk_output": run.stdout.splitlines(),
        "note": f"wrk and server on one machine of {os.cpu_count()} cores; load average "
        f"(1 min) {load0:.2f} before the run, {os.getloadavg()[0]:.2f} after",
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    dump(Path(a.out), figures)
    print({k: v for k, v in figures.items() if k not in ("books", "wrk_output")})


if __name__ == "__main__":
    main()
