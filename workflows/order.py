"""OrderWorkflow: one order from creation to delivery or cancellation.

Transitions run one at a time under a lock, but nothing holds it while the gateway thinks: a
charge runs outside it, and a cancel or a timeout that arrives meanwhile is recorded
(`cancel_requested`) and carried out as soon as the charge's outcome is known.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

# Passed through like the rest: modules without state, loaded once instead of for every run.
with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities
    from activities.refunds import RefundActivities
    from domain.contracts import (
        CANCEL_REQUESTED,
        DISCOUNT_INVALID,
        Admission,
        BankTransferCommand,
        CancelCommand,
        Cancellation,
        CancelRequested,
        DeliverCommand,
        DiscountApplied,
        DiscountCommand,
        GatewayEvent,
        GatewayEventSeen,
        OfflinePaymentCommand,
        OrderInput,
        OrderResult,
        PayCommand,
        PaymentOutcome,
        PayoutDue,
        PayoutPlan,
        RefundRequest,
        RefundSettled,
        ResolveCommand,
        ShipCommand,
        Transition,
    )
    from domain.order_states import OrderAction, OrderStatus, Role
    from domain.payout import payout_plan
    from domain.refund_contracts import PayoutReleased, RefundAsk, RefundEnded, RefundOpened
    from workflows import search_attributes as sa
    from workflows.cancel_refund import pending_refund_settled, refund_on_cancel
    from workflows.gateway_conversation import GatewayConversation, publish_payment
    from workflows.order_checks import check, check_cancel, check_discount, invalid_transition
    from workflows.order_payments import WALLET, OrderPayments
    from workflows.order_refunds import OrderRefunds
    from workflows.order_state import OrderState, due_in
    from workflows.order_waits import moved_on_from
    from workflows.step_options import db_step

SYSTEM = "system"
DEFAULT_BANK_TRANSFER_TIMEOUT = timedelta(days=3)
DEFAULT_ESCROW_HOLD = timedelta(days=3)
# Orders delivered before this change ended at delivery; since, they go on to the payout.
ESCROW_PAYOUT = "escrow-payout"


@workflow.defn
class OrderWorkflow:
    @workflow.init
    def __init__(self, params: OrderInput) -> None:
        self._params = params
        self._order_id = params.order.order_id
        self._lock = asyncio.Lock()
        self._gateway = GatewayConversation(self._order_id, params.timeouts)
        # A continued run goes on where the run before it stood.
        carried = params.carried
        self._order = OrderState.restored(carried) if carried is not None else OrderState()
        self._payments = OrderPayments(self._order_id, self._order, params.gateway, params.timeouts)
        self._refunds = OrderRefunds(self._order_id, self._order, params)

    @workflow.run
    async def run(self, params: OrderInput) -> OrderResult:
        order = self._order
        if params.carried is not None:
            order.describe()
        else:
            payment_due = due_in("payment", params.timeouts.payment)
            new = params.order.model_copy(update={"deadline": payment_due})
            order.admission = await db_step(OrderActivities.admit_order, new)
            if not order.admission.accepted:
                workflow.upsert_search_attributes([sa.ORDER_STATUS.value_set("rejected")])
                return OrderResult(status="rejected", reason=order.admission.reason)
            order.enter(OrderStatus.PENDING, payment_due)
            order.publish()
        # Each phase lasts until a handler moves the order on, or its timer runs out; a
        # continued run goes on in the phase it carried, with the deadline it carried.
        await self._phase(OrderStatus.PENDING, self._payment_timed_out)
        await self._phase(OrderStatus.CONFIRMED, self._seller_did_not_ship)
        await self._phase(OrderStatus.SHIPPED, self._delivery_assumed)
        if order.status is OrderStatus.DELIVERED and order.payout is not None:
            await self._hold_escrow()
        if order.refund_pending is not None:
            await self._settle_pending_refund(order.refund_pending)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return OrderResult(status=order.current.value)

    @workflow.signal
    async def gateway_event(self, event: GatewayEvent) -> None:
        """A webhook from the gateway: on the timeline, and it wakes a waiting lookup."""
        if self._order.admission is None or not self._order.first_sight(event.event_id):
            return
        self._gateway.heard()
        await db_step(
            OrderActivities.record_gateway_event,
            GatewayEventSeen(order_id=self._order_id, event=event),
        )
        if event.type == "charge.dispute.created":
            await self._gateway.alert(
                f"dispute:{event.object_id}",
                "A payment is disputed",
                f"The buyer disputed the charge ({event.object_id}): {event.detail or 'no reason'}",
            )

    @workflow.query
    def status(self) -> str | None:
        return self._order.status.value if self._order.status else None

    @workflow.update
    async def admitted(self) -> Admission:
        """Answers once the order row exists (or was refused): the API's create waits on it."""
        await workflow.wait_condition(lambda: self._order.admission is not None)
        return self._order.admitted

    # Payment

    @workflow.update
    async def pay(self, command: PayCommand) -> PaymentOutcome:
        order = self._order
        if command.payment_method == WALLET:
            async with self._lock:
                check(order, OrderAction.PAY)
                return await self._payments.pay_from_wallet(command)
        async with self._lock:
            check(self._order, OrderAction.PAY)
            order.charging = True
            try:
                request, attempt = await self._payments.begin_charge(command)
            except BaseException:
                order.charging = False
                raise
        try:
            result = await self._gateway.charge(request, attempt)
            async with self._lock:
                outcome = await self._payments.settle_charge(command, attempt, result)
                order.charging = False
                await self._carry_out_requested_cancel()
        finally:
            order.charging = False
        return outcome

    @pay.validator
    def _validate_pay(self, command: PayCommand) -> None:
        check(self._order, OrderAction.PAY)

    @workflow.update
    async def resolve_payment(self, command: ResolveCommand) -> str:
        """An admin settles a charge whose outcome the gateway could not tell."""
        self._gateway.resolve(command)
        # Settled once the charge's handler has recorded it (and any cancel it carries out).
        await workflow.wait_condition(lambda: not self._order.charging and not self._lock.locked())
        return self._order.current.value

    @resolve_payment.validator
    def _validate_resolve(self, command: ResolveCommand) -> None:
        if self._gateway.unknown_payment != command.payment_id:
            raise invalid_transition("This payment's outcome is known; there is nothing to resolve")

    @workflow.update
    async def request_bank_transfer(self, command: BankTransferCommand) -> PaymentOutcome:
        """The buyer will wire the money: the payment waits, the deadline becomes days."""
        async with self._lock:
            check(self._order, OrderAction.PAY)
            lasts = self._params.timeouts.bank_transfer or DEFAULT_BANK_TRANSFER_TIMEOUT
            return await self._payments.request_bank_transfer(command, lasts)

    @request_bank_transfer.validator
    def _validate_bank_transfer(self, command: BankTransferCommand) -> None:
        check(self._order, OrderAction.PAY)

    @workflow.update
    async def confirm_offline_payment(self, command: OfflinePaymentCommand) -> str:
        async with self._lock:
            check(self._order, OrderAction.CONFIRM)
            await self._payments.confirm_offline(command)
            return self._order.current.value

    @confirm_offline_payment.validator
    def _validate_confirm(self, command: OfflinePaymentCommand) -> None:
        check(self._order, OrderAction.CONFIRM)

    # Discounts

    @workflow.update
    async def apply_discount(self, command: DiscountCommand) -> str:
        """The buyer applies a code: its use is reserved and the order re-totalled; the next
        charge takes the new total."""
        async with self._lock:
            check_discount(self._order)
            applied = DiscountApplied(
                order_id=self._order_id,
                code=command.code,
                tax_rate=self._params.order.tax_rate,
                actor=command.actor,
                at=workflow.now(),
            )
            admission = await db_step(OrderActivities.apply_discount, applied)
            if not admission.accepted:
                raise ApplicationError(
                    f"the discount code cannot be used: {admission.discount_reason}",
                    {"reason": admission.discount_reason},
                    type=DISCOUNT_INVALID,
                    non_retryable=True,
                )
            self._order.admission = admission
            self._order.publish()
            return self._order.current.value

    @apply_discount.validator
    def _validate_discount(self, command: DiscountCommand) -> None:
        check_discount(self._order)

    # Refunds

    @workflow.update
    async def request_refund(self, ask: RefundAsk) -> RefundOpened:
        """The buyer asks for money back: accepted here (or refused with API.md's code) and
        carried out by the refund's own workflow; the seller's payout waits for it."""
        async with self._lock:
            return await self._refunds.open(ask)

    @request_refund.validator
    def _validate_refund(self, ask: RefundAsk) -> None:
        self._refunds.check(ask)

    @workflow.signal
    async def refund_ended(self, ended: RefundEnded) -> None:
        """From `refund-{id}`: the refund is over; a delivered order's payout is planned anew
        on what is left."""
        if not self._refunds.ended(ended):
            return
        order = self._order
        if order.payout is None or order.status not in (
            OrderStatus.DELIVERED,
            OrderStatus.REFUNDED,
        ):
            return
        plan = self._payout_plan(order.payout.at) if order.status is OrderStatus.DELIVERED else None
        order.payout = plan
        released = PayoutReleased(order_id=self._order_id, plan=plan, at=workflow.now())
        await db_step(RefundActivities.release_payout, released)

    # Fulfilment

    @workflow.update
    async def ship(self, command: ShipCommand) -> str:
        async with self._lock:
            check(self._order, OrderAction.SHIP)
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
                    deadline=due_in("delivery", self._params.timeouts.delivery),
                ),
            )
            return self._order.current.value

    @ship.validator
    def _validate_ship(self, command: ShipCommand) -> None:
        check(self._order, OrderAction.SHIP)

    @workflow.update
    async def deliver(self, command: DeliverCommand) -> str:
        async with self._lock:
            check(self._order, OrderAction.DELIVER)
            await self._deliver(command.actor, note=None)
            return self._order.current.value

    @deliver.validator
    def _validate_deliver(self, command: DeliverCommand) -> None:
        check(self._order, OrderAction.DELIVER)

    @workflow.update
    async def cancel(self, command: CancelCommand) -> str:
        """The order's new status, or CANCEL_REQUESTED when a charge in flight must end first."""
        async with self._lock:
            check_cancel(self._order, command)
            if self._order.charging:
                await self._request_cancel(command)
                return CANCEL_REQUESTED
            await self._cancel(command.reason, command.actor)
            return self._order.current.value

    @cancel.validator
    def _validate_cancel(self, command: CancelCommand) -> None:
        check_cancel(self._order, command)

    # Phases: each waits for a handler to move the order on, on a durable timer.

    async def _phase(self, status: OrderStatus, on_timeout: Callable[[], Awaitable[None]]) -> None:
        """The order waits in `status` until a handler moves it on; at the deadline (set as
        the order entered `status`), `on_timeout` moves it."""
        order = self._order
        while order.status == status:
            waited = await moved_on_from(order, status)
            if waited == "continue":
                await self._continue_as_new()
            elif waited == "timeout":
                await self._timed_out(status, on_timeout)

    async def _timed_out(
        self, waited_in: OrderStatus, on_timeout: Callable[[], Awaitable[None]]
    ) -> None:
        order = self._order
        # An open refund is decided before a timeout acts (a cancel would refund it twice).
        await workflow.wait_condition(
            lambda: order.open_refund is None or order.status != waited_in
        )
        async with self._lock:
            if (
                order.status != waited_in
                or workflow.now() < order.deadline
                or order.open_refund is not None
            ):
                # A handler moved the order or its deadline while the timer fired, or opened a
                # refund, which is decided first.
                return
            await on_timeout()
        if order.cancel_request is not None and order.status == waited_in:
            # A charge is in flight: its handler carries the cancel out once it ends.
            await workflow.wait_condition(lambda: order.status != waited_in)

    async def _payment_timed_out(self) -> None:
        """Unpaid at the deadline: cancelled. A bank transfer's invoice first goes overdue at
        the end of its due date, and the order is cancelled when its grace is over."""
        # An order started before the grace existed keeps the rule it was started under.
        grace = self._params.timeouts.bank_transfer_grace or timedelta(0)
        if await self._payments.went_overdue(grace):
            return
        if self._order.charging:
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

    async def _hold_escrow(self) -> None:
        """Delivered: the money stays in escrow until the hold's deadline, then the seller is
        paid and the order's workflow ends."""
        order = self._order
        while order.status is OrderStatus.DELIVERED:
            waited = await moved_on_from(order, OrderStatus.DELIVERED)
            if waited == "continue":
                await self._continue_as_new()
            elif waited == "timeout" and order.open_refund is not None:
                # An open refund holds the payout until it ends (a full one ends the order).
                await workflow.wait_condition(
                    lambda: order.open_refund is None or order.status is not OrderStatus.DELIVERED
                )
            elif waited == "timeout":
                async with self._lock:
                    # A refund opened while this waited for the lock holds the payout too.
                    if order.open_refund is not None:
                        continue
                    await self._pay_seller()
                return

    async def _pay_seller(self) -> None:
        assert self._order.payout is not None
        # Planned now, on what refunds left: one may have ended since the delivery's plan.
        plan = self._payout_plan(self._order.payout.at)
        due = PayoutDue(
            order_id=self._order_id,
            seller_id=self._order.admitted.seller_id,
            plan=plan,
            at=workflow.now(),
        )
        await db_step(OrderActivities.pay_out, due)
        self._order.payout = None
        self._order.paid_out = True

    async def _continue_as_new(self) -> None:
        """A long or busy order starts a fresh history, carrying where it stands, once no
        handler and no charge is running."""
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and not self._order.charging
        )
        carried = self._order.carry()
        workflow.continue_as_new(self._params.model_copy(update={"carried": carried}))

    # Fulfilment and cancellation

    async def _deliver(self, actor: str, note: str | None) -> None:
        payout_due, plan = None, None
        if workflow.patched(ESCROW_PAYOUT):
            # The money stays in escrow for ESCROW_HOLD, then the seller is paid.
            payout_due = due_in("payout", self._params.timeouts.escrow_hold or DEFAULT_ESCROW_HOLD)
            plan = self._payout_plan(payout_due.at)
        await self._transition(
            OrderStatus.DELIVERED,
            Transition(
                order_id=self._order_id,
                status="delivered",
                event="delivered",
                actor=actor,
                at=workflow.now(),
                note=note,
                deadline=payout_due,
                payout=plan,
            ),
        )
        self._order.payout = plan

    def _payout_plan(self, at: datetime) -> PayoutPlan:
        """The seller's share of what was not refunded, and the platform's fee on it."""
        admission = self._order.admitted
        return payout_plan(
            admission.total_amount,
            self._order.refunded,
            self._params.platform_fee_rate,
            admission.currency,
            at,
        )

    async def _transition(self, status: OrderStatus, transition: Transition) -> None:
        await db_step(OrderActivities.record_transition, transition)
        self._order.enter(status, transition.deadline)
        self._order.publish()

    async def _request_cancel(self, command: CancelCommand) -> None:
        if self._order.cancel_request is not None:
            return  # the first request's reason stands
        self._order.cancel_request = command
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
        command, self._order.cancel_request = self._order.cancel_request, None
        if command is not None:
            await self._cancel(command.reason, command.actor)

    async def _cancel(self, reason: str, actor: str) -> None:
        order = self._order
        admission = order.admitted
        left = admission.total_amount - order.refunded
        money = await refund_on_cancel(self._gateway, self._order_id, admission, order.paid, left)
        if money.pending is not None:
            order.refund_pending = money.pending
        await db_step(
            OrderActivities.cancel_order,
            Cancellation(
                order_id=self._order_id,
                reason=reason,
                actor=actor,
                at=workflow.now(),
                refund=money.refund,
                refunded_amount=order.admitted.total_amount if money.done else Decimal("0.00"),
                refund_error=money.error,
                refund_to_wallet=money.to_wallet,
            ),
        )
        order.status = OrderStatus.CANCELLED
        order.publish()
        if money.done:
            publish_payment("refunded")

    async def _settle_pending_refund(self, request: RefundRequest) -> None:
        """The gateway took the refund but has not sent it yet: the payment is `refunded` only
        once it says the money went back."""
        refund = await pending_refund_settled(self._gateway, request)
        self._order.refund_pending = None
        if refund is None:
            return
        await db_step(
            OrderActivities.settle_refund,
            RefundSettled(
                order_id=self._order_id,
                payment_id=request.payment_id,
                refund=refund,
                amount=request.amount,
                at=workflow.now(),
            ),
        )
        publish_payment("refunded")
