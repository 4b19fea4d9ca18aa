"""How an order waits in a phase: for a handler to move it on, on a durable timer that a
handler may move (a bank transfer gets days, not minutes), or until Temporal suggests a fresh
history."""

from datetime import datetime
from typing import Literal

from temporalio import workflow

from workflows.order_state import OrderState

with workflow.unsafe.imports_passed_through():
    from domain.order_states import OrderStatus

Waited = Literal["moved", "timeout", "continue"]


def continue_suggested() -> bool:
    return workflow.info().is_continue_as_new_suggested()


async def moved_on_from(order: OrderState, status: OrderStatus) -> Waited:
    """Wait until the order leaves `status`, its deadline passes, or a fresh history is due."""
    while workflow.now() < order.deadline:
        waited = await _changed_before(order, status, order.deadline)
        if waited is not None:
            return waited
    return "timeout"


async def _changed_before(
    order: OrderState, status: OrderStatus, deadline: datetime
) -> Waited | None:
    """What ended the wait; None when the deadline was moved."""
    try:
        await workflow.wait_condition(
            lambda: order.status != status or order.deadline != deadline or continue_suggested(),
            timeout=deadline - workflow.now(),
        )
    except TimeoutError:
        return "timeout"
    if order.status != status:
        return "moved"
    return "continue" if continue_suggested() else None
