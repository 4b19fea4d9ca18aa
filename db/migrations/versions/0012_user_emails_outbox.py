"""user emails, the outbox, notifications' emailed_at

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 04:10:00

`user_emails` holds the `email` claim last seen for each user (where mail goes); `outbox` holds
the workflows (an email, a webhook delivery) that a transaction asked to start once committed;
`notifications.emailed_at` says when a notification's email went out.
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "user_emails",
        sa.Column("user_id", sa.String(length=255), primary_key=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        _at("seen_at", nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=200), primary_key=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        _at("created_at", nullable=False),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(_at("emailed_at"))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("emailed_at")
    op.drop_table("outbox")
    op.drop_table("user_emails")
