"""outbound webhooks: endpoints, events, deliveries

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 05:10:00

`webhook_endpoints` are where sellers' (and admins') systems hear of orders, each with its
sealed signing secret; `webhook_events` one row per occurrence, its id derived from the business
object and the transition; `webhook_deliveries` one per event and endpoint (unique), with the
attempts and last outcome its workflow `webhook-{id}` records.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("owner_id", sa.String(length=255), nullable=False),
        sa.Column("owner_role", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        _at("created_at", nullable=False),
        _at("deleted_at"),
    )
    op.create_index("ix_webhook_endpoints_owner", "webhook_endpoints", ["owner_id", "created_at"])
    op.create_index("ix_webhook_endpoints_role", "webhook_endpoints", ["owner_role"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=200), primary_key=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("seller_id", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _at("created_at", nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column(
            "endpoint_id",
            sa.String(length=36),
            sa.ForeignKey("webhook_endpoints.id"),
            nullable=False,
        ),
        sa.Column(
            "event_id", sa.String(length=200), sa.ForeignKey("webhook_events.id"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _at("created_at", nullable=False),
        _at("delivered_at"),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint",
        "webhook_deliveries",
        ["endpoint_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
