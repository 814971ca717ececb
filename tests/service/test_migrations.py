"""The Alembic revisions build exactly the tables the code declares, on SQLite and on
PostgreSQL: a revision frozen from an older schema.py, or a column added to schema.py with no
revision, shows here as a difference."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from tallyroom.service import core, schema, sealed


def _declared() -> MetaData:
    both = MetaData()
    for md in (schema.metadata, sealed.metadata):
        for table in md.tables.values():
            table.to_metadata(both)
    return both


def test_the_revisions_build_what_the_code_declares(svc: core.Service) -> None:
    with svc.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _declared())
    assert diff == []


def test_downgrade_to_nothing_and_up_again(svc: core.Service, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from tallyroom.service.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with svc.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with svc.engine.connect() as conn:
        left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
    with svc.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with svc.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), _declared()) == []


def test_the_revisions_form_one_line() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from tallyroom.service.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1
    chain = list(script.walk_revisions())  # from the head down, each naming the one before
    assert chain[-1].down_revision is None
    assert all(a.down_revision == b.revision for a, b in zip(chain, chain[1:], strict=False))
    assert len(chain) == len(list((MIGRATIONS / "versions").glob("[0-9]*.py")))
