"""Issue 6's proofs end to end on PostgreSQL: a real dev server, worker and API over HTTP, each
test with the gateway fault it needs. Money is read from the gateway's book."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from tests.conftest import fresh_postgres
from tests.e2e.conftest import Party, Stack, party_on, running_stack
from tests.e2e.flows import book, list_item, place_order
from tests.e2e.test_stripe_webhooks import event, signed
from tests.fake_stripe import running_fake_stripe

T = TypeVar("T")


@asynccontextmanager
async def pg_party_with(dev_env: WorkflowEnvironment, **settings: Any) -> AsyncIterator[Party]:
    """A fresh party on a PostgreSQL stack of its own, with `settings` (the fault under test)."""
    with fresh_postgres() as url:
        async with running_stack(dev_env, url, **settings) as stack, party_on(stack) as party:
            yield party


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 60) -> T:
    """Polls `check` until it gives something (bounded): waiting on rows, not on a sleep."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found is not None:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"nothing after {within} s")


async def order_in(client: httpx.AsyncClient, order_id: str, status: str) -> dict[str, Any] | None:
    order: dict[str, Any] = (await client.get(f"/api/orders/{order_id}/")).json()
    return order if order["status"] == status else None


async def buy(party: Party) -> dict[str, Any]:
    """The party's seller lists a car and its buyer orders it: the order."""
    return await place_order(party.buyer, (await list_item(party.seller))["id"])


def card(order_id: str, token: str = "tok_visa") -> dict[str, str]:
    return {"order_id": order_id, "payment_method": "credit_card", "card_token": token}


async def test_stripe_500_after_charging_is_one_charge_and_a_confirmed_order(
    dev_env: WorkflowEnvironment,
) -> None:
    with running_fake_stripe() as (stripe, url):
        async with pg_party_with(
            dev_env, payment_gateway="stripe", stripe_api_key="sk_test_fake", stripe_api_base=url
        ) as party:
            buyer, order = party.buyer, await buy(party)
            paid = await buyer.post("/api/payments/", json=card(order["id"], "tok_processingError"))
            assert paid.status_code == 201, paid.text
            assert paid.json()["status"] == "completed"
            [intent] = [
                i for i in stripe.intents.values() if i["metadata"]["order_id"] == order["id"]
            ]
            assert stripe.created[intent["metadata"]["idempotency_key"]] == 1
            assert intent["amount"] == 152400 and paid.json()["amount"] == "1524.00"
            assert paid.json()["transaction_id"] == intent["id"]
            detail = (await buyer.get(f"/api/orders/{order['id']}/")).json()
            assert detail["status"] == "confirmed"
            events = [line["event"] for line in detail["timeline"]]
            assert events == ["created", "payment_outcome_unknown", "confirmed"]


async def test_a_charge_pending_past_the_window_is_resolved_by_an_admin(
    dev_env: WorkflowEnvironment,
) -> None:
    async with pg_party_with(
        dev_env,
        sandbox_lost_answers=1,
        sandbox_pending_lookups=10**6,
        charge_lookup_window=timedelta(seconds=3),
    ) as party:
        stack, buyer, order = party.stack, party.buyer, await buy(party)
        admin = party.admin
        paid = await buyer.post("/api/payments/", json=card(order["id"]))
        assert (paid.status_code, paid.json()["status"]) == (201, "processing")
        payment_id = paid.json()["id"]

        async def alert() -> dict[str, Any] | None:
            items = (await admin.get("/api/notifications/")).json()["items"]
            return next((n for n in items if n["order_id"] == order["id"]), None)

        found = await eventually(alert)
        assert found["kind"] == "ops_alert"
        assert (await buyer.get(f"/api/payments/{payment_id}/")).json()["status"] == "processing"
        # Only an admin resolves; the buyer is refused and nothing changes.
        refused = await buyer.post(
            f"/api/payments/{payment_id}/resolve/", json={"outcome": "failed", "note": "x"}
        )
        assert refused.status_code == 403
        [charge] = book(stack.settings.database_url, order["id"], "charge")
        resolved = await admin.post(
            f"/api/payments/{payment_id}/resolve/",
            json={"outcome": "succeeded", "transaction_id": "ch_seen_by_ops", "note": "dashboard"},
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "completed"
        assert charge.amount == 1524 and charge.calls == 1
        assert (await buyer.get(f"/api/orders/{order['id']}/")).json()["status"] == "confirmed"
        again = await admin.post(
            f"/api/payments/{payment_id}/resolve/", json={"outcome": "failed", "note": "late"}
        )
        assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")


async def test_a_cancel_during_a_20_s_charge_is_202_at_once_then_exactly_one_refund(
    dev_env: WorkflowEnvironment,
) -> None:
    async with pg_party_with(dev_env, sandbox_delay_before_charge=timedelta(seconds=20)) as party:
        stack, buyer, order = party.stack, party.buyer, await buy(party)
        paying = asyncio.create_task(buyer.post("/api/payments/", json=card(order["id"])))
        await eventually(lambda: _charge_started(stack, order["id"]))
        asked = time.monotonic()
        cancelled = await buyer.post(f"/api/orders/{order['id']}/cancel/", json={"reason": "oops"})
        assert time.monotonic() - asked < 2
        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["status"] == "pending"
        assert "cancel_requested" in [line["event"] for line in cancelled.json()["timeline"]]
        assert (await paying).json()["status"] == "processing"  # answered after 5 s
        final = await eventually(lambda: order_in(buyer, order["id"], "cancelled"), within=60)
        total = final["total_amount"]
        money = [
            (b.kind, str(b.amount), b.status)
            for b in book(stack.settings.database_url, order["id"])
        ]
        assert money == [("charge", total, "succeeded"), ("refund", total, "succeeded")]
        assert final["refunded_amount"] == total
        assert final["payment"]["status"] == "refunded"


async def test_a_webhook_wakes_a_pending_lookup_before_its_timer(
    dev_env: WorkflowEnvironment,
) -> None:
    async with pg_party_with(
        dev_env,
        sandbox_lost_answers=1,
        sandbox_pending_lookups=1,
        charge_lookup_window=timedelta(hours=1),
    ) as party:
        stack, buyer, order = party.stack, party.buyer, await buy(party)
        handle = dev_env.client.get_workflow_handle(order["workflow_id"])
        paid = await buyer.post("/api/payments/", json=card(order["id"]))
        assert paid.json()["status"] == "processing"  # the one lookup said `pending`
        body = json.dumps(event(order["id"])).encode()
        hook = await httpx.AsyncClient(base_url=stack.base_url).post(
            "/api/webhooks/stripe/", content=body, headers=signed(body)
        )
        assert hook.status_code == 200
        await eventually(lambda: order_in(buyer, order["id"], "confirmed"), within=8)
        kinds = [e.event_type for e in (await handle.fetch_history()).events]
        # The 10 s recheck timer was cancelled by the webhook, never fired.
        assert EventType.EVENT_TYPE_TIMER_CANCELED in kinds
        assert EventType.EVENT_TYPE_TIMER_FIRED not in kinds
        [charge] = book(stack.settings.database_url, order["id"], "charge")
        assert (charge.calls, charge.status) == (1, "succeeded")


async def _charge_started(stack: Stack, order_id: str) -> bool | None:
    handle = stack.env.client.get_workflow_handle(f"order-{order_id}")
    described = await handle.describe()
    pending = described.raw_description.pending_activities
    return True if any(p.activity_type.name == "charge" for p in pending) else None
