"""Creating webhook endpoints when things go wrong (a review's proofs): names whose DNS never
answers, a keyed create repeated after a failure, URLs the delivery could not send."""

import asyncio
import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

import api.routes.webhook_endpoints as routes
from api.auth import issue_token
from tests.api.conftest import SECRET, Api

SELLER = "r12-seller"
STALL = 8.0  # how long the slow name's DNS takes to give up


def slow_dns(host: str, port: int, *_: Any) -> Sequence[tuple[Any, ...]]:
    """A name whose authoritative server never answers: getaddrinfo blocks, then fails."""
    time.sleep(STALL)
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


async def test_slow_dns_at_create_does_not_stall_other_requests(
    make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "resolve_host", slow_dns)
    api = make_api()
    threads = min(32, (os.cpu_count() or 1) + 4)  # the default executor's size
    async with api.client(SELLER, "seller") as http:
        assert (await http.get("/api/webhook-endpoints/")).status_code == 200  # warm up
        creates = [
            asyncio.create_task(
                http.post(
                    "/api/webhook-endpoints/",
                    json={"url": f"https://hooks{n}.slow-dns.example/in", "events": ["*"]},
                )
            )
            for n in range(threads)
        ]
        await asyncio.sleep(0.5)
        started = time.monotonic()
        listed = await http.get("/api/webhook-endpoints/")
        took = time.monotonic() - started
        answers = await asyncio.gather(*creates)
    assert listed.status_code == 200
    assert {a.status_code for a in answers} == {422}
    assert took < 3.0, f"an unrelated read waited {took:.1f} s for a thread"


async def test_a_keyed_create_repeated_after_a_failure_makes_one_endpoint(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = routes.in_transaction
    failures = [RuntimeError("the API failed after the commit, before its answer")]

    async def commit_then_fail(url: str, work: Any) -> Any:
        done = await real(url, work)
        if failures:
            raise failures.pop()
        return done

    monkeypatch.setattr(routes, "in_transaction", commit_then_fail)
    headers = {
        "Authorization": f"Bearer {issue_token(SECRET, SELLER, ['seller'])}",
        "Idempotency-Key": "create-hook-1",
    }
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    body = {"url": "https://93.184.215.14/hooks", "events": ["*"]}
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        first = await http.post("/api/webhook-endpoints/", json=body, headers=headers)
        assert first.status_code == 500
        again = await http.post("/api/webhook-endpoints/", json=body, headers=headers)
        assert again.status_code == 201, again.text
        listed = await http.get("/api/webhook-endpoints/", headers=headers)
    assert len(listed.json()["items"]) == 1, listed.json()


async def test_a_url_the_delivery_cannot_send_is_refused_at_create(api: Api) -> None:
    async with api.client(SELLER, "seller") as http:
        made = await http.post(
            "/api/webhook-endpoints/",
            json={"url": "https://93.184.215.14/in\u0001side", "events": ["*"]},
        )
    assert made.status_code == 422, made.text
