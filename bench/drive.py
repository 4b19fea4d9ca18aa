"""Driving purchases at a fixed concurrency: over HTTP through the API (the real lifecycle)
and straight through the Temporal client (the bare twin). Both record per-step latencies.

A purchase ends when its workflow has ended: after delivery both wait, through the Temporal
client, for the workflow's result, which comes once the escrow hold has passed and the seller
is paid (the `payout` step)."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateStage
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench.bare import BareWorkflow
from bench.stack import BenchError

T = TypeVar("T")
# A stuck step (a workflow task failing over and over) fails the run instead of hanging it.
STEP_TIMEOUT = 60.0
ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
CARD = {"payment_method": "credit_card", "card_token": "tok_visa"}
SHIPMENT = {"tracking_number": "1Z999", "carrier": "UPS"}
LISTING = {
    "listing_type": "car",
    "title": "1998 Mazda MX-5",
    "description": "Red, 120k km",
    "unit_price": "1499.00",
    "shipping_fee": "25.00",
    "quantity_available": 1,
}


@dataclass
class Timings:
    """Milliseconds per step (create, payment, ship, deliver, payout), in completion order."""

    steps: dict[str, list[float]] = field(default_factory=dict)
    workflow_ids: list[str] = field(default_factory=list)
    # The orders of the real lifecycle, to check their payout over HTTP once the phase is over.
    order_ids: list[str] = field(default_factory=list)

    async def timed(self, step: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                result = await call
        except TimeoutError:
            raise BenchError(
                f"{step} took over {STEP_TIMEOUT:.0f}s: is the worker failing?"
            ) from None
        self.steps.setdefault(step, []).append((time.perf_counter() - started) * 1000)
        return result


async def closed_loop(
    items: Iterable[T], concurrency: int, one: Callable[[T], Awaitable[None]]
) -> float:
    """`concurrency` callers, each starting its next purchase when the last one ends;
    the wall time in seconds. The first failure stops the run."""
    queue = iter(items)

    async def caller() -> None:
        for item in queue:
            await one(item)

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(caller())
    return time.perf_counter() - started


def expect(response: httpx.Response, code: int, state: str | None = None) -> dict[str, Any]:
    """The body of a response with the wanted status code (and order/payment status)."""
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code != code or (state is not None and body.get("status") != state):
        raise BenchError(
            f"{response.request.method} {response.request.url.path} → "
            f"{response.status_code}, wanted {code} {state or ''}: {response.text}"
        )
    return body


async def make_listings(seller: httpx.AsyncClient, count: int, concurrency: int) -> list[str]:
    ids: list[str] = []

    async def one(_: int) -> None:
        ids.append(expect(await seller.post("/api/listings/", json=LISTING), 201)["id"])

    await closed_loop(range(count), concurrency, one)
    return ids


class HttpPurchase:
    """One purchase as a buyer and a seller make it: order, card payment, ship, deliver; then
    the escrow hold and the payout, waited for on the workflow's result (as the bare twin
    does: polling the order over HTTP would add API load that the twin has no match for)."""

    def __init__(
        self,
        buyer: httpx.AsyncClient,
        seller: httpx.AsyncClient,
        client: Client,
        timings: Timings,
    ) -> None:
        self._buyer, self._seller, self._timings = buyer, seller, timings
        self._client = client

    async def __call__(self, listing_id: str) -> None:
        buyer, seller = self._buyer, self._seller
        new_order = {"listing_id": listing_id, "shipping_address": ADDRESS}
        order = await self._post("create", buyer, "/api/orders/", new_order, 201, "pending")
        self._timings.workflow_ids.append(order["workflow_id"])
        self._timings.order_ids.append(order["id"])
        payment = {"order_id": order["id"], **CARD}
        await self._post("payment", buyer, "/api/payments/", payment, 201, "completed")
        path = f"/api/orders/{order['id']}"
        await self._post("ship", seller, f"{path}/ship/", SHIPMENT, 200, "shipped")
        delivered = await self._post("deliver", buyer, f"{path}/deliver/", None, 200, "delivered")
        # A short hold may be over (and the seller paid) by the time the answer is read.
        if (delivered.get("payout") or {}).get("status") not in ("scheduled", "paid"):
            raise BenchError(f"order {order['id']} delivered without a payout: {delivered}")
        handle = self._client.get_workflow_handle(order["workflow_id"])
        result = await self._timings.timed("payout", handle.result())
        if result.get("status") != "delivered":
            raise BenchError(f"order {order['id']}: its workflow ended with {result}")

    async def _post(
        self,
        step: str,
        caller: httpx.AsyncClient,
        path: str,
        body: dict[str, Any] | None,
        code: int,
        state: str,
    ) -> dict[str, Any]:
        return expect(await self._timings.timed(step, caller.post(path, json=body)), code, state)


class BarePurchase:
    """The same four calls the API makes, on BareWorkflow, straight through the client; then
    the workflow's result, once its escrow hold and payout are over."""

    def __init__(self, client: Client, task_queue: str, timings: Timings) -> None:
        self._client, self._task_queue, self._timings = client, task_queue, timings

    async def __call__(self, order_id: str) -> None:
        timed, workflow_id = self._timings.timed, f"bare-{order_id}"
        operation = WithStartWorkflowOperation(
            BareWorkflow.run,
            order_id,
            id=workflow_id,
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        await timed(
            "create",
            self._client.execute_update_with_start_workflow(
                BareWorkflow.admitted, start_workflow_operation=operation
            ),
        )
        self._timings.workflow_ids.append(workflow_id)
        handle = self._client.get_workflow_handle(workflow_id)
        await timed("payment", self._pay(workflow_id))
        await timed("ship", handle.execute_update(BareWorkflow.ship))
        await timed("deliver", handle.execute_update(BareWorkflow.deliver))
        ended = await timed("payout", handle.result())
        if ended != "delivered":
            raise BenchError(f"{workflow_id} ended {ended}")

    async def _pay(self, workflow_id: str) -> str:
        # As api/order_flow.pay does it: wait for acceptance, then for the result.
        handle = self._client.get_workflow_handle(workflow_id)
        update = await handle.start_update(
            BareWorkflow.pay, wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        return await update.result()


async def check_paid(buyer: httpx.AsyncClient, order_ids: list[str], concurrency: int) -> None:
    """Every order's payout is `paid` in GET /api/orders/{id}/ (read after the timed part)."""

    async def one(order_id: str) -> None:
        order = expect(await buyer.get(f"/api/orders/{order_id}/"), 200, "delivered")
        if (order.get("payout") or {}).get("status") != "paid":
            raise BenchError(f"order {order_id} ended without being paid out: {order['payout']}")

    await closed_loop(order_ids, concurrency, one)


def bare_ids(count: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"{run}-{index}" for index in range(count)]
