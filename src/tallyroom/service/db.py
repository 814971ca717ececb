"""The database: SQLite in a data folder by default, PostgreSQL by URL.

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed transaction (an
acknowledged ballot) is on disk before the answer leaves the server, and every transaction
that may write starts with ``BEGIN IMMEDIATE`` so writers queue for the one write lock
instead of failing with "database is locked" half way through. A transaction that only
reads (:func:`reading`) starts with a plain ``BEGIN``: in WAL mode it reads a snapshot and
never waits for the write lock. (Every voter page once took the write lock only to read
the election, and waited behind each commit: that held casting to 14 ballots a second.)
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


def new_id() -> str:
    """A random id (128 bits): ids never follow the order in which rows were made."""
    return secrets.token_hex(16)


def now() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return t


class _WriteLock:
    """This process's writers to one SQLite file, queued on a lock of their own.

    SQLite lets one writer in at a time; the others wait in its busy handler, which does
    not queue them but sleeps and retries (1, 2, 5, ... up to 100 ms a sleep), so under
    load a commit that took a millisecond left the lock free for tens of milliseconds while
    every waiter slept. Writers of this process now wait on a lock here, handed on the
    moment the last commit returns; SQLite's own lock (and its busy handler) still stands
    between processes."""

    locks: dict[str, threading.Lock] = {}
    guard = threading.Lock()

    @classmethod
    def of(cls, path: str) -> threading.Lock:
        with cls.guard:
            return cls.locks.setdefault(path, threading.Lock())


class _SQLiteConnection(sqlite3.Connection):
    """A connection that gives the process's write lock back when its transaction ends."""

    write_lock: threading.Lock | None = None

    def release(self) -> None:
        lock, self.write_lock = self.write_lock, None
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release()


#: as long as SQLite's own busy timeout: past it a writer fails with "database is locked"
WRITE_WAIT = 30.0


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={
                "isolation_level": None,
                "check_same_thread": False,
                "timeout": 30,
                "factory": _SQLiteConnection,
            },
            pool_size=8,
            max_overflow=8,
        )
        write_lock = _WriteLock.of(engine.url.database or "")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cur = dbapi.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql("BEGIN")
                return
            dbapi = conn.connection.dbapi_connection
            if not write_lock.acquire(timeout=WRITE_WAIT):
                raise sqlite3.OperationalError(
                    f"database is locked: no write lock within {WRITE_WAIT:.0f} s"
                )
            dbapi.write_lock = write_lock
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                dbapi.release()
                raise

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


#: the execution option that marks a transaction as read-only (see :func:`reading`)
READ_ONLY = "tallyroom_read_only"


def reading(engine: Engine) -> contextlib.AbstractContextManager[Connection]:
    """A transaction that only reads: on SQLite it does not take the write lock (a plain,
    deferred ``BEGIN`` reads a WAL snapshot), so readers never queue behind a commit.
    Never write in it: SQLite would have to upgrade the lock mid-transaction and may
    answer "database is locked"; writes go in ``engine.begin()``."""
    return engine.execution_options(**{READ_ONLY: True}).begin()


def sqlite_url(data: Path) -> str:
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data / 'tallyroom.sqlite3').resolve()}"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (run at every start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
