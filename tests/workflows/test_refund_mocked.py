"""Refunds as workflows, with every activity mocked by name (API.md, Refunds; issue 9): the
order's workflow accepts or refuses a request, `refund-{id}` waits for the admin, pays back
exactly once, and the seller's payout waits for it and is computed on what is left."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from config import Settings
from domain.contracts import DeliverCommand, OrderResult, PayCommand, RefundRequest, ShipCommand
from domain.refund_contracts import (
    ApproveCommand,
    CompleteCommand,
    PayoutReleased,
    RefundAsk,
    RefundOpened,
    RefundReminder,
    RefundStep,
    RejectCommand,
)
from tests.workflows.test_order_mocked import TOTAL, Calls, Gateway, mocked_activities, names
from tests.workflows.test_order_mocked import recorded_activity as recorded
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow

SETTINGS = Settings(escrow_hold=timedelta(days=3), refund_review_reminder=timedelta(days=2))


@pytest.fixture
async def harness(time_env: WorkflowEnvironment) -> AsyncIterator[Any]:
    calls: Calls = []
    gateway = Gateway()
    queue = f"refunds-{uuid.uuid4().hex[:8]}"
    refund_steps = {
        "open_refund": RefundOpened,
        "record_refund_step": RefundStep,
        "complete_refund": RefundStep,
        "remind_admins": RefundReminder,
        "release_payout": PayoutReleased,
    }
    activities = [
        *mocked_activities(calls, gateway),
        *(recorded(calls, name, arg_type) for name, arg_type in refund_steps.items()),
    ]
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[OrderWorkflow, RefundWorkflow],
        activities=activities,
    ):
        yield time_env, queue, calls, gateway


async def delivered_order(env: WorkflowEnvironment, queue: str) -> WorkflowHandle[Any, OrderResult]:
    from tests.support import order_input

    params = order_input("listing-1", settings=SETTINGS.model_copy(update={"task_queue": queue}))
    handle = await env.client.start_workflow(
        OrderWorkflow.run, params, id=f"order-{params.order.order_id}", task_queue=queue
    )
    assert (await handle.execute_update(OrderWorkflow.admitted)).accepted
    pay = PayCommand(
        payment_id="pay-1", payment_method="credit_card", card_token="tok_visa", actor="b"
    )
    assert (await handle.execute_update(OrderWorkflow.pay, pay)).status == "completed"
    await handle.execute_update(OrderWorkflow.ship, ShipCommand(tracking_number="1Z", actor="s"))
    await handle.execute_update(OrderWorkflow.deliver, DeliverCommand(actor="buyer-1"))
    return handle


def ask(**fields: Any) -> RefundAsk:
    return RefundAsk(
        refund_id=str(uuid.uuid4()),
        reason="damaged",
        description="scratched",
        actor="buyer-1",
        **fields,
    )


def args(calls: Calls, name: str) -> list[Any]:
    return [arg for called, arg in calls if called == name]


def once(calls: Calls, name: str) -> Any:
    """The one request of a database step. A local activity may run again when its workflow
    task is retried (a completion that raced a new event): each run asks the same thing, but
    for the time it was asked at."""
    asked = args(calls, name)
    same = [arg.model_copy(update={"at": asked[0].at}) for arg in asked] if asked else []
    assert asked and all(arg == asked[0] for arg in same), (name, asked)
    return asked[0]


async def until_asked(calls: Calls, name: str, seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while name not in names(calls):
        assert asyncio.get_running_loop().time() < deadline, f"{name} never asked"
        await asyncio.sleep(0.02)


async def test_half_refunded_by_card_then_the_seller_is_paid_on_the_rest(harness: Any) -> None:
    env, queue, calls, _ = harness
    order = await delivered_order(env, queue)
    opened = await order.execute_update(OrderWorkflow.request_refund, ask(percentage=Decimal(50)))
    assert (opened.amount, opened.route, opened.destination) == (
        Decimal("762.00"),
        "gateway",
        "original_method",
    )
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    approve = ApproveCommand(admin_notes="ok", actor="admin-1")
    assert (
        await refund.execute_update(RefundWorkflow.approve, approve, id="approve-1") == "approved"
    )
    # The same approval sent twice (one update id) is one approval, and refunds once.
    assert (
        await refund.execute_update(RefundWorkflow.approve, approve, id="approve-1") == "approved"
    )
    assert await refund.result() == "completed"
    assert (await order.result()).status == "delivered"

    [gateway_refund] = args(calls, "refund")
    assert isinstance(gateway_refund, RefundRequest)
    assert (gateway_refund.amount, gateway_refund.idempotency_key) == (
        Decimal("762.00"),
        f"refund-{opened.refund_id}",
    )
    done = once(calls, "complete_refund")
    assert (done.status, done.amount, done.route, done.gateway_refund_id) == (
        "completed",
        Decimal("762.00"),
        "gateway",
        "re_1",
    )
    # (1524.00 - 762.00) less 5 %: 723.90 to the seller, 38.10 of fee.
    released = once(calls, "release_payout")
    paid = once(calls, "pay_out")
    assert released.plan == paid.plan
    assert (paid.plan.amount, paid.plan.fee) == (Decimal("723.90"), Decimal("38.10"))
    assert names(calls).index("release_payout") < names(calls).index("pay_out")


async def test_an_open_refund_holds_the_payout_and_a_rejection_moves_nothing(harness: Any) -> None:
    env, queue, calls, _ = harness
    order = await delivered_order(env, queue)
    opened = await order.execute_update(OrderWorkflow.request_refund, ask(amount=Decimal("100.00")))
    # Well past the escrow hold: the payout still waits for the refund.
    await env.sleep(timedelta(days=5))
    assert "pay_out" not in names(calls)
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    # Undecided for 5 days with a 2-day reminder: the admins were reminded twice.
    assert [r.count for r in args(calls, "remind_admins")] == [1, 2]
    reject = RejectCommand(admin_notes="not damaged", actor="admin-1")
    assert await refund.execute_update(RefundWorkflow.reject, reject) == "rejected"
    assert await refund.result() == "rejected"
    assert (await order.result()).status == "delivered"
    assert "refund" not in names(calls) and "complete_refund" not in names(calls)
    paid = once(calls, "pay_out")
    assert (paid.plan.amount, paid.plan.fee) == (Decimal("1447.80"), Decimal("76.20"))


async def test_the_order_refuses_what_api_md_refuses(harness: Any) -> None:
    env, queue, calls, _ = harness
    order = await delivered_order(env, queue)

    async def refused(request: RefundAsk) -> str | None:
        try:
            await order.execute_update(OrderWorkflow.request_refund, request)
        except WorkflowUpdateFailedError as error:
            assert isinstance(error.cause, ApplicationError)
            return error.cause.type
        return None

    assert await refused(ask(amount=TOTAL + Decimal("0.01"))) == "amount_exceeds_refundable"
    first = ask(amount=Decimal("10.00"))
    assert await refused(first) is None
    assert await refused(ask(amount=Decimal("10.00"))) == "refund_already_open"
    # Rejected, the next request is accepted.
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, f"refund-{first.refund_id}")
    await refund.execute_update(RefundWorkflow.reject, RejectCommand(admin_notes="no", actor="a"))
    assert await refund.result() == "rejected"
    second = ask(amount=Decimal("1514.00"))
    assert await refused(second) is None
    assert await refused(ask(amount=Decimal("0.01"))) == "refund_already_open"
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, f"refund-{second.refund_id}")
    await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))
    assert await refund.result() == "completed"
    # 1514.00 refunded: 10.00 is left, and no more than that may be asked.
    assert await refused(ask(amount=Decimal("10.01"))) == "amount_exceeds_refundable"
    assert (await order.result()).status == "delivered"
    [paid] = [arg.plan for name, arg in calls if name == "pay_out"][:1]
    assert (paid.amount, paid.fee) == (Decimal("9.50"), Decimal("0.50"))


async def test_a_full_refund_makes_the_order_refunded_and_pays_out_nothing(harness: Any) -> None:
    env, queue, calls, _ = harness
    order = await delivered_order(env, queue)
    opened = await order.execute_update(OrderWorkflow.request_refund, ask())
    assert opened.amount == TOTAL  # neither amount nor percentage: all that is refundable
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))
    assert await refund.result() == "completed"
    assert (await order.result()).status == "refunded"
    assert "pay_out" not in names(calls)
    released = once(calls, "release_payout")
    assert released.plan is None


async def test_a_refund_the_gateway_refuses_waits_for_an_admin_to_complete_it(
    harness: Any,
) -> None:
    env, queue, calls, gateway = harness

    def refuse(_request: RefundRequest) -> Any:
        raise ApplicationError(
            "charge already refunded", type="charge_already_refunded", non_retryable=True
        )

    gateway.refund = refuse
    order = await delivered_order(env, queue)
    opened = await order.execute_update(OrderWorkflow.request_refund, ask(amount=Decimal("24.00")))
    refund = env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))
    await until_asked(calls, "alert_admins")  # the refusal is before the admins
    by_hand = CompleteCommand(admin_notes="wired back", actor="admin-1")
    assert await refund.execute_update(RefundWorkflow.complete, by_hand) == "completed"
    assert await refund.result() == "completed"
    steps = [(s.status, s.route) for s in args(calls, "record_refund_step")]
    assert steps == [("approved", None), ("processing", None), ("processing", None)]
    done = once(calls, "complete_refund")
    assert (done.route, done.actor, done.gateway_refund_id) == ("manual", "admin-1", None)
    assert any(
        alert.key.startswith("refund_refused:refund-") for alert in args(calls, "alert_admins")
    )
    assert (await order.result()).status == "delivered"
