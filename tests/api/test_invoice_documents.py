"""GET /api/invoices/{id}/pdf/ and /api/credit-notes/{id}/pdf/: the invoice's buyer, seller and
an admin get the PDF; anyone else, like an unknown id, a 404 in the error envelope."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from db.engine import session_scope
from db.tables import CreditNote, Invoice, Order, Refund
from services.invoice_numbers import issue
from tests.api.conftest import Api
from tests.api.helpers import seed_order

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def seeded(url: str) -> tuple[Order, Invoice]:
    order_id = seed_order(url, f"buyer-{uuid.uuid4().hex[:8]}")
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None and order.invoice_id is not None
        invoice = session.get(Invoice, order.invoice_id)
        assert invoice is not None
        return order, invoice


def issue_with_credit_note(url: str, invoice_id: str) -> tuple[str, str, str]:
    """The invoice paid and refunded 50.00: its number, the credit note's id and number."""
    with session_scope(url) as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.status, invoice.paid_at = "paid", AT
        issue(session, invoice, AT)
        refund = Refund(
            id=str(uuid.uuid4()),
            order_id=invoice.order_id,
            payment_id=str(uuid.uuid4()),
            refund_reason="changed_mind",
            reason_description="",
            refund_amount=Decimal("50.00"),
            currency=invoice.currency,
            status="completed",
            destination="original_method",
            route="gateway",
            requested_by="buyer",
            requested_at=AT,
            completed_at=AT,
            workflow_id="refund-test",
        )
        session.add(refund)
        session.flush()
        note = CreditNote(
            id=str(uuid.uuid4()),
            credit_note_number="CN-2026-000001",
            invoice_id=invoice.id,
            refund_id=refund.id,
            amount=refund.refund_amount,
            currency=invoice.currency,
            created_at=AT,
        )
        session.add(note)
        assert invoice.invoice_number is not None
        return invoice.invoice_number, note.id, note.credit_note_number


def assert_pdf(answer: httpx.Response, filename: str) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'inline; filename="{filename}"'
    assert answer.content.startswith(b"%PDF")


def assert_not_found(answer: httpx.Response) -> None:
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "not_found" and error["message"] and "details" in error


@pytest.mark.parametrize("path", ["/api/invoices/{}/pdf/", "/api/invoices/{}/pdf"])
async def test_the_buyer_the_seller_and_an_admin_get_the_invoice_pdf(api: Api, path: str) -> None:
    order, invoice = seeded(api.settings.database_url)
    number, _, _ = issue_with_credit_note(api.settings.database_url, invoice.id)
    for who in [(order.buyer_id, "buyer"), (order.seller_id, "seller"), ("ops", "admin")]:
        async with api.client(*who) as http:
            assert_pdf(await http.get(path.format(invoice.id)), f"{number}.pdf")


async def test_a_draft_is_named_by_its_id_and_reading_it_marks_nothing_viewed(api: Api) -> None:
    order, invoice = seeded(api.settings.database_url)
    async with api.client(order.buyer_id, "buyer") as http:
        assert_pdf(await http.get(f"/api/invoices/{invoice.id}/pdf/"), f"invoice-{invoice.id}.pdf")
    with session_scope(api.settings.database_url) as session:
        after = session.get(Invoice, invoice.id)
        assert after is not None and after.viewed_at is None and after.status == "draft"


async def test_others_and_unknown_ids_get_404(api: Api) -> None:
    _, invoice = seeded(api.settings.database_url)
    _, note_id, _ = issue_with_credit_note(api.settings.database_url, invoice.id)
    async with api.client("someone-else", "buyer", "seller") as http:
        assert_not_found(await http.get(f"/api/invoices/{invoice.id}/pdf/"))
        assert_not_found(await http.get(f"/api/credit-notes/{note_id}/pdf/"))
    async with api.client("ops", "admin") as http:
        assert_not_found(await http.get(f"/api/invoices/{uuid.uuid4()}/pdf/"))
        assert_not_found(await http.get(f"/api/credit-notes/{uuid.uuid4()}/pdf/"))
    async with api.client() as http:
        assert (await http.get(f"/api/invoices/{invoice.id}/pdf/")).status_code == 401


async def test_the_buyer_the_seller_and_an_admin_get_the_credit_note_pdf(api: Api) -> None:
    order, invoice = seeded(api.settings.database_url)
    _, note_id, number = issue_with_credit_note(api.settings.database_url, invoice.id)
    for who in [(order.buyer_id, "buyer"), (order.seller_id, "seller"), ("ops", "admin")]:
        async with api.client(*who) as http:
            assert_pdf(await http.get(f"/api/credit-notes/{note_id}/pdf/"), f"{number}.pdf")
            assert_pdf(await http.get(f"/api/credit-notes/{note_id}/pdf"), f"{number}.pdf")
