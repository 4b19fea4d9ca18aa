"""Reading refunds and credit notes as a given user may see them: the order's buyer, its
seller, admins."""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.tables import CreditNote, Order, Refund
from services.order_queries import Viewer, orders_of
from services.pagination import page


def locked_refund(session: Session, refund_id: str) -> Refund:
    refund = session.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise LookupError(f"refund {refund_id} does not exist")
    return refund


def visible_refund(session: Session, viewer: Viewer, refund_id: str) -> Refund | None:
    query = select(Refund).join(Order, Order.id == Refund.order_id).where(Refund.id == refund_id)
    return session.scalars(orders_of(viewer, query)).first()


def list_refunds(
    session: Session, viewer: Viewer, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Refund], str | None]:
    query = orders_of(viewer, select(Refund).join(Order, Order.id == Refund.order_id))
    if status:
        query = query.where(Refund.status == status)
    return page(session, query, Refund.requested_at, Refund.id, limit, cursor)


def credit_notes_of(session: Session, invoice_ids: list[str]) -> dict[str, list[CreditNote]]:
    """Each invoice's credit notes, oldest first."""
    found: dict[str, list[CreditNote]] = defaultdict(list)
    if invoice_ids:
        query = select(CreditNote).where(CreditNote.invoice_id.in_(invoice_ids))
        for note in session.scalars(query.order_by(CreditNote.created_at, CreditNote.id)):
            found[note.invoice_id].append(note)
    return found
