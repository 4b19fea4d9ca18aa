"""Inputs that once produced a 500 or a wrong answer, and the money cases around them."""

import base64

import pytest

from tests.e2e.conftest import Party, RateClock, Stack
from tests.e2e.flows import ADDRESS, list_item, place_order


@pytest.mark.parametrize("price", ["1e30", "9" * 30, "100000000.00", "-1.00"])
async def test_absurd_amounts_are_422(stack: Stack, price: str) -> None:
    async with stack.client("absurd-seller", "seller") as seller:
        response = await seller.post(
            "/api/listings/", json={"listing_type": "car", "title": "x", "unit_price": price}
        )
        assert response.status_code == 422, response.text


async def test_foreign_currency_listing_is_422(stack: Stack) -> None:
    async with stack.client("yen-seller", "seller") as seller:
        response = await seller.post(
            "/api/listings/",
            json={"listing_type": "car", "title": "x", "unit_price": "1000.00", "currency": "JPY"},
        )
        assert response.status_code == 422


async def test_a_cursor_without_a_zone_is_422(stack: Stack) -> None:
    cursor = base64.urlsafe_b64encode(b"2024-01-01T00:00:00|x").decode()
    async with stack.client("cursor-user", "buyer") as buyer:
        response = await buyer.get("/api/orders/", params={"cursor": cursor})
        assert response.status_code == 422


async def test_the_shipping_address_cannot_be_nulled(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    response = await buyer.patch(f"/api/orders/{order['id']}/", json={"shipping_address": None})
    assert response.status_code == 422
    assert (await buyer.get(f"/api/orders/{order['id']}/")).json()["shipping_address"][
        "city"
    ] == ADDRESS["city"]
    assert (await seller.get("/api/orders/")).status_code == 200


async def test_a_rate_limited_answer_is_not_replayed(
    stack: Stack, party: Party, rate_clock: RateClock
) -> None:
    body = {
        "order_id": "00000000-0000-0000-0000-000000000000",
        "payment_method": "credit_card",
        "card_token": "tok_visa",
    }
    buyer = party.buyer
    for _ in range(stack.settings.payment_rate_limit):
        await buyer.post("/api/payments/", json=body)
    keyed = {"Idempotency-Key": "after-the-limit"}
    limited = await buyer.post("/api/payments/", json=body, headers=keyed)
    assert limited.status_code == 429
    again = await buyer.post("/api/payments/", json=body, headers=keyed)
    assert again.status_code == 429
    assert "idempotent-replayed" not in again.headers
    assert again.headers.get("Retry-After")
    rate_clock.now += stack.settings.payment_rate_window
    after = await buyer.post("/api/payments/", json=body, headers=keyed)
    assert (after.status_code, after.json()["error"]["code"]) == (404, "not_found")


async def test_cancelling_an_offline_paid_order_says_a_refund_is_owed(party: Party) -> None:
    seller, buyer, admin = party.seller, party.buyer, party.admin
    listing = await list_item(seller)
    order = await place_order(buyer, listing["id"])
    await admin.post(f"/api/orders/{order['id']}/confirm/")
    cancelled = (
        await admin.post(f"/api/orders/{order['id']}/cancel/", json={"reason": "seller vanished"})
    ).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["refunded_amount"] == "0.00"
    assert "refund 1524.00 USD by hand" in cancelled["timeline"][-1]["note"]
