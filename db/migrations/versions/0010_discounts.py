"""discounts, their uses and per-user counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 05:00:00

A discount code (API.md, Discounts) with a unique upper-case key, so that codes compare
case-insensitively, and two counters that move only by conditional UPDATEs: `reserved` (uses
reserved or used, never above max_uses) and `times_used` (paid). An order's use of a code is one
row of `discount_uses` (reserved → used or released); `discount_user_counts` holds each user's
uses of a code, so that max_uses_per_user holds under concurrency too.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _money(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, db.types.Money(precision=14, scale=2), nullable=nullable)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "discounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discount_type", sa.String(length=16), nullable=False),
        _money("discount_value"),
        _money("max_discount_amount", nullable=True),
        _money("min_order_amount", nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_user", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("valid_from"),
        _at("valid_until"),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("times_used", sa.Integer(), nullable=False),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        sa.CheckConstraint("reserved >= 0", name="ck_discounts_reserved_not_negative"),
        sa.CheckConstraint("times_used >= 0", name="ck_discounts_used_not_negative"),
        sa.CheckConstraint("times_used <= reserved", name="ck_discounts_used_were_reserved"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_key"),
    )
    op.create_index("ix_discounts_created", "discounts", ["created_at", "id"])
    op.create_table(
        "discount_uses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("discount_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        _money("amount"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_discount_uses_not_negative"),
        sa.ForeignKeyConstraint(["discount_id"], ["discounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_index("ix_discount_uses_discount", "discount_uses", ["discount_id", "user_id"])
    op.create_table(
        "discount_user_counts",
        sa.Column("discount_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.CheckConstraint("uses >= 0", name="ck_discount_user_counts_not_negative"),
        sa.ForeignKeyConstraint(["discount_id"], ["discounts.id"]),
        sa.PrimaryKeyConstraint("discount_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("discount_user_counts")
    op.drop_index("ix_discount_uses_discount", table_name="discount_uses")
    op.drop_table("discount_uses")
    op.drop_index("ix_discounts_created", table_name="discounts")
    op.drop_table("discounts")
