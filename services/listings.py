"""What sellers sell: create, find, change. Stock itself only moves through orders."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.tables import Listing
from db.types import utcnow
from services.pagination import page


def create(session: Session, seller_id: str, currency: str, fields: dict[str, Any]) -> Listing:
    now = utcnow()
    listing = Listing(
        id=str(uuid.uuid4()),
        seller_id=seller_id,
        currency=currency,
        status="active" if fields["quantity_available"] > 0 else "sold_out",
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(listing)
    return listing


def find(
    session: Session, filters: dict[str, str | None], limit: int, cursor: str | None
) -> tuple[list[Listing], str | None]:
    query = select(Listing)
    for column, value in filters.items():
        if value is not None:
            query = query.where(getattr(Listing, column) == value)
    return page(session, query, Listing.created_at, Listing.id, limit, cursor)


def update(session: Session, listing_id: str, changes: dict[str, Any]) -> Listing | None:
    listing = session.get(Listing, listing_id, with_for_update=True)
    if listing is None:
        return None
    for field, value in changes.items():
        setattr(listing, field, value)
    if listing.status != "inactive":
        listing.status = "active" if listing.quantity_available > 0 else "sold_out"
    listing.updated_at = utcnow()
    return listing
