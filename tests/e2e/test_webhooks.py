"""Outbound webhooks over the whole stack (a stack of their own, with WEBHOOK_ALLOW_LOOPBACK):
receivers on 127.0.0.1 in this process, each request checked with `verify` as a seller's
system would. A seller hears their own orders from created to the payout, correctly signed,
and nothing of another seller's; a receiver failing three times gets the event on the fourth
try; a receiver that never answers does not slow the order."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.e2e.conftest import Party, Stack, party_on, running_stack
from tests.e2e.flows import list_item, pay, place_order
from tests.webhook_receiver import HANG, Receiver, receiving
from workflows.order import OrderWorkflow

LIFECYCLE = [
    "order.created",
    "order.confirmed",
    "order.shipped",
    "order.delivered",
    "payout.completed",
]


@pytest.fixture(scope="module")
async def hook_stack(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    db_file: Path = tmp_path_factory.mktemp("webhooks") / "orders.db"
    async with running_stack(dev_env, f"sqlite:///{db_file}", webhook_allow_loopback=True) as built:
        yield built


@pytest.fixture
async def hook_party(hook_stack: Stack) -> AsyncIterator[Party]:
    async with party_on(hook_stack) as opened:
        yield opened


async def subscribe(
    client: httpx.AsyncClient, receiver: Receiver, events: list[str] | None = None
) -> dict[str, Any]:
    made = await client.post(
        "/api/webhook-endpoints/", json={"url": receiver.url, "events": events or ["*"]}
    )
    assert made.status_code == 201, made.text
    endpoint: dict[str, Any] = made.json()
    receiver.secret = endpoint["secret"]
    return endpoint


async def deliveries(client: httpx.AsyncClient, endpoint_id: str) -> list[dict[str, Any]]:
    log = await client.get(f"/api/webhook-endpoints/{endpoint_id}/deliveries/")
    assert log.status_code == 200, log.text
    items: list[dict[str, Any]] = log.json()["items"]
    return items


async def wait_log(
    client: httpx.AsyncClient,
    endpoint_id: str,
    check: Callable[[list[dict[str, Any]]], bool],
    within: float = 60.0,
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        items = await deliveries(client, endpoint_id)
        if check(items):
            return items
        assert time.monotonic() < deadline, f"the delivery log never got there: {items}"
        await asyncio.sleep(0.2)


async def run_order(party: Party, seller: httpx.AsyncClient) -> dict[str, Any]:
    """An order of `seller`'s listing bought by the party's buyer, paid, shipped, delivered;
    returns it once its workflow ended (the seller paid out)."""
    listing = await list_item(seller)
    order = await place_order(party.buyer, listing["id"])
    assert (await pay(party.buyer, order["id"]))["status"] == "completed"
    shipped = await seller.post(
        f"/api/orders/{order['id']}/ship/", json={"tracking_number": "1Z999", "carrier": "UPS"}
    )
    assert shipped.status_code == 200, shipped.text
    delivered = await party.buyer.post(f"/api/orders/{order['id']}/deliver/")
    assert delivered.status_code == 200, delivered.text
    return order


async def test_a_seller_hears_their_orders_signed_and_nothing_of_others(
    hook_party: Party,
) -> None:
    party = hook_party
    other_seller = party.another("other-seller", "seller")
    async with (
        receiving() as mine,
        receiving() as theirs,
        receiving() as admins,
    ):
        endpoint = await subscribe(party.seller, mine)
        await subscribe(other_seller, theirs)
        admin_endpoint = await subscribe(party.admin, admins, ["order.created"])

        order = await run_order(party, party.seller)
        other_order = await place_order(party.buyer, (await list_item(other_seller))["id"])
        handle = party.stack.env.client.get_workflow_handle_for(
            OrderWorkflow.run, order["workflow_id"]
        )
        assert (await handle.result()).status == "delivered"

        await mine.wait_for(lambda r: len(r.received) >= len(LIFECYCLE))
        await theirs.wait_for(lambda r: len(r.received) >= 1)
        await admins.wait_for(
            lambda r: {e["data"]["id"] for e in r.events()} >= {order["id"], other_order["id"]}
        )
        # Late or duplicate deliveries would show up here: give them the log's time to land.
        items = await wait_log(
            party.seller,
            endpoint["id"],
            lambda items: (
                len(items) == len(LIFECYCLE) and all(i["status"] == "succeeded" for i in items)
            ),
        )

    assert [r.error for r in mine.received] == [None] * len(mine.received)  # all verified
    events = mine.events()
    assert sorted(e["type"] for e in events) == sorted(LIFECYCLE)
    assert len({e["id"] for e in events}) == len(events)  # each once
    assert {e["data"]["id"] for e in events} == {order["id"]}
    assert {e["data"]["seller_id"] for e in events} == {party.seller_id}
    by_type = {e["type"]: e for e in events}
    assert by_type["order.created"]["id"] == f"order.created:{order['id']}"
    assert by_type["order.shipped"]["data"]["tracking_number"] == "1Z999"
    assert by_type["order.delivered"]["data"]["status"] == "delivered"
    assert by_type["payout.completed"]["data"]["payout"]["amount"] == "1447.80"
    assert by_type["order.confirmed"]["data"]["total_amount"] == "1524.00"
    for got in mine.received:
        assert got.headers["orderengine-signature"].startswith("t=")
    assert {i["event_type"] for i in items} == set(LIFECYCLE)
    assert {(i["attempts"], i["last_status_code"]) for i in items} == {(1, 200)}

    # The other seller heard only their own order; the admins every order's creation.
    assert {e["data"]["id"] for e in theirs.events()} == {other_order["id"]}
    assert all(e["data"]["seller_id"] != party.seller_id for e in theirs.events())
    assert {e["type"] for e in admins.events()} == {"order.created"}
    admin_log = await deliveries(party.admin, admin_endpoint["id"])
    assert len(admin_log) >= 2


async def test_a_receiver_failing_three_times_gets_it_on_the_fourth(hook_party: Party) -> None:
    party = hook_party
    async with receiving(lambda n: 500 if n < 3 else 200) as receiver:
        endpoint = await subscribe(party.seller, receiver, ["order.created"])
        order = await place_order(party.buyer, (await list_item(party.seller))["id"])
        [item] = await wait_log(
            party.seller,
            endpoint["id"],
            lambda items: bool(items) and items[0]["status"] != "pending",
        )
    assert item["status"] == "succeeded"
    assert (item["attempts"], item["last_status_code"]) == (4, 200)
    assert item["event_id"] == f"order.created:{order['id']}"
    assert item["delivered_at"] is not None
    assert len(receiver.received) == 4
    # The same event each time (the same bytes), and answered 2xx exactly once.
    assert len({r.body for r in receiver.received}) == 1
    assert [r.error for r in receiver.received] == [None] * 4
    assert [receiver.answer(n) for n in range(len(receiver.received))].count(200) == 1


async def test_a_receiver_that_never_answers_does_not_slow_the_order(hook_party: Party) -> None:
    party = hook_party
    async with receiving(lambda _n: HANG) as receiver:
        endpoint = await subscribe(party.seller, receiver)
        started = time.monotonic()
        order = await run_order(party, party.seller)
        took = time.monotonic() - started
        # The delivery's POST waits 10 s for an answer: an order that waited on it would not
        # be delivered this fast.
        assert took < 8, f"the order took {took:.1f} s from creation to delivered"
        detail = (await party.buyer.get(f"/api/orders/{order['id']}/")).json()
        assert detail["status"] in ("delivered",)
        items = await wait_log(
            party.seller,
            endpoint["id"],
            lambda items: len(items) >= 4 and all(i["attempts"] >= 1 for i in items),
        )
        await receiver.wait_for(lambda r: len(r.received) >= 4)
    assert {i["status"] for i in items} == {"pending"}
    assert {i["last_status_code"] for i in items} == {None}
