"""Fixed-window rate limits kept in the database, so every API process counts the same hits."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.orm import Session

from db.statements import PerDialect, table_of
from db.tables import RateLimitWindow


def hit(session: Session, key: str, now: datetime, window: timedelta, limit: int) -> float | None:
    """Count one hit; None when allowed, else the seconds until the window ends."""
    length = window.total_seconds()
    current = int(now.timestamp() // length)
    count = session.execute(
        _COUNT(session), {"key": key, "window_index": current, "count": 1}
    ).scalar_one()
    session.execute(_FORGET, {"forget_key": key, "before": current})
    if count <= limit:
        return None
    return (current + 1) * length - now.timestamp()


_WINDOWS = table_of(RateLimitWindow)


def _counting(insert: Callable[..., Any]) -> Any:
    statement = insert(_WINDOWS)
    return statement.on_conflict_do_update(
        index_elements=["key", "window_index"], set_={"count": _WINDOWS.c.count + 1}
    ).returning(_WINDOWS.c.count)


# Built once: every order and payment request counts a hit (db/statements.py).
_COUNT = PerDialect(_counting)
_FORGET = delete(_WINDOWS).where(
    _WINDOWS.c.key == bindparam("forget_key"), _WINDOWS.c.window_index < bindparam("before")
)
