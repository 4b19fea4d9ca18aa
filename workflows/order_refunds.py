"""The refunds of one order, as its workflow sees them: it alone knows what was captured, what
is already refunded, whether a refund is open and whether the seller was paid, so it accepts a
request (or refuses it before anything is written), starts the refund's own workflow and hears
when it ends."""

from datetime import timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

from workflows.order_checks import invalid_transition
from workflows.order_state import OrderState

with workflow.unsafe.imports_passed_through():
    from activities.refunds import RefundActivities
    from domain.contracts import OrderInput
    from domain.order_states import OrderStatus
    from domain.refund_contracts import (
        AMOUNT_EXCEEDS_REFUNDABLE,
        REFUND_ALREADY_OPEN,
        REFUND_WINDOW_CLOSED,
        RefundAsk,
        RefundEnded,
        RefundInput,
        RefundOpened,
        RefundRoute,
    )
    from domain.refunds import AmountExceedsRefundable, refund_amount, refundable
    from workflows.refund import RefundWorkflow
    from workflows.step_options import db_step

DEFAULT_REVIEW_REMINDER = timedelta(days=2)
REFUNDABLE_STATES = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def _refusal(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


class OrderRefunds:
    def __init__(self, order_id: str, order: OrderState, params: OrderInput) -> None:
        self._order_id = order_id
        self._order = order
        self._params = params

    def check(self, ask: RefundAsk) -> Decimal:
        """The amount the request may refund, or the refusal API.md names."""
        order = self._order
        if order.paid is None or order.status not in REFUNDABLE_STATES:
            raise invalid_transition("only a paid order can be refunded")
        if order.paid_out:
            raise _refusal(
                "the seller has been paid out: the refund window is closed", REFUND_WINDOW_CLOSED
            )
        if order.open_refund is not None:
            raise _refusal("this order already has an open refund", REFUND_ALREADY_OPEN)
        if ask.refund_id in order.refunds_asked:
            # The same request again (its first answer lost), after the refund it made ended.
            raise invalid_transition("this refund was asked before and has ended")
        total = order.admitted.total_amount
        try:
            return refund_amount(
                total, refundable(total, order.refunded), ask.amount, ask.percentage
            )
        except AmountExceedsRefundable as error:
            raise _refusal(str(error), AMOUNT_EXCEEDS_REFUNDABLE) from None
        except ValueError as error:
            raise invalid_transition(str(error)) from None

    async def open(self, ask: RefundAsk) -> RefundOpened:
        amount = self.check(ask)
        order, admission = self._order, self._order.admitted
        assert order.paid is not None
        route = self._route(ask)
        opened = RefundOpened(
            refund_id=ask.refund_id,
            order_id=self._order_id,
            payment_id=order.paid.payment_id,
            reason=ask.reason,
            description=ask.description,
            amount=amount,
            percentage=ask.percentage,
            destination="wallet" if route == "wallet" else "original_method",
            route=route,
            currency=admission.currency,
            requested_by=ask.actor,
            at=workflow.now(),
            workflow_id=f"refund-{ask.refund_id}",
        )
        # Open from now on, before the step that writes it: a timer that fires meanwhile must
        # neither pay the seller nor cancel and refund the whole order.
        order.open_refund = ask.refund_id
        order.refunds_asked.append(ask.refund_id)
        await db_step(RefundActivities.open_refund, opened)
        timeouts = self._params.timeouts
        await workflow.start_child_workflow(
            RefundWorkflow.run,
            RefundInput(
                refund=opened,
                order_total=admission.total_amount,
                transaction_id=order.paid.transaction_id if route == "gateway" else None,
                order_number=admission.order_number,
                timeouts=timeouts,
                review_reminder=timeouts.refund_review_reminder or DEFAULT_REVIEW_REMINDER,
            ),
            id=opened.workflow_id,
            # The refund outlives this run: a continue-as-new of the order must not end it.
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=(
                f"Refund · {admission.order_number} · {amount:.2f} {admission.currency}"
            ),
        )
        return opened

    def _route(self, ask: RefundAsk) -> RefundRoute:
        paid = self._order.paid
        assert paid is not None
        if paid.payment_method == "wallet" or ask.destination == "wallet":
            return "wallet"
        return "gateway" if paid.transaction_id else "manual"

    def ended(self, ended: RefundEnded) -> bool:
        """True when this is news (the open refund ended); a repeat changes nothing."""
        order = self._order
        if ended.refund_id != order.open_refund:
            return False
        order.open_refund = None
        if ended.status == "completed":
            order.refunded += ended.amount
            if order.refunded >= order.admitted.total_amount:
                order.status = OrderStatus.REFUNDED
                order.publish()
        return True
