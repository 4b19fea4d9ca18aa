"""Cancelling, and the transitions the state machine refuses."""

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from tests.support import make_listing
from tests.workflows.shop import Shop, gateway_book, listing_row, payments_of, snapshot, the_order
from workflows.order import OrderWorkflow


def assert_invalid_transition(error: BaseException) -> None:
    assert isinstance(error, WorkflowUpdateFailedError), repr(error)
    assert isinstance(error.cause, ApplicationError), repr(error.cause)
    assert error.cause.type == "invalid_transition"


async def test_ship_before_payment_is_refused_and_changes_nothing(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    before = snapshot(shop.url)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await purchase.ship()

    assert_invalid_transition(refused.value)
    assert snapshot(shop.url) == before
    assert await purchase.handle.query(OrderWorkflow.status) == "pending"


async def test_buyer_cannot_cancel_a_shipped_order(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay()
    await purchase.ship()
    before = snapshot(shop.url)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await purchase.cancel(role="buyer")

    assert_invalid_transition(refused.value)
    assert snapshot(shop.url) == before
    assert the_order(shop.url, purchase.order_id).status == "shipped"
    assert gateway_book(shop.url, "refund") == []


async def test_buyer_cancel_of_a_paid_order_refunds_once_and_releases_stock(shop: Shop) -> None:
    listing_id = make_listing(shop.url, quantity=1)
    purchase = await shop.start(listing_id)
    await purchase.pay()

    # A double click: both are accepted while the order is confirmed; the lock serialises them.
    outcomes = await asyncio.gather(
        purchase.cancel(role="buyer"), purchase.cancel(role="buyer"), return_exceptions=True
    )

    assert "cancelled" in outcomes
    [refused] = [outcome for outcome in outcomes if outcome != "cancelled"]
    assert isinstance(refused, BaseException)
    assert_invalid_transition(refused)
    assert (await purchase.handle.result()).status == "cancelled"
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await purchase.cancel(role="buyer")
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.cancel_reason) == ("cancelled", "changed_mind")
    assert order.refunded_amount == order.total_amount
    [payment] = payments_of(shop.url, purchase.order_id)
    assert payment.status == "refunded"
    [refund] = gateway_book(shop.url, "refund")
    assert (refund.charge_id, refund.calls) == (payment.transaction_id, 1)
    listing = listing_row(shop.url, listing_id)
    assert (listing.quantity_available, listing.status) == (1, "active")
