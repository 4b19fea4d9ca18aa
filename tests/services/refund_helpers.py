"""Builders of the refund tests: a paid order in a currency of its own (so its escrow is the
test's alone), a refund opened on it, its steps."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from db.engine import session_scope
from db.tables import Listing, Notification, Order, Refund
from domain.contracts import PaymentAttempt, PaymentCompleted
from domain.refund_contracts import RefundOpened, RefundRoute, RefundStatus, RefundStep
from services import payments, refunds
from tests.services.helpers import admit, new_order, uid
from tests.services.ledger_helpers import fresh_currency
from tests.support import make_listing

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TOTAL = Decimal("1524.00")


@dataclass
class Paid:
    order_id: str
    payment_id: str
    buyer_id: str
    seller_id: str
    currency: str


def paid_order(url: str, currency: str | None = None) -> Paid:
    """A card-paid order of TOTAL, its money in escrow."""
    currency = currency or fresh_currency()
    seller = uid("seller")
    listing_id = make_listing(url, seller_id=seller)
    with session_scope(url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        listing.currency = currency
    new = new_order(listing_id)
    assert admit(url, new).total_amount == TOTAL
    payment_id = str(uuid.uuid4())
    with session_scope(url) as session:
        payments.begin_attempt(
            session,
            PaymentAttempt(
                order_id=new.order_id,
                payment_id=payment_id,
                payment_method="credit_card",
                gateway="sandbox",
                amount=TOTAL,
                currency=currency,
                attempt=1,
            ),
        )
        payments.complete(
            session,
            PaymentCompleted(
                order_id=new.order_id,
                payment_id=payment_id,
                transaction_id="ch_1",
                gateway_response=None,
                actor="system",
                at=AT,
            ),
        )
    return Paid(new.order_id, payment_id, new.buyer_id, seller, currency)


def opened(
    paid: Paid, amount: str, route: RefundRoute = "gateway", refund_id: str | None = None
) -> RefundOpened:
    refund_id = refund_id or str(uuid.uuid4())
    return RefundOpened(
        refund_id=refund_id,
        order_id=paid.order_id,
        payment_id=paid.payment_id,
        reason="damaged",
        description="the bumper is cracked",
        amount=Decimal(amount),
        percentage=None,
        destination="wallet" if route == "wallet" else "original_method",
        route=route,
        currency=paid.currency,
        requested_by=paid.buyer_id,
        at=AT,
        workflow_id=f"refund-{refund_id}",
    )


def step(
    refund: RefundOpened,
    status: RefundStatus,
    amount: str | None = None,
    at: datetime = AT,
    notes: str | None = None,
) -> RefundStep:
    return RefundStep(
        refund_id=refund.refund_id,
        order_id=refund.order_id,
        status=status,
        amount=Decimal(amount) if amount else refund.amount,
        actor="admin-1",
        at=at,
        admin_notes=notes,
        route=refund.route if status == "completed" else None,
        gateway_refund_id="re_1" if status == "completed" and refund.route == "gateway" else None,
    )


def open_and_complete(url: str, refund: RefundOpened, at: datetime = AT) -> None:
    with session_scope(url) as session:
        refunds.open_refund(session, refund)
    with session_scope(url) as session:
        refunds.complete(session, step(refund, "completed", at=at))


def refund_row(url: str, refund_id: str) -> Refund:
    with session_scope(url, read_only=True) as session:
        row = session.get(Refund, refund_id)
        assert row is not None
        return row


def order_row(url: str, order_id: str) -> Order:
    with session_scope(url, read_only=True) as session:
        row = session.get(Order, order_id)
        assert row is not None
        return row


def notices(url: str, key_part: str) -> list[tuple[str, str]]:
    with session_scope(url, read_only=True) as session:
        rows = session.execute(
            select(Notification.kind, Notification.user_id).where(
                Notification.key.contains(key_part)
            )
        )
        return sorted((kind, user) for kind, user in rows)
