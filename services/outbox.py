"""Workflows to start once the transaction that asks for them has committed.

A row's id is the id of the workflow it starts, so asking twice (a retried activity) starts one
workflow; the activity layer starts them after the commit (activities/outbox.py).
"""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.tables import OutboxItem
from services.ledger_accounts import insert_ignoring

# session.info key: set when this transaction queued something, so that the activity flushes.
QUEUED = "outbox_queued"
# session.info key: set by the activity layer when a mail server is configured.
MAIL_ON = "mail_on"


def enqueue(session: Session, workflow_id: str, kind: str, ref: str, at: datetime) -> None:
    session.execute(
        insert_ignoring(session, OutboxItem).values(
            id=workflow_id, kind=kind, ref=ref, created_at=at
        )
    )
    session.info[QUEUED] = True


def mail_on(session: Session) -> bool:
    return bool(session.info.get(MAIL_ON))


def pending(session: Session, limit: int = 200) -> list[OutboxItem]:
    query = select(OutboxItem).order_by(OutboxItem.created_at, OutboxItem.id).limit(limit)
    return list(session.scalars(query))


def started(session: Session, ids: list[str]) -> None:
    session.execute(delete(OutboxItem).where(OutboxItem.id.in_(ids)))
