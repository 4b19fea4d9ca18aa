"""orders: index on (seller_id, status, created_at, id)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 05:25:00

`GET /api/orders/?role=seller&status=confirmed` (a seller's orders to ship) walks this index and
stops at the page, instead of reading every order of the seller and dropping the other statuses.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_seller_status", "orders", ["seller_id", "status", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_orders_seller_status", table_name="orders")
