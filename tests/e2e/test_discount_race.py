"""Discount codes that can never be over-redeemed, over HTTP on PostgreSQL (issue 10's proofs):
25 buyers racing for a 5-use code get exactly 5 orders (and `times_used` 5 once they are paid);
one buyer racing his own orders for a 1-per-user code gets one; a cancelled order gives its use
back."""

import asyncio
import uuid
from typing import Any

import httpx

from tests.e2e.conftest import Party, Stack, party_on
from tests.e2e.flows import ADDRESS, list_item, pay


async def code(party: Party, **terms: Any) -> dict[str, Any]:
    body = {
        "code": f"RACE{uuid.uuid4().hex[:6]}",
        "description": "race",
        "discount_type": "fixed",
        "discount_value": "10.00",
        **terms,
    }
    made = await party.admin.post("/api/discounts/", json=body)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


async def order_with(buyer: httpx.AsyncClient, listing_id: str, discount: str) -> httpx.Response:
    body = {"listing_id": listing_id, "shipping_address": ADDRESS, "discount_code": discount}
    return await buyer.post("/api/orders/", json=body)


async def test_25_buyers_racing_for_a_5_use_code_get_5_orders(pg_stack: Stack) -> None:
    async with party_on(pg_stack) as party:
        discount = await code(party, max_uses=5)
        listing = await list_item(party.seller, quantity=25, price="100.00", fee="0.00")
        buyers = [party.another(f"racer{n}", "buyer") for n in range(25)]
        answers = await asyncio.gather(
            *(order_with(buyer, listing["id"], discount["code"].lower()) for buyer in buyers)
        )
        won = [
            (buyer, a.json())
            for buyer, a in zip(buyers, answers, strict=True)
            if a.status_code == 201
        ]
        lost = [a for a in answers if a.status_code != 201]
        assert len(won) == 5, [a.text for a in answers]
        assert {(a.status_code, a.json()["error"]["details"]["reason"]) for a in lost} == {
            (422, "max_uses_reached")
        }
        assert {order["total_amount"] for _, order in won} == {"90.00"}
        for buyer, order in won:
            assert (await pay(buyer, order["id"]))["status"] == "completed"
        seen = (await party.admin.get(f"/api/discounts/{discount['id']}/")).json()
        assert seen["times_used"] == 5


async def test_one_buyer_racing_himself_for_a_one_per_user_code_gets_one(
    pg_stack: Stack,
) -> None:
    async with party_on(pg_stack) as party:
        discount = await code(party, max_uses_per_user=1)
        listings = [await list_item(party.seller, price="50.00", fee="0.00") for _ in range(5)]
        answers = await asyncio.gather(
            *(order_with(party.buyer, listing["id"], discount["code"]) for listing in listings)
        )
        assert sorted(a.status_code for a in answers) == [201, 422, 422, 422, 422]
        reasons = {a.json()["error"]["details"]["reason"] for a in answers if a.status_code == 422}
        assert reasons == {"max_uses_per_user_reached"}
        [won] = [a.json() for a in answers if a.status_code == 201]
        # Cancelled unpaid, the use comes back: the same buyer may use the code again.
        cancelled = await party.buyer.post(f"/api/orders/{won['id']}/cancel/", json={"reason": "x"})
        assert cancelled.status_code == 200, cancelled.text
        again = await order_with(party.buyer, listings[0]["id"], discount["code"])
        assert again.status_code == 201, again.text
        seen = (await party.admin.get(f"/api/discounts/{discount['id']}/")).json()
        assert seen["times_used"] == 0  # reserved, not used: nothing was paid
