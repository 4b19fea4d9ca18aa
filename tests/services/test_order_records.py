from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import session_scope
from db.tables import Invoice, Notification, OrderEvent, Payment
from db.types import utcnow
from domain.contracts import (
    Cancellation,
    NewOrder,
    PaymentAttempt,
    PaymentCompleted,
    PaymentFailed,
    RefundResult,
)
from services import fulfilment, payments
from services.notifications import ADMINS
from tests.services.helpers import admit, listing_state, load_order, new_order, uid
from tests.support import make_listing

TOTAL = Decimal("1524.00")


@pytest.fixture
def order(database_url: str) -> NewOrder:
    new = new_order(make_listing(database_url, seller_id=uid("seller"), quantity=1))
    assert admit(database_url, new).total_amount == TOTAL
    return new


def attempt(new: NewOrder, payment_id: str, number: int = 1) -> PaymentAttempt:
    return PaymentAttempt(
        order_id=new.order_id,
        payment_id=payment_id,
        payment_method="credit_card",
        gateway="sandbox",
        amount=TOTAL,
        currency="USD",
        attempt=number,
    )


def run(url: str, step: object, payload: object) -> None:
    with session_scope(url) as session:
        step(session, payload)  # type: ignore[operator]


def timeline(url: str, order_id: str) -> list[str]:
    with session_scope(url) as session:
        return list(
            session.scalars(
                select(OrderEvent.key)
                .where(OrderEvent.order_id == order_id)
                .order_by(OrderEvent.id)
            )
        )


def notices(url: str, order_id: str) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        rows = session.execute(
            select(Notification.kind, Notification.user_id).where(Notification.order_id == order_id)
        ).all()
        return sorted((kind, user) for kind, user in rows)


def payment_of(url: str, payment_id: str) -> Payment:
    with session_scope(url) as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        return payment


def test_begin_attempt_twice(database_url: str, order: NewOrder) -> None:
    payment_id = uid("pay")
    for _ in range(2):
        run(database_url, payments.begin_attempt, attempt(order, payment_id))
    payment = payment_of(database_url, payment_id)
    row = load_order(database_url, order.order_id)
    assert (payment.status, payment.attempts, payment.amount) == ("processing", 1, TOTAL)
    assert payment.reference_number == row.order_number
    assert (row.payment_id, row.status) == (payment_id, "pending")
    assert timeline(database_url, order.order_id) == ["created"]


def test_complete_twice(database_url: str, order: NewOrder) -> None:
    payment_id, at = uid("pay"), utcnow()
    run(database_url, payments.begin_attempt, attempt(order, payment_id))
    for late in (timedelta(0), timedelta(minutes=5)):
        run(
            database_url,
            payments.complete,
            PaymentCompleted(
                order_id=order.order_id,
                payment_id=payment_id,
                transaction_id="ch_1",
                gateway_response={"id": "ch_1"},
                actor="system",
                at=at + late,
            ),
        )
    row = load_order(database_url, order.order_id)
    payment = payment_of(database_url, payment_id)
    assert (row.status, row.confirmed_at) == ("confirmed", at)
    assert (payment.status, payment.transaction_id, payment.processed_at) == (
        "completed",
        "ch_1",
        at,
    )
    with session_scope(database_url) as session:
        invoice = session.get(Invoice, row.invoice_id)
        assert invoice is not None
        assert (invoice.status, invoice.amount_paid, invoice.amount_due, invoice.paid_at) == (
            "paid",
            TOTAL,
            Decimal("0.00"),
            at,
        )
    assert timeline(database_url, order.order_id) == ["created", "confirmed"]
    assert [n for n in notices(database_url, order.order_id) if n[0] == "confirmed"] == sorted(
        [("confirmed", order.buyer_id), ("confirmed", row.seller_id), ("confirmed", ADMINS)]
    )


def test_fail_twice_then_a_stale_failure(database_url: str, order: NewOrder) -> None:
    payment_id = uid("pay")

    def failed(number: int) -> PaymentFailed:
        return PaymentFailed(
            order_id=order.order_id,
            payment_id=payment_id,
            attempt=number,
            error_code="card_declined",
            error_message="declined",
            at=utcnow(),
        )

    run(database_url, payments.begin_attempt, attempt(order, payment_id))
    for _ in range(2):
        run(database_url, payments.fail, failed(1))
    payment = payment_of(database_url, payment_id)
    assert (payment.status, payment.error_code) == ("failed", "card_declined")
    assert load_order(database_url, order.order_id).status == "pending"
    key = f"payment_failed:{payment_id}:1"
    assert timeline(database_url, order.order_id) == ["created", key]
    assert notices(database_url, order.order_id).count(("payment_failed", order.buyer_id)) == 1

    run(database_url, payments.begin_attempt, attempt(order, payment_id, 2))
    assert (
        payment_of(database_url, payment_id).status,
        payment_of(database_url, payment_id).error_code,
    ) == ("processing", None)
    run(database_url, payments.fail, failed(1))  # a late retry of the first failure
    assert payment_of(database_url, payment_id).status == "processing"
    assert timeline(database_url, order.order_id) == ["created", key]


def test_cancel_twice_releases_stock_once(database_url: str, order: NewOrder) -> None:
    payment_id = uid("pay")
    run(database_url, payments.begin_attempt, attempt(order, payment_id))
    assert listing_state(database_url, order.listing_id) == (0, "sold_out")
    at = utcnow()
    for late in (timedelta(0), timedelta(minutes=5)):
        run(
            database_url,
            fulfilment.cancel,
            Cancellation(
                order_id=order.order_id, reason="payment_timeout", actor="system", at=at + late
            ),
        )
    row = load_order(database_url, order.order_id)
    assert (row.status, row.cancelled_at, row.cancel_reason, row.stock_released) == (
        "cancelled",
        at,
        "payment_timeout",
        True,
    )
    assert listing_state(database_url, order.listing_id) == (1, "active")
    assert payment_of(database_url, payment_id).status == "cancelled"
    with session_scope(database_url) as session:
        assert session.get(Invoice, row.invoice_id).status == "cancelled"  # type: ignore[union-attr]
    assert timeline(database_url, order.order_id) == ["created", "cancelled"]
    assert [n for n in notices(database_url, order.order_id) if n[0] == "cancelled"] == sorted(
        [("cancelled", order.buyer_id), ("cancelled", row.seller_id), ("cancelled", ADMINS)]
    )


def test_cancel_a_paid_order_with_refund_twice(database_url: str, order: NewOrder) -> None:
    payment_id = uid("pay")
    run(database_url, payments.begin_attempt, attempt(order, payment_id))
    run(
        database_url,
        payments.complete,
        PaymentCompleted(
            order_id=order.order_id,
            payment_id=payment_id,
            transaction_id="ch_2",
            gateway_response=None,
            actor="system",
            at=utcnow(),
        ),
    )
    refund = RefundResult(refund_id="re_2", gateway_response={"id": "re_2"})
    for _ in range(2):
        run(
            database_url,
            fulfilment.cancel,
            Cancellation(
                order_id=order.order_id,
                reason="seller_did_not_ship",
                actor="system",
                at=utcnow(),
                refund=refund,
                refunded_amount=TOTAL,
            ),
        )
    row = load_order(database_url, order.order_id)
    payment = payment_of(database_url, payment_id)
    assert (row.status, row.refunded_amount) == ("cancelled", TOTAL)
    assert (payment.status, payment.refunded_amount) == ("refunded", TOTAL)
    assert listing_state(database_url, order.listing_id) == (1, "active")
    assert timeline(database_url, order.order_id) == ["created", "confirmed", "cancelled"]
    with session_scope(database_url) as session:
        note = session.scalars(
            select(OrderEvent.note).where(
                OrderEvent.order_id == order.order_id, OrderEvent.key == "cancelled"
            )
        ).one()
    assert note == "seller_did_not_ship; refunded 1524.00 USD"
