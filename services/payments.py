"""The payment records: an attempt starts, completes (order confirmed, invoice paid) or fails."""

from decimal import Decimal

from sqlalchemy.orm import Session

from db.tables import Invoice, Payment
from domain.contracts import (
    BankTransferRequested,
    GatewayEventSeen,
    InvoiceOverdue,
    OutcomeUnknown,
    PaymentAttempt,
    PaymentCompleted,
    PaymentFailed,
    RefundSettled,
    Transition,
)
from services import discounts, escrow, invoice_numbers, mail
from services.timeline import lock_order, note, record, set_deadline


def begin_attempt(session: Session, attempt: PaymentAttempt) -> None:
    order = lock_order(session, attempt.order_id)
    payment = session.get(Payment, attempt.payment_id)
    if payment is None:
        payment = Payment(
            id=attempt.payment_id,
            order_id=attempt.order_id,
            payment_method=attempt.payment_method,
            amount=attempt.amount,
            currency=attempt.currency,
            status="processing",
            gateway=attempt.gateway,
            reference_number=order.order_number,
            attempts=0,
            refunded_amount=Decimal("0"),
        )
        session.add(payment)
    if payment.attempts < attempt.attempt:
        payment.attempts = attempt.attempt
        payment.payment_method = attempt.payment_method
        payment.amount = attempt.amount  # a discount applied since the last attempt lowers it
        payment.status = "processing"
        payment.error_code = payment.error_message = None
        payment.processed_at = None  # a new attempt: the failed one's time no longer applies
    order.payment_id = payment.id


def complete(session: Session, done: PaymentCompleted) -> None:
    order = lock_order(session, done.order_id)
    payment = existing_payment(session, done.payment_id)
    if payment.status != "completed":
        # The time of the attempt that succeeded, not of an earlier one that failed (and not
        # of a repeat of this step).
        payment.processed_at = done.at
    payment.status = "completed"
    payment.transaction_id = done.transaction_id
    payment.gateway_response = done.gateway_response
    payment.error_code = payment.error_message = None
    order.payment_id = payment.id
    if done.payment_method != "wallet":  # a wallet payment moved its money as it was taken
        escrow.fund_from_clearing(session, order, payment.id, payment.payment_method)
    discounts.mark_used(session, order.id)
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is not None and invoice.status != "paid":
        invoice_numbers.issue(session, invoice, done.at)
        invoice.status = "paid"
        invoice.amount_paid = invoice.total
        invoice.amount_due = Decimal("0")
        invoice.paid_at = done.at
        invoice.sent_at = invoice.sent_at or done.at
        mail.queue_invoice(session, invoice, order.buyer_id, done.at)
    record(
        session,
        order,
        Transition(
            order_id=order.id,
            status="confirmed",
            event="confirmed",
            actor=done.actor,
            at=done.at,
            note=f"paid by {payment.payment_method}; "
            f"{order.total_amount:.2f} {order.currency} held in escrow",
            deadline=done.deadline,
        ),
    )


def fail(session: Session, failed: PaymentFailed) -> None:
    order = lock_order(session, failed.order_id)
    payment = existing_payment(session, failed.payment_id)
    if payment.attempts == failed.attempt:
        payment.status = "failed"
        payment.error_code = failed.error_code
        payment.error_message = failed.error_message
        payment.processed_at = failed.at
        payment.gateway_response = failed.gateway_response
    note(
        session,
        order,
        "payment_failed",
        "system",
        failed.at,
        f"payment_failed:{failed.payment_id}:{failed.attempt}",
        detail=failed.error_code,
    )


def request_bank_transfer(session: Session, request: BankTransferRequested) -> None:
    """The payment waits for the buyer's wire; the invoice goes out with the same due date."""
    order = lock_order(session, request.order_id)
    payment = existing_payment(session, request.payment_id)
    due_date = request.due.date()
    payment.status = "pending"
    payment.instructions = {
        "account": request.account,
        "reference": order.order_number,
        "amount": f"{order.total_amount:.2f}",
        "currency": order.currency,
        "due_date": due_date.isoformat(),
    }
    if request.deadline is not None:
        set_deadline(order, request.deadline)
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is not None and invoice.status == "draft":
        invoice.status = "sent"
        invoice_numbers.issue(session, invoice, request.at)
        invoice.sent_at = request.at
        invoice.due_date = due_date
        # The transfer's reference first, then the terms the invoice was created with.
        reference = f"Bank transfer, reference {order.order_number}, due {due_date}"
        invoice.terms = f"{reference}. {invoice.terms}" if invoice.terms else reference
        mail.queue_invoice(session, invoice, order.buyer_id, request.at)
    note(
        session,
        order,
        "bank_transfer_requested",
        request.actor,
        request.at,
        f"bank_transfer_requested:{request.payment_id}",
        detail=f"due {due_date}",
    )


def mark_overdue(session: Session, overdue: InvoiceOverdue) -> None:
    """Unpaid at the end of the due date: the invoice is overdue, the buyer reminded of the
    new deadline, after which the order is cancelled."""
    order = lock_order(session, overdue.order_id)
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is not None and invoice.status in ("sent", "viewed"):
        invoice.status = "overdue"
    set_deadline(order, overdue.deadline)
    note(
        session,
        order,
        "invoice_overdue",
        "system",
        overdue.at,
        f"invoice_overdue:{overdue.payment_id}",
        detail=f"unpaid; cancelled at {overdue.deadline.at:%Y-%m-%d %H:%M} UTC unless paid",
    )


def note_unknown_outcome(session: Session, unknown: OutcomeUnknown) -> None:
    """The charge's answer was lost: the payment stays `processing` and the timeline says why."""
    order = lock_order(session, unknown.order_id)
    note(
        session,
        order,
        "payment_outcome_unknown",
        "system",
        unknown.at,
        f"payment_outcome_unknown:{unknown.payment_id}:{unknown.attempt}",
        detail="the gateway's answer was lost; asking it by the idempotency key",
    )


def record_gateway_event(session: Session, seen: GatewayEventSeen) -> None:
    order = lock_order(session, seen.order_id)
    event = seen.event
    note(
        session,
        order,
        f"gateway:{event.type}",
        "gateway",
        event.at,
        f"gateway:{event.event_id}",
        detail=event.object_id,
    )


def settle_refund(session: Session, settled: RefundSettled) -> None:
    """A refund the gateway had taken as `pending` went through: now the money is back."""
    order = lock_order(session, settled.order_id)
    payment = existing_payment(session, settled.payment_id)
    payment.status = "refunded"
    # The cancel's refund gave back all that earlier refunds left: now all of it is back.
    payment.refunded_amount = order.refunded_amount = order.total_amount
    escrow.give_back(session, order, to_wallet=False)
    note(
        session,
        order,
        "refunded",
        "gateway",
        settled.at,
        f"refunded:{settled.refund.refund_id}",
        detail=f"{settled.amount:.2f} {order.currency}",
    )


def existing_payment(session: Session, payment_id: str) -> Payment:
    """The payment an earlier step of the workflow made; its absence is a bug, retried loudly."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(f"payment {payment_id} does not exist")
    return payment
