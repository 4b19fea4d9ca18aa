"""Refunds with the real activities, ledger and sandbox gateway (API.md, Refunds; issue 9): the
money goes back exactly once, the way it came, and the seller is paid on what is left."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.service import RPCError, RPCStatusCode

from db.engine import session_scope
from db.tables import CreditNote, Refund
from domain.refund_contracts import ApproveCommand, RefundAsk, RejectCommand
from tests.support import make_listing
from tests.workflows.shop import (
    BUYER,
    SELLER,
    Purchase,
    Shop,
    account,
    fund_wallet,
    gateway_book,
    ledger_check,
    payments_of,
    the_order,
)
from workflows import search_attributes as sa
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow

TOTAL = Decimal("1524.00")


def ask(**fields: Any) -> RefundAsk:
    return RefundAsk(
        refund_id=str(uuid.uuid4()), reason="damaged", description="dent", actor=BUYER, **fields
    )


def balance(shop: Shop, kind: str, user_id: str | None = None) -> Decimal:
    found = account(shop.url, kind, user_id)
    return Decimal("0.00") if found is None else found.balance


def refund_row(shop: Shop, refund_id: str) -> Refund:
    with session_scope(shop.url) as session:
        found = session.get(Refund, refund_id)
        assert found is not None
        return found


async def delivered(shop: Shop, by_wallet: bool = False) -> Purchase:
    purchase = await shop.start(make_listing(shop.url))
    if by_wallet:
        fund_wallet(shop.url, BUYER, "1524.00", key=f"funds-{purchase.order_id}")
        assert (await purchase.pay_from_wallet(str(uuid.uuid4()))).status == "completed"
    else:
        assert (await purchase.pay("tok_visa")).status == "completed"
    await purchase.ship()
    await purchase.deliver()
    return purchase


async def decided(shop: Shop, purchase: Purchase, request: RefundAsk, approve: bool) -> str:
    opened = await purchase.handle.execute_update(OrderWorkflow.request_refund, request)
    refund = shop.env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    if approve:
        await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))
    else:
        reject = RejectCommand(admin_notes="not damaged", actor="admin-1")
        await refund.execute_update(RefundWorkflow.reject, reject)
    return await refund.result()


async def test_half_of_a_delivered_card_order_back_then_the_seller_paid_on_the_rest(
    shop: Shop,
) -> None:
    purchase = await delivered(shop)
    request = ask(percentage=Decimal(50))
    assert await decided(shop, purchase, request, approve=True) == "completed"
    assert (await purchase.handle.result()).status == "delivered"

    [charge, refund] = gateway_book(shop.url)
    assert (charge.kind, charge.amount) == ("charge", TOTAL)
    assert (refund.kind, refund.amount, refund.idempotency_key) == (
        "refund",
        Decimal("762.00"),
        f"refund-{request.refund_id}",
    )
    [payment] = payments_of(shop.url, purchase.order_id)
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", Decimal("762.00"))
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.refunded_amount, order.payout_status) == (
        "delivered",
        Decimal("762.00"),
        "paid",
    )
    # (1524.00 - 762.00) less 5 %: the seller 723.90, the platform 38.10.
    assert (order.payout_amount, order.payout_fee) == (Decimal("723.90"), Decimal("38.10"))
    assert balance(shop, "wallet", SELLER) == Decimal("723.90")
    assert balance(shop, "fees") == Decimal("38.10")
    assert balance(shop, "escrow") == Decimal("0.00")
    row = refund_row(shop, request.refund_id)
    assert (row.status, row.refund_amount, row.gateway_refund_id) == (
        "completed",
        Decimal("762.00"),
        refund.transaction_id,
    )
    with session_scope(shop.url) as session:
        note = session.scalars(select(CreditNote).where(CreditNote.refund_id == row.id)).one()
    assert (note.amount, note.credit_note_number.startswith("CN-")) == (Decimal("762.00"), True)
    assert row.credit_note_id == note.id
    assert ledger_check(shop.url).balanced


async def test_a_full_refund_to_the_wallet_refunds_the_order_and_pays_no_one(shop: Shop) -> None:
    purchase = await delivered(shop, by_wallet=True)
    assert balance(shop, "wallet", BUYER) == Decimal("0.00")
    assert await decided(shop, purchase, ask(), approve=True) == "completed"

    assert (await purchase.handle.result()).status == "refunded"
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.refunded_amount, order.payout_status) == (
        "refunded",
        TOTAL,
        None,
    )
    assert balance(shop, "wallet", BUYER) == TOTAL
    assert balance(shop, "wallet", SELLER) == Decimal("0.00")
    assert balance(shop, "escrow") == Decimal("0.00")
    assert gateway_book(shop.url) == []
    assert ledger_check(shop.url).balanced


async def test_a_refund_is_found_in_the_temporal_ui_by_its_order(shop: Shop) -> None:
    purchase = await delivered(shop)
    request = ask(amount=Decimal("24.00"))
    opened = await purchase.handle.execute_update(OrderWorkflow.request_refund, request)
    refund = shop.env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await refund.execute_update(RefundWorkflow.reject, RejectCommand(admin_notes="no", actor="a"))
    assert await refund.result() == "rejected"
    number = the_order(shop.url, purchase.order_id).order_number
    description = await refund.describe()
    assert await description.static_summary() == f"Refund · {number} · 24.00 USD"
    assert description.typed_search_attributes.get(sa.ORDER_NUMBER) == number
    assert (await purchase.handle.result()).status == "delivered"


async def test_a_rejected_refund_moves_nothing_and_the_seller_is_paid_in_full(shop: Shop) -> None:
    purchase = await delivered(shop)
    request = ask(amount=Decimal("100.00"))
    assert await decided(shop, purchase, request, approve=False) == "rejected"

    assert (await purchase.handle.result()).status == "delivered"
    assert refund_row(shop, request.refund_id).status == "rejected"
    assert [op.kind for op in gateway_book(shop.url)] == ["charge"]
    assert balance(shop, "wallet", SELLER) == Decimal("1447.80")
    assert the_order(shop.url, purchase.order_id).refunded_amount == Decimal("0.00")
    assert ledger_check(shop.url).balanced


async def test_the_refund_window_closes_when_the_seller_is_paid(shop: Shop) -> None:
    purchase = await delivered(shop)
    # ESCROW_HOLD passes with no refund asked: the seller is paid and the order's workflow ends.
    assert (await purchase.handle.result()).status == "delivered"
    assert the_order(shop.url, purchase.order_id).payout_status == "paid"
    with pytest.raises(RPCError) as refused:
        await purchase.handle.execute_update(OrderWorkflow.request_refund, ask())
    assert refused.value.status == RPCStatusCode.NOT_FOUND  # the workflow is closed
    assert balance(shop, "wallet", SELLER) == Decimal("1447.80")


async def test_a_refund_asked_before_delivery_holds_the_payout_from_delivery_on(
    shop: Shop,
) -> None:
    purchase = await shop.start(make_listing(shop.url))
    assert (await purchase.pay("tok_visa")).status == "completed"
    await purchase.ship()
    request = ask(amount=Decimal("524.00"))
    opened = await purchase.handle.execute_update(OrderWorkflow.request_refund, request)
    await purchase.deliver()
    held = the_order(shop.url, purchase.order_id)
    assert (held.payout_status, held.deadline_kind) == ("held", None)

    refund = shop.env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))
    assert await refund.result() == "completed"
    assert (await purchase.handle.result()).status == "delivered"
    paid = the_order(shop.url, purchase.order_id)
    # 1000.00 kept, less 5 %: 950.00 to the seller, 50.00 of fee.
    assert (paid.payout_status, paid.payout_amount, paid.payout_fee) == (
        "paid",
        Decimal("950.00"),
        Decimal("50.00"),
    )
    assert balance(shop, "wallet", SELLER) == Decimal("950.00")
    assert ledger_check(shop.url).balanced
