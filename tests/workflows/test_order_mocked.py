"""OrderWorkflow with its activities mocked by name (as temporalio/samples-python does): the
orchestration alone, in milliseconds, on the time-skipping server. What each activity was asked
to do is recorded, so the money in the requests is asserted, not only the outcome."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateStage
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from config import Settings
from domain.contracts import (
    NOT_SENT,
    OUTCOME_UNKNOWN,
    AdminAlert,
    Admission,
    BankTransferRequested,
    CancelCommand,
    Cancellation,
    CancelRequested,
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    DeliverCommand,
    GatewayEventSeen,
    NewOrder,
    OrderResult,
    OutcomeUnknown,
    PayCommand,
    PaymentAttempt,
    PaymentCompleted,
    PaymentFailed,
    PaymentOutcome,
    PayoutDue,
    RefundLookup,
    RefundRequest,
    RefundResult,
    RefundSettled,
    ShipCommand,
    Transition,
    WalletCharge,
)
from tests.support import order_input
from workflows.order import OrderWorkflow

TOTAL = Decimal("1524.00")
Calls = list[tuple[str, Any]]


class Gateway:
    """What the mocked gateway answers; tests replace `charge` and `find_charge`."""

    def __init__(self) -> None:
        self.charge: Callable[[ChargeRequest], ChargeResult] = lambda r: ChargeResult(
            transaction_id="ch_1", gateway_response={}
        )
        self.find_charge: Callable[[str], ChargeLookup] = lambda key: ChargeLookup(
            status="not_found"
        )
        self.wallet: Callable[[WalletCharge], PaymentOutcome] = lambda charge: PaymentOutcome(
            payment_id=charge.payment_id, status="completed"
        )
        self.refund: Callable[[RefundRequest], RefundResult] = lambda _request: RefundResult(
            refund_id="re_1", gateway_response={}
        )


def recorded_activity(
    calls: Calls, name: str, arg_type: Any, answer: Callable[[Any], Any] = lambda _a: None
) -> Any:
    """A mock of the activity `name`, typed like the real one so payloads arrive as models;
    each call is recorded in `calls`."""

    async def mock(arg: Any) -> Any:
        calls.append((name, arg))
        return answer(arg)

    mock.__annotations__ = {"arg": arg_type, "return": Any}
    return activity.defn(name=name)(mock)


def mocked_activities(calls: Calls, gateway: Gateway) -> list[Callable[..., Any]]:
    """One mock per activity name of OrderWorkflow."""

    def recorded(name: str, arg_type: Any, answer: Callable[[Any], Any] = lambda _a: None) -> Any:
        return recorded_activity(calls, name, arg_type, answer)

    def admitted(new: NewOrder) -> Admission:
        return Admission(
            accepted=True,
            order_number="ORD-2026-000001",
            buyer_id=new.buyer_id,
            seller_id="seller-1",
            total_amount=TOTAL,
            currency="USD",
        )

    notes = {
        "begin_payment_attempt": PaymentAttempt,
        "request_bank_transfer": BankTransferRequested,
        "complete_payment": PaymentCompleted,
        "note_unknown_outcome": OutcomeUnknown,
        "record_gateway_event": GatewayEventSeen,
        "fail_payment": PaymentFailed,
        "record_transition": Transition,
        "cancel_order": Cancellation,
        "note_cancel_requested": CancelRequested,
        "settle_refund": RefundSettled,
        "alert_admins": AdminAlert,
        "pay_out": PayoutDue,
    }
    return [
        recorded("admit_order", NewOrder, admitted),
        recorded("charge", ChargeRequest, lambda request: gateway.charge(request)),
        recorded("find_charge", str, lambda key: gateway.find_charge(key)),
        recorded("refund", RefundRequest, lambda request: gateway.refund(request)),
        recorded("find_refund", RefundRequest, lambda _r: RefundLookup(status="not_found")),
        recorded("pay_from_wallet", WalletCharge, lambda charge: gateway.wallet(charge)),
        *(recorded(name, arg_type) for name, arg_type in notes.items()),
    ]


@pytest.fixture
async def harness(
    time_env: WorkflowEnvironment,
) -> AsyncIterator[tuple[WorkflowEnvironment, str, Calls, Gateway]]:
    calls: Calls = []
    gateway = Gateway()
    queue = f"mocked-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[OrderWorkflow],
        activities=mocked_activities(calls, gateway),
    ):
        yield time_env, queue, calls, gateway


async def start(env: WorkflowEnvironment, queue: str) -> WorkflowHandle[Any, OrderResult]:
    params = order_input("listing-1", settings=Settings(task_queue=queue))
    handle = await env.client.start_workflow(
        OrderWorkflow.run,
        params,
        id=f"order-{params.order.order_id}",
        task_queue=queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    assert (await handle.execute_update(OrderWorkflow.admitted)).accepted
    return handle


def pay(token: str = "tok_visa") -> PayCommand:
    return PayCommand(
        payment_id="pay-1", payment_method="credit_card", card_token=token, actor="buyer-1"
    )


def names(calls: Calls) -> list[str]:
    return [name for name, _ in calls]


async def test_paid_shipped_delivered_asks_each_step_once(harness: Any) -> None:
    env, queue, calls, _ = harness
    handle = await start(env, queue)
    assert (await handle.execute_update(OrderWorkflow.pay, pay())).status == "completed"
    await handle.execute_update(OrderWorkflow.ship, ShipCommand(tracking_number="1Z", actor="s"))
    await handle.execute_update(OrderWorkflow.deliver, DeliverCommand(actor="buyer-1"))
    assert (await handle.result()).status == "delivered"
    assert names(calls) == [
        "admit_order",
        "begin_payment_attempt",
        "charge",
        "complete_payment",
        "record_transition",
        "record_transition",
        "pay_out",
    ]
    [charge] = [arg for name, arg in calls if name == "charge"]
    assert (charge.amount, charge.currency) == (TOTAL, "USD")
    assert charge.idempotency_key == f"{handle.id}:charge:pay-1:1"
    [payout] = [arg for name, arg in calls if name == "pay_out"]
    # API.md: total minus PLATFORM_FEE_RATE (0.05), rounded half-up to the cent.
    assert (payout.seller_id, payout.plan.amount, payout.plan.fee) == (
        "seller-1",
        Decimal("1447.80"),
        Decimal("76.20"),
    )


async def test_each_step_tells_the_read_model_its_next_timer(harness: Any) -> None:
    env, queue, calls, _ = harness
    handle = await start(env, queue)
    await handle.execute_update(OrderWorkflow.pay, pay())
    await handle.execute_update(OrderWorkflow.ship, ShipCommand(tracking_number="1Z", actor="s"))
    await handle.execute_update(OrderWorkflow.deliver, DeliverCommand(actor="buyer-1"))
    await handle.result()
    settings = Settings()
    [new] = [arg for name, arg in calls if name == "admit_order"]
    [paid] = [arg for name, arg in calls if name == "complete_payment"]
    shipped, delivered = [arg for name, arg in calls if name == "record_transition"]
    [payout] = [arg for name, arg in calls if name == "pay_out"]
    kinds = [(step.deadline.kind if step.deadline else None) for step in (new, paid, shipped)]
    assert kinds == ["payment", "ship", "delivery"]
    assert delivered.deadline is not None and delivered.deadline.kind == "payout"
    assert new.deadline is not None and paid.deadline is not None
    started = (await handle.describe()).start_time
    # Admitted as the workflow started: its payment timer is PAYMENT_TIMEOUT from then.
    assert (
        timedelta(0) <= new.deadline.at - started - settings.payment_timeout < timedelta(seconds=5)
    )
    assert paid.deadline.at - paid.at == settings.ship_timeout
    assert shipped.deadline is not None
    assert shipped.deadline.at - shipped.at == settings.delivery_timeout
    assert delivered.deadline.at - delivered.at == settings.escrow_hold
    # The payout is due when the hold's timer fires, and paid then.
    assert delivered.payout is not None and delivered.payout.at == delivered.deadline.at
    assert payout.at >= delivered.deadline.at


async def test_a_wallet_pays_without_the_gateway_and_a_short_one_leaves_it_pending(
    harness: Any,
) -> None:
    env, queue, calls, gateway = harness
    gateway.wallet = lambda charge: PaymentOutcome(
        payment_id=charge.payment_id, status="failed", error_code="insufficient_funds"
    )
    handle = await start(env, queue)
    by_wallet = PayCommand(payment_id="pay-1", payment_method="wallet", actor="buyer-1")
    outcome = await handle.execute_update(OrderWorkflow.pay, by_wallet)
    assert (outcome.status, outcome.error_code) == ("failed", "insufficient_funds")
    assert await handle.query(OrderWorkflow.status) == "pending"

    gateway.wallet = lambda charge: PaymentOutcome(payment_id=charge.payment_id, status="completed")
    assert (await handle.execute_update(OrderWorkflow.pay, by_wallet)).status == "completed"
    assert await handle.query(OrderWorkflow.status) == "confirmed"
    assert "charge" not in names(calls)
    first, second = [arg for name, arg in calls if name == "pay_from_wallet"]
    assert (first.attempt, second.attempt) == (1, 2)
    assert (second.buyer_id, second.amount, second.currency) == ("buyer-1", TOTAL, "USD")

    await handle.execute_update(
        OrderWorkflow.cancel, CancelCommand(reason="changed mind", actor="buyer-1", role="buyer")
    )
    [cancelled] = [arg for name, arg in calls if name == "cancel_order"]
    # A wallet-paid order goes back to the wallet, never through the gateway.
    assert (cancelled.refund_to_wallet, cancelled.refunded_amount) == (True, TOTAL)
    assert "refund" not in names(calls)
    assert (await handle.result()).status == "cancelled"


async def test_a_decline_fails_the_attempt_with_our_sentence(harness: Any) -> None:
    env, queue, calls, gateway = harness

    def declined(_request: ChargeRequest) -> ChargeResult:
        raise ApplicationError("Do not honor (raw)", type="card_declined", non_retryable=True)

    gateway.charge = declined
    handle = await start(env, queue)
    outcome = await handle.execute_update(OrderWorkflow.pay, pay("tok_chargeDeclined"))
    assert (outcome.status, outcome.error_code) == ("failed", "card_declined")
    [failed] = [arg for name, arg in calls if name == "fail_payment"]
    assert "raw" not in failed.error_message
    assert failed.gateway_response == {
        "error": {"code": "card_declined", "message": "Do not honor (raw)"}
    }
    await handle.terminate("done")


async def test_an_unknown_outcome_is_looked_up_never_resent(harness: Any) -> None:
    env, queue, calls, gateway = harness

    def lost(_request: ChargeRequest) -> ChargeResult:
        raise ApplicationError("read timed out", type=OUTCOME_UNKNOWN, non_retryable=True)

    gateway.charge = lost
    gateway.find_charge = lambda _key: ChargeLookup(
        status="succeeded", result=ChargeResult(transaction_id="ch_found", gateway_response={})
    )
    handle = await start(env, queue)
    assert (await handle.execute_update(OrderWorkflow.pay, pay())).status == "completed"
    assert names(calls).count("charge") == 1
    assert names(calls)[-3:] == ["note_unknown_outcome", "find_charge", "complete_payment"]
    [done] = [arg for name, arg in calls if name == "complete_payment"]
    assert done.transaction_id == "ch_found"
    await handle.terminate("done")


async def test_our_own_error_is_retried_a_bounded_number_of_times(harness: Any) -> None:
    env, queue, calls, gateway = harness

    def broken(_request: ChargeRequest) -> ChargeResult:
        raise ApplicationError("DataError: value too long", type=NOT_SENT)

    gateway.charge = broken
    handle = await start(env, queue)
    paying = await handle.start_update(
        OrderWorkflow.pay, pay(), wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    await env.sleep(timedelta(minutes=5))
    outcome = await paying.result()
    assert (outcome.status, outcome.error_code) == ("failed", "processing_error")
    assert names(calls).count("charge") == 5  # GATEWAY_ATTEMPTS, then asked by key once
    assert names(calls)[-2:] == ["find_charge", "fail_payment"]
    await handle.terminate("done")
