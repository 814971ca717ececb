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
    def cast(self, conn: Connection, papers: Mapping[str, Any], channel: str = "online") -> str:
        """Put one paper (contest id -> marks) in the box; return the tracking code."""
        ...

    def opened(self, conn: Connection, contest_id: str) -> list[Any]:
        """Every ballot cast in the contest, in the box's own (random) order."""
        ...

    def trackers(self, conn: Connection, contest_ids: list[str]) -> set[str]: ...

    def prepare_opening(self, conn: Connection, election_id: str) -> bool:
        """Do what the box can do by itself to open a closed election; True once its
        ballots can be opened (the sealed box waits for a mix and trustees)."""
        ...


class PlainBallotBox:
    """The plaintext box: anyone holding the database reads the ballots (but not whose)."""

    def cast(self, conn: Connection, papers: Mapping[str, Any], channel: str = "online") -> str:
        tracker = secrets.token_hex(8)
        conn.execute(
            schema.ballot.insert(),
            [
                {
                    "id": secrets.token_hex(16),
                    "contest_id": contest_id,
                    "tracker": tracker,
                    "content": json.dumps(marks, separators=(",", ":")),
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

    def trackers(self, conn: Connection, contest_ids: list[str]) -> set[str]:
        rows = conn.execute(
            select(schema.ballot.c.tracker).where(schema.ballot.c.contest_id.in_(contest_ids))
        )
        return {r.tracker for r in rows}

    def prepare_opening(self, conn: Connection, election_id: str) -> bool:
        return True
