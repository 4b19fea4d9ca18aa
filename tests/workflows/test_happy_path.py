"""A purchase from order to delivery, as the buyer and the seller drive it."""

from decimal import Decimal

from tests.support import make_listing
from tests.workflows.shop import (
    SELLER,
    Shop,
    account,
    gateway_book,
    invoice_of,
    ledger_check,
    payments_of,
    the_order,
    timeline,
)
from workflows import search_attributes as sa


async def test_paid_shipped_and_delivered_order(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url, price="1499.00", fee="25.00"))
    assert (purchase.admission.accepted, purchase.admission.total_amount) == (True, 1524)

    assert (await purchase.pay("tok_visa")).status == "completed"
    assert await purchase.ship() == "shipped"
    assert await purchase.deliver() == "delivered"

    assert (await purchase.handle.result()).status == "delivered"
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.tracking_number, order.carrier) == ("delivered", "1Z999", "UPS")
    assert order.refunded_amount == 0
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.amount) == ("completed", order.total_amount)
    [charge] = gateway_book(shop.url, "charge")
    assert (charge.status, charge.transaction_id) == ("succeeded", payment.transaction_id)
    invoice = invoice_of(shop.url, purchase.order_id)
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", 1524, 0)
    steps = [(e.event, e.status, e.actor) for e in timeline(shop.url, purchase.order_id)]
    assert steps == [
        ("created", "pending", "buyer-1"),
        ("confirmed", "confirmed", "buyer-1"),
        ("shipped", "shipped", SELLER),
        ("delivered", "delivered", "buyer-1"),
        ("paid_out", "delivered", "system"),
    ]
    # ESCROW_HOLD after delivery the seller is paid the total minus 5 % (API.md, Orders).
    assert order.delivered_at is not None and order.payout_at is not None
    assert order.payout_at - order.delivered_at >= shop.settings.escrow_hold
    assert (order.payout_status, order.payout_amount, order.payout_fee) == (
        "paid",
        Decimal("1447.80"),
        Decimal("76.20"),
    )
    assert (order.deadline_kind, order.deadline_at) == (None, None)
    seller = account(shop.url, "wallet", SELLER)
    assert seller is not None and (seller.balance, seller.total_earned) == (Decimal("1447.80"),) * 2
    fees, escrow, clearing = (account(shop.url, kind) for kind in ("fees", "escrow", "clearing"))
    assert fees is not None and fees.balance == Decimal("76.20")
    assert escrow is not None and escrow.balance == Decimal("0.00")
    assert clearing is not None and clearing.balance == Decimal("-1524.00")
    assert ledger_check(shop.url).balanced
    found = (await purchase.handle.describe()).typed_search_attributes
    assert found.get(sa.ORDER_STATUS) == "delivered"
    assert found.get(sa.ORDER_NUMBER) == order.order_number
