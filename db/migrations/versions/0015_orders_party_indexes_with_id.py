"""orders: the buyer's and the seller's indexes end in id

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 10:30:00

A page of `GET /api/orders/?role=buyer` (or `seller`) is ordered by (created_at, id): with the id
in the index the database walks it backward and stops at the page, instead of sorting every
order of the user that shares a created_at with another (SQLite's `USE TEMP B-TREE FOR RIGHT
PART OF ORDER BY`, seen at 100,000 orders by bench/open_orders.py).
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_PARTIES = ("buyer", "seller")


def upgrade() -> None:
    for party in _PARTIES:
        op.drop_index(f"ix_orders_{party}", table_name="orders")
        op.create_index(f"ix_orders_{party}", "orders", [f"{party}_id", "created_at", "id"])


def downgrade() -> None:
    for party in _PARTIES:
        op.drop_index(f"ix_orders_{party}", table_name="orders")
        op.create_index(f"ix_orders_{party}", "orders", [f"{party}_id", "created_at"])
