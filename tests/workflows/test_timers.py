"""The three timers of an order, each left to run out on the time-skipping server."""

from datetime import datetime, timedelta
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from db.engine import session_scope
from db.tables import SandboxOperation
from tests.support import make_listing
from tests.workflows.shop import (
    Shop,
    gateway_book,
    invoice_of,
    listing_row,
    payments_of,
    the_order,
    timeline,
)


def assert_fired_after(start: datetime | None, end: datetime | None, timeout: timedelta) -> None:
    """Both stamps are workflow time, taken a moment before or after the timer started."""
    assert start is not None and end is not None
    assert abs(end - start - timeout) < timedelta(minutes=1), end - start


async def test_unpaid_order_is_cancelled_after_the_payment_timeout(
    shop: Shop, time_env: WorkflowEnvironment
) -> None:
    listing_id = make_listing(shop.url, quantity=1)
    purchase = await shop.start(listing_id)
    assert listing_row(shop.url, listing_id).status == "sold_out"
    timer_started = await time_env.get_current_time()

    result = await purchase.handle.result()

    assert result.status == "cancelled"
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.cancel_reason, order.stock_released) == (
        "cancelled",
        "payment_timeout",
        True,
    )
    assert_fired_after(timer_started, order.cancelled_at, shop.settings.payment_timeout)
    listing = listing_row(shop.url, listing_id)
    assert (listing.quantity_available, listing.status) == (1, "active")
    assert invoice_of(shop.url, purchase.order_id).status == "cancelled"
    assert payments_of(shop.url, purchase.order_id) == []
    last = timeline(shop.url, purchase.order_id)[-1]
    assert (last.event, last.actor, last.note) == ("cancelled", "system", "payment_timeout")


async def test_paid_order_never_shipped_is_cancelled_and_refunded_once(shop: Shop) -> None:
    listing_id = make_listing(shop.url, quantity=1)
    purchase = await shop.start(listing_id)
    assert (await purchase.pay("tok_visa")).status == "completed"

    result = await purchase.handle.result()

    assert result.status == "cancelled"
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.cancel_reason) == ("cancelled", "seller_did_not_ship")
    assert_fired_after(order.confirmed_at, order.cancelled_at, shop.settings.ship_timeout)
    assert order.refunded_amount == order.total_amount == purchase.admission.total_amount
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.refunded_amount) == ("refunded", order.total_amount)
    [refund] = gateway_book(shop.url, "refund")
    assert (refund.charge_id, refund.amount, refund.calls) == (
        payment.transaction_id,
        order.total_amount,
        1,
    )
    listing = listing_row(shop.url, listing_id)
    assert (listing.quantity_available, listing.status) == (1, "active")


async def test_shipped_order_never_confirmed_is_delivered_after_the_delivery_timeout(
    shop: Shop,
) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay()
    assert await purchase.ship() == "shipped"

    result = await purchase.handle.result()

    assert result.status == "delivered"
    order = the_order(shop.url, purchase.order_id)
    assert order.status == "delivered"
    assert_fired_after(order.shipped_at, order.delivered_at, shop.settings.delivery_timeout)
    *_, delivered, paid_out = timeline(shop.url, purchase.order_id)
    assert (delivered.event, delivered.status, delivered.note, delivered.actor) == (
        "delivered",
        "delivered",
        "delivery_timeout",
        "system",
    )
    assert (paid_out.event, order.payout_status) == ("paid_out", "paid")
    assert gateway_book(shop.url, "refund") == []


async def test_a_refused_refund_still_cancels_the_order(shop: Shop) -> None:
    listing_id = make_listing(shop.url, quantity=1)
    purchase = await shop.start(listing_id)
    assert (await purchase.pay("tok_visa")).status == "completed"
    charge = gateway_book(shop.url, "charge")[-1]
    # Someone refunded part of the charge at the gateway already: a full refund is refused.
    with session_scope(shop.url) as session:
        session.add(
            SandboxOperation(
                idempotency_key=f"manual-{purchase.order_id}",
                kind="refund",
                amount=Decimal("10.00"),
                currency=charge.currency,
                status="succeeded",
                calls=1,
                charge_id=charge.transaction_id,
                transaction_id=f"re_manual_{purchase.order_id}",
            )
        )

    result = await purchase.handle.result()

    assert result.status == "cancelled"
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.refunded_amount) == ("cancelled", Decimal("0.00"))
    assert listing_row(shop.url, listing_id).quantity_available == 1
    last = timeline(shop.url, purchase.order_id)[-1]
    assert last.note is not None and "refund refused (amount_too_large)" in last.note
