"""The database: SQLite in a data folder by default, PostgreSQL by URL.

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed transaction (an
acknowledged ballot) is on disk before the answer leaves the server, and every transaction
starts with ``BEGIN IMMEDIATE`` so writers queue for the one write lock instead of failing
with "database is locked" half way through.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

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


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"isolation_level": None, "check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
        )

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
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


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
