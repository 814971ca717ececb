"""Failed code entries, for rate limits shared by every app process.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # 0001 creates whatever schema.py declares, so a database made after this table was
    # declared has it already; one made before gets it here
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
