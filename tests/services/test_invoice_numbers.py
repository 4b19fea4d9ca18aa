"""Invoice numbers at issue (API.md, Invoices; issue 11's proof): a draft has none, an invoice
is numbered `INV-YYYY-NNNNNN` when it is sent or paid, and the issued numbers of a year have no
gap, however many are issued at once and however many drafts are abandoned."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import session_scope
from db.tables import Invoice
from domain.contracts import (
    BankTransferRequested,
    Cancellation,
    NewOrder,
    PaymentAttempt,
    PaymentCompleted,
)
from services import fulfilment, payments
from tests.services.helpers import admit, fresh_year, new_order, uid
from tests.support import make_listing


def ordered(url: str) -> NewOrder:
    new = new_order(make_listing(url, seller_id=uid("seller")))
    assert admit(url, new).accepted
    return new


def pay(url: str, new: NewOrder, at: datetime, payment_id: str = "") -> None:
    payment_id = payment_id or str(uuid.uuid4())
    attempt = PaymentAttempt(
        order_id=new.order_id,
        payment_id=payment_id,
        payment_method="credit_card",
        gateway="sandbox",
        amount=Decimal("1524.00"),
        currency="USD",
        attempt=1,
    )
    done = PaymentCompleted(
        order_id=new.order_id,
        payment_id=payment_id,
        transaction_id="ch_x",
        gateway_response={},
        actor="buyer",
        at=at,
        payment_method="credit_card",
    )
    with session_scope(url) as session:
        payments.begin_attempt(session, attempt)
    with session_scope(url) as session:
        payments.complete(session, done)


def number_of(url: str, order_id: str) -> str | None:
    with session_scope(url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        return invoice.invoice_number


def test_abandoned_drafts_take_no_number_and_issued_ones_follow_each_other(
    database_url: str,
) -> None:
    year = fresh_year()
    at = datetime(year, 5, 1, tzinfo=UTC)
    first, abandoned, wired, second = (ordered(database_url) for _ in range(4))
    assert number_of(database_url, abandoned.order_id) is None
    cancel = Cancellation(
        order_id=abandoned.order_id, reason="payment_timeout", actor="system", at=at
    )
    with session_scope(database_url) as session:
        fulfilment.cancel(session, cancel)
    pay(database_url, first, at)
    with session_scope(database_url) as session:
        attempt_id = str(uuid.uuid4())
        payments.begin_attempt(
            session,
            PaymentAttempt(
                order_id=wired.order_id,
                payment_id=attempt_id,
                payment_method="bank_transfer",
                gateway="offline",
                amount=Decimal("1524.00"),
                currency="USD",
                attempt=1,
            ),
        )
    with session_scope(database_url) as session:
        transfer = BankTransferRequested(
            order_id=wired.order_id,
            payment_id=attempt_id,
            account="IBAN X",
            due=at,
            actor="buyer",
            at=at,
        )
        payments.request_bank_transfer(session, transfer)  # sent: issued
    paid_second = str(uuid.uuid4())
    pay(database_url, second, at, paid_second)
    pay(database_url, second, at, paid_second)  # the step run twice numbers once
    assert [number_of(database_url, new.order_id) for new in (first, abandoned, wired, second)] == [
        f"INV-{year}-000001",
        None,
        f"INV-{year}-000002",
        f"INV-{year}-000003",
    ]


@pytest.mark.postgres
def test_twenty_invoices_issued_at_once_get_twenty_consecutive_numbers(postgres_url: str) -> None:
    year = fresh_year()
    at = datetime(year, 6, 1, tzinfo=UTC)
    orders = [ordered(postgres_url) for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda new: pay(postgres_url, new, at), orders))
    numbers = sorted(number_of(postgres_url, new.order_id) or "" for new in orders)
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 21)]
