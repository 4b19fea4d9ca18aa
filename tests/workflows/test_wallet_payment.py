"""An order paid from the buyer's wallet (API.md, Payments: `wallet` debits the buyer's wallet;
short → failed `insufficient_funds`), with the real activities and ledger."""

import uuid
from decimal import Decimal

from tests.support import make_listing
from tests.workflows.shop import (
    BUYER,
    SELLER,
    Shop,
    account,
    fund_wallet,
    gateway_book,
    ledger_check,
    payments_of,
    the_order,
)
from workflows.order import OrderWorkflow

TOTAL = Decimal("1524.00")  # 1499.00 + 25.00 shipping


def balance(shop: Shop, kind: str, user_id: str | None = None) -> Decimal:
    found = account(shop.url, kind, user_id)
    return Decimal("0.00") if found is None else found.balance


async def test_a_short_wallet_fails_the_attempt_and_moves_nothing(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "1000.00", key="funds-1")
    purchase = await shop.start(make_listing(shop.url))
    payment_id = str(uuid.uuid4())

    outcome = await purchase.pay_from_wallet(payment_id)

    assert (outcome.status, outcome.error_code) == ("failed", "insufficient_funds")
    assert await purchase.handle.query(OrderWorkflow.status) == "pending"
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.error_code, payment.payment_method) == (
        "failed",
        "insufficient_funds",
        "wallet",
    )
    assert balance(shop, "wallet", BUYER) == Decimal("1000.00")
    assert balance(shop, "escrow") == Decimal("0.00")

    # Topped up, the same payment is retried from the wallet and goes through.
    fund_wallet(shop.url, BUYER, "600.00", key="funds-2")
    assert (await purchase.pay_from_wallet(payment_id)).status == "completed"
    assert balance(shop, "wallet", BUYER) == Decimal("1600.00") - TOTAL
    assert balance(shop, "escrow") == TOTAL
    assert gateway_book(shop.url) == []  # a wallet payment never reaches the gateway
    assert ledger_check(shop.url).balanced
    await purchase.handle.terminate("done")


async def test_a_cancelled_wallet_order_goes_back_to_the_wallet_once(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "2000.00", key="funds")
    purchase = await shop.start(make_listing(shop.url))
    assert (await purchase.pay_from_wallet(str(uuid.uuid4()))).status == "completed"

    assert await purchase.cancel() == "cancelled"

    assert (await purchase.handle.result()).status == "cancelled"
    order = the_order(shop.url, purchase.order_id)
    assert (order.refunded_amount, order.deadline_kind) == (TOTAL, None)
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.refunded_amount) == ("refunded", TOTAL)
    assert balance(shop, "wallet", BUYER) == Decimal("2000.00")
    wallet = account(shop.url, "wallet", BUYER)
    assert wallet is not None and wallet.total_spent == TOTAL
    assert balance(shop, "escrow") == Decimal("0.00")
    assert gateway_book(shop.url) == []
    assert ledger_check(shop.url).balanced


async def test_a_wallet_order_delivered_pays_the_seller_after_the_hold(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "1524.00", key="funds")
    purchase = await shop.start(make_listing(shop.url))
    assert (await purchase.pay_from_wallet(str(uuid.uuid4()))).status == "completed"
    await purchase.ship()
    await purchase.deliver()

    assert (await purchase.handle.result()).status == "delivered"
    assert balance(shop, "wallet", BUYER) == Decimal("0.00")
    assert balance(shop, "wallet", SELLER) == Decimal("1447.80")
    assert balance(shop, "fees") == Decimal("76.20")
    assert balance(shop, "escrow") == Decimal("0.00")
    assert the_order(shop.url, purchase.order_id).payout_status == "paid"
    assert ledger_check(shop.url).balanced
