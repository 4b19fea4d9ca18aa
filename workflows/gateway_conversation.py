"""The workflow's conversation with the payment gateway about one charge.

A charge is sent with its idempotency key; when the answer is lost on the way back, the gateway
is asked by that key until it knows, and only a charge it never saw is sent again.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.step_options import DB_RETRY, GATEWAY_RETRY, STEP_TIMEOUT

with workflow.unsafe.imports_passed_through():
    from activities.gateway import GatewayActivities
    from activities.orders import OrderActivities
    from workflows import search_attributes as sa
    from workflows.contracts import (
        DECLINE_CODES,
        OUTCOME_UNKNOWN,
        ChargeLookup,
        ChargeRequest,
        ChargeResult,
        OrderInput,
        OutcomeUnknown,
    )

PENDING_CHARGE_RECHECK = timedelta(seconds=30)


class GatewayConversation:
    """Mixed into OrderWorkflow, whose state it reads."""

    _params: OrderInput
    _order_id: str
    _gateway_events: set[str]

    async def _charge_until_known(
        self, request: ChargeRequest, attempt: int
    ) -> ChargeResult | ApplicationError:
        """The charge's result, or its decline. When the answer was lost on the way back, the
        gateway is asked by the idempotency key; only a charge it never saw is sent again."""
        while True:
            outcome = await self._send_charge(request)
            if outcome is not None:
                return outcome
            self._publish_payment("unknown")
            await workflow.execute_local_activity_method(
                OrderActivities.note_unknown_outcome,
                OutcomeUnknown(
                    order_id=self._order_id,
                    payment_id=request.payment_id,
                    attempt=attempt,
                    at=workflow.now(),
                ),
                start_to_close_timeout=STEP_TIMEOUT,
                retry_policy=DB_RETRY,
            )
            lookup = await self._look_up(request.idempotency_key)
            if lookup.status == "succeeded" and lookup.result is not None:
                return lookup.result
            if lookup.status == "declined":
                return ApplicationError(
                    lookup.error_message or "declined", type=lookup.error_code or "card_declined"
                )

    async def _send_charge(self, request: ChargeRequest) -> ChargeResult | ApplicationError | None:
        """The result, the decline, or None when the outcome is unknown."""
        try:
            return await workflow.execute_activity_method(
                GatewayActivities.charge,
                request,
                start_to_close_timeout=self._gateway_timeout(),
                retry_policy=GATEWAY_RETRY,
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == OUTCOME_UNKNOWN:
                return None
            # Any final refusal of the gateway (a decline, a bad token, a reused key) fails
            # this payment, which the buyer may retry; only the unexpected is raised.
            if isinstance(cause, ApplicationError) and (
                cause.non_retryable or cause.type in DECLINE_CODES
            ):
                return cause
            raise

    async def _look_up(self, idempotency_key: str) -> ChargeLookup:
        """Ask until the gateway knows: a pending charge is never sent again, only asked after."""
        while True:
            lookup = await workflow.execute_activity_method(
                GatewayActivities.find_charge,
                idempotency_key,
                start_to_close_timeout=self._gateway_timeout(),
                retry_policy=GATEWAY_RETRY,
            )
            if lookup.status != "pending":
                return lookup
            await self._gateway_news_or(PENDING_CHARGE_RECHECK)

    async def _gateway_news_or(self, wait_at_most: timedelta) -> None:
        """Asked again after a while, or as soon as a gateway webhook says something changed."""
        seen = len(self._gateway_events)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: len(self._gateway_events) != seen, timeout=wait_at_most
            )

    def _gateway_timeout(self) -> timedelta:
        return self._params.timeouts.gateway_call or STEP_TIMEOUT

    def _publish_payment(self, status: str) -> None:
        """PaymentStatus came after the first histories were recorded: patched, so they replay."""
        if workflow.patched("payment-status-search-attribute"):
            workflow.upsert_search_attributes([sa.PAYMENT_STATUS.value_set(status)])
