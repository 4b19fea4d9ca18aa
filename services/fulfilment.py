"""Shipping, delivery and cancellation of an order, as the workflow decides them."""

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from db.tables import Invoice, Listing, Order, Payment, Refund
from domain.contracts import Cancellation, CancelRequested, Transition
from services import discounts, escrow
from services.timeline import lock_order, note, record, set_deadline

# A refund not yet completed or rejected.
OPEN = ("pending", "approved", "processing")


def apply(session: Session, transition: Transition) -> None:
    order = lock_order(session, transition.order_id)
    if transition.tracking_number is not None:
        order.tracking_number = transition.tracking_number
        order.tracking_url = transition.tracking_url
        order.carrier = transition.carrier
    if transition.payout is not None:
        order.payout_status = "scheduled"
        order.payout_amount = transition.payout.amount
        order.payout_fee = transition.payout.fee
        order.payout_at = transition.payout.at
    record(session, order, transition)
    if transition.payout is not None and _refund_open(session, order.id):
        # A refund asked before delivery holds the payout too, with no timer shown, until it ends.
        order.payout_status = "held"
        set_deadline(order, None)


def _refund_open(session: Session, order_id: str) -> bool:
    open_one = select(Refund.id).where(Refund.order_id == order_id, Refund.status.in_(OPEN))
    return session.scalar(open_one.limit(1)) is not None


def cancel(session: Session, cancellation: Cancellation) -> None:
    order = lock_order(session, cancellation.order_id)
    if order.status == "cancelled":
        return
    if order.status != "shipped":  # a shipped car has left; it comes back only if returned
        _release_stock(session, order)
    # An unpaid order's discount use goes back to the code (a paid one's was counted: kept).
    discounts.release(session, order.id)
    payment = session.get(Payment, order.payment_id) if order.payment_id else None
    refunded = cancellation.refund is not None or cancellation.refund_to_wallet
    if refunded and payment is not None:
        payment.status = "refunded"
        payment.refunded_amount = cancellation.refunded_amount
        order.refunded_amount = cancellation.refunded_amount
    if refunded or cancellation.refund_error == "manual_refund_required":
        # Out of escrow the way it came (a refused or pending gateway refund leaves it there
        # until the money really goes).
        escrow.give_back(session, order, cancellation.refund_to_wallet)
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is not None and invoice.status != "paid":
        invoice.status = "cancelled"
    if payment is not None and payment.status in ("pending", "processing", "failed"):
        payment.status = "cancelled"
    order.cancel_reason = cancellation.reason
    note = cancellation.reason
    if cancellation.refund_to_wallet:
        note = f"{note}; refunded {cancellation.refunded_amount} {order.currency} to the wallet"
    elif cancellation.refund is not None:
        note = f"{note}; refunded {cancellation.refunded_amount} {order.currency}"
    if cancellation.refund_error == "manual_refund_required":
        note = f"{note}; paid offline: refund {order.total_amount} {order.currency} by hand"
    elif cancellation.refund_error == "refund_pending":
        note = f"{note}; refund of {order.total_amount} {order.currency} sent, awaiting the gateway"
    elif cancellation.refund_error is not None:
        note = f"{note}; refund refused ({cancellation.refund_error}): refund it by hand"
    record(
        session,
        order,
        Transition(
            order_id=order.id,
            status="cancelled",
            event="cancelled",
            actor=cancellation.actor,
            at=cancellation.at,
            note=note,
        ),
    )


def _release_stock(session: Session, order: Order) -> None:
    if order.stock_released:
        return
    session.execute(
        update(Listing)
        .where(Listing.id == order.listing_id)
        .values(
            quantity_available=Listing.quantity_available + order.quantity,
            status=case((Listing.status == "sold_out", "active"), else_=Listing.status),
        )
        .execution_options(synchronize_session=False)
    )
    order.stock_released = True


def note_cancel_requested(session: Session, request: CancelRequested) -> None:
    """A cancel that waits for a charge in flight: on the timeline at once, carried out later."""
    order = lock_order(session, request.order_id)
    note(
        session,
        order,
        "cancel_requested",
        request.actor,
        request.at,
        f"cancel_requested:{request.reason}",
        detail=f"{request.reason}; carried out once the payment in flight has an outcome",
    )
