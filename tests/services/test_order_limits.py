"""Limits that admission enforces in its own transaction (API.md, Orders): the open unpaid
orders of a buyer, race-safe on PostgreSQL, and an order total that must fit."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest

from db.engine import session_scope
from db.tables import Order, Payment
from db.types import utcnow
from domain.contracts import PaymentAttempt, PaymentCompleted, PaymentFailed
from services import order_queries, payments
from services.order_queries import NotEditable
from tests.services.helpers import admit, count, listing_state, new_order, uid
from tests.support import make_listing


def test_ten_concurrent_creates_leave_at_most_five_open_orders(postgres_url: str) -> None:
    listing_id = make_listing(postgres_url, seller_id=uid("seller"), quantity=20)
    buyer = uid("buyer")
    orders = [
        new_order(listing_id, buyer_id=buyer).model_copy(update={"max_open_orders": 5})
        for _ in range(10)
    ]

    with ThreadPoolExecutor(max_workers=10) as pool:
        admissions = list(pool.map(lambda new: admit(postgres_url, new), orders))

    reasons = sorted(str(a.reason) for a in admissions)
    assert reasons == ["None"] * 5 + ["too_many_open_orders"] * 5
    assert count(postgres_url, Order, Order.buyer_id == buyer) == 5
    assert listing_state(postgres_url, listing_id) == (15, "active")


def test_the_sixth_open_order_is_refused_and_changes_nothing(database_url: str) -> None:
    listing_id = make_listing(database_url, seller_id=uid("seller"), quantity=10)
    buyer = uid("buyer")
    for _ in range(5):
        assert admit(database_url, _limited(listing_id, buyer)).accepted

    refused = admit(database_url, _limited(listing_id, buyer))

    assert (refused.accepted, refused.reason) == (False, "too_many_open_orders")
    assert count(database_url, Order, Order.buyer_id == buyer) == 5
    assert listing_state(database_url, listing_id) == (5, "active")
    # Another buyer is not held back by this one's orders.
    assert admit(database_url, _limited(listing_id, uid("buyer"))).accepted


@pytest.mark.parametrize(
    ("price", "fee", "quantity"),
    [("99999999.99", "0.00", 2), ("50000000.00", "0.00", 2), ("99999999.00", "0.99", 1)],
)
def test_a_total_above_the_ceiling_is_refused_before_anything_is_written(
    database_url: str, price: str, fee: str, quantity: int
) -> None:
    listing_id = make_listing(
        database_url, seller_id=uid("seller"), quantity=5, price=price, fee=fee
    )
    new = new_order(listing_id, quantity=quantity)
    if quantity == 1:  # exactly the ceiling still fits
        assert admit(database_url, new).total_amount == Decimal("99999999.99")
        return

    refused = admit(database_url, new)

    assert (refused.accepted, refused.reason) == (False, "order_total_too_large")
    assert count(database_url, Order, Order.id == new.order_id) == 0
    assert listing_state(database_url, listing_id) == (5, "active")


def test_an_edit_cannot_land_after_shipment(database_url: str) -> None:
    listing_id = make_listing(database_url, seller_id=uid("seller"))
    new = new_order(listing_id)
    admit(database_url, new)
    with session_scope(database_url) as session:
        order = session.get(Order, new.order_id)
        assert order is not None
        order.status = "shipped"  # the ship landed between the route's read and this write

    with pytest.raises(NotEditable), session_scope(database_url) as session:
        order_queries.edit_details(session, new.order_id, {"buyer_notes": "late"}, new.buyer_id)

    with session_scope(database_url) as session:
        assert session.get(Order, new.order_id).buyer_notes is None  # type: ignore[union-attr]
        # The seller's own notes are not the buyer's details: still editable.
        order_queries.edit_details(session, new.order_id, {"seller_notes": "ok"}, "seller")


def test_processed_at_is_the_time_of_the_attempt_that_succeeded(database_url: str) -> None:
    listing_id = make_listing(database_url, seller_id=uid("seller"))
    new = new_order(listing_id)
    admission = admit(database_url, new)
    payment_id, first, second = uid("pay"), utcnow() - timedelta(minutes=5), utcnow()
    ids = {"order_id": new.order_id, "payment_id": payment_id}
    attempt = PaymentAttempt(
        **ids,
        payment_method="credit_card",
        gateway="sandbox",
        amount=admission.total_amount,
        currency=admission.currency,
        attempt=1,
    )
    steps = [
        (payments.begin_attempt, attempt),
        (
            payments.fail,
            PaymentFailed(
                **ids, attempt=1, error_code="card_declined", error_message="no", at=first
            ),
        ),
        (payments.begin_attempt, attempt.model_copy(update={"attempt": 2})),
        (
            payments.complete,
            PaymentCompleted(
                **ids, transaction_id="txn", gateway_response={}, actor=new.buyer_id, at=second
            ),
        ),
    ]
    for step, payload in steps:
        with session_scope(database_url) as session:
            step(session, payload)  # type: ignore[operator]

    with session_scope(database_url) as session:
        assert session.get(Payment, payment_id).processed_at == second  # type: ignore[union-attr]


def _limited(listing_id: str, buyer: str):  # type: ignore[no-untyped-def]
    return new_order(listing_id, buyer_id=buyer).model_copy(update={"max_open_orders": 5})
