"""ledger: accounts, transfers, immutable entries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:00:00

The double-entry ledger behind wallets. Entries and transfers are never updated or deleted:
triggers on both dialects refuse it, so a correction can only be a new transfer.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_IMMUTABLE = ("ledger_transfers", "ledger_entries")

_PG_FUNCTION = """
CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed: post a correcting transfer', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade() -> None:
    _accounts()
    _transfers()
    _entries()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in _IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_immutable()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable()"
            )
    else:
        for table in _IMMUTABLE:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed: "
                    "post a correcting transfer'); END"
                )


def _accounts() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("total_earned", db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("total_spent", db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind <> 'wallet' OR balance >= 0", name="ck_ledger_wallet_not_negative"
        ),
        sa.CheckConstraint(
            "(kind = 'wallet') = (user_id IS NOT NULL)", name="ck_ledger_wallet_has_owner"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    # NULL is never equal to NULL in a UNIQUE: the platform's accounts get an index of their own.
    op.create_index(
        "uq_ledger_accounts_wallet",
        "ledger_accounts",
        ["kind", "user_id", "currency"],
        unique=True,
        sqlite_where=sa.text("user_id IS NOT NULL"),
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_index(
        "uq_ledger_accounts_platform",
        "ledger_accounts",
        ["kind", "currency"],
        unique=True,
        sqlite_where=sa.text("user_id IS NULL"),
        postgresql_where=sa.text("user_id IS NULL"),
    )


def _transfers() -> None:
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("destination_id", sa.String(length=36), nullable=False),
        sa.Column("amount", db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("refund_id", sa.String(length=36), nullable=True),
        sa.Column("payout_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ledger_transfer_positive"),
        sa.CheckConstraint("source_id <> destination_id", name="ck_ledger_transfer_two_accounts"),
        sa.ForeignKeyConstraint(["source_id"], ["ledger_accounts.id"]),
        sa.ForeignKeyConstraint(["destination_id"], ["ledger_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_ledger_transfers_order", "ledger_transfers", ["order_id"])


def _entries() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("amount", db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("balance_after", db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["transfer_id"], ["ledger_transfers.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transfer_id", "account_id", name="uq_ledger_entries_side"),
        sa.UniqueConstraint("account_id", "seq", name="uq_ledger_entries_account_seq"),
    )


def downgrade() -> None:
    # Dropping a table fires no row trigger; the triggers go with their tables.
    op.drop_table("ledger_entries")
    op.drop_table("ledger_transfers")
    op.drop_index("uq_ledger_accounts_platform", table_name="ledger_accounts")
    op.drop_index("uq_ledger_accounts_wallet", table_name="ledger_accounts")
    op.drop_table("ledger_accounts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_immutable()")
