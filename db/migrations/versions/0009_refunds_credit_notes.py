"""refunds and credit notes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 04:00:00

A refund is the record of its workflow (`refund-{id}`): what the buyer asked, what an admin
decided, how the money went back. Each completed refund issues a credit note `CN-YYYY-NNNNNN`
against the order's invoice, whose `amount_refunded` grows; the invoice is never rewritten.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _money(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, db.types.Money(precision=14, scale=2), nullable=nullable)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("refund_reason", sa.String(length=32), nullable=False),
        sa.Column("reason_description", sa.Text(), nullable=False),
        _money("refund_amount"),
        _money("refund_percentage", nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("gateway_refund_id", sa.String(length=255), nullable=True),
        sa.Column("admin_notes", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        _at("requested_at", nullable=False),
        _at("approved_at"),
        _at("completed_at"),
        _at("rejected_at"),
        sa.Column("credit_note_id", sa.String(length=36), nullable=True),
        sa.Column("workflow_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint("refund_amount > 0", name="ck_refunds_positive"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_refunds_order", "refunds", ["order_id"])
    op.create_index("ix_refunds_requested", "refunds", ["requested_at", "id"])
    op.create_index("ix_refunds_status", "refunds", ["status", "requested_at"])
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("credit_note_number", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("refund_id", sa.String(length=36), nullable=False),
        _money("amount"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _at("created_at", nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["refund_id"], ["refunds.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_note_number"),
        sa.UniqueConstraint("refund_id"),
    )
    op.create_index("ix_credit_notes_invoice", "credit_notes", ["invoice_id", "created_at"])
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(_money_with_zero("amount_refunded"))


def _money_with_zero(name: str) -> sa.Column[object]:
    # Zero on both dialects: cents on SQLite, NUMERIC on PostgreSQL.
    return sa.Column(
        name, db.types.Money(precision=14, scale=2), nullable=False, server_default=sa.text("0")
    )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("amount_refunded")
    op.drop_table("credit_notes")
    op.drop_table("refunds")
