"""Idempotency-Key end to end: replays, conflicts, races, and a repeat after a lost answer."""

import asyncio
import uuid

from sqlalchemy import delete, func, select

from db.engine import session_scope
from db.tables import IdempotencyRecord, Order, SandboxOperation
from tests.e2e.conftest import Stack
from tests.e2e.flows import ADDRESS, list_item, place_order, users


def orders_of(stack: Stack, buyer_id: str) -> int:
    with session_scope(stack.settings.database_url) as session:
        return (
            session.scalar(
                select(func.count()).select_from(Order).where(Order.buyer_id == buyer_id)
            )
            or 0
        )


async def test_a_repeat_gets_the_first_answer_byte_for_byte(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        listing = await list_item(seller, quantity=5)
        body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
        headers = {"Idempotency-Key": f"order-{uuid.uuid4()}"}
        first = await buyer.post("/api/orders/", json=body, headers=headers)
        again = await buyer.post("/api/orders/", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.content == first.content
        assert again.headers["idempotent-replayed"] == "true"
        assert orders_of(stack, buyer_id) == 1
        stock = (await seller.get(f"/api/listings/{listing['id']}/")).json()
        assert stock["quantity_available"] == 4

        other = await buyer.post("/api/orders/", json={**body, "quantity": 2}, headers=headers)
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert orders_of(stack, buyer_id) == 1

        unkeyed = [await buyer.post("/api/orders/", json=body) for _ in range(2)]
        assert [r.status_code for r in unkeyed] == [201, 201]
        assert orders_of(stack, buyer_id) == 3


async def test_eight_concurrent_requests_make_one_order(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        listing = await list_item(seller, quantity=8)
        body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
        headers = {"Idempotency-Key": "double-click"}
        responses = await asyncio.gather(
            *(buyer.post("/api/orders/", json=body, headers=headers) for _ in range(8))
        )
        assert [r.status_code for r in responses] == [201] * 8
        assert len({r.content for r in responses}) == 1
        assert orders_of(stack, buyer_id) == 1
        # Keys are per caller: another buyer's same key is another request.
        async with stack.client(f"other-{buyer_id}", "buyer") as other:
            theirs = await other.post("/api/orders/", json=body, headers=headers)
            assert theirs.status_code == 201
            assert theirs.json()["id"] != responses[0].json()["id"]


async def test_a_repeat_after_a_lost_answer_finds_the_same_order(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        listing = await list_item(seller, quantity=1)
        body = {"listing_id": listing["id"], "shipping_address": ADDRESS}
        headers = {"Idempotency-Key": "lost-answer"}
        first = await buyer.post("/api/orders/", json=body, headers=headers)
        assert first.status_code == 201
        # As if the API had died after starting the workflow, before recording its answer.
        with session_scope(stack.settings.database_url) as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == buyer_id))
        again = await buyer.post("/api/orders/", json=body, headers=headers)
        assert again.status_code == 201, again.text
        assert again.json()["id"] == first.json()["id"]
        assert orders_of(stack, buyer_id) == 1


async def test_a_repeated_payment_charges_once(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        order = await place_order(buyer, (await list_item(seller))["id"])
        body = {"order_id": order["id"], "payment_method": "credit_card", "card_token": "tok_visa"}
        headers = {"Idempotency-Key": "pay-once"}
        first = await buyer.post("/api/payments/", json=body, headers=headers)
        with session_scope(stack.settings.database_url) as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == buyer_id))
        again = await buyer.post("/api/payments/", json=body, headers=headers)
        assert first.status_code == 201 and first.json()["status"] == "completed"
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["status"] == "completed"
        with session_scope(stack.settings.database_url) as session:
            charges = session.scalars(
                select(SandboxOperation).where(
                    SandboxOperation.kind == "charge",
                    SandboxOperation.idempotency_key.contains(order["id"]),
                )
            ).all()
        assert [(c.status, c.calls) for c in charges] == [("succeeded", 1)]


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
