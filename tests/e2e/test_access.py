"""Who may see and do what: tokens, and the access matrix of every route."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest
from fastapi.routing import iter_route_contexts

from api.app import create_app
from config import Settings
from db.engine import session_scope
from db.tables import CreditNote
from db.types import utcnow
from tests.e2e.conftest import SECRET, Party, Stack, party_on
from tests.e2e.flows import ADDRESS, list_item, pay, place_order
from tests.e2e.wallet_flows import funded_payout
from tests.e2e.webhook_flows import silent_endpoint


def forged(**overrides: object) -> str:
    claims = {
        "sub": "someone",
        "roles": ["buyer"],
        "aud": "order-engine",
        "exp": int(time.time()) + 600,
        **overrides,
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


BAD_TOKENS = {
    "alg none": jwt.encode(
        {"sub": "x", "roles": ["admin"], "aud": "order-engine", "exp": int(time.time()) + 600},
        "",
        algorithm="none",
    ),
    "wrong signature": jwt.encode(
        {"sub": "x", "roles": ["buyer"], "aud": "order-engine", "exp": int(time.time()) + 600},
        "another-secret-that-is-long-enough-0123456789",
        algorithm="HS256",
    ),
    "wrong audience": forged(aud="someone-else"),
    "expired": forged(exp=int(time.time()) - 10),
    "no roles": jwt.encode(
        {"sub": "x", "aud": "order-engine", "exp": int(time.time()) + 600},
        SECRET,
        algorithm="HS256",
    ),
    "unknown role": forged(roles=["root"]),
    "garbage": "not.a.jwt",
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
async def test_bad_tokens_get_401(stack: Stack, name: str) -> None:
    async with stack.client() as anonymous:
        response = await anonymous.get(
            "/api/orders/", headers={"Authorization": f"Bearer {BAD_TOKENS[name]}"}
        )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


async def test_cannot_buy_own_listing(party: Party) -> None:
    both = party.another("trader", "buyer", "seller")
    listing = await list_item(both)
    response = await both.post(
        "/api/orders/", json={"listing_id": listing["id"], "shipping_address": ADDRESS}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cannot_buy_own_listing"


# ---------------------------------------------------------------------------------------------
# The access matrix: every route of the app (enumerated, not listed by hand) against API.md's
# who-may-call-what. Actors, seen from one listing and one order on it:
#   buyer    the order's buyer (role buyer)       seller    the listing's seller (role seller)
#   admin    an admin (role admin)                stranger  another user with buyer and seller
# `forbidden` → 403, `hidden` → 404 (a list: the object is not in it), `allowed` gets past every
# access check (neither 401, 403 nor 404); a route that is not `public` answers 401 without a token.

ACTORS = {
    "buyer": ("buyer",),
    "seller": ("seller",),
    "admin": ("admin",),
    "stranger": ("buyer", "seller"),
}
Body = Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class Rule:
    allowed: str = ""
    forbidden: str = ""
    hidden: str = ""
    body: Body | None = None
    public: bool = False


PUBLIC = Rule(public=True)
EVERYONE = "buyer seller admin stranger"
PARTIES = "buyer seller admin"


def listing_body(_ids: dict[str, str]) -> dict[str, Any]:
    return {"listing_type": "part", "title": "Brake pads", "unit_price": "40.00"}


def refund_body(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "order_id": ids["paid_order_id"],
        "refund_reason": "damaged",
        "reason_description": "access check",
        "refund_amount": "1.00",
    }


def discount_body(_ids: dict[str, str]) -> dict[str, Any]:
    return {
        "code": f"ACCESS{uuid.uuid4().hex[:8]}",
        "discount_type": "fixed",
        "discount_value": "1.00",
    }


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("POST", "/api/webhooks/stripe/"): PUBLIC,  # Stripe's signature instead of a token
    ("POST", "/api/listings/"): Rule("seller stranger", "buyer admin", body=listing_body),
    ("GET", "/api/listings/"): Rule(EVERYONE),
    ("GET", "/api/listings/{listing_id}/"): Rule(EVERYONE),
    ("PATCH", "/api/listings/{listing_id}/"): Rule(
        "seller", "buyer admin stranger", body=lambda ids: {"title": "Red MX-5"}
    ),
    ("POST", "/api/orders/"): Rule(
        "buyer stranger",
        "seller admin",
        body=lambda ids: {"listing_id": ids["listing_id"], "shipping_address": ADDRESS},
    ),
    ("GET", "/api/orders/"): Rule(EVERYONE, hidden="stranger"),
    ("GET", "/api/orders/{order_id}/"): Rule(PARTIES, hidden="stranger"),
    # The seller's and an admin's edit of buyer fields is a 422 (API.md): past the access checks.
    ("PATCH", "/api/orders/{order_id}/"): Rule(
        PARTIES, hidden="stranger", body=lambda ids: {"buyer_notes": "ring twice"}
    ),
    ("PUT", "/api/orders/{order_id}/"): Rule(
        PARTIES, hidden="stranger", body=lambda ids: {"buyer_notes": "ring twice"}
    ),
    ("DELETE", "/api/orders/{order_id}/"): Rule("buyer", "seller admin", "stranger"),
    ("POST", "/api/orders/{order_id}/confirm/"): Rule("admin", "buyer seller", "stranger"),
    ("POST", "/api/orders/{order_id}/ship/"): Rule(
        "seller", "buyer admin", "stranger", body=lambda ids: {"tracking_number": "1Z999"}
    ),
    ("POST", "/api/orders/{order_id}/deliver/"): Rule("buyer admin", "seller", "stranger"),
    ("POST", "/api/orders/{order_id}/cancel/"): Rule(
        PARTIES, hidden="stranger", body=lambda ids: {"reason": "changed my mind"}
    ),
    ("POST", "/api/payments/"): Rule(
        "buyer",
        "seller admin",
        "stranger",
        body=lambda ids: {
            "order_id": ids["order_id"],
            "payment_method": "credit_card",
            "card_token": "tok_chargeDeclined",
        },
    ),
    ("GET", "/api/payments/"): Rule(EVERYONE, hidden="stranger"),
    ("GET", "/api/payments/{payment_id}/"): Rule(PARTIES, hidden="stranger"),
    ("POST", "/api/payments/{payment_id}/retry/"): Rule(
        "buyer", "seller admin", "stranger", body=lambda ids: {"card_token": "tok_chargeDeclined"}
    ),
    ("POST", "/api/payments/{payment_id}/resolve/"): Rule(
        "admin",
        "buyer seller stranger",
        body=lambda ids: {"outcome": "failed", "note": "the bank says no"},
    ),
    ("GET", "/api/invoices/"): Rule(EVERYONE, hidden="stranger"),
    ("GET", "/api/invoices/{invoice_id}/"): Rule(PARTIES, hidden="stranger"),
    ("GET", "/api/invoices/{invoice_id}/pdf/"): Rule(PARTIES, hidden="stranger"),
    # API.md: "the seller or admin" sends it again (the order's draft invoice: a 409 past access).
    ("POST", "/api/invoices/{invoice_id}/send/"): Rule("seller admin", "buyer", "stranger"),
    ("GET", "/api/credit-notes/{credit_note_id}/pdf/"): Rule(PARTIES, hidden="stranger"),
    ("GET", "/api/notifications/"): Rule(EVERYONE, hidden="seller admin stranger"),
    ("POST", "/api/notifications/{notification_id}/read/"): Rule(
        "buyer", hidden="seller admin stranger"
    ),
    ("GET", "/api/wallets/my_wallet/"): Rule(EVERYONE),
    ("GET", "/api/wallets/my_wallet/transactions/"): Rule(EVERYONE),
    ("POST", "/api/wallets/my_wallet/top_up/"): Rule(
        EVERYONE, body=lambda ids: {"amount": "1.00", "card_token": "tok_chargeDeclined"}
    ),
    # Everyone may withdraw from their own wallet; the empty ones get 409 insufficient_funds.
    ("POST", "/api/wallets/my_wallet/withdraw/"): Rule(
        EVERYONE,
        body=lambda ids: {"amount": "1.00", "destination": {"account_number": "000123456789"}},
    ),
    ("GET", "/api/wallets/{wallet_id}/"): Rule("buyer admin", hidden="seller stranger"),
    ("POST", "/api/wallets/{wallet_id}/adjust/"): Rule(
        "admin", "buyer seller stranger", body=lambda ids: {"amount": "1.00", "reason": "check"}
    ),
    ("GET", "/api/payouts/"): Rule(EVERYONE, hidden="seller stranger"),
    ("GET", "/api/payouts/{payout_id}/"): Rule("buyer admin", hidden="seller stranger"),
    ("GET", "/api/admin/ledger/check/"): Rule("admin", "buyer seller stranger"),
    # The paid order has a refund open already: the buyer's ask is past the checks (409).
    ("POST", "/api/refunds/"): Rule("buyer", "seller admin", "stranger", body=refund_body),
    ("GET", "/api/refunds/"): Rule(EVERYONE, hidden="stranger"),
    ("GET", "/api/refunds/{refund_id}/"): Rule(PARTIES, hidden="stranger"),
    # More than the refund: the refund's workflow refuses it, after the access checks.
    ("POST", "/api/refunds/{refund_id}/approve/"): Rule(
        "admin", "buyer seller stranger", body=lambda ids: {"refund_amount": "99999.00"}
    ),
    ("POST", "/api/refunds/{refund_id}/reject/"): Rule(
        "admin", "buyer seller stranger", body=lambda ids: {"admin_notes": "access check"}
    ),
    ("POST", "/api/refunds/{refund_id}/complete/"): Rule("admin", "buyer seller stranger"),
    ("POST", "/api/discounts/"): Rule("admin", "buyer seller stranger", body=discount_body),
    ("GET", "/api/discounts/"): Rule(EVERYONE),
    ("GET", "/api/discounts/{discount_id}/"): Rule("admin", "buyer seller stranger"),
    ("PATCH", "/api/discounts/{discount_id}/"): Rule(
        "admin", "buyer seller stranger", body=lambda ids: {"description": "access check"}
    ),
    ("POST", "/api/discounts/validate/"): Rule(
        EVERYONE, body=lambda ids: {"code": ids["discount_code"], "order_amount": "10.00"}
    ),
    # The order's seller and an admin see the order but do not apply codes to it.
    ("POST", "/api/discounts/apply/"): Rule(
        "buyer",
        "seller admin",
        "stranger",
        body=lambda ids: {"code": ids["discount_code"], "order_id": ids["order_id"]},
    ),
    # Sellers and admins make their own endpoints; this stack refuses loopback URLs (422).
    ("POST", "/api/webhook-endpoints/"): Rule(
        "seller admin stranger",
        "buyer",
        body=lambda ids: {"url": "http://127.0.0.1:9/hook", "events": ["*"]},
    ),
    ("GET", "/api/webhook-endpoints/"): Rule(EVERYONE),
    ("DELETE", "/api/webhook-endpoints/{endpoint_id}/"): Rule(
        "seller", hidden="buyer admin stranger"
    ),
    ("GET", "/api/webhook-endpoints/{endpoint_id}/deliveries/"): Rule(
        "seller", hidden="buyer admin stranger"
    ),
}
# Which object a list route shows, to check that it hides the others' ones.
LISTED = {
    "/api/orders/": "order_id",
    "/api/payments/": "payment_id",
    "/api/invoices/": "invoice_id",
    "/api/notifications/": "notification_id",
    "/api/payouts/": "payout_id",
    "/api/refunds/": "refund_id",
}


def app_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves, the bare twins of slashed paths included."""
    found = set()
    for context in iter_route_contexts(create_app(Settings()).routes):
        for method in context.methods or ():
            # The path as documented: without converters ({discount_id:discount_id}).
            path = context.path_format or context.path
            if method != "HEAD" and path:
                found.add((method, path))
    return sorted(found)


def rule_for(method: str, path: str) -> Rule:
    rule = RULES.get((method, path)) or RULES.get((method, path + "/"))
    assert rule is not None, f"{method} {path} has no entry in RULES: say who may call it"
    return rule


@pytest.fixture(scope="module")
async def objects(stack: Stack) -> dict[str, str]:
    async with party_on(stack) as party:
        seller, buyer = party.seller, party.buyer
        listing = await list_item(seller, quantity=100)
        order = await place_order(buyer, listing["id"])
        payment = await pay(buyer, order["id"], "tok_chargeDeclined")
        notes = (await buyer.get("/api/notifications/")).json()["items"]
        wallet = (await buyer.get("/api/wallets/my_wallet/")).json()
        payout = await funded_payout(buyer)
        paid = await place_order(buyer, listing["id"])
        assert (await pay(buyer, paid["id"], "tok_visa"))["status"] == "completed"
        refund = await buyer.post("/api/refunds/", json=refund_body({"paid_order_id": paid["id"]}))
        assert refund.status_code == 201, refund.text
        discount = await party.admin.post("/api/discounts/", json=discount_body({}))
        assert discount.status_code == 201, discount.text
        endpoint_id = silent_endpoint(stack.settings.database_url, party.seller_id)
        note_id = credit_note_for(
            stack.settings.database_url, paid["invoice_id"], refund.json()["id"]
        )
    assert notes, "the buyer was notified of something"
    return {
        "buyer": party.buyer_id,
        "seller": party.seller_id,
        "listing_id": listing["id"],
        "order_id": order["id"],
        "payment_id": payment["id"],
        "invoice_id": order["invoice_id"],
        "notification_id": notes[0]["id"],
        "wallet_id": wallet["id"],
        "payout_id": payout["id"],
        "paid_order_id": paid["id"],
        "refund_id": refund.json()["id"],
        "discount_id": discount.json()["id"],
        "discount_code": discount.json()["code"],
        "endpoint_id": endpoint_id,
        "credit_note_id": note_id,
    }


def credit_note_for(url: str, invoice_id: str, refund_id: str) -> str:
    """A credit note against the paid order's invoice, written as a completed refund would (the
    refund itself is the open one above: access is decided by the invoice's order)."""
    with session_scope(url) as session:
        note = CreditNote(
            id=str(uuid.uuid4()),
            credit_note_number=f"CN-T-{uuid.uuid4().hex[:12]}",
            invoice_id=invoice_id,
            refund_id=refund_id,
            amount=Decimal("1.00"),
            currency="USD",
            created_at=utcnow(),
        )
        session.add(note)
        return note.id


def envelope_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(("method", "path"), app_routes())
async def test_access_matrix(stack: Stack, objects: dict[str, str], method: str, path: str) -> None:
    rule = rule_for(method, path)
    actors = rule.allowed.split() + rule.forbidden.split() + rule.hidden.split()
    assert rule.public or set(actors) == set(ACTORS), f"{method} {path}: say what each actor gets"
    url = path.format(**objects)
    body = rule.body(objects) if rule.body else None
    if rule.public:
        async with stack.client() as anonymous:
            response = await anonymous.request(method, url, json=body)
        assert response.status_code != 401, response.text
        return
    ids = {"buyer": objects["buyer"], "seller": objects["seller"]}
    tokens = {
        actor: stack.token(ids.get(actor, f"{actor}-{objects['buyer']}"), *roles)
        for actor, roles in ACTORS.items()
    }

    async def call(actor: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[actor]}"} if actor else {}
        async with stack.client() as client:
            return await client.request(method, url, json=body, headers=headers)

    no_token = await call(None)
    assert no_token.status_code == 401, no_token.text
    assert envelope_of(no_token)["code"] in {"unauthorized", "invalid_token"}
    for actor in rule.forbidden.split():
        response = await call(actor)
        assert response.status_code == 403, (actor, response.text)
        assert envelope_of(response)["code"] == "forbidden"
    listed = LISTED.get(path.rstrip("/") + "/") if method == "GET" else None
    for actor in rule.hidden.split():
        response = await call(actor)
        if listed:
            assert response.status_code == 200, (actor, response.text)
            shown = {item["id"] for item in response.json()["items"]}
            assert objects[listed] not in shown, actor
        else:
            assert response.status_code == 404, (actor, response.text)
            assert envelope_of(response)["code"] == "not_found"
    for actor in rule.allowed.split():
        response = await call(actor)
        assert response.status_code not in (401, 403, 404), (actor, response.text)
