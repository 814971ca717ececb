"""The board's signing key out of the database: ``sealed_election.board_seed`` (the secret
seed) becomes ``board_key`` (its verification key); the seed lives in the service's key
file (``tallyroom serve --board-key``, by default ``DATA/board-key``).

A database thief holding the seed could sign a false checkpoint of the board.  An election
still being run needs its seed to sign checkpoints and the service's shuffle, so the
upgrade refuses while a sealed election is not opened yet, unless
``TALLYROOM_DROP_BOARD_SEEDS=1`` says its seeds were saved (see docs/security.md).

Revision ID: 0005
Revises: 0004
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def _verification_key(seed_hex: str) -> str:
    import nacl.signing

    return str(nacl.signing.SigningKey(bytes.fromhex(seed_hex)).verify_key.encode().hex())


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT election_id, board_seed FROM sealed_election")).all()
    running = sorted(
        {
            r.election_id
            for r in bind.execute(
                sa.text("SELECT DISTINCT election_id FROM sealed_contest WHERE record IS NULL")
            )
        }
    )
    if running and os.environ.get("TALLYROOM_DROP_BOARD_SEEDS") != "1":
        raise RuntimeError(
            "revision 0005 moves the board keys out of the database, and the sealed "
            f"elections {', '.join(running)} are not opened yet: their board key is needed "
            "to checkpoint and mix. Save each one's sealed_election.board_seed into a key "
            "file (64 hex digits, mode 600) to start the service with (--board-key), then "
            "upgrade with TALLYROOM_DROP_BOARD_SEEDS=1; or open them first"
        )
    with op.batch_alter_table("sealed_election") as b:
        b.add_column(sa.Column("board_key", sa.String(length=64), nullable=True))
    for r in rows:
        bind.execute(
            sa.text("UPDATE sealed_election SET board_key = :k WHERE election_id = :e"),
            {"k": _verification_key(r.board_seed), "e": r.election_id},
        )
    with op.batch_alter_table("sealed_election") as b:
        b.alter_column("board_key", existing_type=sa.String(length=64), nullable=False)
        b.drop_column("board_seed")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT election_id FROM sealed_election")).first():
        raise RuntimeError(
            "revision 0005 cannot be undone with sealed elections in the database: their "
            "board keys are in the key file, not here"
        )
    with op.batch_alter_table("sealed_election") as b:
        b.add_column(sa.Column("board_seed", sa.String(length=64), nullable=False))
        b.drop_column("board_key")
