"""kill -9 of the worker around a card charge: the order still completes, charged exactly once.

The worker runs as a real process; the sandbox gateway waits (fault injection) either just
before it books the charge or just after, and the test kills the worker in that moment.
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import WorkflowHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from api import order_flow
from config import Settings
from db.engine import session_scope
from db.migrate import upgrade
from db.tables import Order, Payment
from domain.contracts import NewOrder, PayCommand
from tests.e2e.flows import book
from tests.support import ADDRESS, make_listing
from workflows.order import OrderWorkflow

ROOT = Path(__file__).resolve().parents[2]
TOTAL = Decimal("1524.00")  # make_listing's price and fee


@contextmanager
def worker_process(settings: Settings, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ORDER_ENGINE_DATABASE_URL": settings.database_url,
        "ORDER_ENGINE_TEMPORAL_ADDRESS": settings.temporal_address,
        "ORDER_ENGINE_TASK_QUEUE": settings.task_queue,
        **{f"ORDER_ENGINE_{key.upper()}": value for key, value in extra.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


async def until(condition: object, seconds: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def charge_started(
    handle: WorkflowHandle[Any, Any], seconds: float = 30
) -> PendingActivityInfo:
    """The `charge` activity as the server sees it once a worker has picked it up. Its
    ActivityTaskStarted event reaches the history only when the attempt ends, so a running
    attempt is read from the workflow's pending activities."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        pending = (await handle.describe()).raw_description.pending_activities
        for activity in pending:
            if (
                activity.activity_type.name == "charge"
                and activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            ):
                return activity
        assert asyncio.get_running_loop().time() < deadline, f"no charge started: {pending}"
        await asyncio.sleep(0.05)


async def crash_during_charge(
    dev_env: WorkflowEnvironment, tmp_path: Path, moment: str
) -> tuple[str, str]:
    """Kill the worker at `moment` ("before" or "after" booking); return order id and db url."""
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        task_queue=f"crash-{uuid.uuid4().hex[:8]}",
        temporal_address=dev_env.client.service_client.config.target_host,
        gateway_timeout=timedelta(seconds=3),
    )
    new = NewOrder(
        order_id=str(uuid.uuid4()),
        buyer_id="buyer-crash",
        listing_id=make_listing(url),
        quantity=1,
        shipping_address=ADDRESS,
        tax_rate=settings.tax_rate,
    )
    payment_id = str(uuid.uuid4())
    with worker_process(settings, **{f"sandbox_delay_{moment}_charge": "60s"}) as doomed:
        await order_flow.start_order(dev_env.client, settings, new)
        handle = dev_env.client.get_workflow_handle(f"order-{new.order_id}")
        update = await handle.start_update(
            OrderWorkflow.pay,
            PayCommand(
                payment_id=payment_id,
                payment_method="credit_card",
                card_token="tok_visa",
                actor="buyer-crash",
            ),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        if moment == "after":
            await until(lambda: book(url, new.order_id, "charge") != [])
        else:
            # The doomed worker has started the charge (the server says so), and the sandbox
            # waits inside it: nothing is booked yet.
            started = await charge_started(handle)
            assert started.attempt == 1
            assert started.last_worker_identity.startswith(f"{doomed.pid}@")
            assert book(url, new.order_id, "charge") == []
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    with worker_process(settings):
        outcome = await asyncio.wait_for(update.result(), 90)
    assert outcome.status == "completed"
    with session_scope(url) as session:
        order = session.get(Order, new.order_id)
        assert order is not None and order.status == "confirmed"
        assert session.get(Payment, payment_id).status == "completed"  # type: ignore[union-attr]
    return new.order_id, url


async def test_kill_after_the_charge_was_booked(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    order_id, url = await crash_during_charge(dev_env, tmp_path, "after")
    booked = book(url, order_id, "charge")
    # One charge; the second worker's call found it by its idempotency key.
    assert [(c.amount, c.status, c.calls) for c in booked] == [(TOTAL, "succeeded", 2)]


async def test_kill_before_the_charge(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    order_id, url = await crash_during_charge(dev_env, tmp_path, "before")
    booked = book(url, order_id, "charge")
    assert [(c.amount, c.status, c.calls) for c in booked] == [(TOTAL, "succeeded", 1)]
