"""invoice number at issue

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 02:40:00

A draft invoice has no number: INV-YYYY-NNNNNN is given when the invoice is issued (sent or
paid), so abandoned drafts leave no gap in the issued sequence. Invoices never issued (drafts,
and drafts cancelled with their order) give their numbers up; issued ones keep theirs. Numbers
given up before this change stay gaps in the past sequence: they cannot be taken back without
renumbering invoices already sent.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NEVER_ISSUED = "sent_at IS NULL AND paid_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("invoice_number", existing_type=sa.String(length=20), nullable=True)
    op.execute(f"UPDATE invoices SET invoice_number = NULL WHERE {NEVER_ISSUED}")


def downgrade() -> None:
    # The old schema wants a number on every invoice: a draft's is made from its id.
    op.execute(
        "UPDATE invoices SET invoice_number = 'DRAFT-' || substr(id, 1, 14) "
        "WHERE invoice_number IS NULL"
    )
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("invoice_number", existing_type=sa.String(length=20), nullable=False)
