"""Webhook delivery against receivers and resolvers that misbehave (a review's proofs): an
international name, a 2xx whose body never ends, one dead receiver behind several endpoints,
a URL the client cannot send, names whose DNS never answers."""

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.webhooks import MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_ENDPOINT, WebhookActivities
from tests.services.test_webhook_delivery import MASTER, another_delivery, delivery, seed
from tests.webhook_receiver import HANG, receiving


def to_loopback(host: str, port: int, *_: Any) -> Sequence[tuple[Any, ...]]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


async def test_an_idn_host_is_delivered(sqlite_url: str) -> None:
    async with receiving() as receiver:
        delivery_id, _ = seed(sqlite_url, f"http://bücher.test:{receiver.port}/hooks")
        hooks = WebhookActivities(sqlite_url, MASTER, True, to_loopback)
        result = await ActivityEnvironment().run(hooks.deliver_webhook, delivery_id)
    assert result == "succeeded"
    [got] = receiver.received
    assert got.headers["host"] == f"xn--bcher-kva.test:{receiver.port}"


@contextlib.asynccontextmanager
async def answers_200_then_stalls() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A receiver that reads the request, sends `200 OK` with its headers at once, and then
    never finishes the body (a framework that flushes headers early, a stuck proxy)."""
    seen: list[bytes] = []
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        seen.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok")
        await writer.drain()
        writers.append(writer)  # the other 98 bytes never come

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], seen
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_2xx_whose_body_stalls_is_success(sqlite_url: str) -> None:
    async with answers_200_then_stalls() as (port, seen):
        delivery_id, _ = seed(sqlite_url, f"http://127.0.0.1:{port}/hooks")
        hooks = WebhookActivities(sqlite_url, MASTER, True)
        started = time.monotonic()
        try:
            result = await ActivityEnvironment().run(hooks.deliver_webhook, delivery_id)
        finally:
            took = time.monotonic() - started
    assert len(seen) == 1
    assert result == "succeeded", f"after {took:.1f} s"
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.last_status_code) == ("succeeded", 200)


async def test_one_dead_receiver_behind_four_endpoints_does_not_delay_others(
    sqlite_url: str,
) -> None:
    endpoints = MAX_IN_FLIGHT // MAX_IN_FLIGHT_PER_ENDPOINT
    hooks = WebhookActivities(sqlite_url, MASTER, True)
    async with receiving(lambda _n: HANG) as dead, receiving() as healthy:
        stuck: list[str] = []
        for _ in range(endpoints):
            first, _ = seed(sqlite_url, dead.url)  # the same URL, another endpoint row
            stuck += [first] + [
                another_delivery(sqlite_url, first) for _ in range(MAX_IN_FLIGHT_PER_ENDPOINT - 1)
            ]
        hanging = [
            asyncio.create_task(ActivityEnvironment().run(hooks.deliver_webhook, d)) for d in stuck
        ]
        try:
            # One receiver's share is taken; the other attempts to it wait their turn.
            await dead.wait_for(lambda r: len(r.received) == MAX_IN_FLIGHT_PER_ENDPOINT, within=10)
            other, _ = seed(sqlite_url, healthy.url)
            result = await ActivityEnvironment().run(hooks.deliver_webhook, other)
            assert result == "succeeded"
            waited = [t for t in hanging if t.done()]
            assert len(waited) == len(stuck) - MAX_IN_FLIGHT_PER_ENDPOINT
            assert all("waiting a turn" in str(t.exception()) for t in waited)
            assert len(dead.received) == MAX_IN_FLIGHT_PER_ENDPOINT
        finally:
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)


async def test_an_unsendable_url_fails_typed_with_its_reason(sqlite_url: str) -> None:
    async with receiving() as receiver:
        delivery_id, _ = seed(sqlite_url, f"http://127.0.0.1:{receiver.port}/in\x01side")
        hooks = WebhookActivities(sqlite_url, MASTER, True)
        with pytest.raises(ApplicationError):
            await ActivityEnvironment().run(hooks.deliver_webhook, delivery_id)
    row = delivery(sqlite_url, delivery_id)
    assert row.last_error is not None


async def test_slow_dns_of_one_seller_does_not_delay_other_endpoints(sqlite_url: str) -> None:
    def resolve(host: str, port: int, *_: Any) -> Sequence[tuple[Any, ...]]:
        if host.endswith("slow-dns.test"):
            time.sleep(8)  # an authoritative server that never answers
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return to_loopback(host, port)

    threads = min(32, (os.cpu_count() or 1) + 4)  # the default executor's size
    hooks = WebhookActivities(sqlite_url, MASTER, True, resolve)
    slow: list[str] = []
    while len(slow) < threads:  # a few endpoints of one seller, up to 4 attempts each
        first, _ = seed(sqlite_url, f"https://h{len(slow)}.slow-dns.test/in")
        slow += [first] + [
            another_delivery(sqlite_url, first) for _ in range(MAX_IN_FLIGHT_PER_ENDPOINT - 1)
        ]
    slow = slow[:threads]
    async with receiving() as healthy:
        other, _ = seed(sqlite_url, healthy.url)
        stuck = [
            asyncio.create_task(ActivityEnvironment().run(hooks.deliver_webhook, d)) for d in slow
        ]
        await asyncio.sleep(1.0)
        started = time.monotonic()
        result = await ActivityEnvironment().run(hooks.deliver_webhook, other)
        took = time.monotonic() - started
        await asyncio.gather(*stuck, return_exceptions=True)
    assert result == "succeeded"
    assert took < 3.0, f"another endpoint's delivery waited {took:.1f} s"
