"""Yearly sequence numbers, bumped inside the caller's transaction so a rollback leaves no gap."""

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.tables import Counter


def next_value(session: Session, name: str) -> int:
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
    # The row lock taken here is held until commit: numbers are handed out in commit order.
    return session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()


def yearly_number(session: Session, prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{next_value(session, f'{prefix}-{year}'):06d}"
