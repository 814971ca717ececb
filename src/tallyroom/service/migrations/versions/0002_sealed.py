"""The sealed ballot box's tables (tallyroom.service.sealed), frozen as at this revision.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "sealed_ballot",
        sa.Column("contest_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("ballot", sa.Text(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("ciphertext", sa.String(length=64), nullable=False),
        sa.Column("tracker", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("contest_id", "idx"),
        sa.UniqueConstraint("contest_id", "ciphertext"),
    )
    op.create_table(
        "sealed_checkpoint",
        sa.Column("contest_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("contest_id", "seq"),
    )
    op.create_table(
        "sealed_contest",
        sa.Column("contest_id", sa.String(length=32), nullable=False),
        sa.Column("election_id", sa.String(length=32), nullable=False),
        sa.Column("structure", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("board_count", sa.Integer(), nullable=False),
        sa.Column("board_head", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("contest_id"),
    )
    op.create_table(
        "sealed_decryption",
        sa.Column("contest_id", sa.String(length=32), nullable=False),
        sa.Column("trustee", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("contest_id", "trustee"),
    )
    op.create_table(
        "sealed_election",
        sa.Column("election_id", sa.String(length=32), nullable=False),
        sa.Column("grp", sa.String(length=32), nullable=False),
        sa.Column("board_seed", sa.String(length=64), nullable=False),
        sa.Column("scrutineer_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("election_id"),
    )
    op.create_table(
        "sealed_shuffle",
        sa.Column("contest_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("contest_id", "idx"),
    )


def downgrade() -> None:
    op.drop_table("sealed_shuffle")
    op.drop_table("sealed_election")
    op.drop_table("sealed_decryption")
    op.drop_table("sealed_contest")
    op.drop_table("sealed_checkpoint")
    op.drop_table("sealed_ballot")
