"""Builders and counters shared by the database-layer tests."""

import itertools
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from db.engine import session_scope
from db.tables import Listing, Order
from db.types import utcnow
from domain.contracts import Admission, NewOrder
from services.admission import admit_order
from tests.support import ADDRESS

# The PostgreSQL database lives for the whole session: years no other test uses keep the
# yearly counters of each test to itself.
_years = itertools.count(3000)


def fresh_year() -> int:
    return next(_years)


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_order(
    listing_id: str, buyer_id: str | None = None, quantity: int = 1, tax_rate: str = "0"
) -> NewOrder:
    return NewOrder(
        order_id=str(uuid.uuid4()),
        buyer_id=buyer_id or uid("buyer"),
        listing_id=listing_id,
        quantity=quantity,
        shipping_address=ADDRESS,
        tax_rate=Decimal(tax_rate),
    )


def admit(url: str, new: NewOrder) -> Admission:
    with session_scope(url) as session:
        return admit_order(session, new, utcnow())


def count(url: str, model: type[Any], *where: Any) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def listing_state(url: str, listing_id: str) -> tuple[int, str]:
    with session_scope(url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        return listing.quantity_available, listing.status


def load_order(url: str, order_id: str) -> Order:
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order
