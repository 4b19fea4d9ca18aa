"""One delivery attempt (the activity, run outside the engine) against a receiver on loopback:
the signed body, the attempt counted and its outcome kept, a 5xx or a redirect retryable (and
not followed), a deleted endpoint or a refused address final (no connection made), and the
checked address connected to, not the name resolved again."""

import asyncio
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.webhooks import WebhookActivities
from db.engine import session_scope
from db.migrate import upgrade
from db.tables import WebhookDelivery, WebhookEndpoint, WebhookEvent
from db.types import utcnow
from services import webhook_endpoints
from services.webhook_delivery import body_of
from tests.webhook_receiver import ENDLESS, HANG, receiving

MASTER = "delivery-tests-jwt-secret"
AT = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


def seed(url: str, endpoint_url: str) -> tuple[str, str]:
    """An endpoint at `endpoint_url`, one event and its delivery: (delivery id, secret)."""
    upgrade(url)
    with session_scope(url) as session:
        endpoint, secret = webhook_endpoints.create(
            session, str(uuid.uuid4()), "seller-d", "seller", endpoint_url, ["*"], MASTER, utcnow()
        )
        event_id = f"order.created:{uuid.uuid4()}"
        session.add(
            WebhookEvent(
                id=event_id,
                type="order.created",
                order_id=None,
                seller_id="seller-d",
                payload={"id": "o-1", "total_amount": "1524.00"},
                created_at=AT,
            )
        )
        session.flush()
        delivery_id = str(uuid.uuid4())
        session.add(
            WebhookDelivery(
                id=delivery_id,
                endpoint_id=endpoint.id,
                event_id=event_id,
                status="pending",
                attempts=0,
                created_at=AT,
            )
        )
    return delivery_id, secret


def delivery(url: str, delivery_id: str) -> WebhookDelivery:
    with session_scope(url) as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        return row


def activities(url: str, loopback: bool = True, resolve: Any = socket.getaddrinfo) -> Any:
    return WebhookActivities(url, MASTER, loopback, resolve)


async def test_a_2xx_is_success_and_the_body_is_signed(sqlite_url: str) -> None:
    async with receiving(lambda _n: 204) as receiver:
        delivery_id, secret = seed(sqlite_url, receiver.url)
        receiver.secret = secret
        result = await ActivityEnvironment().run(
            activities(sqlite_url).deliver_webhook, delivery_id
        )
    assert result == "succeeded"
    [got] = receiver.received
    assert got.error is None, got.error
    assert got.event is not None
    assert got.event["type"] == "order.created"
    assert got.event["data"] == {"id": "o-1", "total_amount": "1524.00"}
    assert set(got.event) == {"id", "type", "created_at", "data"}
    assert got.headers["content-type"] == "application/json"
    with session_scope(sqlite_url) as session:
        event = session.get(WebhookEvent, got.event["id"])
        assert event is not None
        assert got.body == body_of(event)  # the stored event, byte for byte
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 1, 204)
    assert row.delivered_at is not None


@pytest.mark.parametrize("status", [500, 302, 404])
async def test_anything_else_is_retryable_and_kept(sqlite_url: str, status: int) -> None:
    async with receiving(lambda _n: status) as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        env = ActivityEnvironment()
        for _ in range(2):
            with pytest.raises(ApplicationError) as raised:
                await env.run(activities(sqlite_url).deliver_webhook, delivery_id)
            assert not raised.value.non_retryable
    assert [r.path for r in receiver.received] == ["/hooks", "/hooks"]  # no redirect followed
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 2, status)
    assert row.last_error is not None and str(status) in row.last_error
    gave_up = await env.run(activities(sqlite_url).give_up_webhook, delivery_id)
    assert gave_up == "failed"
    assert delivery(sqlite_url, delivery_id).last_status_code == status


async def test_a_refused_connection_is_retryable(sqlite_url: str) -> None:
    async with receiving() as receiver:
        closed_url = receiver.url
    delivery_id, _ = seed(sqlite_url, closed_url)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(activities(sqlite_url).deliver_webhook, delivery_id)
    assert not raised.value.non_retryable
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, None)
    assert row.last_error is not None and "connection" in row.last_error


async def test_a_name_resolving_to_a_private_address_is_refused_for_good(sqlite_url: str) -> None:
    def to_private(host: str, port: int, *_: Any) -> Sequence[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]

    delivery_id, _ = seed(sqlite_url, "https://hooks.example.com/in")
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            activities(sqlite_url, resolve=to_private).deliver_webhook, delivery_id
        )
    assert raised.value.non_retryable
    assert raised.value.type == "webhook_address_refused"
    row = delivery(sqlite_url, delivery_id)
    assert row.last_error is not None and "10.0.0.1 is a private address" in row.last_error


async def test_loopback_is_refused_without_the_setting(sqlite_url: str) -> None:
    async with receiving() as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        with pytest.raises(ApplicationError) as raised:
            await ActivityEnvironment().run(
                activities(sqlite_url, loopback=False).deliver_webhook, delivery_id
            )
    assert raised.value.non_retryable
    assert receiver.received == []


async def test_the_checked_address_is_connected_to_with_the_name_as_host(sqlite_url: str) -> None:
    """The name is resolved once, checked, and that address is called: a resolver that would
    answer differently the second time (DNS rebinding) is never asked again."""
    asked: list[str] = []

    def once(host: str, port: int, *_: Any) -> Sequence[tuple[Any, ...]]:
        asked.append(host)
        address = "127.0.0.1" if len(asked) == 1 else "10.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    async with receiving() as receiver:
        delivery_id, _ = seed(sqlite_url, f"http://hooks.test:{receiver.port}/in?x=1")
        result = await ActivityEnvironment().run(
            activities(sqlite_url, resolve=once).deliver_webhook, delivery_id
        )
    assert result == "succeeded"
    assert asked == ["hooks.test"]
    [got] = receiver.received
    assert got.headers["host"] == f"hooks.test:{receiver.port}"
    assert got.path == "/in?x=1"


async def test_a_deleted_endpoint_gives_up(sqlite_url: str) -> None:
    async with receiving() as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        with session_scope(sqlite_url) as session:
            row = session.get(WebhookDelivery, delivery_id)
            assert row is not None
            assert webhook_endpoints.delete(session, "seller-d", row.endpoint_id, utcnow())
        with pytest.raises(ApplicationError) as raised:
            await ActivityEnvironment().run(activities(sqlite_url).deliver_webhook, delivery_id)
    assert raised.value.non_retryable
    assert receiver.received == []
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 0, "the endpoint was deleted")


def make_tls(tmp: Path, names: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A CA of the test's own and a server certificate for `names` (openssl's command line):
    the server's context, and a client context that trusts that CA only."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "1", "-subj", "/CN=order-engine test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=webhook receiver",
    )  # fmt: skip
    (tmp / "san.ext").write_text(f"subjectAltName={names}\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext",
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    client = ssl.create_default_context(cafile=str(tmp / "ca.pem"))
    return server, client


def to_loopback(host: str, port: int, *_: Any) -> Sequence[tuple[Any, ...]]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


async def test_tls_is_verified_against_the_host_name_while_calling_the_address(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The POST goes to the checked IP, yet TLS is the host's: SNI names it and the certificate
    must be valid for it (a certificate for another name fails, and is retried)."""
    server, client = make_tls(tmp_path, "DNS:hooks.test")
    async with receiving(tls=server) as receiver:
        url = f"https://hooks.test:{receiver.port}/in"
        right, _ = seed(sqlite_url, url)
        hooks = WebhookActivities(sqlite_url, MASTER, True, to_loopback, verify=client)
        assert await ActivityEnvironment().run(hooks.deliver_webhook, right) == "succeeded"
        [got] = receiver.received
        assert got.headers["host"] == f"hooks.test:{receiver.port}"

        wrong, _ = seed(sqlite_url, f"https://other.test:{receiver.port}/in")
        with pytest.raises(ApplicationError) as raised:
            await ActivityEnvironment().run(hooks.deliver_webhook, wrong)
        assert not raised.value.non_retryable
    row = delivery(sqlite_url, wrong)
    assert (row.status, row.last_status_code) == ("pending", None)
    assert row.last_error is not None and "certificate" in row.last_error.lower()
    assert len(receiver.received) == 1


def another_delivery(url: str, delivery_id: str) -> str:
    """One more event for the endpoint of `delivery_id`, and its delivery."""
    with session_scope(url) as session:
        first = session.get(WebhookDelivery, delivery_id)
        assert first is not None
        event_id = f"order.shipped:{uuid.uuid4()}"
        session.add(
            WebhookEvent(
                id=event_id, type="order.shipped", payload={}, created_at=AT, seller_id="seller-d"
            )
        )
        session.flush()
        second = str(uuid.uuid4())
        session.add(
            WebhookDelivery(
                id=second,
                endpoint_id=first.endpoint_id,
                event_id=event_id,
                status="pending",
                attempts=0,
                created_at=AT,
            )
        )
        return second


async def test_a_hanging_endpoint_holds_a_bounded_share_of_the_worker(sqlite_url: str) -> None:
    """Over its share, an attempt is not made (nor counted): it waits its turn, so a dead
    endpoint cannot take every activity slot of the worker."""
    async with receiving(lambda _n: HANG) as receiver:
        first, _ = seed(sqlite_url, receiver.url)
        second = another_delivery(sqlite_url, first)
        hooks = WebhookActivities(sqlite_url, MASTER, True, per_endpoint=1)
        hanging = asyncio.create_task(ActivityEnvironment().run(hooks.deliver_webhook, first))
        await receiver.wait_for(lambda r: len(r.received) == 1, within=5)
        with pytest.raises(ApplicationError) as raised:
            await ActivityEnvironment().run(hooks.deliver_webhook, second)
        assert raised.value.type == "webhook_endpoint_busy"
        assert not raised.value.non_retryable
        assert delivery(sqlite_url, second).attempts == 0
        assert len(receiver.received) == 1
    with pytest.raises(ApplicationError):  # the receiver went away without answering
        await hanging
    # Its turn came back with the first attempt's end.
    async with receiving() as receiver:
        with session_scope(sqlite_url) as session:
            row = session.get(WebhookDelivery, second)
            assert row is not None
            endpoint = session.get(WebhookEndpoint, row.endpoint_id)
            assert endpoint is not None
            endpoint.url = receiver.url
        assert await ActivityEnvironment().run(hooks.deliver_webhook, second) == "succeeded"


async def test_an_endless_answer_is_not_read_past_the_limit(sqlite_url: str) -> None:
    async with receiving(lambda _n: ENDLESS) as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        started = time.monotonic()
        with pytest.raises(ApplicationError):
            await ActivityEnvironment().run(activities(sqlite_url).deliver_webhook, delivery_id)
        took = time.monotonic() - started
    assert took < 5, f"the answer was read for {took:.1f} s"
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.last_status_code) == ("pending", 500)
    assert row.last_error is not None and len(row.last_error) < 300
