"""The sealed ballot box in the service (issue 17; the cryptography is
:mod:`tallyroom.sealed`, its guarantees are in ``docs/security.md``).

An election is sealed while a draft (:func:`seal`, or ``POST /api/elections/{id}/seal``
with the trustees' public threshold parameters and the scrutineer's mixer key); from then
on every contest of it has its own sealed election structure, board and trackers:

* **casting** encrypts the paper as marked (server side, the no-JavaScript path) into one
  ciphertext with its proof, appends (tracker, ciphertext hash) to the contest's
  hash-chained board -- the board's head row is locked for the append (``SELECT ... FOR
  UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers) and
  moved with a conditional update, so two casts can never chain to the same entry -- and
  stores the ciphertext, all in the caller's transaction, the one that marks the slot
  voted.  The plaintext is never written;
* **checkpoints**: the board is signed (with the invariant ballots = slots marked voted,
  per channel) whenever it is read and the last checkpoint is older than
  :data:`CHECKPOINT_EVERY` and behind, and at the close;
* **opening waits**: at the close the board is frozen with a last checkpoint and the
  service makes the first shuffle (with its proof); then the scrutineer's shuffle
  (``tallyroom trustee mix --index 1``) and k trustees' partial decryptions
  (``tallyroom trustee decrypt``) are posted, each checked on arrival; once k are in, a
  durable job (:data:`OPEN_JOB`) assembles the record (decrypts, decodes, recounts) and the
  count runs on the opened papers -- outside the trustee's request.

The tables live in their own metadata (made by migration 0002): the service's ``ballot``
table stays empty for a sealed election.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    update,
)

from tallyroom.service import schema
from tallyroom.service.box import PlainBallotBox
from tallyroom.service.db import iso, now, parse_time

CHECKPOINT_EVERY = timedelta(minutes=5)
MIX_JOB = "box:sealed-mix"
OPEN_JOB = "box:sealed-open"
CHECKPOINT_JOB = "box:sealed-checkpoint"
SERVICE_MIXER = "service"
SCRUTINEER_MIXER = "scrutineer"

metadata = MetaData()

# one row per sealed election; board_key is the verification key of the service's board key
# (tallyroom.service.sealed.load_board_key): the secret half is in the key file the service
# was started with, never in the database (revision 0005 took it out)
sealed_election = Table(
    "sealed_election",
    metadata,
    Column("election_id", String(32), primary_key=True),
    Column("grp", String(32), nullable=False),
    Column("board_key", String(64), nullable=False),
    Column("scrutineer_key", String(64), nullable=False),
)

# one sealed election structure per contest (tallyroom.sealed.box.make_election)
sealed_contest = Table(
    "sealed_contest",
    metadata,
    Column("contest_id", String(32), primary_key=True),
    Column("election_id", String(32), nullable=False),
    Column("structure", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    # the board's head: its length and last hash (the row locked for every append)
    Column("board_count", Integer, nullable=False, default=0),
    Column("board_head", String(64), nullable=False),
    Column("record", Text, nullable=True),  # the election record, once opened
)

sealed_ballot = Table(
    "sealed_ballot",
    metadata,
    Column("contest_id", String(32), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("ballot", Text, nullable=False),  # {choices, proof}: a ciphertext, nothing else
    Column("entry", Text, nullable=False),  # its board entry
    Column("ciphertext", String(64), nullable=False),
    Column("tracker", String(64), nullable=False),
    # one slot one ballot is the slot's conditional update; a copied ciphertext is refused
    # by the database
    UniqueConstraint("contest_id", "ciphertext"),
)

sealed_checkpoint = Table(
    "sealed_checkpoint",
    metadata,
    Column("contest_id", String(32), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("body", Text, nullable=False),
)

sealed_shuffle = Table(
    "sealed_shuffle",
    metadata,
    Column("contest_id", String(32), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("body", Text, nullable=False),
)

sealed_decryption = Table(
    "sealed_decryption",
    metadata,
    Column("contest_id", String(32), primary_key=True),
    Column("trustee", Integer, primary_key=True),
    Column("body", Text, nullable=False),
)


def _dump(obj: Any) -> str:
    from tallyroom.sealed import SealedBallotBox

    return SealedBallotBox.dumps(obj)


class SealedNotReady(Exception):
    """Opening waits for a mix or trustees' decryptions (not an error of the caller)."""


# --- the box behind the service's interface ---------------------------------------------------


def load_board_key(path: Path, create: bool = True) -> str:
    """The service's board key (an Ed25519 seed, 64 hex digits) from its key file, made
    (mode 0600) when ``create`` and there is none.  It signs every sealed election's
    checkpoints and the service's shuffle; whoever holds it can sign a false checkpoint, so
    it lives outside the database (a database thief, its backups and WAL do not have it)
    and a file that others can read is refused."""
    import secrets as _secrets
    import stat

    if not path.exists():
        if not create:
            raise BoardKeyError(f"{path}: no board key file")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(_secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise BoardKeyError(
            f"{path}: the board key file is readable by others (mode {mode:o}); "
            f"expected 600 (chmod 600 {path})"
        )
    text = path.read_text().strip()
    if len(text) != 64 or any(ch not in "0123456789abcdef" for ch in text):
        raise BoardKeyError(
            f"{path}:1: found {len(text)} characters; expected 64 lowercase hex digits "
            "(an Ed25519 seed)"
        )
    return text


class BoardKeyError(RuntimeError):
    """The board key file is missing, unsafe, malformed, or not the key an election was
    sealed under."""


class SealingBox:
    """The service's ballot box: sealed contests go to the sealed board, the others to the
    plaintext box (:class:`tallyroom.service.box.PlainBallotBox`).

    ``board_seed`` is the service's board key (:func:`load_board_key`; ``tallyroom serve``
    reads it from ``--board-key``, by default ``DATA/board-key``).  Without one, a key is
    made for this process only: enough for tests, but an election sealed under it cannot
    be checkpointed or mixed by another process or after a restart."""

    def __init__(self, board_seed: str | None = None) -> None:
        import nacl.signing

        self.plain = PlainBallotBox()
        self._structures: dict[str, Any] = {}
        sk = (
            nacl.signing.SigningKey.generate()
            if board_seed is None
            else nacl.signing.SigningKey(bytes.fromhex(board_seed))
        )
        self._board_seed = sk.encode().hex()
        #: the verification key that goes into every election sealed by this service
        self.board_key = sk.verify_key.encode().hex()

    def _sealed(self, conn: Connection, contest_ids: list[str]) -> set[str]:
        if not contest_ids:
            return set()
        rows = conn.execute(
            select(sealed_contest.c.contest_id).where(sealed_contest.c.contest_id.in_(contest_ids))
        )
        return {r.contest_id for r in rows}

    def _structure(self, conn: Connection, contest_id: str) -> Any:
        """The contest's :class:`tallyroom.sealed.ballotbox.SealedBallotBox` (cached: the
        structure is fixed once sealed)."""
        if contest_id not in self._structures:
            from tallyroom.sealed import SealedBallotBox

            row = conn.execute(
                select(
                    sealed_contest.c.structure,
                    sealed_election.c.board_key,
                    sealed_election.c.election_id,
                )
                .join(
                    sealed_election,
                    sealed_election.c.election_id == sealed_contest.c.election_id,
                )
                .where(sealed_contest.c.contest_id == contest_id)
            ).one()
            if row.board_key != self.board_key:
                raise BoardKeyError(
                    f"election {row.election_id} was sealed under the board key "
                    f"{row.board_key}; this service holds {self.board_key}: start it with "
                    "--board-key FILE, the key file it was sealed with"
                )
            self._structures[contest_id] = SealedBallotBox(
                json.loads(row.structure), self._board_seed
            )
        return self._structures[contest_id]

    def cast(
        self,
        conn: Connection,
        papers: Mapping[str, Any],
        channel: str = "online",
        weight: str | None = None,
    ) -> str:
        sealed = self._sealed(conn, list(papers))
        if not sealed:
            return self.plain.cast(conn, papers, weight=weight)
        if weight is not None:  # core refuses to open a sealed weighted election
            raise RuntimeError("a sealed ballot carries no weight")
        if sealed != set(papers):
            raise RuntimeError("an election is sealed in all its contests or in none")
        trackers = []
        for contest_id, marks in papers.items():
            sb = self._structure(conn, contest_id)
            ballot = sb.encrypt_marks(vector_of(sb.election, marks))
            head = conn.execute(
                select(sealed_contest.c.board_count, sealed_contest.c.board_head)
                .where(sealed_contest.c.contest_id == contest_id)
                .with_for_update()
            ).one()
            previous = (
                None
                if head.board_count == 0
                else {"index": head.board_count - 1, "hash": head.board_head}
            )
            entry = sb.accept(ballot, channel, previous)
            moved = conn.execute(
                update(sealed_contest)
                .where(
                    sealed_contest.c.contest_id == contest_id,
                    sealed_contest.c.board_count == head.board_count,
                    sealed_contest.c.record.is_(None),
                )
                .values(board_count=head.board_count + 1, board_head=entry["hash"])
            ).rowcount
            if moved != 1:
                raise RuntimeError("the board moved under this cast; the ballot is not in")
            conn.execute(
                sealed_ballot.insert().values(
                    contest_id=contest_id,
                    idx=entry["index"],
                    ballot=_dump(ballot),
                    entry=_dump(entry),
                    ciphertext=entry["ciphertext"],
                    tracker=entry["tracker"],
                )
            )
            trackers.append(entry["tracker"])
        return " ".join(trackers)

    def opened(self, conn: Connection, contest_id: str) -> list[Any]:
        if not self._sealed(conn, [contest_id]):
            return self.plain.opened(conn, contest_id)
        from tallyroom.sealed import SealedBallotBox

        row = conn.execute(
            select(sealed_contest.c.record).where(sealed_contest.c.contest_id == contest_id)
        ).one()
        if row.record is None:
            raise SealedNotReady(f"contest {contest_id} is not opened yet")
        rec = json.loads(row.record)
        papers = [SealedBallotBox.marks_of(rec["election"], v) for v in rec["decoded"]]
        bad = sum(p is None for p in papers)
        if bad:
            # only a ciphertext made outside this server can open to that: the record
            # counts it as invalid; the service refuses to count round it
            raise RuntimeError(
                f"{bad} opened ballots of contest {contest_id} are no paper of this contest; "
                "see the election record"
            )
        return papers

    def opened_weighted(self, conn: Connection, contest_id: str) -> list[tuple[Any, str | None]]:
        if self._sealed(conn, [contest_id]):
            raise RuntimeError("a sealed ballot carries no weight")
        return self.plain.opened_weighted(conn, contest_id)

    def trackers(self, conn: Connection, contest_ids: list[str]) -> set[str]:
        sealed = self._sealed(conn, contest_ids)
        out = self.plain.trackers(conn, [c for c in contest_ids if c not in sealed])
        if sealed:
            rows = conn.execute(
                select(sealed_ballot.c.tracker).where(sealed_ballot.c.contest_id.in_(sealed))
            )
            out |= {r.tracker for r in rows}
        return out

    def prepare_opening(self, conn: Connection, election_id: str) -> bool:
        """Called when a closed election is to be counted: freeze the board (a last
        checkpoint) and make the service's shuffle; True once every contest is opened."""
        ids = [
            r.contest_id
            for r in conn.execute(
                select(sealed_contest.c.contest_id, sealed_contest.c.record).where(
                    sealed_contest.c.election_id == election_id
                )
            )
            if r.record is None
        ]
        for cid in ids:
            _freeze(self, conn, election_id, cid)
        return not ids

    def run_job(self, svc: Any, job: Any) -> None:
        """The sealed box's durable jobs: the service's shuffle (queued by the close), the
        opening (queued by the k-th trustee's decryption) and the board's timed checkpoints
        (queued at sealing, every :data:`CHECKPOINT_EVERY`)."""
        if job.kind == MIX_JOB:
            _mix_job(self, svc, job)
        elif job.kind == OPEN_JOB:
            _open_job(self, svc, job)
        elif job.kind == CHECKPOINT_JOB:
            _checkpoint_job(self, svc, job)
        else:
            raise ValueError(f"the sealed box has no job {job.kind!r}")


def vector_of(election: Mapping[str, Any], marks: Any) -> list[int]:
    """The service's marks for one contest as the vector :func:`tallyroom.sealed.box.cast_vector`
    encrypts: numbers written against candidates (ranked), 1 for a marked candidate."""
    n = len(election["candidates"])
    v = [0] * n
    if election["ballot"]["kind"] == "ranked":
        for c, k in (marks or {}).items():
            v[int(c)] = int(k)
    else:
        for c in marks or []:
            v[int(c)] = 1
    return v


# --- the board and its checkpoints ------------------------------------------------------------


def _entries(conn: Connection, contest_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(sealed_ballot.c.entry)
        .where(sealed_ballot.c.contest_id == contest_id)
        .order_by(sealed_ballot.c.idx)
    )
    return [json.loads(r.entry) for r in rows]


def _checkpoints(conn: Connection, contest_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(sealed_checkpoint.c.body)
        .where(sealed_checkpoint.c.contest_id == contest_id)
        .order_by(sealed_checkpoint.c.seq)
    )
    return [json.loads(r.body) for r in rows]


def _voted_slots(conn: Connection, election_id: str, contest_id: str) -> dict[str, int]:
    per: Counter[str] = Counter()
    for r in conn.execute(
        select(schema.slot.c.contests, schema.slot.c.voted_channel).where(
            schema.slot.c.election_id == election_id, schema.slot.c.voted.is_(True)
        )
    ):
        if contest_id in r.contests:
            per[r.voted_channel] += 1
    return dict(per)


def _checkpoint(
    box_: SealingBox, conn: Connection, election_id: str, contest_id: str, force: bool = False
) -> None:
    sb = box_._structure(conn, contest_id)
    # the board's head row, locked as every cast locks it: no cast commits between reading
    # the entries and counting the slots marked voted (PostgreSQL reads each statement's
    # own snapshot; SQLite's BEGIN IMMEDIATE already holds the write lock)
    conn.execute(
        select(sealed_contest.c.board_count)
        .where(sealed_contest.c.contest_id == contest_id)
        .with_for_update()
    )
    cps = _checkpoints(conn, contest_id)
    entries = _entries(conn, contest_id)
    voted = _voted_slots(conn, election_id, contest_id)
    if cps and cps[-1]["count"] == len(entries) and cps[-1]["voted_slots"] == voted:
        return  # nothing new since the last one (neither ballots nor slots marked voted)
    if cps and not force and now() - parse_time(cps[-1]["time"]) < CHECKPOINT_EVERY:
        return
    # refuses (SealedError) when ballots per channel != slots marked voted per channel
    cp = sb.checkpoint(entries, voted, iso(now()))
    conn.execute(
        sealed_checkpoint.insert().values(contest_id=contest_id, seq=len(cps), body=_dump(cp))
    )


def _freeze(box_: SealingBox, conn: Connection, election_id: str, contest_id: str) -> None:
    """At the close, in the closing transaction: the board's last checkpoint, and the
    service's shuffle queued as a durable job (minutes at 130,000 ballots: never inside
    the closing request; a restart runs it again)."""
    from tallyroom.service import core

    if conn.execute(
        select(sealed_shuffle.c.idx).where(sealed_shuffle.c.contest_id == contest_id)
    ).first():
        return
    _checkpoint(box_, conn, election_id, contest_id, force=True)
    core._job(
        conn,
        f"sealed-mix:{contest_id}",
        MIX_JOB,
        {"election": election_id, "contest": contest_id},
        now(),
    )


#: how long a claimed mix job is left to its claimant before another process may run it
#: (the job table's own lease, two minutes, is shorter than a big mix)
MIX_LEASE = timedelta(hours=1)


def _mix_job(box_: SealingBox, svc: Any, job: Any) -> None:
    """The service's shuffle of a frozen board (the first of the two), with its proof.
    The ciphertexts are read in one short transaction and the shuffle written in another;
    the mix itself holds no database lock (worker processes do the work,
    tallyroom.sealed.parallel)."""
    from sqlalchemy.exc import IntegrityError

    from tallyroom.service import schema as sch

    contest_id = job.payload["contest"]
    with svc.engine.begin() as conn:
        conn.execute(
            update(sch.job).where(sch.job.c.id == job.id).values(run_after=iso(now() + MIX_LEASE))
        )
    with svc.engine.begin() as conn:
        if conn.execute(
            select(sealed_shuffle.c.idx).where(sealed_shuffle.c.contest_id == contest_id)
        ).first():
            return  # made already (by another process, or before a crash)
        ballots = [json.loads(r.ballot) for r in _ballot_rows(conn, contest_id)]
        sb = box_._structure(conn, contest_id)
    if not ballots:
        return  # nothing cast: nothing to mix or decrypt
    sh = sb.mix(ballots, mixer=SERVICE_MIXER)
    try:
        with svc.engine.begin() as conn:
            conn.execute(
                sealed_shuffle.insert().values(contest_id=contest_id, idx=0, body=_dump(sh))
            )
    except IntegrityError:
        pass  # another process's mix got there first: theirs stands


def _open_job(box_: SealingBox, svc: Any, job: Any) -> None:
    """Open a contest once k trustees' decryptions are in: assemble the record (the
    decryption, decoding and recount: minutes at 130,000 ballots), keep it, and count the
    election once every contest is open.  What it needs is read in one short transaction
    and the record written in another, only where none is kept yet; run twice (a restart,
    or two processes), the first record stands and the count is made once."""
    from tallyroom.service import core
    from tallyroom.service import schema as sch

    eid, contest_id = job.payload["election"], job.payload["contest"]
    with svc.engine.begin() as conn:
        conn.execute(
            update(sch.job).where(sch.job.c.id == job.id).values(run_after=iso(now() + MIX_LEASE))
        )
    with svc.engine.begin() as conn:
        row = _contest_of(conn, eid, contest_id)
        if row.record is None:
            sb = box_._structure(conn, contest_id)
            shuffles = _shuffles(conn, contest_id)
            pds = [
                json.loads(r.body)
                for r in conn.execute(
                    select(sealed_decryption.c.body)
                    .where(sealed_decryption.c.contest_id == contest_id)
                    .order_by(sealed_decryption.c.trustee)
                )
            ]
            ballots = [json.loads(r.ballot) for r in _ballot_rows(conn, contest_id)]
            entries, checkpoints = _entries(conn, contest_id), _checkpoints(conn, contest_id)
    if row.record is None:
        if len(pds) < sb.threshold or len(shuffles) < 2:
            raise RuntimeError(
                f"contest {contest_id}: {len(shuffles)} shuffles and {len(pds)} decryptions "
                f"in, 2 and {sb.threshold} needed: nothing to open"
            )
        # the service's own shuffle and the scrutineer's (checked when it was posted); each
        # share was checked on arrival: the record verifies by construction (the tests run
        # verify_record on it; anyone can with `tallyroom verify`)
        rec = sb.record(
            entries, checkpoints, ballots, shuffles, pds, shuffles_checked=True, shares_checked=True
        )
        with svc.engine.begin() as conn:
            conn.execute(  # only where none is kept: another run's record stands
                update(sealed_contest)
                .where(sealed_contest.c.contest_id == contest_id, sealed_contest.c.record.is_(None))
                .values(record=_dump(rec))
            )
    core._count(svc, eid)  # counts once every contest is open (and once only)


def _checkpoint_job(box_: SealingBox, svc: Any, job: Any) -> None:
    """The board's timed checkpoint: every :data:`CHECKPOINT_EVERY` while the election is
    open (none when nothing was cast since the last), the next one queued each time; a
    broken invariant is an incident, and the timer goes on."""
    from tallyroom import TallyroomError

    eid, seq = job.payload["election"], int(job.payload["seq"])
    with svc.engine.begin() as conn:
        e = conn.execute(
            select(schema.election.c.state, schema.election.c.opens_at).where(
                schema.election.c.id == eid
            )
        ).first()
        if e is None or e.state not in ("draft", "open"):
            return  # closed: the close signed the last checkpoint; the timer stops
        if e.state == "open":
            for cid in _contest_ids(conn, eid):
                try:  # the timer is the rate; refused before anything is written
                    _checkpoint(box_, conn, eid, cid, force=True)
                except TallyroomError as err:
                    conn.execute(
                        schema.incident.insert().values(
                            election_id=eid, at=iso(now()), kind="board invariant", text=str(err)
                        )
                    )
        # a draft's first checkpoint is due once it opens
        due = now() + CHECKPOINT_EVERY
        if e.state == "draft":
            due = max(due, parse_time(e.opens_at) + CHECKPOINT_EVERY)
        _queue_checkpoint(conn, eid, seq + 1, due)


def _queue_checkpoint(conn: Connection, election_id: str, seq: int, due: Any) -> None:
    from tallyroom.service import core

    core._job(
        conn,
        f"sealed-checkpoint:{election_id}:{seq}",
        CHECKPOINT_JOB,
        {"election": election_id, "seq": seq},
        due,
    )


def _contest_ids(conn: Connection, election_id: str) -> list[str]:
    return [
        r.contest_id
        for r in conn.execute(
            select(sealed_contest.c.contest_id).where(sealed_contest.c.election_id == election_id)
        )
    ]


def _ballot_rows(conn: Connection, contest_id: str) -> Any:
    return conn.execute(
        select(sealed_ballot.c.ballot)
        .where(sealed_ballot.c.contest_id == contest_id)
        .order_by(sealed_ballot.c.idx)
    )


# --- what administrators, the scrutineer and trustees call --------------------------------------


def seal(
    svc: Any,
    actor: Mapping[str, Any],
    election_id: str,
    trustees: Mapping[str, Any],
    scrutineer_key: str,
    group: str = "Ed25519",
) -> None:
    """Seal a draft election: every contest gets its sealed election structure, under the
    trustees' public key (``tallyroom trustee params`` output) with the service and the
    scrutineer (``scrutineer_key``: an Ed25519 verification key, hex, e.g. the
    ``verification`` of the scrutineer's trustee certificate) as the two mixers."""
    from tallyroom import TallyroomError
    from tallyroom.sealed import SealedBallotBox
    from tallyroom.service import core

    core._require(actor, core.MANAGERS)
    with svc.engine.begin() as conn:
        e = core._election(conn, actor, election_id)
        if e.state != "draft":
            raise core.ServiceError("only a draft election can be sealed")
        if conn.execute(
            select(sealed_election.c.election_id).where(sealed_election.c.election_id == e.id)
        ).first():
            raise core.ServiceError("this election is already sealed")
        contests = core._contests(conn, e.id)
        if not contests:
            raise core.ServiceError("this election has no contest to seal")
        box_ = _box(svc)
        board_key = box_.board_key
        if not (isinstance(scrutineer_key, str) and len(scrutineer_key) == 64):
            raise core.ServiceError("scrutineer_key: expected 64 hex digits (an Ed25519 key)")
        try:
            bytes.fromhex(scrutineer_key)
            seen: set[str] = set()
            for c in contests:
                # each contest is its own sealed election under the same trustees' key
                options = {k: v for k, v in c["options"].items() if k != "ballot_rules"}
                if c["constraints"]:
                    options["constraints"] = list(c["constraints"])
                kind = c["ballot_type"] if c["ballot_type"] in ("ranked", "yesno") else "approval"
                # the trustees ran their ceremony for this election's id (``--election ID``)
                structure = SealedBallotBox.new_election(
                    group,
                    uuid=e.id,
                    title=f"{e.title}: {c['title']}",
                    candidates=[x["name"] for x in c["candidates"]],
                    seats=c["seats"],
                    method=c["rule_id"],
                    trustees=dict(trustees),
                    board_key=board_key,
                    mixers=[
                        {"name": SERVICE_MIXER, "key": board_key},
                        {"name": SCRUTINEER_MIXER, "key": scrutineer_key},
                    ],
                    ballot={
                        "kind": kind,
                        "max_marks": c["max_marks"],
                        "rules": dict(c["options"].get("ballot_rules", {})),
                        "options": options,
                    },
                )
                sb = SealedBallotBox(structure, box_._board_seed)
                phi = sb.phi
                if phi in seen:
                    raise core.ServiceError(f"two contests are alike: {c['title']!r}")
                seen.add(phi)
                conn.execute(
                    sealed_contest.insert().values(
                        contest_id=c["id"],
                        election_id=e.id,
                        structure=_dump(structure),
                        fingerprint=phi,
                        board_count=0,
                        board_head=sb.genesis,
                    )
                )
        except (TallyroomError, ValueError, KeyError, TypeError) as err:
            raise core.ServiceError(f"the trustees' parameters do not check: {err}") from None
        conn.execute(
            sealed_election.insert().values(
                election_id=e.id,
                grp=group,
                board_key=board_key,
                scrutineer_key=scrutineer_key,
            )
        )
        # the board's timed checkpoints (every CHECKPOINT_EVERY once it opens)
        _queue_checkpoint(conn, e.id, 0, max(now(), parse_time(e.opens_at)) + CHECKPOINT_EVERY)
        core._audit(
            conn,
            e.organisation_id,
            actor["email"],
            "election sealed",
            {"election": e.id, "group": group, "board_key": board_key},
        )


def is_sealed(svc: Any, election_id: str) -> bool:
    with svc.engine.begin() as conn:
        return (
            conn.execute(
                select(sealed_election.c.election_id).where(
                    sealed_election.c.election_id == election_id
                )
            ).first()
            is not None
        )


def _contest_of(conn: Connection, election_id: str, contest_id: str) -> Any:
    from tallyroom.service import core

    row = conn.execute(
        select(sealed_contest).where(
            sealed_contest.c.contest_id == contest_id,
            sealed_contest.c.election_id == election_id,
        )
    ).first()
    if row is None:
        raise core.NotFound("no sealed contest here")
    return row


def board(svc: Any, election_id: str) -> list[dict[str, Any]]:
    """The public boards, one per contest: the election structure, the entries and the
    signed checkpoints (a new one signed when due)."""
    box_ = _box(svc)
    out = []
    with svc.engine.begin() as conn:
        e = conn.execute(
            select(schema.election.c.state).where(schema.election.c.id == election_id)
        ).first()
        rows = conn.execute(
            select(sealed_contest.c.contest_id).where(sealed_contest.c.election_id == election_id)
        ).all()
        for r in rows:
            if e is not None and e.state == "open":
                _checkpoint(box_, conn, election_id, r.contest_id)
            sb = box_._structure(conn, r.contest_id)
            structure, phi = sb.election, sb.phi
            out.append(
                {
                    "contest": r.contest_id,
                    "election": structure,
                    "fingerprint": phi,
                    "entries": _entries(conn, r.contest_id),
                    "checkpoints": _checkpoints(conn, r.contest_id),
                }
            )
    return out


def mix_input(svc: Any, election_id: str, contest_id: str) -> dict[str, Any]:
    """What the scrutineer and the trustees fetch at the close: the election structure, the
    board's ciphertexts and the shuffles so far (the ``--shuffles`` file of ``tallyroom
    trustee decrypt``; ``shuffles[-1]`` is the scrutineer's ``--ciphertexts``)."""
    with svc.engine.begin() as conn:
        row = _contest_of(conn, election_id, contest_id)
        return {
            "election": json.loads(row.structure),
            "ballots": [json.loads(r.ballot)["choices"] for r in _ballot_rows(conn, contest_id)],
            "shuffles": _shuffles(conn, contest_id),
        }


def opening_status(svc: Any, election_id: str) -> list[dict[str, Any]]:
    """Where each contest's opening stands, for the scrutineer's and trustees' page: the
    ballots on the board, the shuffles in (the service's, the scrutineer's), the trustees
    who decrypted and how many are needed, and whether the record is made."""
    out = []
    with svc.engine.begin() as conn:
        for row in conn.execute(
            select(sealed_contest).where(sealed_contest.c.election_id == election_id)
        ).all():
            structure = json.loads(row.structure)
            shuffles = [
                json.loads(r.body)["mixer"]
                for r in conn.execute(
                    select(sealed_shuffle.c.body)
                    .where(sealed_shuffle.c.contest_id == row.contest_id)
                    .order_by(sealed_shuffle.c.idx)
                )
            ]
            trustees = [
                r.trustee
                for r in conn.execute(
                    select(sealed_decryption.c.trustee)
                    .where(sealed_decryption.c.contest_id == row.contest_id)
                    .order_by(sealed_decryption.c.trustee)
                )
            ]
            out.append(
                {
                    "contest": row.contest_id,
                    "title": structure["title"],
                    "ballots": row.board_count,
                    "shuffles": shuffles,
                    "decrypted_by": trustees,
                    "threshold": structure["trustees"]["threshold"],
                    "opened": row.record is not None,
                }
            )
    return out


def submit(svc: Any, election_id: str, contest_id: str, message: Any) -> str:
    """An uploaded file, the scrutineer's shuffle or a trustee's decryption (told apart by
    their fields), submitted as its own POST would; what happened, in words."""
    from tallyroom.service import core

    if isinstance(message, dict) and {"mixer", "ciphertexts", "proof", "signature"} <= set(message):
        submit_shuffle(svc, election_id, contest_id, message)
        return "The scrutineer's shuffle is accepted: its signature and proof check."
    if isinstance(message, dict) and {"trustee", "decryption_factors"} <= set(message):
        needed = submit_decryption(svc, election_id, contest_id, message)
        return f"Trustee {message['trustee']}'s decryption is accepted: every proof checks. " + (
            f"{needed} more needed."
            if needed
            else "Enough trustees have decrypted: the contest is being opened (decrypted, "
            "decoded and counted by the service's job runner; at many ballots this takes "
            "minutes). This page shows its record once made."
        )
    raise core.ServiceError(
        "this file is neither a shuffle (`tallyroom trustee mix`) nor a decryption "
        "(`tallyroom trustee decrypt`): expected {mixer, ciphertexts, proof, signature} or "
        "{trustee, decryption_factors, decryption_proofs}"
    )


def _shuffles(conn: Connection, contest_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(sealed_shuffle.c.body)
        .where(sealed_shuffle.c.contest_id == contest_id)
        .order_by(sealed_shuffle.c.idx)
    )
    return [json.loads(r.body) for r in rows]


def submit_shuffle(svc: Any, election_id: str, contest_id: str, shuffle: Any) -> None:
    """The scrutineer's shuffle: checked (signature and proof of shuffle against the
    service's) before it is kept."""
    from tallyroom import TallyroomError
    from tallyroom.service import core

    box_ = _box(svc)
    with svc.engine.begin() as conn:
        row = _contest_of(conn, election_id, contest_id)
        shuffles = _shuffles(conn, contest_id)
        if len(shuffles) != 1:
            raise core.ServiceError(
                "the board is not frozen and mixed by the service yet"
                if not shuffles
                else "this contest has its two shuffles already"
            )
        sb = box_._structure(conn, contest_id)
        if not isinstance(shuffle, dict) or shuffle.get("mixer") != SCRUTINEER_MIXER:
            raise core.ServiceError(f"expected the {SCRUTINEER_MIXER}'s shuffle")
        try:
            sb.check_shuffle(shuffles[0]["ciphertexts"], shuffle, 1)
        except TallyroomError as err:
            raise core.ServiceError(f"shuffle refused: {err}") from None
        conn.execute(
            sealed_shuffle.insert().values(contest_id=row.contest_id, idx=1, body=_dump(shuffle))
        )


def submit_decryption(svc: Any, election_id: str, contest_id: str, partial: Any) -> int:
    """A trustee's partial decryption of the last shuffle, checked (every Chaum--Pedersen
    proof) before it is kept.  The decryptions still needed: at 0 (the k-th is in) the
    opening is queued as a durable job (:data:`OPEN_JOB`: the record is assembled, and
    the election counted once every contest is open), not run in the caller's request."""
    from tallyroom import TallyroomError
    from tallyroom.service import core

    box_ = _box(svc)
    with svc.engine.begin() as conn:
        row = _contest_of(conn, election_id, contest_id)
        # two trustees posting at once: the contest row is locked (PostgreSQL; SQLite's
        # BEGIN IMMEDIATE serialises writers), so the last of the k sees all k and queues
        conn.execute(
            select(sealed_contest.c.contest_id)
            .where(sealed_contest.c.contest_id == contest_id)
            .with_for_update()
        )
        if row.record is not None:
            return 0
        shuffles = _shuffles(conn, contest_id)
        if len(shuffles) < 2:
            raise core.ServiceError("the two shuffles are not in yet: nothing to decrypt")
        sb = box_._structure(conn, contest_id)
        try:
            j = sb.check_decryption(shuffles[-1]["ciphertexts"], partial)
        except TallyroomError as err:
            raise core.ServiceError(f"decryption refused: {err}") from None
        if conn.execute(
            select(sealed_decryption.c.trustee).where(
                sealed_decryption.c.contest_id == contest_id, sealed_decryption.c.trustee == j
            )
        ).first():
            raise core.ServiceError(f"trustee {j} has decrypted already")
        conn.execute(
            sealed_decryption.insert().values(contest_id=contest_id, trustee=j, body=_dump(partial))
        )
        n = len(
            conn.execute(
                select(sealed_decryption.c.trustee).where(
                    sealed_decryption.c.contest_id == contest_id
                )
            ).all()
        )
        needed: int = max(sb.threshold - n, 0)
        if needed == 0:  # one job a contest, whichever decryptions came last
            core._job(
                conn,
                f"sealed-open:{contest_id}",
                OPEN_JOB,
                {"election": election_id, "contest": contest_id},
                now(),
            )
    return needed


def opened(svc: Any, election_id: str, contest_id: str) -> bool:
    """Whether this contest's record is assembled and kept."""
    with svc.engine.begin() as conn:
        return _contest_of(conn, election_id, contest_id).record is not None


def record(svc: Any, election_id: str, contest_id: str) -> bytes:
    """The published election record of a contest (``tallyroom verify`` reads it)."""
    from tallyroom.service import core

    with svc.engine.begin() as conn:
        row = _contest_of(conn, election_id, contest_id)
    if row.record is None:
        raise core.NotFound("this contest is not opened yet")
    return str(row.record).encode()


def _box(svc: Any) -> SealingBox:
    b = svc.box
    if not isinstance(b, SealingBox):
        raise RuntimeError("this service does not run the sealing box")
    return b
