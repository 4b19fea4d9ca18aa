"""Creating an order: stock reservation, order row, draft invoice and first timeline line,
all in one transaction, so none of them can exist without the others."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, func, select, text, update
from sqlalchemy.orm import Session

from db.statements import table_of
from db.tables import Invoice, Listing, Order
from domain.contracts import Admission, NewOrder, Transition
from domain.money import MAX_AMOUNT
from domain.totals import Totals, order_totals
from domain.workflow_ids import order_workflow_id
from services import order_discounts
from services.counters import yearly_number
from services.timeline import record

# The terms of orders taken before INVOICE_TERMS existed (their input does not carry any).
DEFAULT_TERMS = "Due on receipt"
# The first key of the advisory lock that serializes one buyer's admissions.
_OPEN_ORDERS_LOCK = 4_201


def admit_order(session: Session, new: NewOrder, now: datetime) -> Admission:
    existing = session.get(Order, new.order_id)
    if existing is not None:
        # A retried activity: the first run already did everything.
        return admission_of(existing)
    listing = session.get(Listing, new.listing_id)
    if listing is None or listing.status == "inactive":
        return Admission(accepted=False, reason="listing_unavailable")
    if listing.seller_id == new.buyer_id:
        return Admission(accepted=False, reason="cannot_buy_own_listing")
    if new.max_open_orders is not None:
        _lock_buyer(session, new.buyer_id)
        if open_orders(session, new.buyer_id) >= new.max_open_orders:
            return Admission(accepted=False, reason="too_many_open_orders")
    # The listing's price may have changed since the route checked it: the total is checked
    # on the values the reservation took, and the reservation undone if it does not fit; a
    # refused discount code undoes it too (and the order's number with it: no gap).
    reservation = session.begin_nested()
    reserved = _reserve_stock(session, new.listing_id, new.quantity)
    if reserved is None:
        reservation.rollback()
        return Admission(accepted=False, reason="out_of_stock")
    unit_price, shipping_fee = reserved
    totals = order_totals(unit_price, new.quantity, shipping_fee, new.tax_rate)
    if totals.total_amount > MAX_AMOUNT:
        reservation.rollback()
        return Admission(accepted=False, reason="order_total_too_large")
    order = _insert_order(session, new, listing, totals, unit_price, now)
    if new.discount_code is not None:
        refused = order_discounts.reserve_for(session, order, new.discount_code, new.tax_rate, now)
        if refused is not None:
            reservation.rollback()
            return Admission(accepted=False, reason="discount_invalid", discount_reason=refused)
    reservation.commit()
    order.invoice_id = _insert_invoice(session, order, new, now).id
    record(
        session,
        order,
        Transition(
            order_id=order.id,
            status="pending",
            event="created",
            actor=new.buyer_id,
            at=now,
            note=f"discount {order.discount_code}: -{order.discount:.2f}"
            if order.discount_code
            else None,
        ),
    )
    return admission_of(order)


def open_orders(session: Session, buyer_id: str) -> int:
    """Pending orders are the unpaid ones: paying confirms an order."""
    return int(session.scalar(_OPEN_ORDERS, {"buyer_id": buyer_id}) or 0)


_ORDERS = table_of(Order)
# Asked by every create, in the API and again in admission: built once (db/statements.py).
_OPEN_ORDERS = (
    select(func.count())
    .select_from(_ORDERS)
    .where(_ORDERS.c.buyer_id == bindparam("buyer_id"), _ORDERS.c.status == "pending")
)


def oldest_open_order(session: Session, buyer_id: str) -> datetime | None:
    return session.scalar(
        select(func.min(Order.created_at)).where(
            Order.buyer_id == buyer_id, Order.status == "pending"
        )
    )


def _lock_buyer(session: Session, buyer_id: str) -> None:
    """One admission per buyer at a time, until commit: ten concurrent creates cannot all count
    four open orders. SQLite needs none: its write transactions already run one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:buyer))"),
            {"space": _OPEN_ORDERS_LOCK, "buyer": buyer_id},
        )


def _reserve_stock(
    session: Session, listing_id: str, quantity: int
) -> tuple[Decimal, Decimal] | None:
    """Take the units in one conditional UPDATE: two buyers can never get the last car."""
    row = session.execute(
        update(Listing)
        .where(
            Listing.id == listing_id,
            Listing.status == "active",
            Listing.quantity_available >= quantity,
        )
        .values(
            quantity_available=Listing.quantity_available - quantity,
            status=case((Listing.quantity_available == quantity, "sold_out"), else_=Listing.status),
        )
        .returning(Listing.unit_price, Listing.shipping_fee)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else (row[0], row[1])


def _insert_order(
    session: Session,
    new: NewOrder,
    listing: Listing,
    totals: Totals,
    unit_price: Decimal,
    now: datetime,
) -> Order:
    order = Order(
        id=new.order_id,
        order_number=yearly_number(session, "ORD", now.year),
        buyer_id=new.buyer_id,
        seller_id=listing.seller_id,
        listing_id=listing.id,
        order_type=listing.listing_type,
        item_name=listing.title,
        description=listing.description,
        quantity=new.quantity,
        unit_price=unit_price,
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        shipping=totals.shipping,
        total_amount=totals.total_amount,
        currency=listing.currency,
        shipping_address=new.shipping_address.model_dump(),
        billing_address=new.billing_address.model_dump() if new.billing_address else None,
        buyer_notes=new.buyer_notes,
        status="pending",
        refunded_amount=Decimal("0"),
        created_at=now,
        workflow_id=order_workflow_id(new.order_id),
        deadline_kind=new.deadline.kind if new.deadline else None,
        deadline_at=new.deadline.at if new.deadline else None,
    )
    session.add(order)
    session.flush()
    return order


def _insert_invoice(session: Session, order: Order, new: NewOrder, now: datetime) -> Invoice:
    invoice = Invoice(
        id=str(uuid.uuid4()),
        order_id=order.id,
        invoice_number=None,  # a draft: numbered when issued
        invoice_date=now.date(),
        due_date=now.date(),
        status="draft",
        line_items=order_discounts.invoice_lines(order),
        terms=DEFAULT_TERMS if new.invoice_terms is None else new.invoice_terms,
        notes=new.invoice_notes,
        subtotal=order.subtotal,
        discount=order.discount,
        tax=order.tax,
        shipping=order.shipping,
        total=order.total_amount,
        amount_paid=Decimal("0"),
        amount_due=order.total_amount,
        currency=order.currency,
        created_at=now,
    )
    session.add(invoice)
    return invoice


def admission_of(order: Order) -> Admission:
    return Admission(
        accepted=True,
        order_number=order.order_number,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        total_amount=order.total_amount,
        currency=order.currency,
        item_name=order.item_name,
    )
