"""The sealed box inside the service: an election sealed while a draft, papers cast into
it, the board's trackers = the receipts, the close waiting for the scrutineer's shuffle and
k trustees (each checked on arrival; a doctored one refused), the count = the plaintext
count of the same papers, and the published record verifying with ``tallyroom verify``.

And the dump test: given the whole database file and its WAL (SQLite) or a ``pg_dump`` of
the whole database (PostgreSQL), but no trustee share, nothing in it is a plaintext choice, nothing links a slot to a ballot, and the
ballot rows are group elements only."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nacl")
pytest.importorskip("sqlalchemy")

import nacl.signing  # noqa: E402
from sqlalchemy import select  # noqa: E402

from tallyroom import Candidate, Election, Profile, count  # noqa: E402
from tallyroom.sealed import box  # noqa: E402
from tallyroom.sealed.group import Ed25519Group  # noqa: E402
from tallyroom.sealed.record import verify_record  # noqa: E402
from tallyroom.sealed.simulate import ceremony  # noqa: E402
from tallyroom.service import core, schema, sealed  # noqa: E402
from tallyroom.service.db import iso, now, sqlite_url  # noqa: E402

# the same databases as tests/service/conftest.py: SQLite, and PostgreSQL when
# TALLYROOM_TEST_POSTGRES_URL names a throwaway cluster (one fresh database per test)
DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TALLYROOM_TEST_POSTGRES_URL") else [])


def _postgres_database() -> str:
    import psycopg

    base = os.environ["TALLYROOM_TEST_POSTGRES_URL"]
    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


G = Ed25519Group()
NAMES = ["Ada Ames", "Ben Bold", "Cy Crane", "Di Dawes"]
# papers as voters mark them (candidate index -> number written), repeats and gaps included
PAPERS: list[dict[str, int]] = [
    {"0": 1, "1": 2},
    {"1": 1, "2": 2, "0": 3},
    {"2": 1},
    {"0": 1, "3": 2, "1": 3, "2": 4},
    {"3": 1, "0": 2},
    {"0": 1},
    {"1": 1, "0": 2},
    {"2": 1, "3": 1},  # two candidates numbered 1: read under the ballot rules
    {"1": 1, "3": 3},  # a gap
    {"3": 1, "2": 2, "1": 3},
]


def _roll(n: int) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(core.ROLL_FIELDS), lineterminator="\n")
    w.writeheader()
    for i in range(n):
        w.writerow(
            {f: "" for f in core.ROLL_FIELDS}
            | {"number": f"M{i:04d}", "name": f"Member {i}", "email": f"m{i}@example.org"}
        )
    return out.getvalue()


def _spec() -> dict[str, Any]:
    from datetime import timedelta

    return {
        "title": "Council 2026",
        "opens_at": iso(now() - timedelta(minutes=5)),
        "closes_at": iso(now() + timedelta(days=3)),
        "eligibility": [],
        "contests": [{"title": "Council", "rule": "irv", "seats": 1, "candidates": NAMES}],
    }


@pytest.fixture(params=DATABASES)
def election(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    url = sqlite_url(tmp_path) if request.param == "sqlite" else _postgres_database()
    # the board's key from its key file, as `tallyroom serve` reads it
    key_file = tmp_path / "keys" / "board-key"
    svc = core.Service.open(
        url,
        outbox=tmp_path / "outbox",
        box=sealed.SealingBox(sealed.load_board_key(key_file)),
    )
    a = core.create_organisation(svc, "Test Society", "ro@example.org", "correct horse battery")
    eid = core.create_election(svc, a, _spec())
    core.import_roll(svc, a, eid, _roll(len(PAPERS) + 2))
    secrets_, params = ceremony(G, eid, 3, 2)  # the trustees' ceremony, run off the server
    scrutineer = nacl.signing.SigningKey.generate()
    sealed.seal(svc, a, eid, params, scrutineer.verify_key.encode().hex())
    core.open_election(svc, a, eid)
    with svc.engine.begin() as conn:
        slots = conn.execute(
            select(schema.slot.c.id, schema.slot.c.issue, schema.slot.c.contests).where(
                schema.slot.c.election_id == eid
            )
        ).all()
    return {
        "svc": svc,
        "admin": a,
        "id": eid,
        "slots": slots,
        "secrets": secrets_,
        "scrutineer": scrutineer,
        "dir": tmp_path,
        "database": request.param,
        "key_file": key_file,
        "url": url,
    }


def _run_jobs(svc: Any) -> None:
    """What the app's job drain does every second: run the jobs that are due."""
    while core.run_due_jobs(svc):
        pass


def _cast_all(el: dict[str, Any]) -> list[str]:
    receipts = []
    for s, marks in zip(el["slots"], PAPERS):
        (cid,) = s.contests
        receipts.append(core.cast(el["svc"], el["id"], s.id, s.issue, {cid: marks}))
    return receipts


def _plain_result(svc: Any, cid: str) -> list[str]:
    with svc.engine.begin() as conn:
        (c,) = [c for c in core._contests(conn, conn_eid(conn, cid)) if c["id"] == cid]
    profile = core.profile_of(c, PAPERS)
    return list(count(profile, "irv").elected)


def conn_eid(conn: Any, cid: str) -> str:
    return str(
        conn.execute(
            select(schema.contest.c.election_id).where(schema.contest.c.id == cid)
        ).scalar_one()
    )


def test_a_sealed_election_from_casting_to_a_verified_count(election: dict[str, Any]) -> None:
    svc, eid = election["svc"], election["id"]
    receipts = _cast_all(election)
    (b,) = sealed.board(svc, eid)
    cid = b["contest"]
    # the board's trackers are the receipts, in casting order; each receipt checks
    assert [e["tracker"] for e in b["entries"]] == receipts
    with svc.engine.begin() as conn:
        assert svc.box.trackers(conn, [cid]) == set(receipts)
        # nothing in the plaintext box
        assert conn.execute(select(schema.ballot)).first() is None
    # a second cast on a used slot is refused, the board unchanged
    s = election["slots"][0]
    with pytest.raises(core.AlreadyVoted):
        core.cast(svc, eid, s.id, s.issue, {cid: {"0": 1}})
    assert len(sealed.board(svc, eid)[0]["entries"]) == len(PAPERS)

    core.close_election(svc, election["admin"], eid)
    # the close froze the board and queued the service's shuffle (a durable job, not run
    # in the closing request); the count waits
    assert sealed.mix_input(svc, eid, cid)["shuffles"] == []
    with pytest.raises(core.NotFound):
        core.result(svc, eid)
    _run_jobs(svc)
    mix = sealed.mix_input(svc, eid, cid)
    assert len(mix["shuffles"]) == 1 and len(mix["ballots"]) == len(PAPERS)
    el = mix["election"]
    # a decryption before the scrutineer's shuffle is refused
    with pytest.raises(core.ServiceError, match="shuffles"):
        sealed.submit_decryption(svc, eid, cid, {})
    # the scrutineer's shuffle, as `tallyroom trustee mix --index 1` makes it
    s2 = box.mix(
        G,
        el,
        mix["shuffles"][0]["ciphertexts"],
        index=1,
        mixer="scrutineer",
        mixer_seed=election["scrutineer"].encode().hex(),
    )
    # a doctored one (a ballot replaced, re-signed by the scrutineer) is refused
    forged = json.loads(json.dumps(s2))
    forged["ciphertexts"][0] = box.cast_vector(G, el, [1, 0, 0, 0])["choices"]
    body = box._shuffle_body(
        box.fingerprint(el), 1, "scrutineer", mix["shuffles"][0]["ciphertexts"],
        forged["ciphertexts"], forged["proof"],
    )  # fmt: skip
    from tallyroom.sealed.trustees import _sign

    forged["signature"] = _sign(election["scrutineer"].encode().hex(), body)
    with pytest.raises(core.ServiceError, match=r"shuffles\[1\]\.proof"):
        sealed.submit_shuffle(svc, eid, cid, forged)
    sealed.submit_shuffle(svc, eid, cid, s2)
    # trustees 2 and 3 decrypt (trustee 1 lost their key), as `tallyroom trustee decrypt`
    mix = sealed.mix_input(svc, eid, cid)
    last = mix["shuffles"][-1]["ciphertexts"]
    pd2 = box.partial_decrypt(G, el, election["secrets"][1], last)
    bad = json.loads(json.dumps(pd2))
    bad["decryption_factors"][0] = bad["decryption_factors"][1]
    with pytest.raises(core.ServiceError, match="Chaum-Pedersen"):
        sealed.submit_decryption(svc, eid, cid, bad)
    assert sealed.submit_decryption(svc, eid, cid, pd2) == 1  # one more needed
    assert (
        sealed.submit_decryption(
            svc, eid, cid, box.partial_decrypt(G, el, election["secrets"][2], last)
        )
        == 0
    )
    # the k-th decryption queued the opening (a durable job), not run in its request
    assert not sealed.opened(svc, eid, cid)
    with pytest.raises(core.NotFound):
        core.result(svc, eid)
    (job,) = _jobs(svc, sealed.OPEN_JOB)
    assert job.payload == {"election": eid, "contest": cid} and not job.done
    _run_jobs(svc)
    (job,) = _jobs(svc, sealed.OPEN_JOB)
    assert job.done and job.error is None and sealed.opened(svc, eid, cid)
    data = sealed.record(svc, eid, cid)
    (r,) = core.result(svc, eid)
    # run again (a restart before the job was marked done): the record and the result stand
    sealed._open_job(svc.box, svc, job)
    assert sealed.record(svc, eid, cid) == data
    assert core.result(svc, eid) == [r]
    # a late trustee's decryption changes nothing
    assert (
        sealed.submit_decryption(
            svc, eid, cid, box.partial_decrypt(G, el, election["secrets"][0], last)
        )
        == 0
    )
    assert len(_jobs(svc, sealed.OPEN_JOB)) == 1
    # counted: the service's result equals the plaintext count of the same papers
    (r,) = core.result(svc, eid)
    rec = json.loads(r["record_json"])
    assert rec["elected"] == _plain_result(svc, cid)
    with svc.engine.begin() as conn:
        (c,) = [c for c in core._contests(conn, eid) if c["id"] == cid]
    plain = core.profile_of(c, PAPERS)
    assert int(rec["valid"]) == int(plain.valid) and int(rec["ballots_read"]) == len(PAPERS)
    # the published record verifies, and its recount is the same
    data = sealed.record(svc, eid, cid)
    rep = verify_record(data)
    assert any("Terelius-Wikström" in c for c in rep.checked)
    assert json.loads(data)["result"]["elected"] == _plain_result(svc, cid)


def test_the_database_holds_no_plaintext_choice(election: dict[str, Any]) -> None:
    svc, eid, a = election["svc"], election["id"], election["admin"]
    # a control: one paper in a plaintext election of the same database, whose marks the
    # dump must find (so that not finding the sealed ones means something)
    plain = core.create_election(svc, a, _spec())
    core.import_roll(svc, a, plain, _roll(1))
    core.open_election(svc, a, plain)
    with svc.engine.begin() as conn:
        s = conn.execute(select(schema.slot).where(schema.slot.c.election_id == plain)).one()
    control = {"3": 1, "2": 2, "0": 3, "1": 4}
    core.cast(svc, plain, s.id, s.issue, {s.contests[0]: control})
    assert control not in PAPERS
    receipts = _cast_all(election)
    raw = _stolen(election)
    assert json.dumps(control, separators=(",", ":")).encode() in raw
    # the board's signing key is not in the database (a thief could sign false checkpoints):
    # its verification key is, in every spelling the key file's seed could take
    seed = election["key_file"].read_text().strip()
    vk = nacl.signing.SigningKey(bytes.fromhex(seed)).verify_key.encode().hex()
    assert vk.encode() in raw
    for spelling in (seed.encode(), seed.upper().encode(), bytes.fromhex(seed)):
        assert spelling not in raw
    # no paper's marks in any spelling the service writes them (JSON of the marks)
    for marks in PAPERS:
        for text in (
            json.dumps(marks, separators=(",", ":")),
            json.dumps(marks),
            json.dumps(dict(sorted(marks.items())), separators=(",", ":")),
        ):
            assert text.encode() not in raw
    # what the tables hold, read back with SQL
    with svc.engine.begin() as conn:
        (cid,) = election["slots"][0].contests
        assert (
            conn.execute(select(schema.ballot).where(schema.ballot.c.contest_id == cid)).first()
            is None
        )
        rows = conn.execute(select(sealed.sealed_ballot)).all()
        slots = conn.execute(select(schema.slot)).all()
    assert len(rows) == len(PAPERS)
    for r in rows:
        b = json.loads(r.ballot)
        assert set(b) == {"choices", "proof"}
        # two group elements and a proof: nothing else
        G.from_str(b["choices"]["alpha"])
        G.from_str(b["choices"]["beta"])
        entry = json.loads(r.entry)
        assert set(entry) == {"index", "channel", "tracker", "ciphertext", "prev", "hash"}
    # no column of the sealed box carries a slot id, a member id or a time
    slot_ids = {s.id for s in slots} | {s.member_id for s in slots if s.member_id}
    sealed_text = "".join(str(tuple(r)) for r in rows)
    assert not any(i in sealed_text for i in slot_ids)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", sealed_text)
    # slots know only that (and on which day) a member voted
    assert {c.name for c in schema.slot.columns} >= {"voted", "voted_day"}
    assert receipts  # the receipts exist, but hold no choice (a hash of a ciphertext)
    # and fewer than k trustees cannot open anything: one share decrypts to noise
    el = sealed.mix_input(svc, eid, rows[0].contest_id)["election"]
    one = box.partial_decrypt(
        G, el, election["secrets"][0], [json.loads(r.ballot)["choices"] for r in rows]
    )
    from tallyroom.sealed.proofs import Ciphertext

    cts = [Ciphertext.from_json(G, json.loads(r.ballot)["choices"], "c") for r in rows]
    guesses = [G.div(c.beta, G.from_str(f)) for c, f in zip(cts, one["decryption_factors"])]
    n, kappa = len(NAMES), el["embedding"]["bits_per_int"]
    opened = [box.marks_of(el, box.group_decode(G, kappa, n, m)) for m in guesses]
    assert sum(o in PAPERS for o in opened) == 0


def _stolen(election: dict[str, Any]) -> bytes:
    """The database as a thief would take it. SQLite: the files, the database and its
    write-ahead log. PostgreSQL: a dump of the whole database with Debian's ``pg_dump``
    (every table, every row, as a backup holds them; the cluster's own WAL is shared with
    the other tests' databases and is not read here)."""
    if election["database"] == "sqlite":
        files = sorted(election["dir"].glob("tallyroom.sqlite3*"))
        assert files[0].name == "tallyroom.sqlite3"
        return b"".join(f.read_bytes() for f in files)
    import shutil
    import subprocess

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed (Debian: postgresql-client)")
    done = subprocess.run(
        [pg_dump, "--no-owner", "--dbname", election["url"]],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    dump = done.stdout
    # the dump holds the rows (a control that it is a dump of this database at all)
    assert b"COPY public.sealed_ballot " in dump and b"COPY public.ballot " in dump
    return dump


def test_sealing_needs_a_draft_and_a_checking_ceremony(election: dict[str, Any]) -> None:
    svc, eid, a = election["svc"], election["id"], election["admin"]
    with pytest.raises(core.ServiceError, match="draft"):
        sealed.seal(svc, a, eid, {}, "00" * 32)
    other = core.create_election(svc, a, _spec())
    _, params = ceremony(G, "another election", 3, 2)  # a ceremony for another id
    with pytest.raises(core.ServiceError, match="trustees' parameters do not check"):
        sealed.seal(svc, a, other, params, "00" * 32)
    assert not sealed.is_sealed(svc, other)


def test_plaintext_elections_are_unchanged_beside_sealed_ones(election: dict[str, Any]) -> None:
    svc, a = election["svc"], election["admin"]
    eid = core.create_election(svc, a, _spec())
    core.import_roll(svc, a, eid, _roll(3))
    core.open_election(svc, a, eid)
    with svc.engine.begin() as conn:
        s = conn.execute(select(schema.slot).where(schema.slot.c.election_id == eid)).first()
    assert s is not None
    (cid,) = s.contests
    t = core.cast(svc, eid, s.id, s.issue, {cid: {"0": 1}})
    assert re.fullmatch(r"[0-9a-f]{16}", t)
    core.close_election(svc, a, eid)
    assert core.result(svc, eid)


def test_the_record_recount_equals_the_library_on_strict_rankings() -> None:
    # the reading of opened papers (box.profile_of_decoded) agrees with Profile.build on
    # papers that are strict rankings, whatever kind the election names
    e = Election(candidates=tuple(Candidate(n) for n in NAMES), seats=1, title="t")
    el = {"candidates": NAMES, "seats": 1, "title": "t", "method": "irv"}
    el["ballot"] = box._ballot_spec({"kind": "ranked"})
    votes = [(0, 1), (2,), (1, 0, 3)]
    vectors = [[r.index(c) + 1 if c in r else 0 for c in range(4)] for r in votes]
    got = box.profile_of_decoded(el, vectors)
    assert got.same_as(Profile.build(e, [(v, 1) for v in votes]))


def test_the_board_key_file_is_made_private_and_checked(tmp_path: Path) -> None:
    f = tmp_path / "data" / "board-key"
    seed = sealed.load_board_key(f)
    assert f.stat().st_mode & 0o777 == 0o600 and re.fullmatch(r"[0-9a-f]{64}", seed)
    assert sealed.load_board_key(f) == seed  # read back, not made again
    f.chmod(0o644)
    with pytest.raises(sealed.BoardKeyError, match=r"readable by others \(mode 644\)"):
        sealed.load_board_key(f)
    f.chmod(0o600)
    f.write_text("not a key\n")
    with pytest.raises(sealed.BoardKeyError, match=r"board-key:1: found 9 characters"):
        sealed.load_board_key(f)
    with pytest.raises(sealed.BoardKeyError, match="no board key file"):
        sealed.load_board_key(tmp_path / "none", create=False)


def test_a_service_with_another_board_key_refuses_to_sign(election: dict[str, Any]) -> None:
    svc, eid = election["svc"], election["id"]
    _cast_all(election)
    other = core.Service(engine=svc.engine, box=sealed.SealingBox())  # a key of its own
    with pytest.raises(sealed.BoardKeyError, match=r"sealed under the board key [0-9a-f]{64}"):
        core.close_election(other, election["admin"], eid)


def _jobs(svc: Any, kind: str) -> list[Any]:
    with svc.engine.begin() as conn:
        return conn.execute(
            select(schema.job).where(schema.job.c.kind == kind).order_by(schema.job.c.id)
        ).all()


def _due_now(svc: Any, kind: str) -> None:
    from sqlalchemy import update

    with svc.engine.begin() as conn:
        conn.execute(
            update(schema.job)
            .where(schema.job.c.kind == kind, schema.job.c.done.is_(False))
            .values(run_after=iso(now()))
        )


def test_the_mix_is_a_durable_job_run_once(election: dict[str, Any]) -> None:
    svc, eid = election["svc"], election["id"]
    _cast_all(election)
    core.close_election(svc, election["admin"], eid)
    (job,) = _jobs(svc, sealed.MIX_JOB)
    assert not job.done and job.payload["election"] == eid
    _run_jobs(svc)
    (job,) = _jobs(svc, sealed.MIX_JOB)
    assert job.done and job.error is None
    cid = job.payload["contest"]
    (s1,) = sealed.mix_input(svc, eid, cid)["shuffles"]
    # run again (a restart before the job was marked done): the shuffle made stands
    sealed._mix_job(svc.box, svc, job)
    assert sealed.mix_input(svc, eid, cid)["shuffles"] == [s1]
    # and it is a proved shuffle of the board's ballots
    el = sealed.mix_input(svc, eid, cid)["election"]
    ballots = sealed.mix_input(svc, eid, cid)["ballots"]
    box.check_shuffle(G, el, box.fingerprint(el), ballots, s1, 0)


def test_checkpoints_are_signed_on_a_timer_while_open(election: dict[str, Any]) -> None:
    svc, eid = election["svc"], election["id"]
    # sealing queued the first, due a checkpoint interval after the opening
    (first,) = _jobs(svc, sealed.CHECKPOINT_JOB)
    assert first.payload == {"election": eid, "seq": 0}
    _due_now(svc, sealed.CHECKPOINT_JOB)
    _run_jobs(svc)  # nothing cast yet: the empty board is signed, the next one queued
    with svc.engine.begin() as conn:
        (cid,) = sealed._contest_ids(conn, eid)
        (empty,) = sealed._checkpoints(conn, cid)
    assert empty["count"] == 0 and empty["voted_slots"] == {}
    assert [j.done for j in _jobs(svc, sealed.CHECKPOINT_JOB)] == [True, False]
    _due_now(svc, sealed.CHECKPOINT_JOB)
    _run_jobs(svc)  # nothing new since: no checkpoint
    with svc.engine.begin() as conn:
        assert len(sealed._checkpoints(conn, cid)) == 1
    _cast_all(election)
    _due_now(svc, sealed.CHECKPOINT_JOB)
    _run_jobs(svc)
    with svc.engine.begin() as conn:
        _, cp = sealed._checkpoints(conn, cid)
    assert cp["count"] == len(PAPERS) and cp["voted_slots"] == {"online": len(PAPERS)}
    # nobody read the board: the timer signed it, and observers fetch it from board.json
    assert sealed.board(svc, eid)[0]["checkpoints"] == [empty, cp]
    # a slot marked voted with no ballot on the board: the invariant fails, an incident
    # is recorded and the timer goes on
    from sqlalchemy import update

    spare = election["slots"][len(PAPERS)]
    with svc.engine.begin() as conn:
        conn.execute(
            update(schema.slot)
            .where(schema.slot.c.id == spare.id)
            .values(voted=True, voted_channel="online")
        )
    _due_now(svc, sealed.CHECKPOINT_JOB)
    _run_jobs(svc)
    with svc.engine.begin() as conn:
        (inc,) = conn.execute(
            select(schema.incident).where(schema.incident.c.kind == "board invariant")
        ).all()
    assert "invariant broken" in inc.text
    assert not _jobs(svc, sealed.CHECKPOINT_JOB)[-1].done
    # after the close the timer stops: the close signed the last checkpoint
    with svc.engine.begin() as conn:
        conn.execute(
            update(schema.slot)
            .where(schema.slot.c.id == spare.id)
            .values(voted=False, voted_channel=None)
        )
    core.close_election(svc, election["admin"], eid)
    _due_now(svc, sealed.CHECKPOINT_JOB)
    n = len(_jobs(svc, sealed.CHECKPOINT_JOB))
    _run_jobs(svc)
    assert len(_jobs(svc, sealed.CHECKPOINT_JOB)) == n


def test_the_opening_page_takes_the_scrutineer_and_trustees_files(
    election: dict[str, Any],
) -> None:
    from fastapi.testclient import TestClient

    from tallyroom.service.web import create_app

    svc, eid = election["svc"], election["id"]
    _cast_all(election)
    core.close_election(svc, election["admin"], eid)
    _run_jobs(svc)
    http = TestClient(create_app(svc, run_jobs=False))
    page = http.get(f"/e/{eid}/opening")
    assert page.status_code == 200
    assert f"{len(PAPERS)} ballots on the board" in page.text
    assert "Shuffles: service." in page.text and "(2 needed)" in page.text
    # not signed in: the page shows, but its uploads are refused
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    (st,) = sealed.opening_status(svc, eid)
    anon = http.post(
        f"/e/{eid}/sealed/{st['contest']}/upload",
        data={"csrf": token.group(1)},
        files={"file": ("it.json", b"{}", "application/json")},
    )
    assert anon.status_code == 403 and "sign in first" in anon.text
    _sign_in(http, "ro@example.org", "correct horse battery")
    page = http.get(f"/e/{eid}/opening")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    (st,) = sealed.opening_status(svc, eid)
    cid = st["contest"]
    mix = sealed.mix_input(svc, eid, cid)
    el = mix["election"]
    s2 = box.mix(
        G,
        el,
        mix["shuffles"][0]["ciphertexts"],
        index=1,
        mixer="scrutineer",
        mixer_seed=election["scrutineer"].encode().hex(),
    )

    def upload(obj: Any, csrf: str = token.group(1)) -> Any:
        return http.post(
            f"/e/{eid}/sealed/{cid}/upload",
            data={"csrf": csrf},
            files={"file": ("it.json", json.dumps(obj).encode(), "application/json")},
        )

    # no token from the page: refused before anything is read
    assert upload(s2, csrf="forged").status_code == 403
    junk = upload({"hello": "world"})
    assert junk.status_code == 400 and "neither a shuffle" in junk.text
    r = upload(s2)
    assert r.status_code == 200 and "shuffle is accepted" in r.text
    # more than a form's 64 KiB limit goes through to the check (a shuffle is ~500 B a
    # ballot): the same shuffle again is refused by the service, not by the size limit
    big = dict(s2, padding="x" * 100_000)
    again = upload(big)
    assert again.status_code == 400 and "two shuffles already" in again.text
    last = sealed.mix_input(svc, eid, cid)["shuffles"][-1]["ciphertexts"]
    for j in (0, 2):
        r = upload(box.partial_decrypt(G, el, election["secrets"][j], last))
        assert r.status_code == 200, r.text
    assert "the contest is being opened" in r.text
    assert "Being opened:" in http.get(f"/e/{eid}/opening").text
    _run_jobs(svc)  # the opening job, as the app's drain runs it
    assert "Opened:" in http.get(f"/e/{eid}/opening").text
    assert core.result(svc, eid)


def _sign_in(http: Any, email: str, password: str) -> str:
    """Sign in over HTTP as staff do; the session's CSRF token for JSON posts."""
    page = http.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    r = http.post(
        "/login",
        data={"csrf": token.group(1), "email": email, "password": password},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return str(http.get("/api/session").json()["csrf"])


def _staff(svc: Any, a: Any, role: str, email: str) -> None:
    link = core.invite(svc, a, role)
    core.accept_invitation(svc, link.rstrip("/").rsplit("/", 1)[1], email, "a long passphrase 1")


def test_uploads_are_refused_before_their_body_is_read(election: dict[str, Any]) -> None:
    """The opening's posts take up to 512 MiB: nobody but signed-in staff of the election's
    organisation (an administrator, returning officer or scrutineer) gets that far. The
    app is driven as an ASGI server drives it, with a body that says it is 500 MiB and a
    ``receive`` that records whether anything asked for it."""
    import asyncio

    from fastapi.testclient import TestClient

    from tallyroom.service import security
    from tallyroom.service.web import create_app

    svc, eid, a = election["svc"], election["id"], election["admin"]
    app = create_app(svc, run_jobs=False)
    (cid,) = election["slots"][0].contests
    big = 500 * 1024 * 1024

    def post(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
        read = False
        sent: list[Any] = []

        async def receive() -> Any:
            nonlocal read
            read = True
            return {"type": "http.request", "body": b"{" * 65536, "more_body": True}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-length", str(big).encode())] + headers,
            "client": ("198.51.100.7", 4000),
            "server": ("testserver", 80),
        }
        asyncio.run(app(scope, receive, send))
        return sent[0]["status"], read

    json_type = [(b"content-type", b"application/json")]
    form_type = [(b"content-type", b"multipart/form-data; boundary=x")]
    for tail, kind in (("shuffle", json_type), ("decryption", json_type), ("upload", form_type)):
        # no session at all
        assert post(f"/e/{eid}/sealed/{cid}/{tail}", kind) == (403, False)
    # any other address under /sealed/ keeps a form's limit: 413 by the Content-Length
    assert post(f"/e/{eid}/sealed/{cid}/shuffle/x", json_type) == (413, False)
    assert post(f"/e/{eid}/sealed/{cid}/mix.json", json_type) == (413, False)
    assert security.body_limit(f"/e/{eid}/sealed/{cid}/anything") == security.FORM_LIMIT

    # a signed-in observer, and staff of another organisation, are refused the same way
    _staff(svc, a, "observer", "obs@example.org")
    _staff(svc, a, "scrutineer", "scr@example.org")
    other = core.create_organisation(svc, "Other Society", "ro@other.example", "another passphrase")
    assert other
    for email, password, status in (
        ("obs@example.org", "a long passphrase 1", 403),
        ("ro@other.example", "another passphrase", 404),
        ("scr@example.org", "a long passphrase 1", 200),
    ):
        http = TestClient(app)
        csrf = _sign_in(http, email, password)
        cookie = [(b"cookie", f"tallyroom={http.cookies['tallyroom']}".encode())]
        with_token = cookie + [(b"x-csrf-token", csrf.encode())]
        if status != 200:
            assert post(f"/e/{eid}/sealed/{cid}/shuffle", json_type + with_token) == (
                status,
                False,
            )
            assert post(f"/e/{eid}/sealed/{cid}/upload", form_type + cookie) == (status, False)
        else:
            # the scrutineer's session: a JSON post without its CSRF token is refused
            # unread; with it, the body is read (and this one is junk: 400)
            assert post(f"/e/{eid}/sealed/{cid}/shuffle", json_type + cookie) == (403, False)
            r = http.post(
                f"/e/{eid}/sealed/{cid}/shuffle", json={"x": 1}, headers={"x-csrf-token": csrf}
            )
            assert r.status_code == 400


def test_ballot_close_says_what_happened_to_a_sealed_election(election: dict[str, Any]) -> None:
    from click.testing import CliRunner

    from tallyroom.cli import cli

    svc, eid = election["svc"], election["id"]
    _cast_all(election)
    args = ["--data", str(election["dir"]), "--board-key", str(election["key_file"])]
    if election["database"] != "sqlite":
        args += ["--database", election["url"]]
    run = CliRunner().invoke(cli, ["ballot", "close", *args, "--as", "ro@example.org", eid])
    assert run.exit_code == 0, run.output
    # closed, not counted: the shuffle is only queued, and the trustees have work to do
    assert "closed and counted" not in run.output
    assert run.output.startswith("closed: the board is frozen")
    assert f"Council 2026: Council: {len(PAPERS)} ballots; the service's shuffle is queued" in (
        run.output
    )
    assert "tallyroom trustee mix --index 1" in run.output
    assert "tallyroom trustee decrypt" in run.output
    assert sealed.mix_input(svc, eid, election["slots"][0].contests[0])["shuffles"] == []
    # a second close does nothing, and says so
    again = CliRunner().invoke(cli, ["ballot", "close", *args, "--as", "ro@example.org", eid])
    assert again.exit_code == 1 and "is closed, not open: nothing done" in again.output
    _run_jobs(svc)
    assert "the scrutineer's is awaited" in sealed_close_message(svc, eid)


def sealed_close_message(svc: Any, eid: str) -> str:
    from tallyroom.service.cli import close_message

    return close_message(svc, eid, "closed")
