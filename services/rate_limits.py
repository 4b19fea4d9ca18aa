"""Fixed-window rate limits kept in the database, so every API process counts the same hits."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.tables import RateLimitWindow


def hit(session: Session, key: str, now: datetime, window: timedelta, limit: int) -> float | None:
    """Count one hit; None when allowed, else the seconds until the window ends."""
    length = window.total_seconds()
    current = int(now.timestamp() // length)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = insert(RateLimitWindow).values(key=key, window_index=current, count=1)
    count = session.execute(
        statement.on_conflict_do_update(
            index_elements=["key", "window_index"], set_={"count": RateLimitWindow.count + 1}
        ).returning(RateLimitWindow.count)
    ).scalar_one()
    session.execute(
        delete(RateLimitWindow).where(
            RateLimitWindow.key == key, RateLimitWindow.window_index < current
        )
    )
    if count <= limit:
        return None
    return (current + 1) * length - now.timestamp()
