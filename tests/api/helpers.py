"""Rows the route tests start from, written straight to the database (no engine needed)."""

import uuid
from decimal import Decimal
from typing import Any

from db.engine import session_scope
from db.tables import Listing, Order, Payment
from db.types import utcnow
from domain.contracts import NewOrder
from services.admission import admit_order
from tests.support import ADDRESS, make_listing

ADDRESS_JSON = ADDRESS.model_dump(exclude_none=True)


def seed_order(url: str, buyer: str, listing_id: str | None = None, order_id: str = "") -> str:
    listing_id = listing_id or make_listing(url, seller_id=f"seller-{uuid.uuid4().hex[:8]}")
    new = NewOrder(
        order_id=order_id or str(uuid.uuid4()),
        buyer_id=buyer,
        listing_id=listing_id,
        quantity=1,
        shipping_address=ADDRESS,
        tax_rate=0,  # type: ignore[arg-type]
    )
    with session_scope(url) as session:
        assert admit_order(session, new, utcnow()).accepted
    return new.order_id


def rows(url: str, model: type[Any]) -> int:
    with session_scope(url) as session:
        return session.query(model).count()


def stock(url: str, listing_id: str) -> int:
    with session_scope(url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        return listing.quantity_available


def orders_of(url: str, buyer: str) -> int:
    with session_scope(url) as session:
        return session.query(Order).filter(Order.buyer_id == buyer).count()


def order_body(listing_id: str, **extra: Any) -> dict[str, Any]:
    return {"listing_id": listing_id, "shipping_address": ADDRESS_JSON, **extra}


def add_payment(url: str, order_id: str, payment_id: str, status: str) -> None:
    """A card payment in `status`, made the order's current payment."""
    with session_scope(url) as session:
        session.add(
            Payment(
                id=payment_id,
                order_id=order_id,
                payment_method="credit_card",
                amount=Decimal("1524.00"),
                currency="USD",
                status=status,
                gateway="sandbox",
                attempts=1,
                refunded_amount=Decimal("0"),
                error_code="card_declined" if status == "failed" else None,
                created_at=utcnow(),
            )
        )
        order = session.get(Order, order_id)
        assert order is not None
        order.payment_id = payment_id
