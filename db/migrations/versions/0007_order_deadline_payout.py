"""order deadline and payout

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:00:00

The order's next durable timer (`deadline`) and the seller's payout, as the workflow records
them. Orders from before have neither until their workflow's next step writes one.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("deadline_kind", sa.String(length=16)),
    ("deadline_at", db.types.UTCDateTime()),
    ("payout_status", sa.String(length=16)),
    ("payout_amount", db.types.Money()),
    ("payout_fee", db.types.Money()),
    ("payout_at", db.types.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
