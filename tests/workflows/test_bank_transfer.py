"""A bank transfer moves the payment deadline from 30 minutes to the end of its due date; then
the invoice is overdue, and the order is cancelled when BANK_TRANSFER_GRACE is over."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from domain.contracts import BankTransferCommand, OfflinePaymentCommand
from tests.support import make_listing
from tests.workflows.shop import (
    BUYER,
    Purchase,
    Shop,
    eventually,
    invoice_of,
    notifications_of,
    open_shop,
    payments_of,
    the_order,
    timeline,
)
from workflows.order import OrderWorkflow


async def request_transfer(shop: Shop) -> tuple[Purchase, datetime]:
    """A bank transfer asked for; the end (23:59:59 UTC) of the due date shown to the buyer."""
    purchase = await shop.start(make_listing(shop.url))
    outcome = await purchase.handle.execute_update(
        OrderWorkflow.request_bank_transfer,
        BankTransferCommand(payment_id=str(uuid.uuid4()), account="IBAN X", actor=BUYER),
    )
    assert outcome.status == "pending"
    assert invoice_of(shop.url, purchase.order_id).status == "sent"
    (payment,) = payments_of(shop.url, purchase.order_id)
    assert payment.instructions is not None
    due_date = date.fromisoformat(payment.instructions["due_date"])
    # Counted from the moment the transfer was asked for (when the invoice went out).
    sent_at = invoice_of(shop.url, purchase.order_id).sent_at
    assert sent_at is not None
    assert due_date == (sent_at + shop.settings.bank_transfer_timeout).date()
    return purchase, datetime.combine(due_date, time(23, 59, 59), UTC)


async def test_unpaid_transfer_goes_overdue_then_is_cancelled_when_the_grace_ends(
    shop: Shop, time_env: WorkflowEnvironment
) -> None:
    purchase, end_of_due_date = await request_transfer(shop)
    await time_env.sleep(shop.settings.payment_timeout + timedelta(minutes=5))
    assert the_order(shop.url, purchase.order_id).status == "pending"

    result = await purchase.handle.result()
    assert result.status == "cancelled"
    order = the_order(shop.url, purchase.order_id)
    assert order.cancel_reason == "payment_timeout"
    # At the end of the due date, not a second before: overdue, and the buyer reminded.
    events = {e.event: e.at for e in timeline(shop.url, purchase.order_id)}
    assert end_of_due_date <= events["invoice_overdue"] < end_of_due_date + timedelta(minutes=1)
    (reminder,) = notifications_of(shop.url, BUYER, "invoice_overdue")
    assert order.order_number in reminder.title and f"{order.total_amount} USD" in reminder.body
    # BANK_TRANSFER_GRACE later: cancelled, and the invoice with it.
    cancel_at = end_of_due_date + shop.settings.bank_transfer_grace
    assert order.cancelled_at is not None
    assert cancel_at <= order.cancelled_at < cancel_at + timedelta(minutes=1)
    assert invoice_of(shop.url, purchase.order_id).status == "cancelled"
    assert [p.status for p in payments_of(shop.url, purchase.order_id)] == ["cancelled"]


async def test_an_overdue_invoice_paid_in_its_grace_confirms_the_order(
    shop: Shop, time_env: WorkflowEnvironment
) -> None:
    purchase, end_of_due_date = await request_transfer(shop)
    await time_env.sleep(end_of_due_date - await time_env.get_current_time() + timedelta(hours=1))
    await eventually(lambda: invoice_of(shop.url, purchase.order_id).status == "overdue")
    order = the_order(shop.url, purchase.order_id)
    assert (order.status, order.deadline_kind) == ("pending", "bank_transfer")
    assert order.deadline_at == end_of_due_date + shop.settings.bank_transfer_grace

    status = await purchase.handle.execute_update(
        OrderWorkflow.confirm_offline_payment,
        OfflinePaymentCommand(payment_id=str(uuid.uuid4()), actor="admin-1"),
    )
    assert status == "confirmed"
    invoice = invoice_of(shop.url, purchase.order_id)
    assert (invoice.status, invoice.amount_due, invoice.amount_paid) == (
        "paid",
        Decimal("0.00"),
        invoice.total,
    )
    await purchase.cancel(role="admin")


async def test_without_a_grace_the_order_is_cancelled_at_the_end_of_the_due_date(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(time_env, sqlite_url, bank_transfer_grace=timedelta(0)) as shop:
        purchase, end_of_due_date = await request_transfer(shop)
        assert (await purchase.handle.result()).status == "cancelled"
        order = the_order(shop.url, purchase.order_id)
        assert order.cancelled_at is not None
        assert end_of_due_date <= order.cancelled_at < end_of_due_date + timedelta(minutes=1)
        assert "invoice_overdue" not in {e.event for e in timeline(shop.url, purchase.order_id)}
        assert invoice_of(shop.url, purchase.order_id).status == "cancelled"


async def test_admin_confirms_the_transfer_the_buyer_asked_for(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    transfer_id = str(uuid.uuid4())
    await purchase.handle.execute_update(
        OrderWorkflow.request_bank_transfer,
        BankTransferCommand(payment_id=transfer_id, account="IBAN X", actor=BUYER),
    )
    status = await purchase.handle.execute_update(
        OrderWorkflow.confirm_offline_payment,
        OfflinePaymentCommand(payment_id=str(uuid.uuid4()), actor="admin-1"),
    )
    assert status == "confirmed"
    payments = payments_of(shop.url, purchase.order_id)
    assert [(p.id, p.status) for p in payments] == [(transfer_id, "completed")]
    assert invoice_of(shop.url, purchase.order_id).status == "paid"
    await purchase.cancel(role="admin")
