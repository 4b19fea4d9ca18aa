"""Workflows to start once the transaction that asks for them has committed.

A row's id is the id of the workflow it starts, so asking twice (a retried activity) starts one
workflow. The activity that wrote a row starts it right after its commit (activities/outbox.py);
a row left behind (a worker killed between the commit and the start, a start that failed, a row
written by the API) is started by the sweeper, a Temporal schedule (workflows/outbox_sweep.py).
"""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import OutboxItem

# session.info key: what this transaction queued, (workflow id, kind, ref), started after it.
QUEUED = "outbox_queued"
# session.info key: set when a mail server is configured (by the worker, or an API route).
MAIL_ON = "mail_on"
_ENQUEUE = insert_ignoring(table_of(OutboxItem))


def enqueue(session: Session, workflow_id: str, kind: str, ref: str, at: datetime) -> None:
    row = {"id": workflow_id, "kind": kind, "ref": ref, "created_at": at}
    session.execute(_ENQUEUE(session), row)
    session.info.setdefault(QUEUED, []).append((workflow_id, kind, ref))


def mail_on(session: Session) -> bool:
    return bool(session.info.get(MAIL_ON))


def queued(session: Session) -> list[tuple[str, str, str]]:
    return list(session.info.get(QUEUED, []))


def left_behind(session: Session, before: datetime, limit: int = 500) -> list[tuple[str, str, str]]:
    """Rows older than `before`: their own transaction's start did not happen (or failed)."""
    query = (
        select(OutboxItem.id, OutboxItem.kind, OutboxItem.ref)
        .where(OutboxItem.created_at < before)
        .order_by(OutboxItem.created_at, OutboxItem.id)
        .limit(limit)
    )
    return [(row.id, row.kind, row.ref) for row in session.execute(query)]


def started(session: Session, ids: list[str]) -> None:
    session.execute(delete(OutboxItem).where(OutboxItem.id.in_(ids)))
