"""The open-orders bench over HTTP: listings with stock, confirmed orders (paid in the create
call), ships timed until the buyer sees them, and the two order lists timed."""

import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from api.auth import issue_token
from bench.drive import ADDRESS, CARD, LISTING, SHIPMENT, closed_loop, expect
from bench.open_orders_data import Cast
from bench.stack import JWT_SECRET, BenchError

T = TypeVar("T")
# An order the create answered before its payment was through: how long it may take to show
# `confirmed` (the create waits up to 15 s for the charge; under load it may answer sooner).
CONFIRM_WAIT = 60.0


@dataclass(frozen=True)
class OpenOrder:
    id: str
    buyer: str
    seller: str


@dataclass
class Users:
    """One HTTP client for all the bench's users; each request carries its user's token."""

    client: httpx.AsyncClient
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def of(self, user: str, role: str) -> dict[str, str]:
        key = f"{user}/{role}"
        if key not in self._headers:
            token = issue_token(JWT_SECRET, user, [role])
            self._headers[key] = {"Authorization": f"Bearer {token}"}
        return self._headers[key]

    async def get(
        self, user: str, role: str, path: str, params: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.get(path, headers=self.of(user, role), params=params)

    async def post(self, user: str, role: str, path: str, body: Any) -> httpx.Response:
        return await self.client.post(path, headers=self.of(user, role), json=body)


def users(api_url: str, concurrency: int) -> Users:
    limits = httpx.Limits(
        max_connections=concurrency * 3, max_keepalive_connections=concurrency * 3
    )
    return Users(httpx.AsyncClient(base_url=api_url, timeout=60, limits=limits))


async def timed(into: list[float], call: Awaitable[T]) -> T:
    started = time.perf_counter()
    result = await call
    into.append((time.perf_counter() - started) * 1000)
    return result


class Progress:
    """A line on stderr every `every` items: how far, and how fast."""

    def __init__(self, what: str, total: int, every: int = 1000) -> None:
        self._what, self._total, self._every = what, total, every
        self._done, self._started = 0, time.perf_counter()

    def tick(self) -> None:
        self._done += 1
        if self._done % self._every == 0 or self._done == self._total:
            elapsed = time.perf_counter() - self._started
            print(
                f"  {self._what}: {self._done}/{self._total} in {elapsed:.0f} s "
                f"({self._done / elapsed:.1f}/s)",
                file=sys.stderr,
                flush=True,
            )


async def make_listings(http: Users, plan: list[tuple[str, int]], concurrency: int) -> list[str]:
    """The listings of the open orders, in plan order, each with the stock it will sell."""
    ids: list[str | None] = [None] * len(plan)

    async def one(index: int) -> None:
        seller, stock = plan[index]
        body = {**LISTING, "quantity_available": stock}
        ids[index] = expect(await http.post(seller, "seller", "/api/listings/", body), 201)["id"]

    await closed_loop(range(len(plan)), concurrency, one)
    return [listing_id for listing_id in ids if listing_id is not None]


@dataclass
class Opened:
    orders: list[OpenOrder] = field(default_factory=list)
    create_ms: list[float] = field(default_factory=list)
    # Answered `pending` (the charge not through yet), then seen `confirmed` by polling.
    confirmed_late: int = 0
    wall_s: float = 0.0


async def open_orders(
    http: Users, cast: Cast, listings: list[str], sellers: list[str], count: int, concurrency: int
) -> Opened:
    """`count` orders, each paid by card in its create call; every one must end `confirmed`."""
    opened, progress = Opened(), Progress("open orders", count)

    async def one(index: int) -> None:
        buyer = cast.buyers[index % len(cast.buyers)]
        listing = index % len(listings)
        body = {"listing_id": listings[listing], "shipping_address": ADDRESS, "payment": CARD}
        answer = await timed(opened.create_ms, http.post(buyer, "buyer", "/api/orders/", body))
        order = expect(answer, 201)
        if order["status"] != "confirmed":
            await _until_confirmed(http, buyer, order)
            opened.confirmed_late += 1
        opened.orders.append(OpenOrder(order["id"], buyer, sellers[listing]))
        progress.tick()

    opened.wall_s = await closed_loop(range(count), concurrency, one)
    return opened


async def _until_confirmed(http: Users, buyer: str, order: dict[str, Any]) -> None:
    deadline = time.monotonic() + CONFIRM_WAIT
    while order["status"] == "pending" and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        order = expect(await http.get(buyer, "buyer", f"/api/orders/{order['id']}/"), 200)
    if order["status"] != "confirmed":
        raise BenchError(f"order {order['id']} is {order['status']}, not confirmed: {order}")


@dataclass
class Shipped:
    ship_ms: list[float] = field(default_factory=list)
    visible_ms: list[float] = field(default_factory=list)
    # The ship call's own answer already showed `shipped`.
    answered_shipped: int = 0
    # The buyer's GET showed `shipped` before the seller had the ship call's answer.
    seen_before_answer: int = 0
    polls: int = 0
    wall_s: float = 0.0
    ids: list[str] = field(default_factory=list)


async def ship_some(
    http: Users, chosen: list[OpenOrder], concurrency: int, poll_s: float
) -> Shipped:
    """Each chosen order shipped by its seller while its buyer polls GET /api/orders/{id}/
    from the moment the ship request is sent until it shows `shipped`."""
    shipped, progress = Shipped(), Progress("ship", len(chosen), every=200)

    async def one(order: OpenOrder) -> None:
        path = f"/api/orders/{order.id}"
        started = time.perf_counter()
        answered: list[float] = []

        async def ship() -> dict[str, Any]:
            answer = await http.post(order.seller, "seller", f"{path}/ship/", SHIPMENT)
            answered.append(time.perf_counter())
            return expect(answer, 200)

        task = asyncio.create_task(ship())
        seen_at = 0.0
        while True:
            shipped.polls += 1
            seen = expect(await http.get(order.buyer, "buyer", f"{path}/"), 200)
            if seen["status"] == "shipped":
                seen_at = time.perf_counter()
                break
            if seen["status"] != "confirmed":
                raise BenchError(f"order {order.id} became {seen['status']}, not shipped")
            if task.done() and task.exception() is not None:
                break
            await asyncio.sleep(poll_s)
        body = await task
        shipped.ship_ms.append((answered[0] - started) * 1000)
        shipped.visible_ms.append((seen_at - started) * 1000)
        shipped.answered_shipped += body["status"] == "shipped"
        shipped.seen_before_answer += seen_at < answered[0]
        shipped.ids.append(order.id)
        progress.tick()

    shipped.wall_s = await closed_loop(chosen, concurrency, one)
    return shipped


def choose(orders: list[OpenOrder], count: int, seed: int) -> list[OpenOrder]:
    return random.Random(seed).sample(orders, min(count, len(orders)))


async def time_list(
    http: Users,
    callers: list[str],
    role: str,
    params: dict[str, str],
    requests: int,
    concurrency: int,
    check: Callable[[dict[str, Any]], None],
) -> list[float]:
    """`requests` GET /api/orders/ with `params`, the callers taking turns; C untimed first."""
    latencies: list[float] = []

    async def one(index: int, into: list[float]) -> None:
        caller = callers[index % len(callers)]
        page = expect(await timed(into, http.get(caller, role, "/api/orders/", params)), 200)
        check(page)

    await closed_loop(range(concurrency), concurrency, lambda i: one(i, []))
    await closed_loop(range(requests), concurrency, lambda i: one(i, latencies))
    return latencies


def page_of(status: str | None) -> Callable[[dict[str, Any]], None]:
    """A page must not be empty (the bench's users all have orders), and be of that status."""

    def check(page: dict[str, Any]) -> None:
        items = page["items"]
        if not items:
            raise BenchError("a list of the bench's orders answered no items")
        if status and any(item["status"] != status for item in items):
            raise BenchError(f"a list of {status} orders holds others")

    return check
