"""An order's timeline and the status change it records, written once per event key."""

from datetime import datetime

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import Order, OrderEvent
from domain.contracts import Deadline, Transition
from services.notifications import MESSAGES, notify_order_event
from services.webhook_events import on_transition

_STAMPS = {
    "confirmed": "confirmed_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "cancelled": "cancelled_at",
}


# No timer runs for an order in these states.
_ENDED = ("cancelled", "refunded")


def set_deadline(order: Order, deadline: Deadline | None) -> None:
    order.deadline_kind = deadline.kind if deadline else None
    order.deadline_at = deadline.at if deadline else None


def lock_order(session: Session, order_id: str) -> Order:
    order = session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return order


def record(session: Session, order: Order, transition: Transition, key: str | None = None) -> bool:
    """Write the event and its status change; False when this key was written before."""
    key = key or transition.event
    if not _claim_key(session, order, transition, key):
        return False
    became = transition.status if order.status != transition.status else None
    if became is not None:
        order.status = transition.status
        stamp = _STAMPS.get(transition.status)
        if stamp:
            setattr(order, stamp, transition.at)
        if transition.status in _ENDED:
            set_deadline(order, None)
    if transition.deadline is not None:
        set_deadline(order, transition.deadline)
    if transition.event in MESSAGES:
        notify_order_event(session, order, transition.event, key, transition.at)
    on_transition(session, order, transition.event, key, became, transition.at)
    return True


def _claim_key(session: Session, order: Order, transition: Transition, key: str) -> bool:
    """Write the timeline line unless its key was written before: one INSERT either way."""
    line = {
        "order_id": order.id,
        "key": key,
        "at": transition.at,
        "event": transition.event,
        "status": transition.status,
        "actor": transition.actor,
        "note": transition.note,
    }
    if not inspect(order).persistent:
        return session.execute(_CLAIM(session), line).first() is not None  # the order first
    # The order's changes so far wait for the status change: one UPDATE of the order, not two.
    with session.no_autoflush:
        return session.execute(_CLAIM(session), line).first() is not None


_CLAIM = insert_ignoring(table_of(OrderEvent), "id")


def note(
    session: Session,
    order: Order,
    event: str,
    actor: str,
    at: datetime,
    key: str,
    detail: str | None = None,
) -> bool:
    """A timeline line that leaves the order's status as it is (a failed payment, a webhook)."""
    transition = Transition(
        order_id=order.id, status=order.status, event=event, actor=actor, at=at, note=detail
    )
    return record(session, order, transition, key=key)
