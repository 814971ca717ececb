"""The re-issue timetable by channel, and vote weights (issue 16).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("election", sa.Column("reissue_timetable", sa.JSON(), nullable=True))
    op.add_column(
        "election",
        sa.Column("weighted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("member", sa.Column("weight", sa.String(length=32), nullable=True))
    op.add_column("slot", sa.Column("weight", sa.String(length=32), nullable=True))
    op.add_column("ballot", sa.Column("weight", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35 or later): batch mode would copy the ballot table and
    # lose its WITHOUT ROWID
    for table, column in (
        ("ballot", "weight"),
        ("slot", "weight"),
        ("member", "weight"),
        ("election", "weighted"),
        ("election", "reissue_timetable"),
    ):
        op.drop_column(table, column)
