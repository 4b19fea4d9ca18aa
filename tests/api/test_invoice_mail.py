"""POST /api/invoices/{id}/send/ refusals, and the `email` claim remembered per user (API.md,
Auth and Invoices). The sending itself is proven end to end (tests/e2e/test_mail.py)."""

import uuid
from collections.abc import Callable

import httpx
import jwt
from sqlalchemy import select

from api.auth import AUDIENCE, decode_token, issue_token
from api.contacts import EmailBook
from db.engine import session_scope
from db.tables import Invoice, Notification, Order, OutboxItem, UserEmail
from db.types import utcnow
from services import user_emails
from services.user_emails import remember
from tests.api.conftest import SECRET, Api
from tests.api.test_invoice_documents import issue_with_credit_note, seeded
from tests.api.test_wallets import fund


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


def with_email(api: Api, sub: str, roles: list[str], address: str) -> httpx.AsyncClient:
    token = issue_token(SECRET, sub, roles, email=address)
    transport = httpx.ASGITransport(app=api.app)
    return httpx.AsyncClient(
        transport=transport, base_url="http://api", headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_wallet_adjustment_notification_is_emailed_when_smtp_is_set(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(smtp_url="smtp://127.0.0.1:2525")
    url = api.settings.database_url
    wallet_id = fund(url, "buyer-9", "10.00", "seed")
    async with with_email(api, "buyer-9", ["buyer"], "ada@buyers.test") as owner:
        assert (await owner.get("/api/wallets/my_wallet/")).status_code == 200
    async with api.client("admin-1", "admin") as admin:
        answer = await admin.post(
            f"/api/wallets/{wallet_id}/adjust/", json={"amount": "5.00", "reason": "goodwill"}
        )
        assert answer.status_code == 200, answer.text
    with session_scope(url, read_only=True) as session:
        told = session.scalars(
            select(Notification).where(
                Notification.user_id == "buyer-9", Notification.kind == "wallet_adjusted"
            )
        ).one()
        left = list(session.scalars(select(OutboxItem)))
    # Started by the request once its transaction committed: nothing left for the sweeper.
    assert [s.id for s in api.engine.starts] == [f"mail-notification:{told.id}"]
    assert [s.args[0].ref for s in api.engine.starts] == [f"notification:{told.id}"]
    assert left == []


def issued_to_a_known_address(url: str) -> tuple[Order, Invoice]:
    """An issued invoice whose buyer's address is known: one that may be sent again."""
    order, invoice = seeded(url)
    issue_with_credit_note(url, invoice.id)
    with session_scope(url) as session:
        user_emails.remember(session, order.buyer_id, "ada@buyers.test", utcnow())
    return order, invoice


async def test_a_seller_sends_one_invoice_again_a_few_times_an_hour(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(smtp_url="smtp://127.0.0.1:2525")
    order, invoice = issued_to_a_known_address(api.settings.database_url)
    async with api.client(order.seller_id, "seller") as seller:
        answers = [
            (await seller.post(f"/api/invoices/{invoice.id}/send/")).status_code for _ in range(20)
        ]
    # INVOICE_SEND_RATE_LIMIT (3) an hour per invoice; then 429 with Retry-After.
    assert answers == [202] * 3 + [429] * 17, answers
    assert len(api.engine.starts) == 3
    async with api.client(order.seller_id, "seller") as seller:
        refused = await seller.post(f"/api/invoices/{invoice.id}/send/")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


async def test_a_keyed_send_repeated_sends_one_email(make_api: Callable[..., Api]) -> None:
    api = make_api(smtp_url="smtp://127.0.0.1:2525")
    order, invoice = issued_to_a_known_address(api.settings.database_url)
    async with api.client(order.seller_id, "seller") as seller:
        headers = {"Idempotency-Key": "send-again-1"}
        first = await seller.post(f"/api/invoices/{invoice.id}/send/", headers=headers)
        again = await seller.post(f"/api/invoices/{invoice.id}/send/", headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert len(api.engine.starts) == 1


async def test_two_api_processes_store_the_latest_claim_within_their_freshness(
    sqlite_url: str,
) -> None:
    """Each process skips a write it made less than FRESH_FOR_SECONDS ago; past that window,
    a user back on an older address is stored with it whatever the other process wrote."""
    first_process, second_process = EmailBook(fresh_for=0), EmailBook(fresh_for=0)
    old = decode_token(issue_token(SECRET, "user-7", ["buyer"], email="old@mail.test"), SECRET)
    new = decode_token(issue_token(SECRET, "user-7", ["buyer"], email="new@mail.test"), SECRET)
    await first_process.note(sqlite_url, old)
    await second_process.note(sqlite_url, new)
    await first_process.note(sqlite_url, old)  # the user is back on the old address
    with session_scope(sqlite_url, read_only=True) as session:
        assert session.get(UserEmail, "user-7").email == "old@mail.test"  # type: ignore[union-attr]
