"""The sealed box at scale: N ranked ballots of 20 candidates cast (encrypted, proved,
checked on receipt, put on the board), mixed twice, decrypted by 2 of 3 trustees with
proofs, every proof verified (each mixer proves its shuffle, spec §6; the service checks the
scrutineer's proof; a trustee checks both before decrypting), decoded and counted by the
library; then the whole record
serialized and re-verified by ``verify_record`` as a scrutineer would.

    nice -n 19 uv run python bench/sealed/run.py --ballots 5000 --out bench/sealed/results-5000.json

Bounded: ``--max-seconds`` stops after the phase that passes it (the result says so).
One process, one core (libsodium's scalar multiplications are the cost).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from typing import Any


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process and of its (finished or pooled) worker processes: the
    work done, whatever else the machine runs (wall time is what a user waits for)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + _pool_cpu()


def _pool_cpu() -> float:
    # pooled workers are alive while the run goes on: read their CPU time from /proc
    try:
        from tallyroom.sealed import parallel
    except ImportError:  # the code before the worker pool
        return 0.0
    return parallel.workers_cpu_seconds()


def _workers() -> int:
    try:
        from tallyroom.sealed import parallel
    except ImportError:  # the code before the worker pool: one process
        return 1
    return parallel.worker_count()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ballots", type=int, default=5000)
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--seats", type=int, default=10)
    ap.add_argument("--method", default="scottish-stv")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--max-seconds", type=float, default=3000)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    import nacl.signing

    from tallyroom.sealed import box
    from tallyroom.sealed.group import Ed25519Group
    from tallyroom.sealed.record import dumps, open_box, verify_record
    from tallyroom.sealed.simulate import ceremony

    G = Ed25519Group()
    rng = random.Random(a.seed)
    names = [f"Candidate {i + 1}" for i in range(a.candidates)]
    phases: dict[str, float] = {}
    cpu: dict[str, float] = {}
    start = time.perf_counter()
    cpu_start = cpu_s()
    stopped = None
    last_cpu = [cpu_start]

    def phase(name: str, t0: float) -> None:
        nonlocal stopped
        phases[name] = round(time.perf_counter() - t0, 2)
        c = cpu_s()
        cpu[name] = round(c - last_cpu[0], 2)
        last_cpu[0] = c
        print(
            f"{name:40s} {phases[name]:9.2f} s  cpu {cpu[name]:9.2f} s  peak {rss_mb():8.0f} MB",
            file=sys.stderr,
            flush=True,
        )
        if stopped is None and time.perf_counter() - start > a.max_seconds:
            stopped = name

    t = time.perf_counter()
    last_cpu[0] = cpu_s()
    secrets, params = ceremony(G, "bench", 3, 2)
    board = nacl.signing.SigningKey.generate()
    scrut = nacl.signing.SigningKey.generate()
    election = box.make_election(
        G,
        uuid="bench",
        title="bench",
        candidates=names,
        seats=a.seats,
        method=a.method,
        trustees=params,
        board_key=board.verify_key.encode().hex(),
        mixers=[
            {"name": "service", "key": board.verify_key.encode().hex()},
            {"name": "scrutineer", "key": scrut.verify_key.encode().hex()},
        ],
    )
    phi = box.fingerprint(election)
    phase("key ceremony (3 trustees, 2 of 3)", t)

    # partial rankings, lengths 1..20, more short than long
    votes = [
        tuple(rng.sample(range(a.candidates), min(a.candidates, 1 + int(rng.expovariate(0.25)))))
        for _ in range(a.ballots)
    ]
    t = time.perf_counter()
    ballots = [box.cast(G, election, v) for v in votes]
    phase("cast: encrypt + proof", t)

    t = time.perf_counter()
    y = box.public_key(G, election)
    entries: list[dict[str, Any]] = []
    for b in ballots:
        box.check_ballot(G, election, b, "ballot", phi=phi, y=y)
        entries.append(box.board_entry(phi, entries[-1] if entries else None, "web", b))
    checkpoints = [
        box.checkpoint(phi, board.encode().hex(), entries, {"web": len(entries)}, "close")
    ]
    phase("receipt: check proof + board entry", t)

    if stopped is None:
        t = time.perf_counter()
        s1 = box.mix(
            G,
            election,
            [b["choices"] for b in ballots],
            index=0,
            mixer="service",
            mixer_seed=board.encode().hex(),
        )
        phase("mix 1 (service)", t)
        t = time.perf_counter()
        s2 = box.mix(
            G,
            election,
            s1["ciphertexts"],
            index=1,
            mixer="scrutineer",
            mixer_seed=scrut.encode().hex(),
        )
        phase("mix 2 (scrutineer)", t)
        t = time.perf_counter()
        box.check_shuffle(G, election, phi, s1["ciphertexts"], s2, 1)
        phase("service checks the scrutineer's proof of shuffle", t)
        t = time.perf_counter()
        box.check_shuffles(G, election, phi, [b["choices"] for b in ballots], [s1, s2])
        phase("a trustee checks both proofs of shuffle (each, on their machine)", t)
        t = time.perf_counter()
        pds = [box.partial_decrypt(G, election, secrets[j], s2["ciphertexts"]) for j in (0, 2)]
        phase("decryption shares with proofs (trustees 1, 3)", t)
        t = time.perf_counter()
        rec = open_box(
            G, election, entries, checkpoints, ballots, [s1, s2], pds, shuffles_checked=True
        )
        phase("check shares, combine, decode, count", t)
        assert sorted(box.vector_ranking(v) for v in rec["decoded"]) == sorted(votes)
        del s1, s2, pds
        t = time.perf_counter()
        data = dumps(rec)
        size = len(data)
        del rec
        phase("serialize the record", t)
        if stopped is None:
            t = time.perf_counter()
            verify_record(data)
            phase("verify_record (scrutineer's full check)", t)
    out = {
        "ballots": a.ballots,
        "candidates": a.candidates,
        "method": a.method,
        "seats": a.seats,
        "group": G.name,
        "phases_seconds": phases,
        "phases_cpu_seconds": cpu,
        "total_seconds": round(time.perf_counter() - start, 2),
        "total_cpu_seconds": round(cpu_s() - cpu_start, 2),
        "workers": _workers(),
        "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
        "peak_rss_mb": round(rss_mb()),
        "record_bytes": size if stopped is None or "serialize the record" in phases else None,
        "stopped_after": stopped,
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
    }
    print(json.dumps(out, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
