"""A bank transfer moves the payment deadline from 30 minutes to 3 days."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

from temporalio.testing import WorkflowEnvironment

from domain.contracts import BankTransferCommand, OfflinePaymentCommand
from tests.support import make_listing
from tests.workflows.shop import BUYER, Shop, invoice_of, payments_of, the_order
from workflows.order import OrderWorkflow


async def test_unpaid_transfer_is_cancelled_after_the_bank_transfer_timeout(
    shop: Shop, time_env: WorkflowEnvironment
) -> None:
    purchase = await shop.start(make_listing(shop.url))
    outcome = await purchase.handle.execute_update(
        OrderWorkflow.request_bank_transfer,
        BankTransferCommand(payment_id=str(uuid.uuid4()), account="IBAN X", actor=BUYER),
    )
    assert outcome.status == "pending"
    invoice = invoice_of(shop.url, purchase.order_id)
    assert invoice.status == "sent"

    await time_env.sleep(shop.settings.payment_timeout + timedelta(minutes=5))
    assert the_order(shop.url, purchase.order_id).status == "pending"

    result = await purchase.handle.result()
    assert result.status == "cancelled"
    order = the_order(shop.url, purchase.order_id)
    assert order.cancel_reason == "payment_timeout"
    assert order.cancelled_at is not None
    # API.md: until the end (23:59:59 UTC) of the due date shown to the buyer, not a second less.
    (payment,) = payments_of(shop.url, purchase.order_id)
    assert payment.instructions is not None
    due_date = date.fromisoformat(payment.instructions["due_date"])
    end_of_due_date = datetime.combine(due_date, time(23, 59, 59), UTC)
    assert end_of_due_date <= order.cancelled_at < end_of_due_date + timedelta(minutes=1)
    # Counted from the moment the transfer was asked for (when the invoice went out).
    sent_at = invoice_of(shop.url, purchase.order_id).sent_at
    assert sent_at is not None
    assert due_date == (sent_at + shop.settings.bank_transfer_timeout).date()
    assert invoice_of(shop.url, purchase.order_id).status == "cancelled"
    assert [p.status for p in payments_of(shop.url, purchase.order_id)] == ["cancelled"]


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
