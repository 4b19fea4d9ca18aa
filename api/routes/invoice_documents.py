"""Invoices and credit notes as PDF documents, for whoever may read the invoice: its buyer, its
seller, an admin. Reading a PDF does not mark the invoice viewed: only the buyer's JSON read does
(API.md), so what the invoice says about itself does not depend on how it was fetched."""

from typing import Any

from fastapi import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import reading
from api.deps import SettingsDep, ViewerDep
from api.errors import not_found
from api.routing import SlashRouter
from db.tables import CreditNote, Invoice, Order
from services import order_queries
from services.invoice_pdf import credit_note_pdf, invoice_pdf
from services.order_queries import Viewer, orders_of

router = SlashRouter(tags=["invoices"])

PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The document as a PDF (`Content-Disposition: inline` with its file name)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/api/invoices/{invoice_id}/pdf/", response_class=Response, responses=PDF)
async def get_invoice_pdf(invoice_id: str, viewer: ViewerDep, settings: SettingsDep) -> Response:
    def read(session: Session) -> tuple[bytes, str] | None:
        invoice = order_queries.visible_invoice(session, viewer, invoice_id)
        if invoice is None:
            return None
        name = invoice.invoice_number or f"invoice-{invoice.id}"
        return invoice_pdf(session, invoice.id), f"{name}.pdf"

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("invoice")
    return pdf_response(*found)


@router.get("/api/credit-notes/{credit_note_id}/pdf/", response_class=Response, responses=PDF)
async def get_credit_note_pdf(
    credit_note_id: str, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    def read(session: Session) -> tuple[bytes, str] | None:
        note = _visible_credit_note(session, viewer, credit_note_id)
        if note is None:
            return None
        return credit_note_pdf(session, note.id), f"{note.credit_note_number}.pdf"

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("credit note")
    return pdf_response(*found)


def _visible_credit_note(
    session: Session, viewer: Viewer, credit_note_id: str
) -> CreditNote | None:
    query = (
        select(CreditNote)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .join(Order, Order.id == Invoice.order_id)
        .where(CreditNote.id == credit_note_id)
    )
    return session.scalars(orders_of(viewer, query)).first()
