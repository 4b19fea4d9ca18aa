"""Review: a refund request that is being opened when the escrow hold's timer fires.

OrderWorkflow._hold_escrow checks `order.open_refund` when the timer fires, but
OrderRefunds.open sets `open_refund` only after its `open_refund` step returns, and
_hold_escrow then waits for the lock the request holds and pays the seller without checking
again: the seller is paid the full plan while the refund is open (escrow goes negative when
the refund completes). The same gap exists in _timed_out (a cancel on a timeout refunds the
whole order while the refund that raced it refunds again)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.contracts import DeliverCommand, PayCommand, ShipCommand
from domain.refund_contracts import (
    PayoutReleased,
    RefundOpened,
    RefundReminder,
    RefundStep,
    RejectCommand,
)
from tests.workflows.test_order_mocked import Calls, Gateway, mocked_activities, names
from tests.workflows.test_order_mocked import recorded_activity as recorded
from tests.workflows.test_refund_mocked import SETTINGS, ask, until_asked
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow


@pytest.fixture
async def slow_open(time_env: WorkflowEnvironment) -> AsyncIterator[Any]:
    calls: Calls = []
    gateway = Gateway()
    release = asyncio.Event()
    queue = f"review-{uuid.uuid4().hex[:8]}"

    @activity.defn(name="open_refund")
    async def open_refund(opened: RefundOpened) -> None:
        calls.append(("open_refund", opened))
        await release.wait()  # e.g. the order's row locked by another step for a while

    steps = {
        "record_refund_step": RefundStep,
        "complete_refund": RefundStep,
        "remind_admins": RefundReminder,
        "release_payout": PayoutReleased,
    }
    activities = [
        *mocked_activities(calls, gateway),
        open_refund,
        *(recorded(calls, name, arg_type) for name, arg_type in steps.items()),
    ]
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[OrderWorkflow, RefundWorkflow],
        activities=activities,
    ):
        yield time_env, queue, calls, release


async def test_a_refund_opened_as_the_hold_ends_still_holds_the_payout(slow_open: Any) -> None:
    from tests.support import order_input

    env, queue, calls, release = slow_open
    settings = SETTINGS.model_copy(
        update={"task_queue": queue, "escrow_hold": timedelta(seconds=2)}
    )
    params = order_input("listing-1", settings=settings)
    order = await env.client.start_workflow(
        OrderWorkflow.run,
        params,
        id=f"order-{params.order.order_id}",
        task_queue=queue,
        # Short workflow tasks: a long local activity heartbeats its task sooner.
        task_timeout=timedelta(seconds=1),
    )
    assert (await order.execute_update(OrderWorkflow.admitted)).accepted
    pay = PayCommand(
        payment_id="pay-1", payment_method="credit_card", card_token="tok_visa", actor="b"
    )
    assert (await order.execute_update(OrderWorkflow.pay, pay)).status == "completed"
    await order.execute_update(OrderWorkflow.ship, ShipCommand(tracking_number="1Z", actor="s"))
    await order.execute_update(OrderWorkflow.deliver, DeliverCommand(actor="buyer-1"))

    request = asyncio.create_task(
        order.execute_update(OrderWorkflow.request_refund, ask(amount=Decimal("100.00")))
    )
    await until_asked(calls, "open_refund")
    # The escrow hold (2 s) ends while the request's step runs; the local activity's task
    # heartbeat brings the timer in.
    await asyncio.sleep(4)
    release.set()
    opened = await request
    await asyncio.sleep(2)
    paid_during_refund = "pay_out" in names(calls)
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    if not paid_during_refund:
        reject = RejectCommand(admin_notes="no", actor="admin-1")
        await refund.execute_update(RefundWorkflow.reject, reject)
        await order.result()
    else:
        await refund.terminate("review test")
    paid = [arg.plan for name, arg in calls if name == "pay_out"]
    assert not paid_during_refund, f"the seller was paid {paid} while the refund was open"


async def test_a_refund_opened_as_the_ship_deadline_ends_is_not_refunded_twice(
    slow_open: Any,
) -> None:
    from tests.support import order_input

    env, queue, calls, release = slow_open
    settings = SETTINGS.model_copy(
        update={"task_queue": queue, "ship_timeout": timedelta(seconds=2)}
    )
    params = order_input("listing-1", settings=settings)
    order = await env.client.start_workflow(
        OrderWorkflow.run,
        params,
        id=f"order-{params.order.order_id}",
        task_queue=queue,
        task_timeout=timedelta(seconds=1),
    )
    assert (await order.execute_update(OrderWorkflow.admitted)).accepted
    pay = PayCommand(
        payment_id="pay-1", payment_method="credit_card", card_token="tok_visa", actor="b"
    )
    assert (await order.execute_update(OrderWorkflow.pay, pay)).status == "completed"

    request = asyncio.create_task(
        order.execute_update(OrderWorkflow.request_refund, ask(amount=Decimal("100.00")))
    )
    await until_asked(calls, "open_refund")
    await asyncio.sleep(4)  # the ship deadline (2 s) passes while the request's step runs
    release.set()
    opened = await request
    await asyncio.sleep(2)
    cancelled = [arg for name, arg in calls if name == "cancel_order"]
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    if not cancelled:
        reject = RejectCommand(admin_notes="no", actor="admin-1")
        await refund.execute_update(RefundWorkflow.reject, reject)
        # Decided, the refund lets the ship deadline act: the order is cancelled (and refunded).
        assert (await order.result()).status == "cancelled"
    else:
        await refund.terminate("review test")
    # The cancel gave back everything (1524.00) while the 100.00 refund is open: both pay.
    assert not cancelled, f"cancelled with a full refund while a refund was open: {cancelled}"
