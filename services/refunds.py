"""A refund's records, step by step, each idempotent by the refund's id (and the step): the
request (the row, the timeline, the payout held), the admin's decision, the reminders, and the
payout let go when the refund ends. The money itself: services/refund_money.py."""

from datetime import datetime

from sqlalchemy.orm import Session

from db.tables import Order, Refund
from domain.contracts import Deadline
from domain.refund_contracts import PayoutReleased, RefundOpened, RefundReminder, RefundStep
from services.notifications import notify_parties
from services.refund_money import EVERYONE, complete
from services.refund_queries import locked_refund
from services.timeline import lock_order, note, set_deadline

__all__ = ["complete", "open_refund", "record_step", "release_payout", "remind_admins"]

# How far along a refund is: a step never takes it back.
_RANK = {"pending": 0, "approved": 1, "processing": 2, "completed": 3, "rejected": 3}


def open_refund(session: Session, opened: RefundOpened) -> None:
    order = lock_order(session, opened.order_id)
    if session.get(Refund, opened.refund_id) is None:
        session.add(
            Refund(
                id=opened.refund_id,
                order_id=opened.order_id,
                payment_id=opened.payment_id,
                refund_reason=opened.reason,
                reason_description=opened.description,
                refund_amount=opened.amount,
                refund_percentage=opened.percentage,
                currency=opened.currency,
                status="pending",
                destination=opened.destination,
                route=opened.route,
                requested_by=opened.requested_by,
                requested_at=opened.at,
                workflow_id=opened.workflow_id,
            )
        )
    if order.payout_status == "scheduled":
        # The payout's timer waits for the refund: no deadline runs until it is let go.
        order.payout_status = "held"
        if order.deadline_kind == "payout":
            set_deadline(order, None)
    what = f"{opened.amount:.2f} {opened.currency}"
    note(
        session,
        order,
        "refund_requested",
        opened.requested_by,
        opened.at,
        f"refund_requested:{opened.refund_id}",
        detail=f"{what} asked ({opened.reason})",
    )
    _tell(
        session,
        order,
        opened.refund_id,
        "refund_requested",
        f"Refund requested for {order.order_number}",
        f"The buyer asks for {what} back ({opened.reason}): {opened.description}",
        opened.at,
    )


def record_step(session: Session, step: RefundStep) -> None:
    """approved (the amount may be lower), processing or rejected; completed moves money."""
    if step.status == "completed":
        complete(session, step)
        return
    order = lock_order(session, step.order_id)
    refund = locked_refund(session, step.refund_id)
    if _RANK[step.status] > _RANK[refund.status]:
        _apply(refund, step)
    what = f"{step.amount:.2f} {order.currency}"
    detail = {
        "approved": f"{what} approved",
        "processing": f"{what} being refunded",
        "rejected": "rejected",
        "pending": "pending",
    }[step.status]
    if step.admin_notes:
        detail = f"{detail}: {step.admin_notes}"
    note(
        session,
        order,
        f"refund_{step.status}",
        step.actor,
        step.at,
        f"refund_{step.status}:{step.refund_id}",
        detail=detail,
    )
    if step.status == "approved":
        title, body = "approved", f"A refund of {what} was approved; the money goes back next."
    elif step.status == "rejected":
        reason = step.admin_notes or "no reason given"
        title, body = "rejected", f"The refund request was rejected: {reason}"
    else:
        return
    _tell(
        session,
        order,
        step.refund_id,
        f"refund_{step.status}",
        f"Refund for {order.order_number} {title}",
        body,
        step.at,
    )


def _apply(refund: Refund, step: RefundStep) -> None:
    refund.status = step.status
    if step.admin_notes is not None:
        refund.admin_notes = step.admin_notes
    if step.status == "approved":
        if step.amount != refund.refund_amount:
            refund.refund_percentage = None  # the buyer's percentage no longer says it
        refund.refund_amount = step.amount
        refund.approved_at = step.at
    elif step.status == "rejected":
        refund.rejected_at = step.at


def remind_admins(session: Session, reminder: RefundReminder) -> None:
    refund = session.get(Refund, reminder.refund_id)
    order = session.get(Order, reminder.order_id)
    if refund is None or order is None:
        raise LookupError(f"refund {reminder.refund_id} of order {reminder.order_id}")
    notify_parties(
        session,
        order,
        ("admins",),
        f"refund:{refund.id}:reminder:{reminder.count}",
        "refund_review_reminder",
        f"Refund for {order.order_number} still waits for a decision",
        f"Refund {refund.id} of {refund.refund_amount:.2f} {refund.currency} for order "
        f"{order.order_number} still waits for a decision (reminder {reminder.count}).",
        reminder.at,
    )


def release_payout(session: Session, released: PayoutReleased) -> None:
    """The refund that held the payout ended: scheduled again for what is left, or none."""
    order = lock_order(session, released.order_id)
    if order.payout_status == "paid":
        return
    plan = released.plan
    if plan is None:
        order.payout_status = None
        order.payout_amount = order.payout_fee = order.payout_at = None
        if order.deadline_kind == "payout":
            set_deadline(order, None)
        return
    order.payout_status = "scheduled"
    order.payout_amount, order.payout_fee, order.payout_at = plan.amount, plan.fee, plan.at
    set_deadline(order, Deadline(kind="payout", at=plan.at))


def _tell(
    session: Session,
    order: Order,
    refund_id: str,
    kind: str,
    title: str,
    body: str,
    at: datetime,
) -> None:
    notify_parties(session, order, EVERYONE, f"refund:{refund_id}:{kind}", kind, title, body, at)
