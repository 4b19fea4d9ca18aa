"""A refund's money goes back, in one transaction and once: escrow → the buyer's wallet or
gateway clearing, the payment's and the order's refunded amounts, the order `refunded` when
nothing is left, the credit note against the invoice, and everyone told."""

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from db.tables import CreditNote, Invoice, Order, Payment, Refund
from domain.contracts import Transition
from domain.order_states import OrderStatus
from domain.refund_contracts import RefundStep
from services import escrow
from services.counters import yearly_number
from services.notifications import notify_parties
from services.refund_queries import locked_refund
from services.timeline import lock_order, record

EVERYONE = ("buyer", "seller", "admins")


def complete(session: Session, step: RefundStep) -> None:
    # The order first, then the refund: the same order every refund step locks them in.
    order = lock_order(session, step.order_id)
    refund = locked_refund(session, step.refund_id)
    if refund.status == "completed":
        return
    amount = step.amount
    route = step.route or refund.route
    escrow.refund(session, order, refund.id, amount, to_wallet=route == "wallet")
    full = _amounts(session, order, refund, amount)
    refund.status = "completed"
    refund.refund_amount = amount
    refund.completed_at = step.at
    refund.route = route
    refund.gateway_refund_id = step.gateway_refund_id
    if step.admin_notes is not None:
        refund.admin_notes = step.admin_notes
    refund.credit_note_id = _credit_note(session, order, refund)
    what = f"{amount:.2f} {order.currency}"
    record(
        session,
        order,
        Transition(
            order_id=order.id,
            status=OrderStatus.REFUNDED if full else OrderStatus(order.status),
            event="refund_completed",
            actor=step.actor,
            at=step.at,
            note=f"{what} refunded ({_how(route)})" + ("; refunded in full" if full else ""),
        ),
        key=f"refund_completed:{refund.id}",
    )
    notify_parties(
        session,
        order,
        EVERYONE,
        f"refund:{refund.id}:completed",
        "refund_completed",
        f"Refund for {order.order_number} completed",
        f"{what} of order {order.order_number} went back to the buyer ({_how(route)}).",
        step.at,
    )


def _amounts(session: Session, order: Order, refund: Refund, amount: Decimal) -> bool:
    """The payment's and the order's refunded amounts grow; True when all is refunded."""
    order.refunded_amount += amount
    full = order.refunded_amount >= order.total_amount
    payment = session.get(Payment, refund.payment_id, with_for_update=True)
    if payment is not None:
        payment.refunded_amount += amount
        payment.status = "refunded" if full else "partially_refunded"
    return full


def _credit_note(session: Session, order: Order, refund: Refund) -> str | None:
    """Numbered now, in this transaction: a rollback leaves no gap in the year's numbers."""
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is None:
        return None
    assert refund.completed_at is not None
    note = CreditNote(
        id=str(uuid.uuid4()),
        credit_note_number=yearly_number(session, "CN", refund.completed_at.year),
        invoice_id=invoice.id,
        refund_id=refund.id,
        amount=refund.refund_amount,
        currency=order.currency,
        created_at=refund.completed_at,
    )
    session.add(note)
    invoice.amount_refunded += refund.refund_amount
    return note.id


def _how(route: str) -> str:
    return {
        "wallet": "to the buyer's wallet",
        "gateway": "to the original payment method",
        "manual": "by a transfer made by hand",
    }[route]
