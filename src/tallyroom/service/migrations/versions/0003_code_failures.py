"""Failed code entries, for rate limits shared by every app process.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # a database made while revision 0001 created whatever schema.py declared (before
    # 0001 was frozen) may have this table already
    if sa.inspect(op.get_bind()).has_table("code_failure"):
        return
    op.create_table(
        "code_failure",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(32), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("code_failure")
