"""Outbound webhook events, emitted in the transaction that writes the order's transition.

Each occurrence has an id derived from its business object and transition
(`order.shipped:<order_id>`, `refund.completed:<refund_id>`, `payment.failed:<payment>:<try>`),
and is written once with one delivery per endpoint that hears it: the endpoints of the order's
seller and the admins', subscribed to the type. A delivery's workflow (`webhook-<delivery id>`)
is started through the outbox once the transaction commits. Nothing is written when no endpoint
listens, and the lookup is one indexed query.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import Order, Payment, Refund, WebhookDelivery, WebhookEndpoint, WebhookEvent
from domain.webhooks import subscribed
from services import outbox

# The deliveries' ids are derived (endpoint, event): a repeat names the same workflow.
_DELIVERY_IDS = uuid.UUID("5b1e0c36-2f54-4a63-9a7e-6f0d1e1c0b12")

# The timeline's event (services/timeline.py) → the webhook's type.
_OF_TIMELINE = {
    "created": "order.created",
    "confirmed": "order.confirmed",
    "shipped": "order.shipped",
    "delivered": "order.delivered",
    "cancelled": "order.cancelled",
    "payment_failed": "payment.failed",
    "refund_requested": "refund.requested",
    "refund_completed": "refund.completed",
    "refund_rejected": "refund.rejected",
    "paid_out": "payout.completed",
}


def on_transition(
    session: Session, order: Order, event: str, key: str, became: str | None, at: datetime
) -> None:
    """The webhook events of one timeline line written now (`key` is its once-only key;
    `became` the status the order moved to, if it moved)."""
    types = []
    webhook_type = _OF_TIMELINE.get(event)
    if webhook_type is not None:
        types.append(webhook_type)
    if became == "refunded":
        types.append("order.refunded")
    if not types:
        return
    endpoints = _listening(session, order.seller_id)
    if not endpoints:
        return
    for event_type in types:
        hearing = [
            endpoint_id for endpoint_id, events in endpoints if subscribed(events, event_type)
        ]
        if hearing:
            _emit(session, order, event_type, key, at, hearing)


def _listening(session: Session, seller_id: str) -> list[tuple[str, list[str]]]:
    rows = session.execute(_LISTENING, {"seller_id": seller_id})
    return [(endpoint_id, list(events)) for endpoint_id, events in rows]


_ENDPOINTS = table_of(WebhookEndpoint).c
# Built once: every step of every order asks it (db/statements.py).
_LISTENING = select(_ENDPOINTS.id, _ENDPOINTS.events).where(
    or_(_ENDPOINTS.owner_id == bindparam("seller_id"), _ENDPOINTS.owner_role == "admin"),
    _ENDPOINTS.deleted_at.is_(None),
)
_EVENT = insert_ignoring(table_of(WebhookEvent))
_DELIVERY = insert_ignoring(table_of(WebhookDelivery))


def event_id_of(event_type: str, order_id: str, key: str) -> str:
    """`<type>:<object>`: the order for its own transitions, else what the key names after
    the timeline's event (a refund's id, a payment's id and attempt)."""
    if event_type.startswith("order.") or event_type == "payout.completed":
        return f"{event_type}:{order_id}"
    _, _, obj = key.partition(":")
    return f"{event_type}:{obj or order_id}"


def _emit(
    session: Session, order: Order, event_type: str, key: str, at: datetime, endpoints: list[str]
) -> None:
    event_id = event_id_of(event_type, order.id, key)
    event = {
        "id": event_id,
        "type": event_type,
        "order_id": order.id,
        "seller_id": order.seller_id,
        "payload": data_of(session, order, event_type, key),
        "created_at": at,
    }
    session.execute(_EVENT(session), event)
    for endpoint_id in endpoints:
        delivery_id = str(uuid.uuid5(_DELIVERY_IDS, f"{endpoint_id}|{event_id}"))
        delivery = {
            "id": delivery_id,
            "endpoint_id": endpoint_id,
            "event_id": event_id,
            "status": "pending",
            "attempts": 0,
            "created_at": at,
        }
        session.execute(_DELIVERY(session), delivery)
        outbox.enqueue(session, f"webhook-{delivery_id}", "webhook", delivery_id, at)


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _when(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def order_data(order: Order) -> dict[str, Any]:
    """The order as a receiver needs it (a compact form of the API's order)."""
    return {
        "id": order.id,
        "order_number": order.order_number,
        "status": order.status,
        "buyer_id": order.buyer_id,
        "seller_id": order.seller_id,
        "listing_id": order.listing_id,
        "item_name": order.item_name,
        "quantity": order.quantity,
        "total_amount": _money(order.total_amount),
        "refunded_amount": _money(order.refunded_amount),
        "currency": order.currency,
        "tracking_number": order.tracking_number,
        "tracking_url": order.tracking_url,
        "carrier": order.carrier,
        "cancel_reason": order.cancel_reason,
        "created_at": _when(order.created_at),
        "confirmed_at": _when(order.confirmed_at),
        "shipped_at": _when(order.shipped_at),
        "delivered_at": _when(order.delivered_at),
        "cancelled_at": _when(order.cancelled_at),
    }


def data_of(session: Session, order: Order, event_type: str, key: str) -> dict[str, Any]:
    data = order_data(order)
    parts = key.split(":")
    if event_type.startswith("refund."):
        refund = session.get(Refund, parts[1]) if len(parts) > 1 else None
        if refund is not None:
            data["refund"] = {
                "id": refund.id,
                "amount": _money(refund.refund_amount),
                "currency": refund.currency,
                "status": refund.status,
                "reason": refund.refund_reason,
                "destination": refund.destination,
            }
    elif event_type == "payment.failed" and len(parts) > 2:
        payment = session.get(Payment, parts[1])
        if payment is not None:
            data["payment"] = {
                "id": payment.id,
                "attempt": int(parts[2]) if parts[2].isdigit() else None,
                "payment_method": payment.payment_method,
                "amount": _money(payment.amount),
                "error_code": payment.error_code,
            }
    elif event_type == "payout.completed":
        data["payout"] = {
            "amount": _money(order.payout_amount),
            "fee": _money(order.payout_fee),
            "currency": order.currency,
            "at": _when(order.payout_at),
        }
    return data
