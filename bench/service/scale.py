"""The roll and the credentials at scale (issue 18, targets 1 and 2), bounded by the sizes
given: each stage runs in a process of its own so that its peak memory is its own.

- roll: import a fictional roll of ``--members`` rows (the demo's NEC roll: joined-by and
  paid-up dates, status, region, birth dates, shared and missing emails) under the NEC
  election's eligibility rules, time it and its peak memory; import the same file into a
  second election and check that both rolls open to the same roll hash;
- codes: open the election (every eligible member's slot), then derive every slot's code
  (HMAC, as the mail and the letters do) and time both;
- letters: the PDF of the first ``--letters`` postal voters' letters (with QR codes).

    uv run python bench/service/scale.py --members 1000000 --letters 100000 \\
        --out bench/results/service-scale.json

Only a local SQLite file (or ``--database URL``) is touched.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tallyroom.service import codes, core, demo, mail, schema
from tallyroom.service.db import now, sqlite_url


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def _admin(svc: core.Service) -> dict[str, Any]:
    a = core.authenticate(svc, "ro@scale.example", "scale-bench-password")
    assert a is not None
    return a


def setup(url: str, data: Path) -> dict[str, Any]:
    svc = core.Service.open(url, outbox=data / "outbox")
    core.create_organisation(svc, "Scale Party", "ro@scale.example", "scale-bench-password")
    a = _admin(svc)
    spec = demo.nec_spec(now() + timedelta(days=1), now() + timedelta(days=8))
    ids = [core.create_election(svc, a, spec) for _ in range(2)]
    svc.engine.dispose()
    return {"elections": ids}


def roll(url: str, data: Path, eid: str, roll_file: Path) -> dict[str, Any]:
    svc = core.Service.open(url, outbox=data / "outbox")
    text = roll_file.read_text()
    t = time.perf_counter()
    out = core.import_roll(svc, _admin(svc), eid, text, demo.ROLL_MAPPING, roll_file.name)
    seconds = time.perf_counter() - t
    svc.engine.dispose()
    return {"seconds": round(seconds, 1), "peak_mb": round(_peak_mb()), **out}


def open_and_codes(url: str, data: Path, eid: str) -> dict[str, Any]:
    svc = core.Service.open(url, outbox=data / "outbox")
    a = _admin(svc)
    t = time.perf_counter()
    cert = core.open_election(svc, a, eid)
    opened = time.perf_counter() - t
    with svc.engine.begin() as conn:
        key = conn.execute(
            select(schema.election.c.key).where(schema.election.c.id == eid)
        ).scalar_one()
        slots = conn.execute(
            select(schema.slot.c.id, schema.slot.c.issue).where(schema.slot.c.election_id == eid)
        ).all()
    t = time.perf_counter()
    n = sum(1 for s in slots if codes.display(codes.derive(key, s.id, s.issue)))
    derived = time.perf_counter() - t
    svc.engine.dispose()
    return {
        "open_seconds": round(opened, 1),
        "slots": len(slots),
        "codes": n,
        "codes_seconds": round(derived, 1),
        "roll_sha256": cert["roll_sha256"],
        "peak_mb": round(_peak_mb()),
    }


def letters(url: str, data: Path, eid: str, limit: int) -> dict[str, Any]:
    svc = core.Service.open(url, outbox=data / "outbox")
    a = _admin(svc)
    # the letters of the first ``limit`` postal voters: the others' slots set aside as voted
    with svc.engine.begin() as conn:
        post = conn.execute(
            select(schema.slot.c.id)
            .join(schema.member, schema.member.c.id == schema.slot.c.member_id)
            .where(schema.slot.c.election_id == eid, schema.slot.c.channel == "post")
            .order_by(schema.slot.c.id)
        ).scalars()
        post_slots = list(post)
        extra = post_slots[limit:]
        for i in range(0, len(extra), 10_000):
            conn.execute(
                schema.slot.update()
                .where(schema.slot.c.id.in_(extra[i : i + 10_000]))
                .values(voted=True)
            )
    t = time.perf_counter()
    pdf = mail.letters(svc, a, eid)
    seconds = time.perf_counter() - t
    svc.engine.dispose()
    return {
        "letters": min(limit, len(post_slots)),
        "seconds": round(seconds, 1),
        "pdf_mb": round(len(pdf) / 1e6, 1),
        "peak_mb": round(_peak_mb()),
    }


def _in_own_process(fn: Any, *args: Any) -> Any:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--letters", type=int, default=10_000, help="0: no letters")
    p.add_argument("--database", help="PostgreSQL URL (default: SQLite in a temporary folder)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = args.database or sqlite_url(data)
        roll_file = data / "roll.csv"
        roll_file.write_text(demo.roll_csv(args.members))
        ids = _in_own_process(setup, url, data)["elections"]
        first = _in_own_process(roll, url, data, ids[0], roll_file)
        again = _in_own_process(roll, url, data, ids[1], roll_file)
        opened = _in_own_process(open_and_codes, url, data, ids[0])
        opened_again = _in_own_process(open_and_codes, url, data, ids[1])
        printed = (
            _in_own_process(letters, url, data, ids[0], args.letters) if args.letters else None
        )
    figures = {
        "database": "postgresql" if args.database else "sqlite",
        "members": args.members,
        "roll_import": first,
        "roll_import_again_seconds": again["seconds"],
        "same_file_same_roll_hash": opened["roll_sha256"] == opened_again["roll_sha256"],
        "open_and_codes": opened,
        "letters": printed,
        "targets": {
            "1 roll import <= 120 s, <= 1.5 GB": first["seconds"] <= 120
            and first["peak_mb"] <= 1536,
            "2 codes <= 60 s": opened["codes_seconds"] <= 60,
            "2 letters (per 100,000) <= 20 min": printed["seconds"] * 100_000 / printed["letters"]
            <= 1200
            if printed
            else None,
        },
    }
    text = json.dumps(figures, indent=2) + "\n"
    if args.out:
        args.out.write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
