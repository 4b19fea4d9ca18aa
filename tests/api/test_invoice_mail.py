"""POST /api/invoices/{id}/send/ refusals, and the `email` claim remembered per user (API.md,
Auth and Invoices). The sending itself is proven end to end (tests/e2e/test_mail.py)."""

import uuid
from collections.abc import Callable

import httpx
import jwt

from api.auth import AUDIENCE
from db.engine import session_scope
from db.tables import UserEmail
from db.types import utcnow
from services.user_emails import remember
from tests.api.conftest import SECRET, Api
from tests.api.test_invoice_documents import issue_with_credit_note, seeded


def error_of(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    code: str = answer.json()["error"]["code"]
    return code


async def test_who_may_send_and_what_is_refused(make_api: Callable[..., Api]) -> None:
    api = make_api(smtp_url="smtp://127.0.0.1:1")
    url = api.settings.database_url
    order, invoice = seeded(url)
    path = f"/api/invoices/{invoice.id}/send/"
    async with api.client(order.seller_id, "seller") as seller:
        # A draft has not been issued: there is nothing to send again.
        assert error_of(await seller.post(path), 409) == "invalid_transition"
        issue_with_credit_note(url, invoice.id)
        # Issued, but the buyer never showed an address.
        assert error_of(await seller.post(path), 409) == "email_unavailable"
    async with api.client(order.buyer_id, "buyer") as buyer:
        assert error_of(await buyer.post(path), 403) == "forbidden"
    async with api.client("someone-else", "seller") as stranger:
        assert error_of(await stranger.post(path), 404) == "not_found"


async def test_without_a_mail_server_nothing_is_sent(api: Api) -> None:
    url = api.settings.database_url
    order, invoice = seeded(url)
    issue_with_credit_note(url, invoice.id)
    with session_scope(url) as session:
        remember(session, order.buyer_id, "ada@buyers.test", utcnow())
    async with api.client("ops", "admin") as admin:
        answer = await admin.post(f"/api/invoices/{invoice.id}/send/")
    assert error_of(answer, 409) == "email_unavailable"
    assert api.engine.starts == []


async def test_the_seller_sends_an_issued_invoice_again(make_api: Callable[..., Api]) -> None:
    api = make_api(smtp_url="smtp://127.0.0.1:1")
    url = api.settings.database_url
    order, invoice = seeded(url)
    number, _, _ = issue_with_credit_note(url, invoice.id)
    with session_scope(url) as session:
        remember(session, order.buyer_id, "ada@buyers.test", utcnow())
    async with api.client(order.seller_id, "seller") as seller:
        first = await seller.post(f"/api/invoices/{invoice.id}/send/")
        again = await seller.post(f"/api/invoices/{invoice.id}/send")
    assert first.status_code == 202, first.text
    assert first.json()["invoice_number"] == number
    assert again.status_code == 202
    # Each send is an email workflow of its own, on the invoice: two sends, two emails.
    assert [s.args[0].ref for s in api.engine.starts] == [f"invoice:{invoice.id}"] * 2
    ids = {s.id for s in api.engine.starts}
    assert len(ids) == 2 and all(i.startswith(f"mail-invoice:{invoice.id}:resend-") for i in ids)


def token(sub: str, email: object) -> str:
    claims = {"sub": sub, "roles": ["buyer"], "aud": AUDIENCE, "exp": 4_000_000_000, "email": email}
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_the_latest_email_claim_is_where_mail_goes(api: Api) -> None:
    user = f"buyer-{uuid.uuid4().hex[:8]}"
    transport = httpx.ASGITransport(app=api.app)

    async def read_with(email: object) -> None:
        headers = {"Authorization": f"Bearer {token(user, email)}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=headers
        ) as http:
            assert (await http.get("/api/notifications/")).status_code == 200

    def stored() -> str | None:
        with session_scope(api.settings.database_url) as session:
            row = session.get(UserEmail, user)
            return row.email if row else None

    await read_with("ada@old.test")
    assert stored() == "ada@old.test"
    await read_with("ada@new.test")
    assert stored() == "ada@new.test"
    # Not one mailbox (a header injection, a list): ignored, the last good one stays.
    for bad in ["ada@new.test\r\nBcc: all@x.test", "a@x.test, b@y.test", 42, "no-at-sign"]:
        await read_with(bad)
        assert stored() == "ada@new.test"
