"""Invoice and credit note PDFs (issue 11, point 3), read back as text: what the rows say is on
the page, a draft says DRAFT, no buyer's name can make one fail; and the configured terms and
notes are what a new invoice carries (point 1)."""

import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from db.engine import session_scope
from db.tables import CreditNote, Invoice, Order, Refund
from domain.contracts import Address, BankTransferRequested, NewOrder, PaymentAttempt
from services import invoice_numbers, payments
from services.counters import yearly_number
from services.invoice_pdf import credit_note_pdf, invoice_pdf
from tests.services.helpers import admit, fresh_year, new_order, uid
from tests.services.test_discounts import make_code
from tests.support import make_listing

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TYRES: dict[str, Any] = {
    "description": "Winter tyres (set of 4)",
    "quantity": 4,
    "unit_price": "100.00",
    "amount": "400.00",
}


def text_of(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def ordered(url: str, **fields: object) -> NewOrder:
    """An order of the 1499.00 car (+25.00 shipping) with 8% tax and the given extras."""
    listing_id = make_listing(url, seller_id=uid("seller"))
    new = new_order(listing_id, tax_rate="0.08").model_copy(update=fields)
    assert admit(url, new).accepted
    return new


def invoice_of(url: str, order_id: str) -> Invoice:
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None and order.invoice_id is not None
        invoice = session.get(Invoice, order.invoice_id)
        assert invoice is not None
        return invoice


def issued_with_credit_note(url: str, order_id: str, year: int) -> tuple[str, str]:
    """Adds a second item to the invoice, issues and pays it, and refunds 100.00 by a credit
    note; returns the ids of the invoice and of the credit note."""
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        invoice = session.get(Invoice, order.invoice_id)
        assert invoice is not None
        extra = Decimal(TYRES["amount"])
        invoice.line_items = [*invoice.line_items, TYRES]
        invoice.subtotal += extra
        invoice.total += extra
        invoice.amount_paid, invoice.amount_due = invoice.total, Decimal("0")
        invoice.status, invoice.paid_at = "paid", AT
        invoice_numbers.issue(session, invoice, AT.replace(year=year))
        refund = Refund(
            id=str(uuid.uuid4()),
            order_id=order.id,
            payment_id=str(uuid.uuid4()),
            refund_reason="damaged",
            reason_description="a scratched door",
            refund_amount=Decimal("100.00"),
            currency=order.currency,
            status="completed",
            destination="original_method",
            route="gateway",
            requested_by=order.buyer_id,
            requested_at=AT,
            completed_at=AT,
            workflow_id="refund-test",
        )
        session.add(refund)
        session.flush()
        note = CreditNote(
            id=str(uuid.uuid4()),
            credit_note_number=yearly_number(session, "CN", year),
            invoice_id=invoice.id,
            refund_id=refund.id,
            amount=refund.refund_amount,
            currency=order.currency,
            created_at=AT,
        )
        session.add(note)
        invoice.amount_refunded += note.amount
        return invoice.id, note.id


def test_an_issued_invoice_shows_its_number_lines_totals_and_credit_notes(sqlite_url: str) -> None:
    code = make_code(sqlite_url, discount_type="fixed", discount_value=Decimal("99.00"))
    new = ordered(sqlite_url, discount_code=code)
    invoice_id, note_id = issued_with_credit_note(sqlite_url, new.order_id, fresh_year())
    invoice = invoice_of(sqlite_url, new.order_id)
    with session_scope(sqlite_url) as session:
        text = text_of(invoice_pdf(session, invoice_id))
        note = session.get(CreditNote, note_id)
        assert note is not None
    assert len({line["description"] for line in invoice.line_items}) == 3  # car, discount, tyres
    assert invoice.discount == Decimal("99.00") and invoice.tax > 0 and invoice.shipping > 0
    assert invoice.total == invoice.subtotal - invoice.discount + invoice.tax + invoice.shipping
    assert invoice.invoice_number is not None and invoice.invoice_number in text
    assert "DRAFT" not in text
    for line in invoice.line_items:
        assert line["description"] in text
        assert f"{Decimal(line['amount']):.2f} USD" in text
    for label, amount in [
        ("Subtotal", invoice.subtotal),
        ("Discount", -invoice.discount),
        ("Tax", invoice.tax),
        ("Shipping", invoice.shipping),
        ("Total", invoice.total),
        ("Amount paid", invoice.amount_paid),
        ("Amount due", invoice.amount_due),
        ("Amount refunded", invoice.amount_refunded),
    ]:
        assert f"{label} {amount:.2f} USD" in text
    assert f"{note.credit_note_number} 2026-11-29 100.00 USD" in text
    assert "Paid on 2026-11-29" in text
    assert "Ada Buyer" in text and "1 Main St" in text and "Springfield" in text
    assert "Payment due on receipt" not in text  # new_order() carries no configured terms
    assert "Due on receipt" in text


def test_the_credit_note_names_the_invoice_it_corrects(sqlite_url: str) -> None:
    new = ordered(sqlite_url)
    _, note_id = issued_with_credit_note(sqlite_url, new.order_id, fresh_year())
    invoice = invoice_of(sqlite_url, new.order_id)
    with session_scope(sqlite_url) as session:
        note = session.get(CreditNote, note_id)
        assert note is not None
        text = text_of(credit_note_pdf(session, note_id))
    assert note.credit_note_number.startswith("CN-") and note.credit_note_number in text
    assert f"Corrects invoice {invoice.invoice_number}" in text
    assert f"Refund {note.refund_id}" in text
    assert "Amount credited 100.00 USD" in text and "Date 2026-11-29" in text
    assert "Ada Buyer" in text and "seller-" in text


def test_a_draft_says_draft_and_has_no_number(sqlite_url: str) -> None:
    new = ordered(sqlite_url)
    invoice = invoice_of(sqlite_url, new.order_id)
    assert invoice.invoice_number is None
    with session_scope(sqlite_url) as session:
        text = text_of(invoice_pdf(session, invoice.id))
    assert "DRAFT" in text and "INV-" not in text
    assert f"Total {invoice.total:.2f} USD" in text
    assert "Status draft" in text


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("Zoë Łukasiewicz", "Zoë Lukasiewicz"),
        ("山田 太郎", "?? ??"),
        ("Ølaf “Ω” — ok", 'Ølaf "?" - ok'),
        ("Rene\u0301e\u200b Franc\u0327ois\u0301", "Renée François"),
    ],
)
def test_a_name_outside_latin_1_is_folded_never_a_failure(
    sqlite_url: str, name: str, printed: str
) -> None:
    billing = Address(
        name=name, line1="Ulica Długa 1", city="Kraków", postal_code="31-147", country="PL"
    )
    new = ordered(sqlite_url, billing_address=billing)
    invoice = invoice_of(sqlite_url, new.order_id)
    with session_scope(sqlite_url) as session:
        text = text_of(invoice_pdf(session, invoice.id))
    assert printed in text
    assert "Ulica Dluga 1" in text and "Kraków" in text  # the billing address, not shipping
    assert "Springfield" not in text


def test_unknown_ids_are_lookup_errors(sqlite_url: str) -> None:
    with session_scope(sqlite_url) as session:
        with pytest.raises(LookupError):
            invoice_pdf(session, str(uuid.uuid4()))
        with pytest.raises(LookupError):
            credit_note_pdf(session, str(uuid.uuid4()))


def test_the_invoice_takes_the_configured_terms_and_notes(sqlite_url: str) -> None:
    new = ordered(sqlite_url, invoice_terms="Net 14 days.", invoice_notes="Thanks for buying!")
    invoice = invoice_of(sqlite_url, new.order_id)
    assert (invoice.terms, invoice.notes) == ("Net 14 days.", "Thanks for buying!")
    with session_scope(sqlite_url) as session:
        text = text_of(invoice_pdf(session, invoice.id))
    assert "Net 14 days." in text and "Thanks for buying!" in text
    older = invoice_of(sqlite_url, ordered(sqlite_url).order_id)  # no settings in its input
    assert (older.terms, older.notes) == ("Due on receipt", None)


def test_a_bank_transfer_puts_its_reference_before_the_configured_terms(sqlite_url: str) -> None:
    new = ordered(sqlite_url, invoice_terms="Net 14 days.")
    payment_id = str(uuid.uuid4())
    with session_scope(sqlite_url) as session:
        total = session.get(Order, new.order_id).total_amount  # type: ignore[union-attr]
        payments.begin_attempt(
            session,
            PaymentAttempt(
                order_id=new.order_id,
                payment_id=payment_id,
                payment_method="bank_transfer",
                gateway="offline",
                amount=total,
                currency="USD",
                attempt=1,
            ),
        )
    with session_scope(sqlite_url) as session:
        payments.request_bank_transfer(
            session,
            BankTransferRequested(
                order_id=new.order_id,
                payment_id=payment_id,
                account="IBAN X",
                due=AT,
                actor="buyer",
                at=AT,
            ),
        )
    with session_scope(sqlite_url) as session:
        order = session.get(Order, new.order_id)
        assert order is not None
    assert invoice_of(sqlite_url, new.order_id).terms == (
        f"Bank transfer, reference {order.order_number}, due 2026-11-29. Net 14 days."
    )
