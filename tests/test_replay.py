"""Every recorded history in tests/histories/ must replay on today's OrderWorkflow.

A failure here means a change to workflows/ would break orders already running: gate the
change with `workflow.patched()` instead. tests/workflows/test_record_histories.py records them.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

# The sandbox re-imports this module for the workflow defined below: keep that cheap.
with workflow.unsafe.imports_passed_through():
    import pytest

    from activities.gateway import GatewayActivities
    from activities.orders import OrderActivities
    from domain.contracts import Cancellation, OrderInput, OrderResult, RefundRequest
    from domain.order_states import OrderStatus
    from workflows.order import OrderWorkflow

HISTORIES = Path(__file__).parent / "histories"
RECORDED = sorted(HISTORIES.glob("*.json"))
STEP = timedelta(seconds=30)
ENDS = ("delivered", "payment_timeout", "ship_timeout_refund")


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())


def replayer(workflow_class: type) -> Replayer:
    return Replayer(workflows=[workflow_class], data_converter=pydantic_data_converter)


def test_the_histories_cover_the_three_ends_of_an_order() -> None:
    assert {path.stem for path in RECORDED} >= set(ENDS)


@pytest.mark.parametrize("path", RECORDED, ids=lambda path: path.stem)
async def test_recorded_history_replays_deterministically(path: Path) -> None:
    current = replayer(OrderWorkflow)
    replayed = await current.replay_workflow(load(path), raise_on_replay_failure=False)
    assert replayed.replay_failure is None


@workflow.defn(name="OrderWorkflow")
class CancelBeforeRefund(OrderWorkflow):
    """A careless edit: the order row is cancelled first, the card refunded after."""

    @workflow.run
    async def run(self, params: OrderInput) -> OrderResult:
        return await super().run(params)

    async def _cancel(self, reason: str, actor: str) -> None:
        order = self._order
        refunded = order.admitted.total_amount if order.paid else Decimal("0.00")
        await workflow.execute_local_activity_method(
            OrderActivities.cancel_order,
            Cancellation(
                order_id=self._order_id,
                reason=reason,
                actor=actor,
                at=workflow.now(),
                refunded_amount=refunded,
            ),
            start_to_close_timeout=STEP,
        )
        if order.paid is not None and order.paid.transaction_id:
            await workflow.execute_activity_method(
                GatewayActivities.refund,
                RefundRequest(
                    payment_id=order.paid.payment_id,
                    idempotency_key=f"order-{self._order_id}:cancel-refund",
                    transaction_id=order.paid.transaction_id,
                    amount=refunded,
                    currency=order.admitted.currency,
                ),
                start_to_close_timeout=STEP,
            )
        order.status = OrderStatus.CANCELLED
        order.publish()


async def test_replayer_catches_a_reordered_compensation() -> None:
    changed = replayer(CancelBeforeRefund)

    # The edit does not touch an unpaid cancel, so that history still replays...
    unpaid = await changed.replay_workflow(load(HISTORIES / "payment_timeout.json"))
    assert unpaid.replay_failure is None
    # ...but a paid order's refund now comes second, which its history contradicts.
    refunded = await changed.replay_workflow(
        load(HISTORIES / "ship_timeout_refund.json"), raise_on_replay_failure=False
    )
    assert isinstance(refunded.replay_failure, workflow.NondeterminismError)
