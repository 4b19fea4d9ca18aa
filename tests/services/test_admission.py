import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import session_scope
from db.tables import Counter, Invoice, Listing, Notification, Order, OrderEvent
from tests.services.helpers import admit, count, listing_state, load_order, new_order, uid
from tests.support import make_listing


def test_admit_creates_order_invoice_event_and_notifications(database_url: str) -> None:
    seller = uid("seller")
    listing_id = make_listing(database_url, seller_id=seller, price="1499.00", fee="25.00")
    new = new_order(listing_id, tax_rate="0.0825")

    admission = admit(database_url, new)

    assert admission.accepted and admission.reason is None
    assert re.fullmatch(r"ORD-\d{4}-\d{6}", admission.order_number or "")
    # 1499.00 x 0.0825 = 123.6675, rounded half-up to 123.67
    assert admission.total_amount == Decimal("1647.67")
    assert (admission.buyer_id, admission.seller_id) == (new.buyer_id, seller)
    order = load_order(database_url, new.order_id)
    assert (order.status, order.seller_id, order.order_number) == (
        "pending",
        seller,
        admission.order_number,
    )
    assert (order.subtotal, order.tax, order.shipping) == (
        Decimal("1499.00"),
        Decimal("123.67"),
        Decimal("25.00"),
    )
    assert order.workflow_id == f"order-{new.order_id}"
    assert order.shipping_address["city"] == "Springfield"
    with session_scope(database_url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == new.order_id)).one()
        assert (invoice.id, invoice.status) == (order.invoice_id, "draft")
        assert invoice.invoice_number is None  # API.md: a draft has no number
        assert invoice.total == invoice.amount_due == Decimal("1647.67")
        events = session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == new.order_id)
        ).all()
        assert [(e.event, e.status, e.actor) for e in events] == [
            ("created", "pending", new.buyer_id)
        ]
        notified = session.scalars(
            select(Notification.user_id).where(Notification.order_id == new.order_id)
        ).all()
        assert sorted(notified) == sorted([new.buyer_id, seller])
    assert listing_state(database_url, listing_id) == (0, "sold_out")


def test_admit_reserves_part_of_the_stock(database_url: str) -> None:
    listing_id = make_listing(database_url, quantity=5, price="19.99", fee="0")
    admission = admit(database_url, new_order(listing_id, quantity=3))
    assert admission.total_amount == Decimal("59.97")
    assert listing_state(database_url, listing_id) == (2, "active")
    assert admit(database_url, new_order(listing_id, quantity=2)).accepted
    assert listing_state(database_url, listing_id) == (0, "sold_out")


def test_admit_twice_changes_nothing_more(database_url: str) -> None:
    listing_id = make_listing(database_url, quantity=3)
    new = new_order(listing_id)
    first = admit(database_url, new)
    year = first.order_number.split("-")[1]  # type: ignore[union-attr]
    with session_scope(database_url) as session:
        counter = session.get(Counter, f"ORD-{year}")
        assert counter is not None
        counter_before = counter.value

    second = admit(database_url, new)

    assert second == first
    assert count(database_url, Order, Order.listing_id == listing_id) == 1
    assert count(database_url, Invoice, Invoice.order_id == new.order_id) == 1
    assert count(database_url, OrderEvent, OrderEvent.order_id == new.order_id) == 1
    assert count(database_url, Notification, Notification.order_id == new.order_id) == 2
    assert listing_state(database_url, listing_id) == (2, "active")
    with session_scope(database_url) as session:
        assert session.get(Counter, f"ORD-{year}").value == counter_before  # type: ignore[union-attr]


def _inactive_listing(url: str) -> str:
    listing_id = make_listing(url)
    with session_scope(url) as session:
        session.get(Listing, listing_id).status = "inactive"  # type: ignore[union-attr]
    return listing_id


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("too_many", "out_of_stock"),
        ("sold_out", "out_of_stock"),
        ("own", "cannot_buy_own_listing"),
        ("inactive", "listing_unavailable"),
        ("missing", "listing_unavailable"),
    ],
)
def test_refusals_leave_no_row(database_url: str, case: str, reason: str) -> None:
    seller = uid("seller")
    listing_id = make_listing(database_url, seller_id=seller, quantity=1)
    buyer, quantity = None, 1
    if case == "too_many":
        quantity = 2
    elif case == "sold_out":
        assert admit(database_url, new_order(listing_id)).accepted
    elif case == "own":
        buyer = seller
    elif case == "inactive":
        listing_id = _inactive_listing(database_url)
    elif case == "missing":
        listing_id = uid("no-such-listing")
    before = count(database_url, Order, Order.listing_id == listing_id)
    new = new_order(listing_id, buyer_id=buyer, quantity=quantity)

    admission = admit(database_url, new)

    assert (admission.accepted, admission.reason, admission.order_number) == (False, reason, None)
    assert count(database_url, Order, Order.id == new.order_id) == 0
    assert count(database_url, Order, Order.listing_id == listing_id) == before
    assert count(database_url, Invoice, Invoice.order_id == new.order_id) == 0
    assert count(database_url, OrderEvent, OrderEvent.order_id == new.order_id) == 0
    assert count(database_url, Notification, Notification.order_id == new.order_id) == 0
    if case in ("too_many", "own"):
        assert listing_state(database_url, listing_id) == (1, "active")
