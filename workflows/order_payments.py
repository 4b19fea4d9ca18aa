"""The payment records of one order: its attempts, a charge's request and outcome, a bank
transfer's wait, and the completion that confirms the order. Held by OrderWorkflow, which
decides when each is taken; the conversation with the gateway is GatewayConversation's."""

from datetime import UTC, datetime, time, timedelta

from temporalio import workflow

from workflows.gateway_conversation import Refusal, publish_payment
from workflows.order_state import OrderState, due_in
from workflows.step_options import db_step

with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities
    from domain.contracts import (
        BankTransferCommand,
        BankTransferRequested,
        ChargeRequest,
        ChargeResult,
        Deadline,
        InvoiceOverdue,
        OfflinePaymentCommand,
        OrderTimeouts,
        PayCommand,
        PaymentAttempt,
        PaymentCompleted,
        PaymentFailed,
        PaymentOutcome,
        WalletCharge,
    )
    from domain.order_states import OrderStatus


# Money by bank transfer never passes through a gateway, nor money from a wallet.
OFFLINE = "offline"
WALLET = "wallet"
# Bank transfers unpaid at the end of their due date went straight to cancelled before this.
INVOICE_OVERDUE = "invoice-overdue"


class OrderPayments:
    def __init__(
        self, order_id: str, order: OrderState, gateway: str, limits: OrderTimeouts
    ) -> None:
        self._order_id = order_id
        self._order = order
        self._gateway = gateway
        self._limits = limits

    def _ship_due(self) -> Deadline:
        """Paid: the seller's time to ship starts."""
        return due_in("ship", self._limits.ship)

    async def begin_charge(self, command: PayCommand) -> tuple[ChargeRequest, int]:
        admission = self._order.admitted
        attempt = await self.begin_attempt(
            command.payment_id, command.payment_method, self._gateway
        )
        publish_payment("processing")
        request = ChargeRequest(
            payment_id=command.payment_id,
            order_id=self._order_id,
            idempotency_key=f"order-{self._order_id}:charge:{command.payment_id}:{attempt}",
            amount=admission.total_amount,
            currency=admission.currency,
            card_token=command.card_token or "",
            description=f"Order {admission.order_number}",
        )
        return request, attempt

    async def settle_charge(
        self, command: PayCommand, attempt: int, result: ChargeResult | Refusal
    ) -> PaymentOutcome:
        if isinstance(result, Refusal):
            return await self._fail(command, attempt, result)
        await self.complete(
            PaymentCompleted(
                order_id=self._order_id,
                payment_id=command.payment_id,
                transaction_id=result.transaction_id,
                gateway_response=result.gateway_response,
                actor=command.actor,
                at=workflow.now(),
                payment_method=command.payment_method,
                deadline=self._ship_due(),
            )
        )
        return PaymentOutcome(payment_id=command.payment_id, status="completed")

    async def pay_from_wallet(self, command: PayCommand) -> PaymentOutcome:
        """The buyer's wallet pays the order into escrow in one step; a short wallet fails the
        attempt with `insufficient_funds` and the order waits for another payment."""
        admission = self._order.admitted
        attempt = await self.begin_attempt(command.payment_id, WALLET, WALLET)
        charge = WalletCharge(
            order_id=self._order_id,
            payment_id=command.payment_id,
            attempt=attempt,
            buyer_id=admission.buyer_id,
            amount=admission.total_amount,
            currency=admission.currency,
            actor=command.actor,
            at=workflow.now(),
            deadline=self._ship_due(),
        )
        outcome = await db_step(OrderActivities.pay_from_wallet, charge)
        publish_payment(outcome.status)
        if outcome.status == "completed":
            self._confirmed(
                PaymentCompleted(
                    order_id=self._order_id,
                    payment_id=command.payment_id,
                    transaction_id=None,
                    gateway_response=None,
                    actor=command.actor,
                    at=charge.at,
                    payment_method=WALLET,
                    deadline=charge.deadline,
                )
            )
        return outcome

    async def confirm_offline(self, command: OfflinePaymentCommand) -> None:
        """An admin records the money of the transfer the buyer asked for, if there is one."""
        payment_id = self._order.bank_transfer or command.payment_id
        if self._order.bank_transfer is None:
            await self.begin_attempt(payment_id, "bank_transfer", OFFLINE)
        await self.complete(
            PaymentCompleted(
                order_id=self._order_id,
                payment_id=payment_id,
                transaction_id=None,
                gateway_response=None,
                actor=command.actor,
                at=workflow.now(),
                payment_method="bank_transfer",
                deadline=self._ship_due(),
            )
        )

    async def _fail(self, command: PayCommand, attempt: int, refusal: Refusal) -> PaymentOutcome:
        publish_payment("failed")
        await db_step(
            OrderActivities.fail_payment,
            PaymentFailed(
                order_id=self._order_id,
                payment_id=command.payment_id,
                attempt=attempt,
                error_code=refusal.code,
                error_message=refusal.message,
                at=workflow.now(),
                gateway_response=refusal.gateway_response,
            ),
        )
        return PaymentOutcome(
            payment_id=command.payment_id,
            status="failed",
            error_code=refusal.code,
            error_message=refusal.message,
        )

    async def request_bank_transfer(
        self, command: BankTransferCommand, lasts: timedelta
    ) -> PaymentOutcome:
        due = workflow.now() + lasts
        # The buyer is shown a due date: the order waits until that day is over.
        end_of_due_day = datetime.combine(due.date(), time(23, 59, 59), UTC)
        await self.begin_attempt(command.payment_id, "bank_transfer", OFFLINE)
        await db_step(
            OrderActivities.request_bank_transfer,
            BankTransferRequested(
                order_id=self._order_id,
                payment_id=command.payment_id,
                account=command.account,
                due=due,
                actor=command.actor,
                at=workflow.now(),
                deadline=Deadline(kind="bank_transfer", at=end_of_due_day),
            ),
        )
        self._order.bank_transfer = command.payment_id
        end_of_day = workflow.patched("bank-transfer-end-of-due-date")
        self._order.deadline = end_of_due_day if end_of_day else due
        publish_payment("pending")
        return PaymentOutcome(payment_id=command.payment_id, status="pending")

    async def went_overdue(self, grace: timedelta) -> bool:
        """A bank transfer unpaid at the end of its due date: its invoice is overdue, the buyer
        reminded, and the order waits `grace` more. False when there is no grace (left)."""
        order = self._order
        if order.bank_transfer is None or order.overdue or grace <= timedelta(0):
            return False
        if not workflow.patched(INVOICE_OVERDUE):
            return False
        order.overdue = True
        order.deadline += grace  # counted from the end of the due date, not from when it fired
        await db_step(
            OrderActivities.mark_invoice_overdue,
            InvoiceOverdue(
                order_id=self._order_id,
                payment_id=order.bank_transfer,
                at=workflow.now(),
                deadline=Deadline(kind="bank_transfer", at=order.deadline),
            ),
        )
        return True

    async def begin_attempt(self, payment_id: str, method: str, gateway: str) -> int:
        admission = self._order.admitted
        attempt = self._order.next_attempt(payment_id)
        await db_step(
            OrderActivities.begin_payment_attempt,
            PaymentAttempt(
                order_id=self._order_id,
                payment_id=payment_id,
                payment_method=method,
                gateway=gateway,
                amount=admission.total_amount,
                currency=admission.currency,
                attempt=attempt,
            ),
        )
        return attempt

    async def complete(self, done: PaymentCompleted) -> None:
        await db_step(OrderActivities.complete_payment, done)
        self._confirmed(done)
        publish_payment("completed")

    def _confirmed(self, done: PaymentCompleted) -> None:
        self._order.paid = done
        self._order.enter(OrderStatus.CONFIRMED, done.deadline)
        self._order.publish()
