"""Review: a refund that ends while the order's delivery is being recorded.

OrderWorkflow._deliver computes the payout plan from `order.refunded` before its
record_transition step and sets `order.payout` after it; refund_ended, arriving meanwhile,
adds the refund to `order.refunded` but, the order still `shipped` and `payout` still None,
plans nothing anew. The stale plan (the whole order's) is then paid to the seller after the
hold, though escrow holds only what the refund left: the seller is paid for refunded money."""

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

from domain.contracts import DeliverCommand, PayCommand, ShipCommand, Transition
from domain.refund_contracts import (
    ApproveCommand,
    PayoutReleased,
    RefundOpened,
    RefundReminder,
    RefundStep,
)
from tests.workflows.test_order_mocked import Calls, Gateway, mocked_activities, names
from tests.workflows.test_order_mocked import recorded_activity as recorded
from tests.workflows.test_refund_mocked import SETTINGS, ask
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow


def _name(fn: Any) -> str:
    return str(activity._Definition.must_from_callable(fn).name)


@pytest.fixture
async def slow_delivery(time_env: WorkflowEnvironment) -> AsyncIterator[Any]:
    calls: Calls = []
    gateway = Gateway()
    release, delivering = asyncio.Event(), asyncio.Event()
    queue = f"review-{uuid.uuid4().hex[:8]}"

    @activity.defn(name="record_transition")
    async def record_transition(transition: Transition) -> None:
        calls.append(("record_transition", transition))
        if transition.status == "delivered":
            delivering.set()
            await release.wait()  # e.g. the order's row locked by another step for a while

    steps = {
        "open_refund": RefundOpened,
        "record_refund_step": RefundStep,
        "complete_refund": RefundStep,
        "remind_admins": RefundReminder,
        "release_payout": PayoutReleased,
    }
    activities = [
        *(a for a in mocked_activities(calls, gateway) if _name(a) != "record_transition"),
        record_transition,
        *(recorded(calls, name, arg_type) for name, arg_type in steps.items()),
    ]
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[OrderWorkflow, RefundWorkflow],
        activities=activities,
    ):
        yield time_env, queue, calls, release, delivering


async def test_a_refund_ending_during_the_delivery_lowers_the_payout(
    slow_delivery: Any,
) -> None:
    from tests.support import order_input

    env, queue, calls, release, delivering = slow_delivery
    settings = SETTINGS.model_copy(
        update={"task_queue": queue, "escrow_hold": timedelta(seconds=1)}
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
    request = ask(amount=Decimal("100.00"), destination="wallet")
    opened = await order.execute_update(OrderWorkflow.request_refund, request)

    delivery = asyncio.create_task(
        order.execute_update(OrderWorkflow.deliver, DeliverCommand(actor="buyer-1"))
    )
    await asyncio.wait_for(delivering.wait(), timeout=10)
    # The admin approves the refund while the delivery is being recorded; to the wallet, it
    # completes at once and tells the order.
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))
    assert await refund.result() == "completed"
    await asyncio.sleep(2)  # the local activity's task heartbeat brings the signal in
    release.set()
    await delivery
    assert (await order.result()).status == "delivered"
    assert "complete_refund" in names(calls)
    [paid] = [arg for name, arg in calls if name == "pay_out"]
    # (1524.00 - 100.00) less 5 %: 1352.80 to the seller, 71.20 of fee.
    assert (paid.plan.amount, paid.plan.fee) == (Decimal("1352.80"), Decimal("71.20")), paid.plan
