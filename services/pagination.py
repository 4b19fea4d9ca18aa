"""Keyset pagination, newest first: the cursor is the (created_at, id) of the last item seen."""

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")


class BadCursor(ValueError):
    pass


def encode_cursor(created_at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        at = datetime.fromisoformat(created)
        if at.tzinfo is None or "\x00" in row_id:
            raise ValueError("a cursor's time carries its zone; its id is text")
        # In UTC now, inside the try: year 1 at +14:00 is before year 1 in UTC (OverflowError).
        return at.astimezone(UTC), row_id
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("the cursor is not one this API gave out") from None


def page(
    session: Session | Connection,
    query: Select[Any],
    created_at: InstrumentedAttribute[Any] | Column[Any],
    row_id: InstrumentedAttribute[Any] | Column[Any],
    limit: int,
    cursor: str | None,
    rows: bool = False,
) -> tuple[list[Any], str | None]:
    """A page of ORM objects, or with `rows` of the statement's rows (a select of columns)."""
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(created_at < at, and_(created_at == at, row_id < last_id)))
    query = query.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)
    found = list(session.execute(query).all() if rows else session.scalars(query))
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if found else None
    next_cursor = (
        encode_cursor(getattr(last, created_at.key), getattr(last, row_id.key))
        if more and last
        else None
    )
    return found, next_cursor
