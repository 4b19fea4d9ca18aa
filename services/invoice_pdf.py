"""Invoices and credit notes as PDF documents, drawn from their rows (the invoice is never
rewritten: what a refund gave back is listed from its credit notes)."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.tables import CreditNote, Invoice, Order, Refund
from services.pdf_layout import Document, address_lines, money

# The platform issues the documents on the seller's behalf (the data holds no seller address).
ISSUER = "order-engine marketplace"


def invoice_pdf(session: Session, invoice_id: str) -> bytes:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise LookupError(f"invoice {invoice_id} does not exist")
    order = _order(session, invoice.order_id)
    cur = invoice.currency
    doc = Document(f"Invoice {invoice.invoice_number or 'DRAFT'}")
    doc.heading("INVOICE", invoice.invoice_number or "DRAFT", invoice.invoice_number is None)
    facts = [
        ("Status", invoice.status),
        ("Invoice date", invoice.invoice_date.isoformat()),
        ("Due date", invoice.due_date.isoformat()),
    ]
    if invoice.paid_at is not None:
        facts.append(("Paid on", invoice.paid_at.date().isoformat()))
    facts.append(("Order", order.order_number))
    doc.facts(facts)
    doc.parties(_seller(order), _buyer(order))
    lines = [
        [
            str(line.get("description", "")),
            str(line.get("quantity", "")),
            money(line.get("unit_price", "0"), cur),
            money(line.get("amount", "0"), cur),
        ]
        for line in invoice.line_items
    ]
    doc.table(("Description", "Qty", "Unit price", "Amount"), lines, (84, 18, 39, 39))
    doc.totals(
        [
            ("Subtotal", money(invoice.subtotal, cur), False),
            ("Discount", money(-invoice.discount if invoice.discount else Decimal(0), cur), False),
            ("Tax", money(invoice.tax, cur), False),
            ("Shipping", money(invoice.shipping, cur), False),
            ("Total", money(invoice.total, cur), True),
            ("Amount paid", money(invoice.amount_paid, cur), False),
            ("Amount due", money(invoice.amount_due, cur), True),
            ("Amount refunded", money(invoice.amount_refunded, cur), False),
        ]
    )
    # Straight from the table: the mail module renders invoices, and the query modules import it.
    notes = session.scalars(
        select(CreditNote)
        .where(CreditNote.invoice_id == invoice.id)
        .order_by(CreditNote.created_at, CreditNote.id)
    ).all()
    if notes:
        rows = [
            [n.credit_note_number, n.created_at.date().isoformat(), money(n.amount, n.currency)]
            for n in notes
        ]
        doc.table(("Credit note", "Date", "Amount"), rows, (100, 40, 40))
    if invoice.terms:
        doc.section("Terms", invoice.terms)
    if invoice.notes:
        doc.section("Notes", invoice.notes)
    return doc.output()


def credit_note_pdf(session: Session, credit_note_id: str) -> bytes:
    note = session.get(CreditNote, credit_note_id)
    if note is None:
        raise LookupError(f"credit note {credit_note_id} does not exist")
    invoice = session.get(Invoice, note.invoice_id)
    if invoice is None:
        raise LookupError(f"invoice {note.invoice_id} does not exist")
    order = _order(session, invoice.order_id)
    refund = session.get(Refund, note.refund_id)
    doc = Document(f"Credit note {note.credit_note_number}")
    doc.heading("CREDIT NOTE", note.credit_note_number, mark_draft=False)
    facts = [
        ("Date", note.created_at.date().isoformat()),
        ("Corrects invoice", invoice.invoice_number or f"draft {invoice.id}"),
        ("Order", order.order_number),
        ("Refund", note.refund_id),
    ]
    if refund is not None:
        facts.append(("Reason", refund.refund_reason.replace("_", " ")))
    doc.facts(facts)
    doc.parties(_seller(order), _buyer(order))
    credited = [[f"Refund against invoice {invoice.invoice_number or invoice.id}"]]
    credited[0].append(money(note.amount, note.currency))
    doc.table(("Description", "Amount"), credited, (140, 40))
    doc.totals([("Amount credited", money(note.amount, note.currency), True)])
    doc.section(
        "Notes",
        f"This credit note reduces invoice {invoice.invoice_number or invoice.id} "
        f"(total {money(invoice.total, invoice.currency)}) by {money(note.amount, note.currency)}.",
    )
    return doc.output()


def _order(session: Session, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return order


def _seller(order: Order) -> tuple[str, list[str]]:
    return "Issued by", [ISSUER, f"on behalf of seller {order.seller_id}"]


def _buyer(order: Order) -> tuple[str, list[str]]:
    lines = address_lines(order.billing_address or order.shipping_address)
    return "Bill to", [*lines, f"Customer {order.buyer_id}"]
