"""RefundWorkflow (`refund-{id}`): one refund from the buyer's request to the money back.

The order's workflow accepted the request (it alone knows what is still refundable) and started
this one. It waits for an admin's decision, reminding the admins every REFUND_REVIEW_REMINDER;
an approved refund goes back through the gateway of the charge (keyed by the refund's id), into
the buyer's wallet, or by a transfer an admin makes by hand and then marks complete. A refund
the gateway refuses becomes such a manual one, before the admins: never a stuck workflow. At the
end it tells the order's workflow, which holds the seller's payout until then.
"""

from decimal import Decimal
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.refunds import RefundActivities
    from domain.contracts import INVALID_TRANSITION, RefundRequest
    from domain.money import quantize
    from domain.refund_contracts import (
        ApproveCommand,
        CompleteCommand,
        RefundEnded,
        RefundInput,
        RefundReminder,
        RefundRoute,
        RefundStatus,
        RefundStep,
        RejectCommand,
    )
    from domain.workflow_ids import order_workflow_id
    from workflows import search_attributes as sa
    from workflows.gateway_conversation import GatewayConversation, Refusal
    from workflows.step_options import db_step

SYSTEM = "system"


def refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID_TRANSITION, non_retryable=True)


@workflow.defn
class RefundWorkflow:
    @workflow.init
    def __init__(self, params: RefundInput) -> None:
        self._params = params
        self._refund = params.refund
        self._status: RefundStatus = "pending"
        self._amount = params.refund.amount
        self._route: RefundRoute = params.refund.route
        self._decided: ApproveCommand | RejectCommand | None = None
        self._completed: CompleteCommand | None = None
        self._gateway = GatewayConversation(params.refund.order_id, params.timeouts)

    @workflow.run
    async def run(self, params: RefundInput) -> str:
        workflow.upsert_search_attributes([sa.ORDER_NUMBER.value_set(params.order_number or "")])
        decision = await self._decision()
        if isinstance(decision, RejectCommand):
            await self._ended("rejected")
            return self._status
        gateway_refund_id = await self._pay_back()
        by_hand = self._completed
        await self._step(
            "completed",
            by_hand.actor if by_hand else SYSTEM,
            notes=by_hand.admin_notes if by_hand else None,
            route=self._route,
            gateway_id=gateway_refund_id,
        )
        await self._ended("completed")
        return self._status

    @workflow.query
    def status(self) -> RefundStatus:
        return self._status

    # The admin's decisions

    @workflow.update
    async def approve(self, command: ApproveCommand) -> RefundStatus:
        self._check_pending()
        self._amount = self._approved_amount(command)
        self._decided = command
        await self._step("approved", command.actor, notes=command.admin_notes)
        return self._status

    @approve.validator
    def _validate_approve(self, command: ApproveCommand) -> None:
        self._check_pending()
        self._approved_amount(command)

    @workflow.update
    async def reject(self, command: RejectCommand) -> RefundStatus:
        self._check_pending()
        self._decided = command
        await self._step("rejected", command.actor, notes=command.admin_notes)
        return self._status

    @reject.validator
    def _validate_reject(self, command: RejectCommand) -> None:
        self._check_pending()

    @workflow.update
    async def complete(self, command: CompleteCommand) -> RefundStatus:
        """An admin made the transfer by hand: the refund completes."""
        self._check_manual()
        self._completed = command
        await workflow.wait_condition(lambda: self._status == "completed")
        return self._status

    @complete.validator
    def _validate_complete(self, command: CompleteCommand) -> None:
        self._check_manual()

    def _check_pending(self) -> None:
        if self._decided is not None:
            raise refused(f"the refund is {self._status}, no longer pending")

    def _check_manual(self) -> None:
        if self._route != "manual" or self._status != "processing" or self._completed:
            raise refused("only a refund waiting on a manual transfer can be completed")

    def _approved_amount(self, command: ApproveCommand) -> Decimal:
        """The approved amount: the requested one, or lower (an amount, or a percentage of the
        order's total, which the requested amount stands for when it was asked as one)."""
        if command.amount is not None and command.percentage is not None:
            raise refused("give an amount or a percentage, not both")
        asked = self._refund.amount
        if command.amount is not None:
            amount = command.amount
        elif command.percentage is not None:
            amount = quantize(self._params.order_total * command.percentage / 100)
        else:
            return asked
        if amount <= 0 or amount > asked:
            raise refused(f"an approval may lower the refund, not raise it above {asked:.2f}")
        return amount

    # Waiting and paying back

    async def _decision(self) -> ApproveCommand | RejectCommand:
        count = 0
        while self._decided is None:
            try:
                await workflow.wait_condition(
                    lambda: self._decided is not None, timeout=self._params.review_reminder
                )
            except TimeoutError:
                count += 1
                reminder = RefundReminder(
                    refund_id=self._refund.refund_id,
                    order_id=self._refund.order_id,
                    count=count,
                    at=workflow.now(),
                )
                await db_step(RefundActivities.remind_admins, reminder)
        # The handler that decided has recorded its step by the time the lock-free run goes on.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._decided

    async def _pay_back(self) -> str | None:
        """The gateway refund's id, or None for a wallet or a manual refund."""
        if self._route == "gateway":
            answer = await self._gateway_refund()
            if not isinstance(answer, Refusal):
                return answer
            # Refused (refunded by hand already, say): an admin refunds and completes it.
            self._route = "manual"
            await self._gateway.alert(
                f"refund_refused:refund-{self._refund.refund_id}",
                "A refund was refused",
                f"The gateway refused the refund of {self._amount:.2f} {self._refund.currency} "
                f"({answer.code}: {answer.raw}); refund it by hand, then complete it.",
            )
            note = f"the gateway refused ({answer.code}): refund by hand, then complete"
            await self._step("processing", SYSTEM, notes=note)
        elif self._route == "manual":
            await self._step("processing", SYSTEM, notes="waiting for a manual transfer")
        if self._route == "manual":
            await workflow.wait_condition(lambda: self._completed is not None)
        return None

    async def _gateway_refund(self) -> str | Refusal:
        await self._step("processing", SYSTEM)
        assert self._params.transaction_id is not None
        request = RefundRequest(
            payment_id=self._refund.payment_id,
            idempotency_key=f"refund-{self._refund.refund_id}",
            transaction_id=self._params.transaction_id,
            amount=self._amount,
            currency=self._refund.currency,
        )
        answer = await self._gateway.refund(request)
        if not isinstance(answer, Refusal) and answer.status == "pending":
            answer = await self._gateway.refund_settled(request)
        return answer if isinstance(answer, Refusal) else answer.refund_id

    async def _step(
        self,
        status: RefundStatus,
        actor: str,
        notes: str | None = None,
        route: RefundRoute | None = None,
        gateway_id: str | None = None,
    ) -> None:
        step = RefundStep(
            refund_id=self._refund.refund_id,
            order_id=self._refund.order_id,
            status=status,
            amount=self._amount,
            actor=actor,
            at=workflow.now(),
            admin_notes=notes,
            route=route,
            gateway_refund_id=gateway_id,
        )
        done = RefundActivities.complete_refund if status == "completed" else None
        await db_step(done or RefundActivities.record_refund_step, step)
        self._status = status

    async def _ended(self, status: Literal["completed", "rejected"]) -> None:
        order = workflow.get_external_workflow_handle(order_workflow_id(self._refund.order_id))
        ended = RefundEnded(refund_id=self._refund.refund_id, status=status, amount=self._amount)
        await order.signal("refund_ended", ended)
