"""OrderWorkflow: one order from creation to delivery or cancellation.

Every transition runs under one lock, so a cancel that arrives while a charge is in flight
waits for the charge's outcome and then refunds it, instead of racing it.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

# Passed through like the rest: modules without state, loaded once instead of for every run.
with workflow.unsafe.imports_passed_through():
    from activities.gateway import GatewayActivities
    from activities.orders import OrderActivities
    from domain.order_states import InvalidTransition, OrderAction, OrderStatus, Role, next_status
    from workflows import search_attributes as sa
    from workflows.contracts import (
        Admission,
        BankTransferCommand,
        BankTransferRequested,
        CancelCommand,
        Cancellation,
        ChargeRequest,
        DeliverCommand,
        GatewayEvent,
        GatewayEventSeen,
        OfflinePaymentCommand,
        OrderInput,
        OrderResult,
        PayCommand,
        PaymentAttempt,
        PaymentCompleted,
        PaymentFailed,
        PaymentOutcome,
        RefundRequest,
        ShipCommand,
        Transition,
    )
    from workflows.gateway_conversation import GatewayConversation
    from workflows.step_options import DB_RETRY, GATEWAY_RETRY, STEP_TIMEOUT

SYSTEM = "system"
DEFAULT_BANK_TRANSFER_TIMEOUT = timedelta(days=3)


def invalid_transition(error: InvalidTransition) -> ApplicationError:
    return ApplicationError(str(error), type="invalid_transition", non_retryable=True)


@workflow.defn
class OrderWorkflow(GatewayConversation):
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._admission: Admission | None = None
        self._status: OrderStatus | None = None
        self._charging = False
        self._attempts: dict[str, int] = {}
        self._paid: PaymentCompleted | None = None
        self._bank_transfer: str | None = None
        self._gateway_events: set[str] = set()
        self._deadline = datetime.max.replace(tzinfo=UTC)

    @workflow.run
    async def run(self, params: OrderInput) -> OrderResult:
        self._params = params
        self._order_id = params.order.order_id
        self._admission = await workflow.execute_local_activity_method(
            OrderActivities.admit_order,
            params.order,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        if not self._admission.accepted:
            workflow.upsert_search_attributes([sa.ORDER_STATUS.value_set("rejected")])
            return OrderResult(status="rejected", reason=self._admission.reason)
        self._status = OrderStatus.PENDING
        self._publish()
        timeouts = {
            OrderStatus.PENDING: params.timeouts.payment,
            OrderStatus.CONFIRMED: params.timeouts.ship,
            OrderStatus.SHIPPED: params.timeouts.delivery,
        }
        waiting_in = None
        while self._status in timeouts:
            if self._status != waiting_in:
                waiting_in = self._status
                self._deadline = workflow.now() + timeouts[waiting_in]
            if not await self._moved_on_from(waiting_in):
                await self._on_timeout(waiting_in)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return OrderResult(status=self._status.value)

    @workflow.signal
    async def gateway_event(self, event: GatewayEvent) -> None:
        """A webhook from the gateway: on the timeline, and it wakes a pending charge's lookup."""
        if self._admission is None or event.event_id in self._gateway_events:
            return
        self._gateway_events.add(event.event_id)
        await workflow.execute_local_activity_method(
            OrderActivities.record_gateway_event,
            GatewayEventSeen(order_id=self._order_id, event=event),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )

    @workflow.query
    def status(self) -> str | None:
        return self._status.value if self._status else None

    @workflow.update
    async def admitted(self) -> Admission:
        """Answers once the order row exists (or was refused): the API's create waits on it."""
        await workflow.wait_condition(lambda: self._admission is not None)
        assert self._admission is not None
        return self._admission

    # Payment

    @workflow.update
    async def pay(self, command: PayCommand) -> PaymentOutcome:
        async with self._lock:
            self._check(OrderAction.PAY)
            return await self._charge(command)

    @pay.validator
    def _validate_pay(self, command: PayCommand) -> None:
        self._check(OrderAction.PAY)

    @workflow.update
    async def request_bank_transfer(self, command: BankTransferCommand) -> PaymentOutcome:
        """The buyer will wire the money: the payment waits, the deadline becomes days."""
        async with self._lock:
            self._check(OrderAction.PAY)
            assert self._admission is not None
            timeout = self._params.timeouts.bank_transfer or DEFAULT_BANK_TRANSFER_TIMEOUT
            due = workflow.now() + timeout
            await self._begin_attempt(command.payment_id, "bank_transfer", "offline")
            await workflow.execute_local_activity_method(
                OrderActivities.request_bank_transfer,
                BankTransferRequested(
                    order_id=self._order_id,
                    payment_id=command.payment_id,
                    account=command.account,
                    due=due,
                    actor=command.actor,
                    at=workflow.now(),
                ),
                start_to_close_timeout=STEP_TIMEOUT,
                retry_policy=DB_RETRY,
            )
            self._bank_transfer = command.payment_id
            self._deadline = due
            self._publish_payment("pending")
            return PaymentOutcome(payment_id=command.payment_id, status="pending")

    @request_bank_transfer.validator
    def _validate_bank_transfer(self, command: BankTransferCommand) -> None:
        self._check(OrderAction.PAY)

    @workflow.update
    async def confirm_offline_payment(self, command: OfflinePaymentCommand) -> str:
        async with self._lock:
            self._check(OrderAction.CONFIRM)
            # The admin records the money of the transfer the buyer asked for, if there is one.
            payment_id = self._bank_transfer or command.payment_id
            if self._bank_transfer is None:
                await self._begin_attempt(payment_id, "bank_transfer", "offline")
            await self._complete(
                PaymentCompleted(
                    order_id=self._order_id,
                    payment_id=payment_id,
                    transaction_id=None,
                    gateway_response=None,
                    actor=command.actor,
                    at=workflow.now(),
                )
            )
            return self._status_value()

    @confirm_offline_payment.validator
    def _validate_confirm(self, command: OfflinePaymentCommand) -> None:
        self._check(OrderAction.CONFIRM)

    # Fulfilment

    @workflow.update
    async def ship(self, command: ShipCommand) -> str:
        async with self._lock:
            self._check(OrderAction.SHIP)
            await self._transition(
                OrderStatus.SHIPPED,
                Transition(
                    order_id=self._order_id,
                    status="shipped",
                    event="shipped",
                    actor=command.actor,
                    at=workflow.now(),
                    note=command.carrier,
                    tracking_number=command.tracking_number,
                    tracking_url=command.tracking_url,
                    carrier=command.carrier,
                ),
            )
            return self._status_value()

    @ship.validator
    def _validate_ship(self, command: ShipCommand) -> None:
        self._check(OrderAction.SHIP)

    @workflow.update
    async def deliver(self, command: DeliverCommand) -> str:
        async with self._lock:
            self._check(OrderAction.DELIVER)
            await self._deliver(command.actor, note=None)
            return self._status_value()

    @deliver.validator
    def _validate_deliver(self, command: DeliverCommand) -> None:
        self._check(OrderAction.DELIVER)

    @workflow.update
    async def cancel(self, command: CancelCommand) -> str:
        async with self._lock:
            self._check(OrderAction.CANCEL, Role(command.role))
            if command.unpaid_only and self._paid is not None:
                raise ApplicationError(
                    "the order was paid meanwhile", type="invalid_transition", non_retryable=True
                )
            await self._cancel(command.reason, command.actor)
            return self._status_value()

    @cancel.validator
    def _validate_cancel(self, command: CancelCommand) -> None:
        self._check(OrderAction.CANCEL, Role(command.role))

    # Steps

    def _check(self, action: OrderAction, role: Role = Role.SYSTEM) -> None:
        if self._status is None:
            raise ApplicationError(
                "the order is not created yet", type="invalid_transition", non_retryable=True
            )
        if (self._charging or self._bank_transfer) and action is OrderAction.PAY:
            raise ApplicationError(
                "a payment for this order is already in progress",
                type="payment_in_progress",
                non_retryable=True,
            )
        try:
            next_status(self._status, action, role)
        except InvalidTransition as error:
            raise invalid_transition(error) from None

    def _status_value(self) -> str:
        assert self._status is not None
        return self._status.value

    async def _moved_on_from(self, status: OrderStatus) -> bool:
        """Wait, on a durable timer, for a handler to move the order out of `status` before
        the deadline; a handler may move the deadline (a bank transfer gets days, not minutes)."""
        while workflow.now() < self._deadline:
            if await self._changed_before(status, self._deadline):
                return True
        return False

    async def _changed_before(self, status: OrderStatus, deadline: datetime) -> bool:
        """True when the status changed, False when the deadline passed or was moved."""
        try:
            await workflow.wait_condition(
                lambda: self._status != status or self._deadline != deadline,
                timeout=deadline - workflow.now(),
            )
        except TimeoutError:
            return False
        return self._status != status

    async def _on_timeout(self, waited_in: OrderStatus) -> None:
        async with self._lock:
            if self._status != waited_in or workflow.now() < self._deadline:
                return  # a handler moved the order or its deadline while the timer fired
            if waited_in is OrderStatus.PENDING:
                await self._cancel("payment_timeout", SYSTEM)
            elif waited_in is OrderStatus.CONFIRMED:
                await self._cancel("seller_did_not_ship", SYSTEM)
            else:
                await self._deliver(SYSTEM, note="delivery_timeout")

    async def _charge(self, command: PayCommand) -> PaymentOutcome:
        assert self._admission is not None
        self._charging = True
        try:
            attempt = await self._begin_attempt(
                command.payment_id, command.payment_method, self._params.gateway
            )
            self._publish_payment("processing")
            request = ChargeRequest(
                payment_id=command.payment_id,
                order_id=self._order_id,
                idempotency_key=f"order-{self._order_id}:charge:{command.payment_id}:{attempt}",
                amount=self._admission.total_amount,
                currency=self._admission.currency,
                card_token=command.card_token or "",
                description=f"Order {self._admission.order_number}",
            )
            result = await self._charge_until_known(request, attempt)
            if isinstance(result, ApplicationError):
                cause = result
                self._publish_payment("failed")
                await workflow.execute_local_activity_method(
                    OrderActivities.fail_payment,
                    PaymentFailed(
                        order_id=self._order_id,
                        payment_id=command.payment_id,
                        attempt=attempt,
                        error_code=cause.type or "payment_refused",
                        error_message=cause.message,
                        at=workflow.now(),
                    ),
                    start_to_close_timeout=STEP_TIMEOUT,
                    retry_policy=DB_RETRY,
                )
                return PaymentOutcome(
                    payment_id=command.payment_id,
                    status="failed",
                    error_code=cause.type or "payment_refused",
                    error_message=cause.message,
                )
            await self._complete(
                PaymentCompleted(
                    order_id=self._order_id,
                    payment_id=command.payment_id,
                    transaction_id=result.transaction_id,
                    gateway_response=result.gateway_response,
                    actor=command.actor,
                    at=workflow.now(),
                )
            )
            return PaymentOutcome(payment_id=command.payment_id, status="completed")
        finally:
            self._charging = False

    async def _begin_attempt(self, payment_id: str, method: str, gateway: str) -> int:
        assert self._admission is not None
        attempt = self._attempts.get(payment_id, 0) + 1
        self._attempts[payment_id] = attempt
        await workflow.execute_local_activity_method(
            OrderActivities.begin_payment_attempt,
            PaymentAttempt(
                order_id=self._order_id,
                payment_id=payment_id,
                payment_method=method,
                gateway=gateway,
                amount=self._admission.total_amount,
                currency=self._admission.currency,
                attempt=attempt,
            ),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        return attempt

    async def _complete(self, done: PaymentCompleted) -> None:
        await workflow.execute_local_activity_method(
            OrderActivities.complete_payment,
            done,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._paid = done
        self._status = OrderStatus.CONFIRMED
        self._publish()
        self._publish_payment("completed")

    async def _deliver(self, actor: str, note: str | None) -> None:
        await self._transition(
            OrderStatus.DELIVERED,
            Transition(
                order_id=self._order_id,
                status="delivered",
                event="delivered",
                actor=actor,
                at=workflow.now(),
                note=note,
            ),
        )

    async def _transition(self, status: OrderStatus, transition: Transition) -> None:
        await workflow.execute_local_activity_method(
            OrderActivities.record_transition,
            transition,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._status = status
        self._publish()

    async def _cancel(self, reason: str, actor: str) -> None:
        assert self._admission is not None
        refund, refund_error = None, None
        if self._paid is not None and not self._paid.transaction_id:
            # Offline (bank transfer) money goes back by hand: say so, loudly, on the order.
            refund_error = "manual_refund_required"
        if self._paid is not None and self._paid.transaction_id:
            try:
                refund = await workflow.execute_activity_method(
                    GatewayActivities.refund,
                    RefundRequest(
                        payment_id=self._paid.payment_id,
                        idempotency_key=f"order-{self._order_id}:cancel-refund",
                        transaction_id=self._paid.transaction_id,
                        amount=self._admission.total_amount,
                        currency=self._admission.currency,
                    ),
                    start_to_close_timeout=self._gateway_timeout(),
                    retry_policy=GATEWAY_RETRY,
                )
            except ActivityError as error:
                # The gateway refused for good: the order is still cancelled and its stock
                # released, and the refusal is on the timeline and in the log for a person.
                if not isinstance(error.cause, ApplicationError):
                    raise
                refund_error = error.cause.type or "refund_refused"
                workflow.logger.error(
                    "refund refused for order %s: %s", self._order_id, error.cause.message
                )
        refunded = self._admission.total_amount if refund is not None else Decimal("0.00")
        await workflow.execute_local_activity_method(
            OrderActivities.cancel_order,
            Cancellation(
                order_id=self._order_id,
                reason=reason,
                actor=actor,
                at=workflow.now(),
                refund=refund,
                refunded_amount=refunded,
                refund_error=refund_error,
            ),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._status = OrderStatus.CANCELLED
        self._publish()
        if refund is not None:
            self._publish_payment("refunded")

    def _publish(self) -> None:
        """Mirror the order into its search attributes so ops can find it in the UI."""
        assert self._admission is not None and self._status is not None
        workflow.upsert_search_attributes(
            [
                sa.ORDER_STATUS.value_set(self._status.value),
                sa.ORDER_NUMBER.value_set(self._admission.order_number or ""),
                sa.BUYER_ID.value_set(self._admission.buyer_id),
                sa.SELLER_ID.value_set(self._admission.seller_id),
                sa.ORDER_TOTAL.value_set(float(self._admission.total_amount)),
            ]
        )
