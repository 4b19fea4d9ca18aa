"""Inbound webhook events, remembered by id so that a replayed event is handled once."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.tables import InboundEvent
from db.types import utcnow


def first_time(session: Session, source: str, event_id: str, event_type: str) -> bool:
    """Record the event; False when this id was seen before."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    created = session.execute(
        insert(InboundEvent)
        .values(id=event_id, source=source, type=event_type, received_at=utcnow())
        .on_conflict_do_nothing()
        .returning(InboundEvent.id)
    ).first()
    return created is not None
