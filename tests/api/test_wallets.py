"""The Wallets section of API.md through the app, with the fake engine: routes, fields, who may
see what (401, 403, 404), validation (422 envelope, never a float), the error codes, and what
the routes ask of the engine (workflow ids, policies, summaries, no account number)."""

from decimal import Decimal
from typing import Any

import pytest
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from db.engine import session_scope
from db.types import utcnow
from domain.wallet_contracts import PayoutDebit, PayoutStart, PayoutView, TopUpView
from services import ledger, wallet_payouts
from tests.api.conftest import Api

WALLET_FIELDS = {
    "id",
    "user_id",
    "currency",
    "balance",
    "total_earned",
    "total_spent",
    "created_at",
    "updated_at",
}
TRANSACTION_FIELDS = {
    "id",
    "transaction_type",
    "amount",
    "balance_after",
    "description",
    "order_id",
    "payment_id",
    "refund_id",
    "created_at",
}
PAID = {"account_number": "000123456789"}


def fund(url: str, user: str, amount: str, key: str) -> str:
    with session_scope(url) as session:
        wallet = ledger.wallet(session, user, "USD")
        source = ledger.platform_account(session, "adjustments", "USD")
        ledger.post(session, key, source.id, wallet.id, Decimal(amount), "USD", f"funds {key}")
        return wallet.id


def add_payout(url: str, user: str, payout_id: str) -> None:
    fund(url, user, "10.00", f"for-{payout_id}")
    start = PayoutStart(
        payout_id=payout_id,
        user_id=user,
        amount=Decimal("10.00"),
        currency="USD",
        destination_token="ba_sandbox_x",
        destination_last4="6789",
        at=utcnow(),
    )
    with session_scope(url) as session:
        assert wallet_payouts.debit(session, start).payout is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/wallets/my_wallet/"),
        ("GET", "/api/wallets/my_wallet/transactions/"),
        ("POST", "/api/wallets/my_wallet/top_up/"),
        ("POST", "/api/wallets/my_wallet/withdraw/"),
        ("GET", "/api/wallets/some-id/"),
        ("POST", "/api/wallets/some-id/adjust/"),
        ("GET", "/api/payouts/"),
        ("GET", "/api/payouts/some-id/"),
        ("GET", "/api/admin/ledger/check/"),
    ],
)
async def test_every_wallet_route_needs_a_token(api: Api, method: str, path: str) -> None:
    async with api.client() as http:
        answer = await http.request(method, path, json={})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


async def test_my_wallet_is_made_on_first_use_and_then_the_same(api: Api) -> None:
    async with api.client("buyer-1", "buyer") as http:
        first = await http.get("/api/wallets/my_wallet/")
        again = await http.get("/api/wallets/my_wallet")
    assert (first.status_code, again.status_code) == (200, 200)
    wallet = first.json()
    assert set(wallet) == WALLET_FIELDS
    assert (wallet["user_id"], wallet["currency"], wallet["balance"]) == ("buyer-1", "USD", "0.00")
    assert (wallet["total_earned"], wallet["total_spent"]) == ("0.00", "0.00")
    assert again.json()["id"] == wallet["id"]


async def test_a_wallet_by_id_is_its_owners_and_the_admins_only(api: Api) -> None:
    wallet_id = fund(api.settings.database_url, "buyer-1", "12.50", "k1")
    async with api.client("buyer-1", "buyer") as owner:
        assert (await owner.get(f"/api/wallets/{wallet_id}/")).json()["balance"] == "12.50"
    async with api.client("admin-1", "admin") as admin:
        assert (await admin.get(f"/api/wallets/{wallet_id}/")).status_code == 200
    async with api.client("buyer-2", "buyer", "seller") as stranger:
        hidden = await stranger.get(f"/api/wallets/{wallet_id}/")
        unknown = await stranger.get("/api/wallets/no-such-wallet/")
    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert hidden.json() == unknown.json()


async def test_transactions_are_newest_first_with_the_balance_after_each(api: Api) -> None:
    url = api.settings.database_url
    for n, amount in enumerate(("10.00", "5.25", "1.00")):
        fund(url, "buyer-1", amount, f"t{n}")
    async with api.client("buyer-1", "buyer") as http:
        first = (await http.get("/api/wallets/my_wallet/transactions/?limit=2")).json()
        cursor = first["next_cursor"]
        rest = (await http.get(f"/api/wallets/my_wallet/transactions/?cursor={cursor}")).json()
        bad = await http.get("/api/wallets/my_wallet/transactions/?cursor=nonsense")
        too_many = await http.get("/api/wallets/my_wallet/transactions/?limit=201")
    items = first["items"] + rest["items"]
    assert all(set(item) == TRANSACTION_FIELDS for item in items)
    assert [(i["amount"], i["balance_after"]) for i in items] == [
        ("1.00", "16.25"),
        ("5.25", "15.25"),
        ("10.00", "10.00"),
    ]
    assert {i["transaction_type"] for i in items} == {"credit"}
    assert rest["next_cursor"] is None
    assert (bad.status_code, too_many.status_code) == (422, 422)
    assert bad.json()["error"]["code"] == "validation_error"


async def test_a_top_up_starts_its_workflow_and_answers_its_outcome(api: Api) -> None:
    def reply(name: str, params: Any) -> TopUpView:
        assert name == "answer"
        return TopUpView(
            id=params.topup_id, amount=params.amount, currency="USD", status="completed"
        )

    api.engine.reply = reply
    async with api.client("buyer-1", "buyer") as http:
        answer = await http.post(
            "/api/wallets/my_wallet/top_up/",
            json={"amount": "100.00", "card_token": "tok_visa"},
            headers={"Idempotency-Key": "top-1"},
        )
    assert answer.status_code == 202
    body = answer.json()
    assert body == {"id": body["id"], "amount": "100.00", "status": "completed", "error_code": None}
    [start] = api.engine.starts
    assert start.id == f"topup-{body['id']}"
    assert start.static_summary == "Top-up · 100.00 USD"
    assert start.id_reuse_policy == WorkflowIDReusePolicy.REJECT_DUPLICATE
    assert start.id_conflict_policy == WorkflowIDConflictPolicy.USE_EXISTING
    params = start.args[0]
    assert (params.user_id, params.amount, params.card_token) == (
        "buyer-1",
        Decimal("100.00"),
        "tok_visa",
    )
    assert params.answer_wait == api.settings.payment_answer_wait


async def test_a_declined_top_up_answers_failed_with_its_code(api: Api) -> None:
    api.engine.reply = lambda _name, params: TopUpView(
        id=params.topup_id,
        amount=params.amount,
        currency="USD",
        status="failed",
        error_code="card_declined",
    )
    async with api.client("buyer-1", "buyer") as http:
        answer = await http.post(
            "/api/wallets/my_wallet/top_up",
            json={"amount": "5.00", "card_token": "tok_chargeDeclined"},
        )
    assert answer.status_code == 202
    assert (answer.json()["status"], answer.json()["error_code"]) == ("failed", "card_declined")
    assert api.engine.starts[0].id_conflict_policy == WorkflowIDConflictPolicy.FAIL


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 100, "card_token": "tok_visa"},
        {"amount": 100.5, "card_token": "tok_visa"},
        {"amount": "0.00", "card_token": "tok_visa"},
        {"amount": "-5.00", "card_token": "tok_visa"},
        {"amount": "1.001", "card_token": "tok_visa"},
        {"amount": "1e3", "card_token": "tok_visa"},
        {"amount": "100000000.00", "card_token": "tok_visa"},
        {"amount": "10.00"},
        {"amount": "10.00", "card_token": "4242424242424242"},
        {"amount": "10.00", "card_token": "tok_visa", "user_id": "someone-else"},
    ],
)
async def test_a_bad_top_up_is_the_validation_envelope(api: Api, body: dict[str, Any]) -> None:
    async with api.client("buyer-1", "buyer") as http:
        answer = await http.post("/api/wallets/my_wallet/top_up/", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"
    assert api.engine.starts == []


async def test_a_withdrawal_answers_the_payout_and_passes_no_account_number(api: Api) -> None:
    def reply(name: str, params: Any) -> PayoutDebit:
        assert name == "debited"
        payout = PayoutView(
            id=params.payout_id,
            amount=params.amount,
            currency="USD",
            status="processing",
            created_at=utcnow(),
        )
        return PayoutDebit(payout=payout)

    api.engine.reply = reply
    async with api.client("seller-1", "seller") as http:
        answer = await http.post(
            "/api/wallets/my_wallet/withdraw/",
            json={"amount": "60.00", "destination": {**PAID, "routing_number": "110000000"}},
            headers={"Idempotency-Key": "w-1"},
        )
    assert answer.status_code == 202
    body = answer.json()
    assert set(body) == {"id", "amount", "status", "failure_code", "created_at"}
    assert (body["amount"], body["status"], body["failure_code"]) == ("60.00", "processing", None)
    [start] = api.engine.starts
    assert start.id == f"payout-{body['id']}"
    assert start.static_summary == "Payout · 60.00 USD"
    assert start.id_conflict_policy == WorkflowIDConflictPolicy.USE_EXISTING
    assert start.args[0].destination_last4 == "6789"
    assert "000123456789" not in start.args[0].model_dump_json()


async def test_a_withdrawal_of_more_than_the_balance_is_409(api: Api) -> None:
    api.engine.reply = lambda _name, _params: PayoutDebit(refused="insufficient_funds")
    async with api.client("seller-1", "seller") as http:
        answer = await http.post(
            "/api/wallets/my_wallet/withdraw/", json={"amount": "1.00", "destination": PAID}
        )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "insufficient_funds"


@pytest.mark.parametrize(
    "destination",
    [
        {"account_number": "12ab"},
        {"account_number": "123"},
        {"account_number": "1" * 18},
        {"account_number": "000123456789", "routing_number": "12"},
        {"account_number": "000123456789", "iban": "x"},
        {},
    ],
)
async def test_a_bad_destination_is_the_validation_envelope(
    api: Api, destination: dict[str, str]
) -> None:
    async with api.client("seller-1", "seller") as http:
        answer = await http.post(
            "/api/wallets/my_wallet/withdraw/", json={"amount": "1.00", "destination": destination}
        )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"
    assert "000123456789" not in answer.text  # an account number is never echoed


async def test_an_admin_adjusts_a_wallet_either_way_but_never_below_zero(api: Api) -> None:
    wallet_id = fund(api.settings.database_url, "buyer-1", "10.00", "seed")
    path = f"/api/wallets/{wallet_id}/adjust/"
    async with api.client("buyer-1", "buyer", "seller") as owner:
        refused = await owner.post(path, json={"amount": "5.00", "reason": "mine"})
    async with api.client("admin-1", "admin") as admin:
        credit = await admin.post(path, json={"amount": "5.00", "reason": "goodwill"})
        debit = await admin.post(path, json={"amount": "-12.00", "reason": "chargeback"})
        short = await admin.post(path, json={"amount": "-3.01", "reason": "too much"})
        zero = await admin.post(path, json={"amount": "0.00", "reason": "nothing"})
        no_reason = await admin.post(path, json={"amount": "1.00"})
        unknown = await admin.post(
            "/api/wallets/nope/adjust/", json={"amount": "1.00", "reason": "x"}
        )
    assert refused.status_code == 403
    assert (credit.status_code, credit.json()["balance"]) == (200, "15.00")
    assert set(credit.json()) == WALLET_FIELDS
    assert (debit.status_code, debit.json()["balance"]) == (200, "3.00")
    assert (short.status_code, short.json()["error"]["code"]) == (409, "insufficient_funds")
    assert (zero.status_code, no_reason.status_code) == (422, 422)
    assert unknown.status_code == 404


async def test_an_adjustment_repeated_with_its_key_moves_money_once(api: Api) -> None:
    wallet_id = fund(api.settings.database_url, "buyer-1", "1.00", "seed")
    body = {"amount": "7.00", "reason": "goodwill"}
    async with api.client("admin-1", "admin") as admin:
        key = {"Idempotency-Key": "adj-1"}
        first = await admin.post(f"/api/wallets/{wallet_id}/adjust/", json=body, headers=key)
        again = await admin.post(f"/api/wallets/{wallet_id}/adjust/", json=body, headers=key)
        other = await admin.post(
            f"/api/wallets/{wallet_id}/adjust/", json={**body, "amount": "8.00"}, headers=key
        )
        now = (await admin.get(f"/api/wallets/{wallet_id}/")).json()
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert now["balance"] == "8.00"


async def test_payouts_are_listed_for_their_owner_and_every_admin(api: Api) -> None:
    url = api.settings.database_url
    add_payout(url, "seller-1", "11111111-1111-1111-1111-111111111111")
    add_payout(url, "seller-2", "22222222-2222-2222-2222-222222222222")
    async with api.client("seller-1", "seller") as owner:
        mine = (await owner.get("/api/payouts/")).json()
        own = await owner.get("/api/payouts/11111111-1111-1111-1111-111111111111/")
        other = await owner.get("/api/payouts/22222222-2222-2222-2222-222222222222")
    async with api.client("admin-1", "admin") as admin:
        every = (await admin.get("/api/payouts/?limit=1")).json()
        theirs = await admin.get("/api/payouts/22222222-2222-2222-2222-222222222222/")
    assert [p["id"] for p in mine["items"]] == ["11111111-1111-1111-1111-111111111111"]
    assert (own.status_code, own.json()["status"], own.json()["amount"]) == (
        200,
        "processing",
        "10.00",
    )
    assert other.status_code == 404
    assert len(every["items"]) == 1 and every["next_cursor"] is not None
    assert theirs.status_code == 200


async def test_the_ledger_check_is_for_admins(api: Api) -> None:
    fund(api.settings.database_url, "buyer-1", "3.00", "seed")
    async with api.client("buyer-1", "buyer", "seller") as someone:
        refused = await someone.get("/api/admin/ledger/check/")
    async with api.client("admin-1", "admin") as admin:
        checked = await admin.get("/api/admin/ledger/check")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert checked.status_code == 200
    assert checked.json() == {"balanced": True, "accounts": 2, "drift": []}


async def test_a_top_up_repeated_with_its_key_starts_one_workflow(api: Api) -> None:
    api.engine.reply = lambda _name, params: TopUpView(
        id=params.topup_id, amount=params.amount, currency="USD", status="processing"
    )
    body = {"amount": "20.00", "card_token": "tok_visa"}
    key = {"Idempotency-Key": "top-again"}
    async with api.client("buyer-1", "buyer") as http:
        first = await http.post("/api/wallets/my_wallet/top_up/", json=body, headers=key)
        again = await http.post("/api/wallets/my_wallet/top_up", json=body, headers=key)
        other = await http.post(
            "/api/wallets/my_wallet/top_up/", json={**body, "amount": "21.00"}, headers=key
        )
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["status"] == "processing"
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert len(api.engine.starts) == 1


async def test_a_withdrawal_the_engine_never_answers_is_503_naming_the_payout(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.workflow_calls.ENGINE_WAIT", 0.3)
    async with api.client("seller-1", "seller") as http:
        answer = await http.post(
            "/api/wallets/my_wallet/withdraw/", json={"amount": "1.00", "destination": PAID}
        )
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "engine_unavailable"
    assert api.engine.starts[0].id == f"payout-{error['details']['payout_id']}"
