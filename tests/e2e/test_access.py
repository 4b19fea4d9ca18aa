"""Who may see and do what: tokens, other users' orders, roles, bad input."""

import time

import jwt
import pytest

from tests.e2e.conftest import SECRET, Stack
from tests.e2e.flows import ADDRESS, list_item, pay, place_order, users


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
        None,
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


async def test_no_token_gets_401(stack: Stack) -> None:
    async with stack.client() as anonymous:
        response = await anonymous.get("/api/listings/")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


async def test_other_users_get_404(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
        stack.client("stranger", "buyer", "seller") as stranger,
    ):
        order = await place_order(buyer, (await list_item(seller))["id"])
        payment = await pay(buyer, order["id"], "tok_chargeDeclined")
        for path in (
            f"/api/orders/{order['id']}/",
            f"/api/payments/{payment['id']}/",
            f"/api/invoices/{order['invoice_id']}/",
        ):
            response = await stranger.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "not_found"
        steps = {
            "ship": {"tracking_number": "x"},
            "deliver": None,
            "cancel": {"reason": "x"},
            "confirm": None,
        }
        for step, body in steps.items():
            response = await stranger.post(f"/api/orders/{order['id']}/{step}/", json=body)
            assert response.status_code == 404, step
        assert (await stranger.get("/api/orders/")).json()["items"] == []
        assert (await seller.get(f"/api/orders/{order['id']}/")).status_code == 200


async def test_roles_are_enforced(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        listing = await list_item(seller)
        refused = await buyer.post(
            "/api/listings/",
            json={"listing_type": "part", "title": "Brake pads", "unit_price": "40.00"},
        )
        assert refused.status_code == 403
        own = await seller.post(
            "/api/orders/", json={"listing_id": listing["id"], "shipping_address": ADDRESS}
        )
        assert own.status_code == 403  # a seller-only user is no buyer
        order = await place_order(buyer, listing["id"])
        ship = await buyer.post(f"/api/orders/{order['id']}/ship/", json={"tracking_number": "1"})
        assert ship.status_code == 403
        confirm = await seller.post(f"/api/orders/{order['id']}/confirm/")
        assert confirm.status_code == 403


async def test_cannot_buy_own_listing(stack: Stack) -> None:
    trader = f"trader-{users()[0]}"
    async with stack.client(trader, "buyer", "seller") as both:
        listing = await list_item(both)
        response = await both.post(
            "/api/orders/", json={"listing_id": listing["id"], "shipping_address": ADDRESS}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "cannot_buy_own_listing"
