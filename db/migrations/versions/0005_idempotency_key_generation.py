"""idempotency key generation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:40:00

A key's generation names the ids its requests create: a key used again after its 24 h starts a
new generation, so it makes new objects instead of answering with the old ones. Rows from before
have none (NULL) and keep naming what they named.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("generation", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("generation")
