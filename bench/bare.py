"""A bare twin of OrderWorkflow: the same activities, updates, timers and search-attribute
upserts, with activities that do nothing, down to the escrow hold after delivery and the payout
that ends the workflow. What it sustains is the ceiling Temporal itself allows on this machine;
the real lifecycle is measured against it.

Kept light on purpose: the sandbox re-imports this module for every workflow run.
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa

STEP = timedelta(seconds=30)
# The escrow hold of the benchmark: the worker of the real lifecycle gets the same
# (ORDER_ENGINE_ESCROW_HOLD, bench/stack.py), so both wait it out after delivery.
ESCROW_HOLD = timedelta(milliseconds=200)
# The states that wait on a timer in OrderWorkflow (payment, ship, delivery timeouts); after
# `delivered` the escrow hold, then the payout, then the workflow ends.
TIMEOUTS = {
    "pending": timedelta(minutes=30),
    "confirmed": timedelta(days=7),
    "shipped": timedelta(days=14),
}


@activity.defn
async def admit_order(order_id: str) -> str:
    return order_id


@activity.defn
async def begin_payment_attempt(order_id: str) -> None:
    return None


@activity.defn
async def charge(order_id: str) -> str:
    return f"ch_{order_id}"


@activity.defn
async def complete_payment(order_id: str) -> None:
    return None


@activity.defn
async def record_transition(order_id: str) -> None:
    return None


@activity.defn
async def pay_out(order_id: str) -> None:
    return None


ACTIVITIES = [
    admit_order,
    begin_payment_attempt,
    charge,
    complete_payment,
    record_transition,
    pay_out,
]


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._order_id = ""
        self._status: str | None = None
        self._payout_at: datetime | None = None

    @workflow.run
    async def run(self, order_id: str) -> str:
        self._order_id = order_id
        await workflow.execute_local_activity(admit_order, order_id, start_to_close_timeout=STEP)
        self._set("pending")
        while self._status in TIMEOUTS:
            await self._leave(self._status)
        if self._status == "delivered":
            await self._hold_escrow()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status or ""

    async def _leave(self, state: str) -> None:
        try:
            await workflow.wait_condition(lambda: self._status != state, timeout=TIMEOUTS[state])
        except TimeoutError:
            self._set("cancelled")

    async def _hold_escrow(self) -> None:
        """As OrderWorkflow._hold_escrow: a durable timer until the payout's deadline (set when
        the delivery was handled; no timer if it has passed), then one local activity under the
        lock."""
        assert self._payout_at is not None
        if workflow.now() < self._payout_at:
            await workflow.sleep(self._payout_at - workflow.now())
        async with self._lock:
            await workflow.execute_local_activity(
                pay_out, self._order_id, start_to_close_timeout=STEP
            )

    @workflow.update
    async def admitted(self) -> str:
        await workflow.wait_condition(lambda: self._status is not None)
        return self._status or ""

    @workflow.update
    async def pay(self) -> str:
        async with self._lock:
            await workflow.execute_local_activity(
                begin_payment_attempt, self._order_id, start_to_close_timeout=STEP
            )
            await workflow.execute_activity(charge, self._order_id, start_to_close_timeout=STEP)
            await workflow.execute_local_activity(
                complete_payment, self._order_id, start_to_close_timeout=STEP
            )
            self._set("confirmed")
            return "completed"

    @workflow.update
    async def ship(self) -> str:
        return await self._transition("shipped")

    @workflow.update
    async def deliver(self) -> str:
        # OrderWorkflow._deliver: the hold starts when the delivery is handled.
        self._payout_at = workflow.now() + ESCROW_HOLD
        return await self._transition("delivered")

    async def _transition(self, status: str) -> str:
        async with self._lock:
            await workflow.execute_local_activity(
                record_transition, self._order_id, start_to_close_timeout=STEP
            )
            self._set(status)
            return status

    def _set(self, status: str) -> None:
        self._status = status
        workflow.upsert_search_attributes(
            [
                sa.ORDER_STATUS.value_set(status),
                sa.ORDER_NUMBER.value_set(f"BARE-{self._order_id}"),
                sa.BUYER_ID.value_set("bare-buyer"),
                sa.SELLER_ID.value_set("bare-seller"),
                sa.ORDER_TOTAL.value_set(1524.0),
            ]
        )
