"""Secrecy by construction: after 1,000 known votes, a dump of the whole database holds no
link from any voter to any ballot — no shared key, no timestamp beside a ballot, and the
ballots' stored order uncorrelated with the order of casting.

The dump is SQLite's own (``iterdump``: every table's rows in stored order), of the
default database. (PostgreSQL keeps rows in its heap in insertion order and stamps each
row with its transaction id, so there a database administrator can link a slot to a
plaintext ballot: docs/service.md says so, and the sealed box is the answer.)
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sqlite3
from pathlib import Path

from tallyroom.service import core
from tallyroom.service.db import sqlite_url

from .conftest import admin_of, roll_text, spec
from .harness import spearman

N = 1000
CANDIDATES = [f"Candidate {c}" for c in "ABCDEFGH"]


def test_a_dump_links_no_voter_to_any_ballot(tmp_path: Path):
    svc = core.Service.open(sqlite_url(tmp_path), outbox=tmp_path / "outbox")
    a = admin_of(svc)
    contests = [{"title": "Council", "rule": "meek-stv", "seats": 3, "candidates": CANDIDATES}]
    eid = core.create_election(svc, a, spec(contests))
    rows = [
        {"number": f"{i:05d}", "name": f"Member {i}", "email": f"m{i}@example.org"}
        for i in range(N)
    ]
    core.import_roll(svc, a, eid, roll_text(rows))
    core.open_election(svc, a, eid)
    (cid,) = [c["id"] for c in core.election_info(svc, a, eid)["contests"]]
    db = sqlite3.connect(tmp_path / "tallyroom.sqlite3")
    # the worst case for secrecy: members vote in the order their slots are stored
    slots = [r[0] for r in db.execute("SELECT id FROM slot")]
    member_ids = {r[0] for r in db.execute("SELECT id FROM member")}
    # 1,000 different rankings, so each ballot in the dump names its place in the casting
    rankings = list(itertools.permutations(range(8), 4))
    random.Random(7).shuffle(rankings)
    known = {}
    trackers = []
    for i, slot in enumerate(slots):
        ranking = rankings[i]
        marks = {str(c): k for k, c in enumerate(ranking, 1)}
        trackers.append(core.cast(svc, eid, slot, 1, {cid: marks}))
        known[tuple(ranking)] = i
    db.close()

    db = sqlite3.connect(tmp_path / "tallyroom.sqlite3")
    dump = list(db.iterdump())
    ballot_lines = [x for x in dump if x.startswith('INSERT INTO "ballot"')]
    assert len(ballot_lines) == N
    # the box's columns: a random id, the contest, a random tracker, the marks, and the
    # vote weight, which stays empty in an election without weights; nothing else
    columns = [r[1] for r in db.execute("PRAGMA table_info(ballot)")]
    assert columns == ["id", "contest_id", "tracker", "content", "weight"]
    assert db.execute("SELECT count(*) FROM ballot WHERE weight IS NOT NULL").fetchone() == (0,)
    # no value of a slot or a member (ids, code HMACs) appears in the box, and no ballot id
    # or tracker appears anywhere outside it
    box_text = "\n".join(ballot_lines)
    for s in slots[:50] + sorted(member_ids)[:50]:
        assert s not in box_text
    rest = "\n".join(x for x in dump if not x.startswith('INSERT INTO "ballot"'))
    ballot_ids = [r[0] for r in db.execute("SELECT id FROM ballot")]
    for t in trackers[:100] + ballot_ids[:100]:
        assert t not in rest
    # no time beside a ballot; the slot side keeps a day, never a time
    assert not re.search(r"\d\d:\d\d", box_text)
    days = {r[0] for r in db.execute("SELECT voted_day FROM slot")}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in days)
    assert not any(re.search(r"\d\d:\d\d", x) for x in dump if x.startswith('INSERT INTO "slot"'))
    # the stored order of the box follows the random ids, not the casting
    stored = []
    for (content,) in db.execute("SELECT content FROM ballot"):
        marks = json.loads(content)
        stored.append(known[tuple(int(c) for c, _ in sorted(marks.items(), key=lambda x: x[1]))])
    assert sorted(stored) == list(range(N))
    rho = spearman(list(range(N)), stored)
    # for 1,000 unrelated orders rho has standard deviation 1/sqrt(999) = 0.032; a box that
    # kept the casting order would give 1.0
    assert abs(rho) < 0.15, rho
    # and the box the count opens is in that same random order
    with svc.engine.begin() as conn:
        opened = svc.box.opened(conn, cid)
    assert len(opened) == N
    db.close()
    svc.engine.dispose()
