"""A busy order continues as new when Temporal suggests it, carrying where it stands, and
completes; the continued run's history replays (recorded beside the others).

Its own dev server, told to suggest continue-as-new after a short history, so that an order
gets there with a few dozen gateway webhooks instead of thousands.
"""

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli import DEV_SERVER_TUNING
from domain.contracts import GatewayEvent
from tests.support import binary, make_listing
from tests.workflows.shop import open_shop, the_order, timeline
from workflows.order import OrderWorkflow
from workflows.order_state import SEEN_EVENTS
from workflows.search_attributes import ALL

SUGGEST_AFTER = 60
HISTORIES = Path(__file__).parents[1] / "histories"
TAG = os.environ.get("ORDER_ENGINE_RECORD_HISTORIES", "")


@pytest.fixture(scope="module")
async def short_history_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=binary("temporal"),
        search_attributes=ALL,
        dev_server_extra_args=[
            *DEV_SERVER_TUNING,
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}",
        ],
    )
    async with env:
        yield env


def webhook(number: int) -> GatewayEvent:
    return GatewayEvent(
        event_id=f"evt_{number:04d}", type="charge.updated", object_id="pi_x", at=datetime.now(UTC)
    )


async def test_a_busy_order_continues_as_new_and_completes(
    short_history_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(short_history_env, sqlite_url, escrow_hold=timedelta(seconds=1)) as shop:
        purchase = await shop.start(make_listing(shop.url))
        assert (await purchase.pay("tok_visa")).status == "completed"
        first_run = purchase.handle.result_run_id
        for number in range(SUGGEST_AFTER // 2):
            await purchase.handle.signal(OrderWorkflow.gateway_event, webhook(number))
        first = short_history_env.client.get_workflow_handle(purchase.handle.id, run_id=first_run)
        for _ in range(200):
            if (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
                break
            await short_history_env.sleep(0.05)
        assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW

        latest = short_history_env.client.get_workflow_handle_for(
            OrderWorkflow.run, purchase.handle.id
        )
        # The continued run remembers which webhooks it saw: a repeat adds nothing, a new one
        # its line (counted once the workflow has finished every handler, below).
        await latest.signal(OrderWorkflow.gateway_event, webhook(0))
        await latest.signal(OrderWorkflow.gateway_event, webhook(SUGGEST_AFTER))
        assert await latest.query(OrderWorkflow.status) == "confirmed"
        started = (await latest.fetch_history()).events[0]
        assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        carried = json.loads(
            started.workflow_execution_started_event_attributes.input.payloads[0].data
        )["carried"]
        assert carried["status"] == "confirmed" and carried["paid"] is not None
        assert 0 < len(carried["gateway_events"]) <= SEEN_EVENTS

        await purchase.ship()
        await purchase.deliver()
        assert (await latest.result()).status == "delivered"
        order = the_order(shop.url, purchase.order_id)
        assert (order.status, order.refunded_amount) == ("delivered", 0)
        heard = [
            e.note for e in timeline(shop.url, purchase.order_id) if e.event.startswith("gateway:")
        ]
        assert len(heard) == SUGGEST_AFTER // 2 + 1
        if TAG:
            target = HISTORIES / f"{TAG}-continued_as_new.json"
            if not target.exists():
                history = await latest.fetch_history()
                text = json.dumps(json.loads(history.to_json()), indent=1, sort_keys=True)
                target.write_text(text + "\n")
