"""The limits of API.md end to end, on PostgreSQL (the production database) and SQLite: the
sixth unpaid order of a buyer is 429, however the creates race; a token the gateway's column
cannot hold is 422 at once and leaves the order cancellable; a total that cannot fit is 422."""

import asyncio
import time
from decimal import Decimal
from typing import Any

import httpx

from db.engine import session_scope
from db.tables import Listing, Order
from tests.e2e.conftest import Party, RateClock, Stack
from tests.e2e.flows import ADDRESS, list_item, place_order


def _stock(stack: Stack, listing_id: str) -> int:
    with session_scope(stack.settings.database_url, read_only=True) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        return listing.quantity_available


def _orders_of(stack: Stack, buyer_id: str) -> int:
    with session_scope(stack.settings.database_url, read_only=True) as session:
        return session.query(Order).filter(Order.buyer_id == buyer_id).count()


async def test_the_sixth_unpaid_order_of_a_buyer_is_429_even_when_ten_race(
    each_party: Party, rate_clock: RateClock
) -> None:
    party = each_party
    stack = party.stack
    limit = stack.settings.max_open_unpaid_orders
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=20)
    body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
    answers = await asyncio.gather(*(buyer.post("/api/orders/", json=body) for _ in range(10)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * limit + [429] * (10 - limit), [a.text for a in answers]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"]["code"] == "too_many_open_orders"
    assert int(refused.headers["Retry-After"]) >= 1
    assert _orders_of(stack, party.buyer_id) == limit
    assert _stock(stack, listing["id"]) == 20 - limit


async def test_a_token_the_gateway_cannot_store_is_422_and_the_order_stays_cancellable(
    each_party: Party,
) -> None:
    party = each_party
    stack = party.stack
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=1)
    order = await place_order(buyer, listing["id"])
    started = time.monotonic()
    response = await buyer.post(
        "/api/payments/",
        json={
            "order_id": order["id"],
            "payment_method": "credit_card",
            "card_token": "tok_" + "x" * 96,
        },
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    cancelled = await buyer.post(f"/api/orders/{order['id']}/cancel/", json={"reason": "no"})
    assert cancelled.status_code in (200, 202), cancelled.text
    detail = await _until_status(buyer, order["id"], "cancelled")
    assert detail["payment"] is None
    assert _stock(stack, listing["id"]) == 1


async def test_an_order_whose_total_cannot_fit_is_422_and_lists_still_work(
    each_party: Party,
) -> None:
    party = each_party
    stack = party.stack
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=5, price="99999999.99", fee="0.00")
    body = {"listing_id": listing["id"], "shipping_address": ADDRESS, "quantity": 2}
    response = await buyer.post("/api/orders/", json=body)
    assert response.status_code == 422, response.text
    assert (await buyer.get("/api/orders/")).status_code == 200
    assert (await seller.get("/api/orders/")).status_code == 200
    one = await place_order(buyer, listing["id"])
    assert Decimal(one["total_amount"]) == Decimal("99999999.99")
    assert _orders_of(stack, party.buyer_id) == 1
    assert _stock(stack, listing["id"]) == 4


async def _until_status(client: httpx.AsyncClient, order_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        detail: dict[str, Any] = (await client.get(f"/api/orders/{order_id}/")).json()
        if detail["status"] == status or time.monotonic() > deadline:
            assert detail["status"] == status, detail
            return detail
        await asyncio.sleep(0.1)
