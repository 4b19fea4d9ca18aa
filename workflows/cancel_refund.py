"""The money of a cancelled order goes back: a gateway refund of the charge, or, for money that
came offline, a loud note that it goes back by hand. A refusal never keeps the order from being
cancelled; it is put before the admins instead."""

from dataclasses import dataclass
from decimal import Decimal

from temporalio import workflow

from workflows.gateway_conversation import GatewayConversation, Refusal

with workflow.unsafe.imports_passed_through():
    from domain.contracts import Admission, PaymentCompleted, RefundRequest, RefundResult


@dataclass(frozen=True)
class CancelRefund:
    refund: RefundResult | None = None
    # Why the money did not (yet) go back, for the order's timeline.
    error: str | None = None
    # Taken by the gateway but not sent yet: settled after the order is cancelled.
    pending: RefundRequest | None = None
    # Paid from the wallet: the money goes back there, in the cancel's own step.
    to_wallet: bool = False

    @property
    def done(self) -> bool:
        return self.refund is not None or self.to_wallet


async def refund_on_cancel(
    gateway: GatewayConversation,
    order_id: str,
    admission: Admission,
    paid: PaymentCompleted | None,
    left: Decimal,
) -> CancelRefund:
    """`left`: what earlier refunds did not give back yet."""
    if paid is None:
        return CancelRefund()
    if paid.payment_method == "wallet":
        return CancelRefund(to_wallet=True)
    if not paid.transaction_id:
        return CancelRefund(error="manual_refund_required")
    request = RefundRequest(
        payment_id=paid.payment_id,
        idempotency_key=f"order-{order_id}:cancel-refund",
        transaction_id=paid.transaction_id,
        amount=left,
        currency=admission.currency,
    )
    answer = await gateway.refund(request)
    if isinstance(answer, Refusal):
        workflow.logger.error("refund refused for order %s: %s", order_id, answer.raw)
        if workflow.patched("alert-admins-on-refused-refund"):
            await gateway.alert(
                f"refund_refused:{request.idempotency_key}",
                "A refund was refused",
                f"The gateway refused the refund of {request.amount} "
                f"{request.currency} ({answer.code}: {answer.raw}); refund it by hand.",
            )
        return CancelRefund(error=answer.code)
    if answer.status == "pending":
        return CancelRefund(error="refund_pending", pending=request)
    return CancelRefund(refund=answer)


async def pending_refund_settled(
    gateway: GatewayConversation, request: RefundRequest
) -> RefundResult | None:
    """The refund once the gateway says the money went back; None (and the admins told) when
    it failed there."""
    answer = await gateway.refund_settled(request)
    if not isinstance(answer, Refusal):
        return answer
    await gateway.alert(
        f"refund_failed:{request.idempotency_key}",
        "A refund failed",
        f"The refund of {request.amount} {request.currency} failed at the gateway "
        f"({answer.raw}); the payment stays as it was: refund it by hand.",
    )
    return None
