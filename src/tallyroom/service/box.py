"""The ballot box, behind one small interface so that the sealed box (issue 17) can put
ciphertexts in it instead of plaintext without the rest of the service changing.

A ballot is the content of one contest on one paper: a JSON text of the voter's marks.
The box stores it with a random id and a random tracker, and nothing else: no voter, no
slot, no time. It is written in the caller's transaction, the same one that marks the slot
as voted, so the two stand or fall together.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import Connection, select

from tallyroom.service import schema


class BallotBox(Protocol):
    """What the service asks of a ballot box (``Service.box``); the plaintext box below is
    the default, and a sealed box (``tallyroom.sealed``) plugs in by implementing these
    four calls (``tallyroom.service.sealed``).

    The marks of a paper, per contest, are what ``core.validate_paper`` returns: for a
    ranked contest ``{"candidate index": preference number, ...}`` (as typed: repeats and
    gaps kept, so that the count reads them under the contest's ballot rules); for X-votes
    and approval a sorted list of candidate indexes; for yes/no ``[0]`` or ``[1]``; None
    for a contest left untouched.

    Contract (checked by tests/service/test_ballot.py and test_secrecy.py):

    * ``cast`` runs inside the caller's transaction, the one that marks the slot voted:
      it must write only through ``conn`` and never commit, so the ballot and the mark
      stand or fall together. It stores nothing about the voter, the slot or the time.
    * ``opened`` is called once the election is closed, by the count; it returns the
      marks in an order that does not follow the casting. A sealed box that needs its
      trustees first raises a ``ServiceError`` until they have decrypted; the count job
      is retried and the election stays "closed" meanwhile.
    * ``opened_weighted`` is ``opened`` for a weighted election: each ballot with the weight
      it was cast with (the text ``cast`` was given: ``"3"``, ``"2.5"``).
    * ``trackers`` answers the public "is my ballot in the box?" page.
    * ``prepare_opening`` does what the box can do by itself at the close (the sealed box
      freezes its board and makes the service's shuffle) and says whether ``opened`` can
      be called yet.
    """

    def cast(
        self,
        conn: Connection,
        papers: Mapping[str, Any],
        channel: str = "online",
        weight: str | None = None,
    ) -> str:
        """Put one paper (contest id -> marks) in the box, with its vote weight in a weighted
        election (the exact text, e.g. ``"2.5"``; None: one vote); return the tracking
        code."""
        ...

    def opened(self, conn: Connection, contest_id: str) -> list[Any]:
        """Every ballot cast in the contest, in the box's own (random) order."""
        ...

    def opened_weighted(self, conn: Connection, contest_id: str) -> list[tuple[Any, str | None]]:
        """Every ballot cast in the contest with its weight, in the box's own order."""
        ...

    def trackers(self, conn: Connection, contest_ids: list[str]) -> set[str]:
        """The tracking codes of the ballots in these contests."""
        ...

    def prepare_opening(self, conn: Connection, election_id: str) -> bool:
        """Do what the box can do by itself to open a closed election; True once its
        ballots can be opened (the sealed box waits for a mix and trustees)."""
        ...

    def run_job(self, svc: Any, job: Any) -> None:
        """Run one of the box's own durable jobs (kind ``box:...``, queued by the box in
        the service's job table; the sealed box's shuffle and timed checkpoints)."""
        ...


class PlainBallotBox:
    """The plaintext box: anyone holding the database reads the ballots (but not whose)."""

    def cast(
        self,
        conn: Connection,
        papers: Mapping[str, Any],
        channel: str = "online",
        weight: str | None = None,
    ) -> str:
        tracker = secrets.token_hex(8)
        conn.execute(
            schema.ballot.insert(),
            [
                {
                    "id": secrets.token_hex(16),
                    "contest_id": contest_id,
                    "tracker": tracker,
                    "content": json.dumps(marks, separators=(",", ":")),
                    "weight": weight,
                }
                for contest_id, marks in papers.items()
            ],
        )
        return tracker

    def opened(self, conn: Connection, contest_id: str) -> list[Any]:
        rows = conn.execute(
            select(schema.ballot.c.content)
            .where(schema.ballot.c.contest_id == contest_id)
            .order_by(schema.ballot.c.id)
        )
        return [json.loads(r.content) for r in rows]

    def opened_weighted(self, conn: Connection, contest_id: str) -> list[tuple[Any, str | None]]:
        rows = conn.execute(
            select(schema.ballot.c.content, schema.ballot.c.weight)
            .where(schema.ballot.c.contest_id == contest_id)
            .order_by(schema.ballot.c.id)
        )
        return [(json.loads(r.content), r.weight) for r in rows]

    def trackers(self, conn: Connection, contest_ids: list[str]) -> set[str]:
        rows = conn.execute(
            select(schema.ballot.c.tracker).where(schema.ballot.c.contest_id.in_(contest_ids))
        )
        return {r.tracker for r in rows}

    def prepare_opening(self, conn: Connection, election_id: str) -> bool:
        return True

    def run_job(self, svc: Any, job: Any) -> None:
        raise ValueError(f"the plaintext box has no job {job.kind!r}")
