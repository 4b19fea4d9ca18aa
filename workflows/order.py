"""OrderWorkflow: one order from creation to delivery or cancellation.

Transitions run one at a time under a lock, but nothing holds it while the gateway thinks: a
charge runs outside it, and a cancel or a timeout that arrives meanwhile is recorded
(`cancel_requested`) and carried out as soon as the charge's outcome is known.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

# Passed through like the rest: modules without state, loaded once instead of for every run.
with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities
    from domain.contracts import (
        CANCEL_REQUESTED,
        INVALID_TRANSITION,
        PAYMENT_IN_PROGRESS,
        Admission,
        BankTransferCommand,
        BankTransferRequested,
        CancelCommand,
        Cancellation,
        CancelRequested,
        CarriedState,
        ChargeRequest,
        ChargeResult,
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
        RefundResult,
        RefundSettled,
        ResolveCommand,
        ShipCommand,
        Transition,
    )
    from domain.order_states import InvalidTransition, OrderAction, OrderStatus, Role, next_status
    from domain.summary import order_summary
    from workflows import search_attributes as sa
    from workflows.gateway_conversation import GatewayConversation, Refusal, publish_payment
    from workflows.step_options import db_step

SYSTEM = "system"
DEFAULT_BANK_TRANSFER_TIMEOUT = timedelta(days=3)
# Gateway event ids remembered to drop repeats: enough for any order, bounded for the history.
SEEN_EVENTS = 200
Waited = Literal["moved", "timeout", "continue"]


def invalid_transition(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID_TRANSITION, non_retryable=True)


@workflow.defn
class OrderWorkflow:
    @workflow.init
    def __init__(self, params: OrderInput) -> None:
        self._params = params
        self._order_id = params.order.order_id
        self._lock = asyncio.Lock()
        self._gateway = GatewayConversation(self._order_id, params.timeouts)
        self._admission: Admission | None = None
        self._status: OrderStatus | None = None
        self._charging = False
        self._attempts: dict[str, int] = {}
        self._paid: PaymentCompleted | None = None
        self._bank_transfer: str | None = None
        self._gateway_events: dict[str, None] = {}
        self._deadline = datetime.max.replace(tzinfo=UTC)
        self._cancel_request: CancelCommand | None = None
        self._refund_pending: RefundRequest | None = None

    @workflow.run
    async def run(self, params: OrderInput) -> OrderResult:
        if params.carried is not None:
            self._restore(params.carried)
        else:
            self._admission = await db_step(OrderActivities.admit_order, params.order)
            if not self._admission.accepted:
                workflow.upsert_search_attributes([sa.ORDER_STATUS.value_set("rejected")])
                return OrderResult(status="rejected", reason=self._admission.reason)
            self._status = OrderStatus.PENDING
            self._publish()
        # A continued run goes on in the phase it carried, with the deadline it carried.
        resumed_in = self._status if params.carried is not None else None
        # Each phase waits for a handler to move the order on, on a durable timer.
        await self._phase(
            OrderStatus.PENDING, params.timeouts.payment, self._payment_timed_out, resumed_in
        )
        await self._phase(
            OrderStatus.CONFIRMED, params.timeouts.ship, self._seller_did_not_ship, resumed_in
        )
        await self._phase(
            OrderStatus.SHIPPED, params.timeouts.delivery, self._delivery_assumed, resumed_in
        )
        if self._refund_pending is not None:
            await self._settle_pending_refund(self._refund_pending)
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._status is not None
        return OrderResult(status=self._status.value)

    @workflow.signal
    async def gateway_event(self, event: GatewayEvent) -> None:
        """A webhook from the gateway: on the timeline, and it wakes a waiting lookup."""
        if self._admission is None or event.event_id in self._gateway_events:
            return
        self._gateway_events[event.event_id] = None
        while len(self._gateway_events) > SEEN_EVENTS:
            del self._gateway_events[next(iter(self._gateway_events))]
        self._gateway.heard()
        await db_step(
            OrderActivities.record_gateway_event,
            GatewayEventSeen(order_id=self._order_id, event=event),
        )
        if event.type == "charge.dispute.created":
            await self._alert(
                f"dispute:{event.object_id}",
                "A payment is disputed",
                f"The buyer disputed the charge ({event.object_id}): {event.detail or 'no reason'}",
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
            self._charging = True
            try:
                request, attempt = await self._begin_charge(command)
            except BaseException:
                self._charging = False
                raise
        try:
            result = await self._gateway.charge(request, attempt)
            async with self._lock:
                outcome = await self._settle_charge(command, attempt, result)
                self._charging = False
                await self._carry_out_requested_cancel()
        finally:
            self._charging = False
        return outcome

    @pay.validator
    def _validate_pay(self, command: PayCommand) -> None:
        self._check(OrderAction.PAY)

    @workflow.update
    async def resolve_payment(self, command: ResolveCommand) -> str:
        """An admin settles a charge whose outcome the gateway could not tell."""
        self._gateway.resolve(command)
        # Settled once the charge's handler has recorded it (and any cancel it carries out).
        await workflow.wait_condition(lambda: not self._charging and not self._lock.locked())
        return self._status_value()

    @resolve_payment.validator
    def _validate_resolve(self, command: ResolveCommand) -> None:
        if self._gateway.unknown_payment != command.payment_id:
            raise invalid_transition("This payment's outcome is known; there is nothing to resolve")

    @workflow.update
    async def request_bank_transfer(self, command: BankTransferCommand) -> PaymentOutcome:
        """The buyer will wire the money: the payment waits, the deadline becomes days."""
        async with self._lock:
            self._check(OrderAction.PAY)
            timeout = self._params.timeouts.bank_transfer or DEFAULT_BANK_TRANSFER_TIMEOUT
            due = workflow.now() + timeout
            await self._begin_attempt(command.payment_id, "bank_transfer", "offline")
            await db_step(
                OrderActivities.request_bank_transfer,
                BankTransferRequested(
                    order_id=self._order_id,
                    payment_id=command.payment_id,
                    account=command.account,
                    due=due,
                    actor=command.actor,
                    at=workflow.now(),
                ),
            )
            self._bank_transfer = command.payment_id
            # The buyer is shown a due date: the order waits until that day is over.
            end_of_day = workflow.patched("bank-transfer-end-of-due-date")
            self._deadline = (
                datetime.combine(due.date(), time(23, 59, 59), UTC) if end_of_day else due
            )
            publish_payment("pending")
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
        """The order's new status, or CANCEL_REQUESTED when a charge in flight must end first."""
        async with self._lock:
            self._check_cancel(command)
            if self._charging:
                await self._request_cancel(command)
                return CANCEL_REQUESTED
            await self._cancel(command.reason, command.actor)
            return self._status_value()

    @cancel.validator
    def _validate_cancel(self, command: CancelCommand) -> None:
        self._check_cancel(command)

    # Checks

    def _check(self, action: OrderAction, role: Role = Role.SYSTEM) -> None:
        if self._status is None:
            raise invalid_transition("the order is not created yet")
        in_progress = self._charging or (self._bank_transfer and action is OrderAction.PAY)
        if in_progress and action in (OrderAction.PAY, OrderAction.CONFIRM):
            raise ApplicationError(
                "a payment for this order is already in progress",
                type=PAYMENT_IN_PROGRESS,
                non_retryable=True,
            )
        try:
            next_status(self._status, action, role)
        except InvalidTransition as error:
            raise invalid_transition(str(error)) from None

    def _check_cancel(self, command: CancelCommand) -> None:
        self._check(OrderAction.CANCEL, Role(command.role))
        # DELETE of an order: only while it is surely unpaid, never by refunding it.
        if command.unpaid_only and self._paid is not None:
            raise invalid_transition("the order was paid meanwhile")
        if command.unpaid_only and self._charging:
            raise ApplicationError(
                "a payment for this order is in progress; cancel it instead",
                type=PAYMENT_IN_PROGRESS,
                non_retryable=True,
            )

    def _status_value(self) -> str:
        assert self._status is not None
        return self._status.value

    # Waiting

    async def _moved_on_from(self, status: OrderStatus) -> Waited:
        """Wait, on a durable timer, for a handler to move the order out of `status` before
        the deadline; a handler may move the deadline (a bank transfer gets days, not minutes)."""
        while workflow.now() < self._deadline:
            waited = await self._changed_before(status, self._deadline)
            if waited is not None:
                return waited
        return "timeout"

    async def _changed_before(self, status: OrderStatus, deadline: datetime) -> Waited | None:
        """What ended the wait; None when the deadline was moved."""
        try:
            await workflow.wait_condition(
                lambda: (
                    self._status != status
                    or self._deadline != deadline
                    or self._continue_suggested()
                ),
                timeout=deadline - workflow.now(),
            )
        except TimeoutError:
            return "timeout"
        if self._status != status:
            return "moved"
        return "continue" if self._continue_suggested() else None

    async def _phase(
        self,
        status: OrderStatus,
        lasts: timedelta,
        on_timeout: Callable[[], Awaitable[None]],
        resumed_in: OrderStatus | None,
    ) -> None:
        """The order waits in `status` until a handler moves it on; at the deadline,
        `on_timeout` moves it."""
        if self._status != status:
            return
        if status != resumed_in:
            self._deadline = workflow.now() + lasts
        while self._status == status:
            waited = await self._moved_on_from(status)
            if waited == "continue":
                await self._continue_as_new()
            elif waited == "timeout":
                await self._timed_out(status, on_timeout)

    async def _timed_out(
        self, waited_in: OrderStatus, on_timeout: Callable[[], Awaitable[None]]
    ) -> None:
        async with self._lock:
            if self._status != waited_in or workflow.now() < self._deadline:
                return  # a handler moved the order or its deadline while the timer fired
            await on_timeout()
        if self._cancel_request is not None and self._status == waited_in:
            # A charge is in flight: its handler carries the cancel out once it ends.
            await workflow.wait_condition(lambda: self._status != waited_in)

    async def _payment_timed_out(self) -> None:
        """Unpaid at the deadline (bank transfer: the end of its due date): cancelled."""
        if self._charging:
            await self._request_cancel(
                CancelCommand(reason="payment_timeout", actor=SYSTEM, role=Role.SYSTEM)
            )
        else:
            await self._cancel("payment_timeout", SYSTEM)

    async def _seller_did_not_ship(self) -> None:
        """Paid but not shipped in time: cancelled, and the buyer refunded in full."""
        await self._cancel("seller_did_not_ship", SYSTEM)

    async def _delivery_assumed(self) -> None:
        """Shipped and never confirmed: taken as delivered."""
        await self._deliver(SYSTEM, note="delivery_timeout")

    # Continue-as-new

    def _continue_suggested(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

    async def _continue_as_new(self) -> None:
        """A long or busy order starts a fresh history, carrying where it stands, once no
        handler and no charge is running."""
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and not self._charging
        )
        workflow.continue_as_new(self._params.model_copy(update={"carried": self._carry()}))

    def _carry(self) -> CarriedState:
        assert self._admission is not None and self._status is not None
        return CarriedState(
            admission=self._admission,
            status=self._status.value,
            deadline=self._deadline,
            attempts=self._attempts,
            paid=self._paid,
            bank_transfer=self._bank_transfer,
            gateway_events=list(self._gateway_events),
            refund_pending=self._refund_pending,
        )

    def _restore(self, carried: CarriedState) -> None:
        self._admission = carried.admission
        self._status = OrderStatus(carried.status)
        self._deadline = carried.deadline
        self._attempts = dict(carried.attempts)
        self._paid = carried.paid
        self._bank_transfer = carried.bank_transfer
        self._gateway_events = dict.fromkeys(carried.gateway_events)
        self._refund_pending = carried.refund_pending
        self._describe()

    # Charging

    async def _begin_charge(self, command: PayCommand) -> tuple[ChargeRequest, int]:
        assert self._admission is not None
        attempt = await self._begin_attempt(
            command.payment_id, command.payment_method, self._params.gateway
        )
        publish_payment("processing")
        request = ChargeRequest(
            payment_id=command.payment_id,
            order_id=self._order_id,
            idempotency_key=f"order-{self._order_id}:charge:{command.payment_id}:{attempt}",
            amount=self._admission.total_amount,
            currency=self._admission.currency,
            card_token=command.card_token or "",
            description=f"Order {self._admission.order_number}",
        )
        return request, attempt

    async def _settle_charge(
        self, command: PayCommand, attempt: int, result: ChargeResult | Refusal
    ) -> PaymentOutcome:
        if isinstance(result, Refusal):
            publish_payment("failed")
            await db_step(
                OrderActivities.fail_payment,
                PaymentFailed(
                    order_id=self._order_id,
                    payment_id=command.payment_id,
                    attempt=attempt,
                    error_code=result.code,
                    error_message=result.message,
                    at=workflow.now(),
                    gateway_response=result.gateway_response,
                ),
            )
            return PaymentOutcome(
                payment_id=command.payment_id,
                status="failed",
                error_code=result.code,
                error_message=result.message,
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

    async def _begin_attempt(self, payment_id: str, method: str, gateway: str) -> int:
        assert self._admission is not None
        attempt = self._attempts.get(payment_id, 0) + 1
        self._attempts[payment_id] = attempt
        await db_step(
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
        )
        return attempt

    async def _complete(self, done: PaymentCompleted) -> None:
        await db_step(OrderActivities.complete_payment, done)
        self._paid = done
        self._status = OrderStatus.CONFIRMED
        self._publish()
        publish_payment("completed")

    # Fulfilment and cancellation

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
        await db_step(OrderActivities.record_transition, transition)
        self._status = status
        self._publish()

    async def _request_cancel(self, command: CancelCommand) -> None:
        if self._cancel_request is not None:
            return  # the first request's reason stands
        self._cancel_request = command
        await db_step(
            OrderActivities.note_cancel_requested,
            CancelRequested(
                order_id=self._order_id,
                reason=command.reason,
                actor=command.actor,
                at=workflow.now(),
            ),
        )

    async def _carry_out_requested_cancel(self) -> None:
        """Called under the lock once the charge's outcome is known."""
        command, self._cancel_request = self._cancel_request, None
        if command is not None:
            await self._cancel(command.reason, command.actor)

    async def _cancel(self, reason: str, actor: str) -> None:
        assert self._admission is not None
        refund: RefundResult | None = None
        refund_error: str | None = None
        if self._paid is not None and not self._paid.transaction_id:
            # Offline (bank transfer) money goes back by hand: say so, loudly, on the order.
            refund_error = "manual_refund_required"
        if self._paid is not None and self._paid.transaction_id:
            request = RefundRequest(
                payment_id=self._paid.payment_id,
                idempotency_key=f"order-{self._order_id}:cancel-refund",
                transaction_id=self._paid.transaction_id,
                amount=self._admission.total_amount,
                currency=self._admission.currency,
            )
            answer = await self._gateway.refund(request)
            if isinstance(answer, Refusal):
                # The gateway refused for good: the order is still cancelled and its stock
                # released, and the refusal is on the timeline and before the admins.
                refund_error = answer.code
                workflow.logger.error("refund refused for order %s: %s", self._order_id, answer.raw)
                if workflow.patched("alert-admins-on-refused-refund"):
                    await self._alert(
                        f"refund_refused:{request.idempotency_key}",
                        "A refund was refused",
                        f"The gateway refused the refund of {request.amount} "
                        f"{request.currency} ({answer.code}: {answer.raw}); refund it by hand.",
                    )
            elif answer.status == "pending":
                self._refund_pending = request
                refund_error = "refund_pending"
            else:
                refund = answer
        refunded = self._admission.total_amount if refund is not None else Decimal("0.00")
        await db_step(
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
        )
        self._status = OrderStatus.CANCELLED
        self._publish()
        if refund is not None:
            publish_payment("refunded")

    async def _settle_pending_refund(self, request: RefundRequest) -> None:
        """The gateway took the refund but has not sent it yet: the payment is `refunded` only
        once it says the money went back; if it fails, the admins are told."""
        answer = await self._gateway.refund_settled(request)
        self._refund_pending = None
        if isinstance(answer, Refusal):
            await self._alert(
                f"refund_failed:{request.idempotency_key}",
                "A refund failed",
                f"The refund of {request.amount} {request.currency} failed at the gateway "
                f"({answer.raw}); the payment stays as it was: refund it by hand.",
            )
            return
        await db_step(
            OrderActivities.settle_refund,
            RefundSettled(
                order_id=self._order_id,
                payment_id=request.payment_id,
                refund=answer,
                amount=request.amount,
                at=workflow.now(),
            ),
        )
        publish_payment("refunded")

    async def _alert(self, key: str, title: str, body: str) -> None:
        await self._gateway.alert(key, title, body)

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
        self._describe()

    def _describe(self) -> None:
        """The order's line in the UI (current details): set, not a command, so the history and
        its replay are untouched."""
        assert self._admission is not None and self._status is not None
        admission = self._admission
        line = order_summary(
            admission.order_number, admission.total_amount, admission.currency, admission.item_name
        )
        workflow.set_current_details(f"{line}\n\nstatus: {self._status.value}")
