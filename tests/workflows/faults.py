"""Helpers for the gateway-fault tests: a shop on Stripe, what the workflow published, and
the admins' inbox."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from db.engine import session_scope
from db.tables import Notification
from domain.contracts import PayCommand, PaymentOutcome
from services.notifications import ADMINS, MESSAGES
from tests.fake_stripe import FakeStripe, running_fake_stripe
from tests.workflows.shop import Handle, Purchase, Shop, open_shop
from workflows.order import OrderWorkflow


async def payment_statuses(handle: Handle) -> list[str]:
    """Every PaymentStatus the workflow published, in order: what ops saw in the UI."""
    history = await handle.fetch_history()
    published = []
    for event in history.events:
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            if "PaymentStatus" in fields.indexed_fields:
                published.append(json.loads(fields.indexed_fields["PaymentStatus"].data))
    return published


async def start_paying(
    purchase: Purchase, token: str = "tok_visa", payment_id: str = "pay-1"
) -> WorkflowUpdateHandle[PaymentOutcome]:
    """The pay update, accepted but not awaited: its charge is in flight when this returns."""
    command = PayCommand(
        payment_id=payment_id, payment_method="credit_card", card_token=token, actor="buyer-1"
    )
    return await purchase.handle.start_update(
        OrderWorkflow.pay, command, wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )


async def activity_started(handle: Handle, activity: str, times: int = 1) -> None:
    """Waits (bounded) until the history shows `activity` started `times` times."""
    for _ in range(300):
        history = await handle.fetch_history()
        scheduled = {
            e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        started = [
            e
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and scheduled.get(e.activity_task_started_event_attributes.scheduled_event_id)
            == activity
        ]
        described = await handle.describe()
        running = [
            p
            for p in described.raw_description.pending_activities
            if p.activity_type.name == activity
        ]
        if len(started) + len(running) >= times:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{activity} never started {times} time(s)")


def admin_alerts(url: str, order_id: str) -> list[Notification]:
    with session_scope(url) as session:
        # Alerts, not the order's own events that admins hear of too.
        query = select(Notification).where(
            Notification.user_id == ADMINS,
            Notification.order_id == order_id,
            Notification.kind.not_in(MESSAGES),
        )
        return list(session.scalars(query))


@asynccontextmanager
async def stripe_shop(
    env: WorkflowEnvironment, database_url: str
) -> AsyncIterator[tuple[FakeStripe, Shop]]:
    """A worker whose gateway is Stripe, answered by the local fake."""
    with running_fake_stripe() as (stripe, url):
        async with open_shop(
            env,
            database_url,
            payment_gateway="stripe",
            stripe_api_key="sk_test_fake",
            stripe_api_base=url,
        ) as shop:
            yield stripe, shop
