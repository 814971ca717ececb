"""The first schema.

Revision ID: 0001
Revises:
"""

from alembic import op

from tallyroom.service import schema

revision = "0001"
down_revision = None


def upgrade() -> None:
    # The first revision creates the tables as schema.py declares them at this revision;
    # every later change is a new revision with explicit op.* calls, and this one must then
    # be frozen (rendered to op.create_table) before schema.py changes.
    schema.metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    schema.metadata.drop_all(bind=op.get_bind())
