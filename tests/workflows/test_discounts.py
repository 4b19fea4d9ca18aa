"""Discount codes on orders with the real activities (API.md, Discounts and Orders' amounts):
the code at creation or applied to the pending order, its amount in the totals and on the
invoice's lines and the timeline, the charge of the discounted total, the use counted when paid
and given back by a cancel of an unpaid order."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from db.engine import session_scope
from db.tables import Discount, Listing, Order
from domain.contracts import DiscountCommand
from services import discount_admin
from tests.support import make_listing
from tests.workflows.faults import activity_started, start_paying
from tests.workflows.shop import BUYER, Shop, gateway_book, invoice_of, the_order, timeline
from workflows.order import OrderWorkflow

TOTAL = Decimal("1524.00")  # 1499.00 + 25.00 shipping, tax 0


def make_code(shop: Shop, code: str, **fields: Any) -> str:
    terms = {"discount_type": "percentage", "discount_value": Decimal("10.00"), **fields}
    with session_scope(shop.url) as session:
        return discount_admin.create(
            session, {"code": code, "description": "", "status": "active", **terms}
        ).id


def counters(shop: Shop, discount_id: str) -> tuple[int, int]:
    with session_scope(shop.url) as session:
        found = session.get(Discount, discount_id)
        assert found is not None
        return found.reserved, found.times_used


async def test_a_code_at_creation_discounts_the_order_its_invoice_and_its_charge(
    shop: Shop,
) -> None:
    code = make_code(shop, "SPRING10")
    purchase = await shop.start(make_listing(shop.url), discount_code="spring10")
    # 10 % of the 1499.00 subtotal: 149.90 off, shipping untouched.
    assert purchase.admission.total_amount == Decimal("1374.10")
    order = the_order(shop.url, purchase.order_id)
    assert (order.discount_code, order.discount, order.total_amount) == (
        "SPRING10",
        Decimal("149.90"),
        Decimal("1374.10"),
    )
    invoice = invoice_of(shop.url, purchase.order_id)
    assert invoice.line_items[-1] == {
        "description": "Discount SPRING10",
        "quantity": 1,
        "unit_price": "-149.90",
        "amount": "-149.90",
    }
    assert (invoice.discount, invoice.total) == (Decimal("149.90"), Decimal("1374.10"))
    assert timeline(shop.url, purchase.order_id)[0].note == "discount SPRING10: -149.90"
    assert counters(shop, code) == (1, 0)

    assert (await purchase.pay("tok_visa")).status == "completed"
    [charge] = gateway_book(shop.url, "charge")
    assert charge.amount == Decimal("1374.10")
    assert counters(shop, code) == (1, 1)  # counted when paid
    await purchase.handle.terminate("done")


async def test_a_refused_code_makes_no_order_and_takes_no_stock(shop: Shop) -> None:
    listing_id = make_listing(shop.url)
    make_code(shop, "BIGONLY", min_order_amount=Decimal("5000.00"))
    refused = await shop.start(listing_id, discount_code="BIGONLY")
    assert (refused.admission.accepted, refused.admission.reason) == (False, "discount_invalid")
    assert refused.admission.discount_reason == "min_order_not_met"
    missing = await shop.start(listing_id, discount_code="NOSUCH")
    assert missing.admission.discount_reason == "not_found"
    with session_scope(shop.url) as session:
        assert session.get(Order, refused.order_id) is None
        listing = session.get(Listing, listing_id)
        assert listing is not None and listing.quantity_available == 1
    # The order number the refused ones would have taken is the next order's.
    kept = await shop.start(listing_id)
    assert the_order(shop.url, kept.order_id).order_number.endswith("000001")
    await kept.handle.terminate("done")


async def test_a_code_applied_to_the_pending_order_lowers_what_is_charged(shop: Shop) -> None:
    code = make_code(shop, "FLAT100", discount_type="fixed", discount_value=Decimal("100.00"))
    purchase = await shop.start(make_listing(shop.url))
    apply = DiscountCommand(code="flat100", actor=BUYER)
    assert await purchase.handle.execute_update(OrderWorkflow.apply_discount, apply) == "pending"
    order = the_order(shop.url, purchase.order_id)
    assert (order.discount, order.total_amount) == (Decimal("100.00"), Decimal("1424.00"))
    assert invoice_of(shop.url, purchase.order_id).amount_due == Decimal("1424.00")
    assert timeline(shop.url, purchase.order_id)[-1].event == "discount_applied"
    assert (await purchase.pay("tok_visa")).status == "completed"
    [charge] = gateway_book(shop.url, "charge")
    assert charge.amount == Decimal("1424.00")
    assert counters(shop, code) == (1, 1)
    await purchase.handle.terminate("done")


async def test_an_apply_racing_a_charge_is_refused_and_the_charge_keeps_its_total(
    time_env: Any, sqlite_url: str
) -> None:
    from tests.workflows.shop import open_shop

    async with open_shop(time_env, sqlite_url, sandbox_delay_before_charge="2s") as shop:
        code = make_code(shop, "LATE10")
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase)
        await activity_started(purchase.handle, "charge")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            apply = DiscountCommand(code="LATE10", actor=BUYER)
            await purchase.handle.execute_update(OrderWorkflow.apply_discount, apply)
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.type == "invalid_transition"
        assert (await paying.result()).status == "completed"
        order = the_order(shop.url, purchase.order_id)
        [charge] = gateway_book(shop.url, "charge")
        assert order.total_amount == charge.amount == TOTAL
        assert counters(shop, code) == (0, 0)
        await purchase.handle.terminate("done")


async def test_a_cancelled_unpaid_order_gives_its_use_back_once(shop: Shop) -> None:
    code = make_code(shop, "ONCE", max_uses=1)
    listing_id = make_listing(shop.url, quantity=2)
    first = await shop.start(listing_id, discount_code="ONCE")
    assert first.admission.accepted
    second = await shop.start(listing_id, buyer_id=f"buyer-{uuid.uuid4().hex[:6]}")
    assert await first.cancel() == "cancelled"
    assert counters(shop, code) == (0, 0)
    # The use is free again: another buyer's order takes it.
    apply = DiscountCommand(code="ONCE", actor="someone")
    await second.handle.execute_update(OrderWorkflow.apply_discount, apply)
    assert counters(shop, code) == (1, 0)
    await second.handle.terminate("done")
