"""Idempotency-Key end to end: replays, conflicts, races, and a repeat after a lost answer."""

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from db.engine import session_scope
from db.tables import Order
from tests.e2e.conftest import Party, Stack
from tests.e2e.flows import (
    ADDRESS,
    book,
    list_item,
    lose_answers,
    pay,
    place_order,
    refunded_in_full,
)


def orders_of(stack: Stack, buyer_id: str) -> int:
    with session_scope(stack.settings.database_url) as session:
        return (
            session.scalar(
                select(func.count()).select_from(Order).where(Order.buyer_id == buyer_id)
            )
            or 0
        )


async def test_a_repeat_gets_the_first_answer_byte_for_byte(stack: Stack, party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=5)
    body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
    headers = {"Idempotency-Key": f"order-{uuid.uuid4()}"}
    first = await buyer.post("/api/orders/", json=body, headers=headers)
    again = await buyer.post("/api/orders/", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert orders_of(stack, party.buyer_id) == 1
    stock = (await seller.get(f"/api/listings/{listing['id']}/")).json()
    assert stock["quantity_available"] == 4

    other = await buyer.post("/api/orders/", json={**body, "quantity": 2}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert orders_of(stack, party.buyer_id) == 1

    unkeyed = [await buyer.post("/api/orders/", json=body) for _ in range(2)]
    assert [r.status_code for r in unkeyed] == [201, 201]
    assert orders_of(stack, party.buyer_id) == 3


async def test_eight_concurrent_requests_make_one_order(stack: Stack, party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=8)
    body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
    headers = {"Idempotency-Key": "double-click"}
    responses = await asyncio.gather(
        *(buyer.post("/api/orders/", json=body, headers=headers) for _ in range(8))
    )
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.content for r in responses}) == 1
    assert orders_of(stack, party.buyer_id) == 1
    # Keys are per caller: another buyer's same key is another request.
    other = party.another("other", "buyer")
    theirs = await other.post("/api/orders/", json=body, headers=headers)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != responses[0].json()["id"]


async def test_a_repeat_after_a_lost_answer_finds_the_same_order(
    stack: Stack, party: Party
) -> None:
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=1)
    body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
    headers = {"Idempotency-Key": "lost-answer"}
    first = await buyer.post("/api/orders/", json=body, headers=headers)
    assert first.status_code == 201
    # As if the API had died after starting the workflow, before recording its answer.
    await lose_answers(stack.settings.database_url, party.buyer_id)
    again = await buyer.post("/api/orders/", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert orders_of(stack, party.buyer_id) == 1


async def test_a_repeated_payment_charges_once(stack: Stack, party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    body = {"order_id": order["id"], "payment_method": "credit_card", "card_token": "tok_visa"}
    headers = {"Idempotency-Key": "pay-once"}
    first = await buyer.post("/api/payments/", json=body, headers=headers)
    await lose_answers(stack.settings.database_url, party.buyer_id)
    again = await buyer.post("/api/payments/", json=body, headers=headers)
    assert first.status_code == 201 and first.json()["status"] == "completed"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "completed"
    charges = book(stack.settings.database_url, order["id"])
    assert [(c.kind, c.amount, c.status, c.calls) for c in charges] == [
        ("charge", Decimal("1524.00"), "succeeded", 1)
    ]


async def test_repeats_after_lost_answers_move_money_once(each_party: Party) -> None:
    """Retry, ship and cancel each sent twice with one key, the first answer lost each time:
    the gateway's book has one charge and one refund, and nothing happened twice."""
    party = each_party
    url = party.stack.settings.database_url
    seller, buyer, admin = party.seller, party.buyer, party.admin
    order = await place_order(buyer, (await list_item(seller))["id"])
    pid = (await pay(buyer, order["id"], "tok_chargeDeclined"))["id"]
    retry = f"/api/payments/{pid}/retry/"
    retried = await twice_with_lost_answer(
        url, buyer, party.buyer_id, retry, {"card_token": "tok_visa"}
    )
    assert (retried[0].status_code, retried[0].json()["status"]) == (200, "completed")

    ship = f"/api/orders/{order['id']}/ship/"
    shipped = await twice_with_lost_answer(
        url, seller, party.seller_id, ship, {"tracking_number": "1Z1"}
    )
    assert [(r.status_code, r.json()["status"]) for r in shipped] == [(200, "shipped")] * 2

    cancel = f"/api/orders/{order['id']}/cancel/"
    cancelled = await twice_with_lost_answer(url, admin, party.admin_id, cancel, {"reason": "lost"})
    assert [(r.status_code, r.json()["refunded_amount"]) for r in cancelled] == [
        (200, "1524.00")
    ] * 2
    events = [e["event"] for e in cancelled[1].json()["timeline"]]
    assert (events.count("shipped"), events.count("cancelled")) == (1, 1), events
    notes = (await buyer.get("/api/notifications/")).json()["items"]
    kinds = [n["kind"] for n in notes if n["order_id"] == order["id"]]
    assert (kinds.count("shipped"), kinds.count("cancelled")) == (1, 1), kinds

    booked = book(url, order["id"])
    assert [(b.kind, b.amount, b.status, b.idempotency_key) for b in booked] == [
        ("charge", Decimal("1524.00"), "declined", f"order-{order['id']}:charge:{pid}:1"),
        ("charge", Decimal("1524.00"), "succeeded", f"order-{order['id']}:charge:{pid}:2"),
        ("refund", Decimal("1524.00"), "succeeded", f"order-{order['id']}:cancel-refund"),
    ]
    assert [b.calls for b in booked] == [1, 1, 1]
    refunded_in_full(url, order["id"], pid, "1524.00")

    # The repeated retry gets the first outcome (the workflow replays it by its update id).
    again = retried[1]
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["status"]) == (pid, "completed")


async def twice_with_lost_answer(
    url: str, client: httpx.AsyncClient, user_id: str, path: str, body: dict[str, Any]
) -> list[httpx.Response]:
    """POST twice with one key; the first answer is lost in between, so the second runs again."""
    headers = {"Idempotency-Key": f"twice-{uuid.uuid4()}"}
    first = await client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    await lose_answers(url, user_id)
    again = await client.post(path, json=body, headers=headers)
    assert "idempotent-replayed" not in again.headers
    return [first, again]


async def test_bad_keys(stack: Stack) -> None:
    async with stack.client("key-user", "seller") as seller:
        response = await seller.post(
            "/api/listings/",
            json={"listing_type": "part", "title": "x", "unit_price": "1.00"},
            headers={"Idempotency-Key": "k" * 256},
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"
        assert (await seller.get("/api/listings/", params={"seller_id": "key-user"})).json()[
            "items"
        ] == []
