"""Card payments through the pay update: declines, retries after a decline, transient errors."""

import uuid

from tests.support import make_listing
from tests.workflows.shop import Shop, gateway_book, invoice_of, payments_of, the_order, timeline
from workflows.order import OrderWorkflow


async def test_declined_card_leaves_the_order_pending_and_a_retry_on_the_same_payment_pays(
    shop: Shop,
) -> None:
    purchase = await shop.start(make_listing(shop.url))
    payment_id = str(uuid.uuid4())

    declined = await purchase.pay("tok_chargeDeclined", payment_id)

    assert (declined.status, declined.error_code) == ("failed", "card_declined")
    assert await purchase.handle.query(OrderWorkflow.status) == "pending"
    assert the_order(shop.url, purchase.order_id).status == "pending"
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.error_code, payment.attempts) == ("failed", "card_declined", 1)

    paid = await purchase.pay("tok_visa", payment_id)

    assert (paid.payment_id, paid.status, paid.error_code) == (payment_id, "completed", None)
    assert await purchase.handle.query(OrderWorkflow.status) == "confirmed"
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.payment_id) == ("confirmed", payment_id)
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.attempts, payment.error_code) == ("completed", 2, None)
    charges = gateway_book(shop.url, "charge")
    assert sorted(op.status for op in charges) == ["declined", "succeeded"]
    [succeeded] = [op for op in charges if op.status == "succeeded"]
    assert succeeded.transaction_id == payment.transaction_id
    assert succeeded.amount == order.total_amount
    assert invoice_of(shop.url, purchase.order_id).status == "paid"
    events = [(event.event, event.note) for event in timeline(shop.url, purchase.order_id)]
    assert ("payment_failed", "card_declined") in events
    held = f"paid by credit_card; {order.total_amount:.2f} {order.currency} held in escrow"
    assert events[-1] == ("confirmed", held)


async def test_processing_error_is_retried_by_the_activity_retry_policy(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    payment_id = str(uuid.uuid4())

    outcome = await purchase.pay("tok_processingError", payment_id)

    assert outcome.status == "completed"
    [charge] = gateway_book(shop.url, "charge")
    assert charge.idempotency_key == f"order-{purchase.order_id}:charge:{payment_id}:1"
    assert (charge.status, charge.calls) == ("succeeded", 3)
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.attempts) == ("completed", 1)
    assert the_order(shop.url, purchase.order_id).status == "confirmed"
