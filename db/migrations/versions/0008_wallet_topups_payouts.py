"""wallet top-ups and payouts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 03:00:00

A top-up (card charge → wallet) and a payout (wallet → bank account), each the record of its
workflow. A payout keeps the rail's token for the account and its last four digits, never the
account number.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _money() -> sa.Column[object]:
    return sa.Column("amount", db.types.Money(precision=14, scale=2), nullable=False)


def _times() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "wallet_topups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        _money(),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        *_times(),
        sa.CheckConstraint("amount > 0", name="ck_wallet_topups_positive"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wallet_topups_user", "wallet_topups", ["user_id", "created_at"])
    op.create_table(
        "wallet_payouts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        _money(),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("destination_token", sa.String(length=64), nullable=False),
        sa.Column("destination_last4", sa.String(length=4), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        *_times(),
        sa.CheckConstraint("amount > 0", name="ck_wallet_payouts_positive"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wallet_payouts_user", "wallet_payouts", ["user_id", "created_at"])
    op.create_index("ix_wallet_payouts_created", "wallet_payouts", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("wallet_payouts")
    op.drop_table("wallet_topups")
