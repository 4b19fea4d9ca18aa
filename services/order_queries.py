"""Reading orders, invoices and payments as a given user may see them (admins see all)."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from db.statements import table_of
from db.tables import Invoice, Order, OrderEvent, Payment
from db.types import utcnow
from services.pagination import page
from services.timeline import lock_order, note


class Viewer:
    def __init__(self, user_id: str, is_admin: bool) -> None:
        self.user_id = user_id
        self.is_admin = is_admin


def orders_of(viewer: Viewer, query: Select[Any]) -> Select[Any]:
    return query if viewer.is_admin else query.where(_a_party(viewer))


def _a_party(viewer: Viewer) -> ColumnElement[bool]:
    return or_(Order.buyer_id == viewer.user_id, Order.seller_id == viewer.user_id)


def visible_order(session: Session, viewer: Viewer, order_id: str) -> Order | None:
    return session.scalars(orders_of(viewer, select(Order).where(Order.id == order_id))).first()


def visible_order_row(
    session: Session | Connection, viewer: Viewer, order_id: str
) -> Row[Any] | None:
    """The order as `order_rows` reads it, if the viewer may see it."""
    return _visible(session, viewer, _ROW, {"order_id": order_id})


def _visible(
    session: Session | Connection,
    viewer: Viewer,
    reads: tuple[Select[Any], Select[Any]],
    by: dict[str, str],
) -> Row[Any] | None:
    """The first row of a read built once: as an admin, or as a party to the order."""
    if viewer.is_admin:
        return session.execute(reads[0], by).first()
    return session.execute(reads[1], {**by, "user_id": viewer.user_id}).first()


def order_rows() -> Select[Any]:
    """Each order's columns beside its current payment's status and method, in one statement.
    Reads answer with rows, not ORM objects: nothing read here is changed, and a page of 50
    orders costs half the CPU without the identity map and the Payment rows' other columns.
    On the tables, not the mapped classes: the session runs a Core statement without the
    ORM's compile and loading steps."""
    return select(
        _ORDERS,
        _PAYMENTS.c.status.label("payment_status"),
        _PAYMENTS.c.payment_method.label("payment_method"),
    ).outerjoin(_PAYMENTS, _PAYMENTS.c.id == _ORDERS.c.payment_id)


def list_orders(
    session: Session | Connection,
    viewer: Viewer,
    role: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Row[Any]], str | None]:
    # A role is a narrower filter than visibility, and one the indexes serve alone: with the
    # OR of `orders_of` beside it, PostgreSQL reads every order of the user and sorts them.
    column = _ORDERS.c
    if role == "buyer":
        query = order_rows().where(column.buyer_id == viewer.user_id)
    elif role == "seller":
        query = order_rows().where(column.seller_id == viewer.user_id)
    elif viewer.is_admin:
        query = order_rows()
    else:
        query = order_rows().where(
            or_(column.buyer_id == viewer.user_id, column.seller_id == viewer.user_id)
        )
    if status:
        query = query.where(column.status == status)
    return page(session, query, column.created_at, column.id, limit, cursor, rows=True)


def timeline(session: Session | Connection, order_id: str) -> list[dict[str, Any]]:
    """The timeline's lines as plain rows: read on every look at an order, never changed."""
    return [dict(row) for row in session.execute(_TIMELINE, {"order_id": order_id}).mappings()]


_ORDERS, _PAYMENTS, _EVENTS = table_of(Order), table_of(Payment), table_of(OrderEvent)


def _for_both(read: Select[Any]) -> tuple[Select[Any], Select[Any]]:
    """A read as an admin makes it, and as a party to the order (`user_id`) does."""
    party = or_(
        _ORDERS.c.buyer_id == bindparam("user_id"), _ORDERS.c.seller_id == bindparam("user_id")
    )
    return read, read.where(party)


# The reads of every look at an order or a payment, built once (db/statements.py).
_ROW = _for_both(order_rows().where(_ORDERS.c.id == bindparam("order_id")))
_PAYMENT = _for_both(
    select(_PAYMENTS)
    .join(_ORDERS, _ORDERS.c.id == _PAYMENTS.c.order_id)
    .where(_PAYMENTS.c.id == bindparam("payment_id"))
)
_TIMELINE = (
    select(_EVENTS.c.at, _EVENTS.c.event, _EVENTS.c.status, _EVENTS.c.actor, _EVENTS.c.note)
    .where(_EVENTS.c.order_id == bindparam("order_id"))
    .order_by(_EVENTS.c.id)
)


def visible_payment(
    session: Session | Connection, viewer: Viewer, payment_id: str
) -> Row[Any] | None:
    """The payment's columns, if the viewer may see its order."""
    return _visible(session, viewer, _PAYMENT, {"payment_id": payment_id})


def list_payments(
    session: Session, viewer: Viewer, limit: int, cursor: str | None
) -> tuple[list[Payment], str | None]:
    query = orders_of(viewer, select(Payment).join(Order, Order.id == Payment.order_id))
    return page(session, query, Payment.created_at, Payment.id, limit, cursor)


def visible_invoice(session: Session, viewer: Viewer, invoice_id: str) -> Invoice | None:
    query = (
        select(Invoice).join(Order, Order.id == Invoice.order_id).where(Invoice.id == invoice_id)
    )
    return session.scalars(orders_of(viewer, query)).first()


def list_invoices(
    session: Session, viewer: Viewer, limit: int, cursor: str | None
) -> tuple[list[Invoice], str | None]:
    query = orders_of(viewer, select(Invoice).join(Order, Order.id == Invoice.order_id))
    return page(session, query, Invoice.created_at, Invoice.id, limit, cursor)


def mark_invoice_viewed(session: Session, invoice: Invoice) -> None:
    """The buyer's first read is what API.md calls `viewed`."""
    if invoice.viewed_at is None:
        invoice.viewed_at = utcnow()
        if invoice.status == "sent":
            invoice.status = "viewed"


EDITABLE_STATUSES = ("pending", "confirmed")
BUYER_FIELDS = frozenset({"shipping_address", "billing_address", "buyer_notes"})


class NotEditable(Exception):
    """The buyer's details are fixed once the order has shipped (or ended)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"Addresses and notes are fixed once the order is {status}")


def edit_details(session: Session, order_id: str, changes: dict[str, Any], actor: str) -> Order:
    """Notes and addresses are the parties' own data, not process: no workflow step needed."""
    order = lock_order(session, order_id)
    # Checked again under the lock: a ship that landed after the route's read wins.
    if set(changes) & BUYER_FIELDS and order.status not in EDITABLE_STATUSES:
        raise NotEditable(order.status)
    for field, value in changes.items():
        setattr(order, field, value)
    note(
        session,
        order,
        "details_updated",
        actor,
        utcnow(),
        f"details_updated:{uuid.uuid4()}",
        detail=", ".join(sorted(changes)),
    )
    return order
