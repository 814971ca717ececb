"""Revision 0005 takes the board's signing seed out of the database: an existing sealed
election keeps its verification key (derived from the seed, RFC 8032 §5.1.5), the seed
column goes, and an election still running (its seed needed) stops the upgrade unless
the operator says the seeds were saved."""

from __future__ import annotations

import pytest

pytest.importorskip("nacl")

import nacl.signing  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import inspect, text  # noqa: E402

from tallyroom.service import core  # noqa: E402
from tallyroom.service.db import MIGRATIONS  # noqa: E402

# RFC 8032 §7.1 TEST 1: this secret key (seed) has this public key
SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"


def _to(svc: core.Service, rev: str, up: bool) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with svc.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, rev)


def _seal_row(svc: core.Service, opened: bool) -> None:
    with svc.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sealed_election (election_id, grp, board_seed, scrutineer_key) "
                "VALUES ('e1', 'Ed25519', :s, :k)"
            ),
            {"s": SEED, "k": "00" * 32},
        )
        conn.execute(
            text(
                "INSERT INTO sealed_contest (contest_id, election_id, structure, fingerprint,"
                " board_count, board_head, record) VALUES ('c1', 'e1', '{}', 'f', 0, 'h', :r)"
            ),
            {"r": "{}" if opened else None},
        )


def test_the_seed_becomes_its_verification_key(svc: core.Service) -> None:
    assert nacl.signing.SigningKey(bytes.fromhex(SEED)).verify_key.encode().hex() == PUBLIC
    _to(svc, "0003", up=False)
    _seal_row(svc, opened=True)
    _to(svc, "head", up=True)
    with svc.engine.connect() as conn:
        cols = {c["name"] for c in inspect(conn).get_columns("sealed_election")}
        assert "board_seed" not in cols and "board_key" in cols
        assert conn.execute(text("SELECT board_key FROM sealed_election")).scalar_one() == PUBLIC


def test_a_running_sealed_election_stops_the_upgrade(
    svc: core.Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _to(svc, "0003", up=False)
    _seal_row(svc, opened=False)
    with pytest.raises(RuntimeError, match="sealed elections e1 are not opened yet"):
        _to(svc, "head", up=True)
    monkeypatch.setenv("TALLYROOM_DROP_BOARD_SEEDS", "1")
    _to(svc, "head", up=True)
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT board_key FROM sealed_election")).scalar_one() == PUBLIC
