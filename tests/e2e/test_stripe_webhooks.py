"""Stripe webhooks: signed events reach the order's workflow once; forged or stale ones are 400."""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType

from tests.e2e.conftest import WEBHOOK_SECRET, Party, Stack
from tests.e2e.flows import list_item, place_order

PATH = "/api/webhooks/stripe/"


def event(order_id: str, event_type: str = "payment_intent.succeeded") -> dict[str, Any]:
    """The shape of a Stripe event (api version 2024+), trimmed to what we read."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2025-01-27",
        "data": {
            "object": {
                "id": f"pi_{uuid.uuid4().hex[:24]}",
                "object": "payment_intent",
                "status": "succeeded",
                "amount": 152400,
                "currency": "usd",
                "metadata": {"order_id": order_id},
            }
        },
    }


def signed(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """Stripe's scheme: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    t = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


async def gateway_lines(buyer: httpx.AsyncClient, order_id: str) -> list[str]:
    detail = (await buyer.get(f"/api/orders/{order_id}/")).json()
    return [e["event"] for e in detail["timeline"] if e["event"].startswith("gateway:")]


async def test_a_signed_event_reaches_the_order_once(stack: Stack, party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    body = json.dumps(event(order["id"])).encode()
    async with stack.client() as stripe:
        first = await stripe.post(PATH, content=body, headers=signed(body))
        assert first.status_code == 200, first.text
        assert first.json() == {"received": True, "duplicate": False}
        deadline = asyncio.get_running_loop().time() + 10
        while not await gateway_lines(buyer, order["id"]):
            assert asyncio.get_running_loop().time() < deadline, "the event never arrived"
            await asyncio.sleep(0.05)
        again = await stripe.post(PATH, content=body, headers=signed(body))
        assert again.json() == {"received": True, "duplicate": True}
    # A signal is in the history before the call that sent it returns: had the repeat been
    # sent on, it would be there now. One signal, so one line, now and later.
    history = await stack.env.client.get_workflow_handle(order["workflow_id"]).fetch_history()
    signals = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert len(signals) == 1, signals
    assert await gateway_lines(buyer, order["id"]) == ["gateway:payment_intent.succeeded"]


async def test_forged_stale_and_unsigned_events_are_refused(stack: Stack) -> None:
    body = json.dumps(event(str(uuid.uuid4()))).encode()
    async with stack.client() as stripe:
        forged = await stripe.post(PATH, content=body, headers=signed(body, "whsec_wrong"))
        stale = await stripe.post(
            PATH, content=body, headers=signed(body, at=int(time.time()) - 3600)
        )
        unsigned = await stripe.post(PATH, content=body)
        tampered = await stripe.post(PATH, content=body + b" ", headers=signed(body))
        for response in (forged, stale, unsigned, tampered):
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "invalid_signature"
        # The refused event was not remembered: once properly signed, it is taken.
        accepted = await stripe.post(PATH, content=body, headers=signed(body))
        assert accepted.json() == {"received": True, "duplicate": False}
