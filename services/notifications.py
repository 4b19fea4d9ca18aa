"""In-app notifications for buyers and sellers, one per user and event (a retry adds none)."""

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import Notification, Order
from domain.contracts import AdminAlert
from services import mail

# The inbox every admin reads (admins are a role of the token, not a list of users).
ADMINS = "role:admin"

# event -> (who hears of it, title, body); bodies are formatted with the order's fields.
MESSAGES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "created": (
        ("buyer", "seller"),
        "Order {order_number} placed",
        "{item_name} x {quantity}, total {total_amount} {currency}.",
    ),
    "bank_transfer_requested": (
        ("buyer",),
        "Pay {order_number} by bank transfer",
        "Transfer {total_amount} {currency} with reference {order_number}.",
    ),
    "payment_failed": (
        ("buyer",),
        "Payment failed for {order_number}",
        "The payment of {total_amount} {currency} was not accepted; you can retry it.",
    ),
    "payment_outcome_unknown": (
        ("buyer",),
        "Payment for {order_number} is being confirmed",
        "The payment of {total_amount} {currency} is being confirmed with the card's network; "
        "you will hear as soon as it is settled. Please do not pay again.",
    ),
    "invoice_overdue": (
        ("buyer",),
        "Invoice for {order_number} is overdue",
        "{total_amount} {currency} by bank transfer with reference {order_number} was due; "
        "unpaid by {deadline_at:%Y-%m-%d %H:%M} UTC, the order is cancelled.",
    ),
    "confirmed": (
        ("buyer", "seller", "admins"),
        "Order {order_number} paid",
        "{total_amount} {currency} received and held in escrow until the payout; "
        "the seller can now ship {item_name}.",
    ),
    "shipped": (
        ("buyer", "seller"),
        "Order {order_number} shipped",
        "{item_name} ({total_amount} {currency}) is on its way.",
    ),
    "delivered": (
        ("buyer", "seller"),
        "Order {order_number} delivered",
        "{item_name} ({total_amount} {currency}) was delivered.",
    ),
    "cancel_requested": (
        ("buyer", "seller", "admins"),
        "Cancelling {order_number}",
        "The order of {total_amount} {currency} is cancelled as soon as the payment in "
        "progress ends; if it went through, it is refunded in full.",
    ),
    "cancelled": (
        ("buyer", "seller", "admins"),
        "Order {order_number} cancelled",
        "The order of {total_amount} {currency} was cancelled ({cancel_reason}); whatever was "
        "paid goes back to where it came from.",
    ),
    "refunded": (
        ("buyer", "seller", "admins"),
        "Order {order_number} refunded",
        "{refunded_amount} {currency} of {total_amount} {currency} went back to the buyer.",
    ),
    "paid_out": (
        ("seller", "admins"),
        "Payout for {order_number}",
        "{payout_amount} {currency} was paid into the seller's wallet "
        "(platform fee {payout_fee} {currency}).",
    ),
}


def notify_order_event(session: Session, order: Order, event: str, key: str, at: datetime) -> None:
    audience, title, body = MESSAGES[event]
    fields = {column.key: getattr(order, column.key) for column in order.__table__.columns}
    readers = [
        {"buyer": order.buyer_id, "seller": order.seller_id}.get(p, ADMINS) for p in audience
    ]
    message = Message(event, title.format(**fields), body.format(**fields), order.id)
    _notify_all(session, readers, f"{order.id}:{key}", message, at)


class Message(NamedTuple):
    kind: str
    title: str
    body: str
    order_id: str | None


def _notify(
    session: Session,
    user_id: str,
    key: str,
    kind: str,
    title: str,
    body: str,
    order_id: str | None,
    at: datetime,
) -> None:
    _notify_all(session, [user_id], key, Message(kind, title, body, order_id), at)


def _notify_all(
    session: Session, readers: list[str], key: str, message: Message, at: datetime
) -> None:
    """One row per reader and key, in one statement: a key written before is skipped (a
    retried step notifies no one twice), and only the new rows are emailed."""
    rows = [
        {
            "id": str(uuid.uuid4()),
            "user_id": reader,
            "key": key,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "order_id": message.order_id,
            "created_at": at,
        }
        for reader in dict.fromkeys(readers)
    ]
    # The rows as parameters (SQLAlchemy sends them as one INSERT): rows written into the
    # statement made it a new statement to compile every time, 4 % of the worker's CPU.
    written = session.execute(_INSERT(session), rows).all()
    for notification_id, user_id in written:
        if user_id != ADMINS:  # the admins' inbox is a role's, with no address
            mail.queue_notification(session, notification_id, user_id, at)


_INSERT = insert_ignoring(table_of(Notification), "id", "user_id")


def alert_admins(session: Session, alert: AdminAlert) -> None:
    _notify(
        session,
        ADMINS,
        f"{alert.order_id}:{alert.key}",
        alert.kind,
        alert.title,
        alert.body,
        alert.order_id,
        alert.at,
    )


def notify_money(
    session: Session, user_id: str, key: str, kind: str, title: str, body: str, at: datetime
) -> None:
    """A wallet's money moved (top-up, payout, adjustment): its owner and the admins are told,
    once per key."""
    for reader in (user_id, ADMINS):
        _notify(session, reader, key, kind, title, body, None, at)


def notify_admins(session: Session, key: str, title: str, body: str, at: datetime) -> None:
    """Something about a wallet an admin must look at (not tied to an order), once per key."""
    _notify(session, ADMINS, key, "ops_alert", title, body, None, at)


def notify_parties(
    session: Session,
    order: Order,
    parties: tuple[str, ...],
    key: str,
    kind: str,
    title: str,
    body: str,
    at: datetime,
) -> None:
    """A message of the caller's own words about the order (a refund's step) to some of its
    parties (`buyer`, `seller`, `admins`), once per key."""
    for party in parties:
        user_id = {"buyer": order.buyer_id, "seller": order.seller_id}.get(party, ADMINS)
        _notify(session, user_id, key, kind, title, body, order.id, at)
