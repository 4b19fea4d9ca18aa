"""Yearly sequence numbers, bumped inside the caller's transaction so a rollback leaves no gap."""

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import Counter


def next_value(session: Session, name: str) -> int:
    session.execute(_CREATE(session), {"name": name, "value": 0})
    # The row lock taken here is held until commit: numbers are handed out in commit order.
    return session.execute(_BUMP, {"counter": name}).scalar_one()


_COUNTERS = table_of(Counter)
_CREATE = insert_ignoring(_COUNTERS)
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + 1)
    .returning(_COUNTERS.c.value)
)


def yearly_number(session: Session, prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{next_value(session, f'{prefix}-{year}'):06d}"
