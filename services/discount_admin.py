"""Discount codes as the admins keep them: create, list, read, change. Their use by orders is
services/discounts.py's."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import Discount
from db.types import utcnow
from domain.discounts import code_key
from services.pagination import page


class CodeTaken(Exception):
    """Another discount has this code (codes compare case-insensitively)."""


def create(session: Session, fields: dict[str, Any]) -> Discount:
    """A new code; CodeTaken when one exists already, even one written at the same moment."""
    now, discount_id = utcnow(), str(uuid.uuid4())
    values = {
        **fields,
        "id": discount_id,
        "code_key": code_key(fields["code"]),
        "reserved": 0,
        "times_used": 0,
        "created_at": now,
        "updated_at": now,
    }
    written = session.execute(_CREATE(session), values).first()
    if written is None:
        raise CodeTaken(fields["code"])
    found = session.get(Discount, discount_id)
    assert found is not None
    return found


def find(
    session: Session, status: str | None, now: datetime, limit: int, cursor: str | None
) -> tuple[list[Discount], str | None]:
    """The codes whose status (as shown: expired is derived) is `status`, or all, newest first."""
    query = select(Discount)
    unexpired = or_(Discount.valid_until.is_(None), Discount.valid_until >= now)
    if status == "active":
        query = query.where(Discount.status == "active", unexpired)
    elif status == "expired":
        query = query.where(Discount.status == "active", ~unexpired)
    elif status == "inactive":
        query = query.where(Discount.status == "inactive")
    return page(session, query, Discount.created_at, Discount.id, limit, cursor)


def get(session: Session, discount_id: str) -> Discount | None:
    return session.get(Discount, discount_id)


def update(session: Session, discount_id: str, changes: dict[str, Any]) -> Discount | None:
    """The admin's changes; the counters are not among them (they move with orders)."""
    discount = session.get(Discount, discount_id, with_for_update=True)
    if discount is None:
        return None
    for field, value in changes.items():
        setattr(discount, field, value)
    discount.updated_at = utcnow()
    session.flush()
    return discount


_CREATE = insert_ignoring(table_of(Discount), "id")
