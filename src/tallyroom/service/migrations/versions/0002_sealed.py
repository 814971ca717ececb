"""The sealed ballot box's tables (tallyroom.service.sealed).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from tallyroom.service import sealed

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # the sealed tables have their own metadata, so that revision 0001 (which creates
    # schema.metadata as it stands) never makes them; frozen as at this revision
    sealed.metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    sealed.metadata.drop_all(bind=op.get_bind())
