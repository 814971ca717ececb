"""Failed sign-ins (rate limits shared by every app process) and server-side admin
sessions (signing out ends them).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("account", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Integer, nullable=False),
    )
    op.create_table(
        "admin_session",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("admin_id", sa.String(32), sa.ForeignKey("admin.id"), nullable=False, index=True),
        sa.Column("at", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_session")
    op.drop_table("login_failure")
