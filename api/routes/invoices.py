"""Invoices of the caller's orders; the buyer's first read marks one viewed."""

from sqlalchemy.orm import Session

from api.db import in_transaction, reading
from api.deps import PrincipalDep, SettingsDep, ViewerDep
from api.errors import not_found
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import InvoiceOut, Page
from api.views import invoice_out
from db.tables import Order
from services import order_queries, refund_queries

router = SlashRouter(tags=["invoices"])


@router.get("/api/invoices/", response_model=Page[InvoiceOut])
async def list_invoices(
    viewer: ViewerDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        rows, next_cursor = order_queries.list_invoices(session, viewer, limit, cursor)
        notes = refund_queries.credit_notes_of(session, [i.id for i in rows])
        items = [invoice_out(i, notes.get(i.id, [])) for i in rows]
        return {"items": items, "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


@router.get("/api/invoices/{invoice_id}/", response_model=InvoiceOut)
async def get_invoice(
    invoice_id: str, me: PrincipalDep, viewer: ViewerDep, settings: SettingsDep
) -> InvoiceOut:
    def read(session: Session) -> InvoiceOut | None:
        invoice = order_queries.visible_invoice(session, viewer, invoice_id)
        if invoice is None:
            return None
        order = session.get(Order, invoice.order_id)
        if order is not None and order.buyer_id == me.user_id:
            order_queries.mark_invoice_viewed(session, invoice)
        notes = refund_queries.credit_notes_of(session, [invoice.id])
        return invoice_out(invoice, notes.get(invoice.id, []))

    found = await in_transaction(settings.database_url, read)
    if found is None:
        raise not_found("invoice")
    return found
