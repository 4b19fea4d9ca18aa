"""The workflow's conversation with the payment gateway: a charge or a refund, from sending to
a known outcome, always in bounded time.

A call ends refused (a decline), done, or unknown (sent, no answer). An unknown outcome is never
sent again blindly: the gateway is asked by the idempotency key with backoff, woken early by its
webhooks, for the lookup window; then the admins are alerted and an admin resolves it. Only a
charge the gateway has not seen for a while is sent again, under the same key.
"""

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.step_options import STEP_TIMEOUT, db_step, gateway_options

with workflow.unsafe.imports_passed_through():
    from activities.gateway import GatewayActivities
    from activities.orders import OrderActivities
    from domain.contracts import (
        GATEWAY_MISCONFIGURED,
        OUTCOME_UNKNOWN,
        PROCESSING_ERROR,
        AdminAlert,
        ChargeLookup,
        ChargeRequest,
        ChargeResult,
        OrderTimeouts,
        OutcomeUnknown,
        RefundLookup,
        RefundRequest,
        RefundResult,
        ResolveCommand,
    )
    from domain.payment_errors import buyer_message
    from workflows import search_attributes as sa

DEFAULT_LOOKUP_WINDOW = timedelta(days=1)
FIRST_RECHECK = timedelta(seconds=10)
LAST_RECHECK = timedelta(minutes=30)
# Stripe's search lags behind its writes by up to a minute: "not found" counts only after this.
NOT_FOUND_SETTLE = timedelta(minutes=1)
# A charge the gateway never saw is sent again (same key) at most this many times.
MAX_RESENDS = 2
Sent = Literal["unknown", "exhausted"]


@dataclass(frozen=True)
class Refusal:
    """A final no: `code` for the records, `message` for the buyer, `raw` (the gateway's own
    words) for the admins."""

    code: str
    message: str
    raw: str | None = None

    @property
    def gateway_response(self) -> dict[str, Any] | None:
        return None if self.raw is None else {"error": {"code": self.code, "message": self.raw}}


def refusal(code: str, raw: str | None) -> Refusal:
    return Refusal(code, buyer_message(code), raw)


class GatewayConversation:
    """Held by OrderWorkflow: it tells it of gateway webhooks (`heard`) and admin resolutions."""

    def __init__(self, order_id: str, timeouts: OrderTimeouts) -> None:
        self._order_id = order_id
        self._call_timeout = timeouts.gateway_call or STEP_TIMEOUT
        self._window = timeouts.charge_lookup_window or DEFAULT_LOOKUP_WINDOW
        self._news = 0
        self._resolution: ResolveCommand | None = None
        # The payment whose charge's outcome is unknown right now, if any.
        self.unknown_payment: str | None = None

    def heard(self) -> None:
        """A gateway webhook about this order arrived: a waiting lookup asks again at once."""
        self._news += 1

    def resolve(self, command: ResolveCommand) -> None:
        self._resolution = command

    # Charges

    async def charge(self, request: ChargeRequest, attempt: int) -> ChargeResult | Refusal:
        sent = await self._send(request)
        resends = 0
        while sent == "unknown":
            if self.unknown_payment is None:
                await self._note_unknown(request, attempt)
            found = await self._look_up(request.idempotency_key)
            if found != "not_found":
                self.unknown_payment = None
                return found
            if resends == MAX_RESENDS:
                found = await self._ask_ops(request.idempotency_key)
                self.unknown_payment = None
                return found
            resends += 1
            sent = await self._send(request)
        if sent == "exhausted":
            return await self._after_retries(request, attempt)
        self.unknown_payment = None
        return sent

    async def _send(self, request: ChargeRequest) -> ChargeResult | Refusal | Sent:
        try:
            result: ChargeResult = await workflow.execute_activity_method(
                GatewayActivities.charge, request, **gateway_options(self._call_timeout)
            )
            return result
        except ActivityError as error:
            return await self._classify(error, request.payment_id)

    async def _classify(self, error: ActivityError, payment_id: str) -> Refusal | Sent:
        cause = error.cause
        if not isinstance(cause, ApplicationError):
            return "unknown"  # a timeout: the request may have arrived
        if cause.type == OUTCOME_UNKNOWN:
            return "unknown"
        if cause.type == GATEWAY_MISCONFIGURED:
            await self.alert(
                f"gateway_misconfigured:{payment_id}",
                "Payment gateway misconfigured",
                f"The gateway refused our credentials: {cause.message}",
            )
            return refusal(PROCESSING_ERROR, cause.message)
        if cause.non_retryable:
            return refusal(cause.type or "card_declined", cause.message)
        return "exhausted"

    async def _after_retries(self, request: ChargeRequest, attempt: int) -> ChargeResult | Refusal:
        """Every try was refused before sending; one of them may still have arrived: ask."""
        lookup = await self._find(request.idempotency_key)
        if lookup is not None and lookup.status == "succeeded" and lookup.result is not None:
            return lookup.result
        if lookup is not None and lookup.status == "declined":
            return refusal(lookup.error_code or "card_declined", lookup.error_message)
        if lookup is not None and lookup.status == "not_found":
            return refusal(PROCESSING_ERROR, "the gateway could not be reached")
        # Pending, or the lookup failed too: treat it as unknown.
        await self._note_unknown(request, attempt)
        found = await self._look_up(request.idempotency_key)
        self.unknown_payment = None
        return found if found != "not_found" else refusal(PROCESSING_ERROR, "never reached")

    async def _look_up(self, key: str) -> ChargeResult | Refusal | Literal["not_found"]:
        """Asked with backoff until the gateway knows, for the lookup window; then ops."""
        since = workflow.now()
        deadline = since + self._window
        settle = min(NOT_FOUND_SETTLE, self._window / 4)
        recheck = min(FIRST_RECHECK, self._window / 8)
        while True:
            resolved = self._take_resolution()
            if resolved is not None:
                return resolved
            lookup = await self._find(key)
            known = _known(lookup)
            if known is not None:
                return known
            now = workflow.now()
            if lookup is not None and lookup.status == "not_found" and now - since >= settle:
                return "not_found"
            if now >= deadline:
                return await self._ask_ops(key)
            await self._news_or(min(recheck, deadline - now))
            recheck = min(recheck * 2, LAST_RECHECK)

    async def _ask_ops(self, key: str) -> ChargeResult | Refusal:
        """The window is over: the admins are told, and the next word settles it (theirs, or
        the gateway's after one of its webhooks)."""
        await self.alert(
            f"charge_unresolved:{key}",
            "A charge needs a decision",
            "The gateway has not told us whether this order's charge succeeded; check it and "
            "resolve the payment (POST /api/payments/{id}/resolve/).",
        )
        while True:
            await self._news_or(None)
            resolved = self._take_resolution()
            if resolved is not None:
                return resolved
            known = _known(await self._find(key))
            if known is not None:
                return known

    def _take_resolution(self) -> ChargeResult | Refusal | None:
        command, self._resolution = self._resolution, None
        if command is None:
            return None
        if command.outcome == "failed":
            return refusal(PROCESSING_ERROR, f"resolved by {command.actor}: {command.note}")
        return ChargeResult(
            transaction_id=command.transaction_id or "",
            gateway_response={"resolved_by": command.actor, "note": command.note},
        )

    async def _find(self, key: str) -> ChargeLookup | None:
        """What the gateway says of the key, or None when asking failed too."""
        try:
            lookup: ChargeLookup = await workflow.execute_activity_method(
                GatewayActivities.find_charge, key, **gateway_options(self._call_timeout)
            )
            return lookup
        except ActivityError:
            return None

    async def _note_unknown(self, request: ChargeRequest, attempt: int) -> None:
        self.unknown_payment = request.payment_id
        publish_payment("unknown")
        await db_step(
            OrderActivities.note_unknown_outcome,
            OutcomeUnknown(
                order_id=self._order_id,
                payment_id=request.payment_id,
                attempt=attempt,
                at=workflow.now(),
            ),
        )

    async def _news_or(self, wait_at_most: timedelta | None) -> None:
        """Back after a while (None: never), or as soon as a webhook or an admin says something."""
        seen = self._news
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._news != seen or self._resolution is not None, timeout=wait_at_most
            )

    async def alert(self, key: str, title: str, body: str) -> None:
        """Something a person must look at: logged, and notified to the admins once per key."""
        workflow.logger.error("order %s: %s: %s", self._order_id, title, body)
        await db_step(
            OrderActivities.alert_admins,
            AdminAlert(
                order_id=self._order_id,
                key=key,
                kind="ops_alert",
                title=title,
                body=body,
                at=workflow.now(),
            ),
        )

    # Refunds

    async def refund(self, request: RefundRequest) -> RefundResult | Refusal:
        """The refund as the gateway took it (perhaps still `pending`), or its refusal."""
        for _ in range(MAX_RESENDS + 1):
            try:
                result: RefundResult = await workflow.execute_activity_method(
                    GatewayActivities.refund, request, **gateway_options(self._call_timeout)
                )
                return result
            except ActivityError as error:
                cause = error.cause
                if (
                    isinstance(cause, ApplicationError)
                    and cause.non_retryable
                    and cause.type != OUTCOME_UNKNOWN
                ):
                    return refusal(cause.type or "refund_refused", cause.message)
            found = await self._look_up_refund(request, until=workflow.now() + self._window)
            if found != "not_found":
                return found
        return await self._refund_unresolved(request)

    async def refund_settled(self, request: RefundRequest) -> RefundResult | Refusal:
        """Waits, with backoff and woken by webhooks, until a pending refund succeeds or fails."""
        recheck = FIRST_RECHECK
        while True:
            lookup = await self._find_refund(request)
            if lookup is not None and lookup.status == "succeeded" and lookup.result:
                return lookup.result
            if lookup is not None and lookup.status == "failed":
                return refusal("refund_failed", lookup.error_message)
            await self._news_or(recheck)
            recheck = min(recheck * 2, LAST_RECHECK * 12)

    async def _look_up_refund(
        self, request: RefundRequest, until: datetime
    ) -> RefundResult | Refusal | Literal["not_found"]:
        since = workflow.now()
        recheck = min(FIRST_RECHECK, self._window / 8)
        settle = min(NOT_FOUND_SETTLE, self._window / 4)
        while workflow.now() < until:
            lookup = await self._find_refund(request)
            if lookup is not None and lookup.result is not None:
                return lookup.result
            if lookup is not None and lookup.status == "failed":
                return refusal("refund_failed", lookup.error_message)
            settled = workflow.now() - since >= settle
            if lookup is not None and lookup.status == "not_found" and settled:
                return "not_found"
            await self._news_or(min(recheck, until - workflow.now()))
            recheck = min(recheck * 2, LAST_RECHECK)
        return await self._refund_unresolved(request)

    async def _refund_unresolved(self, request: RefundRequest) -> Refusal:
        await self.alert(
            f"refund_unresolved:{request.idempotency_key}",
            "A refund needs a decision",
            f"The gateway did not confirm the refund of {request.amount} {request.currency}; "
            "check it and refund by hand if it is missing.",
        )
        return refusal("refund_unconfirmed", "the gateway did not confirm the refund")

    async def _find_refund(self, request: RefundRequest) -> RefundLookup | None:
        try:
            lookup: RefundLookup = await workflow.execute_activity_method(
                GatewayActivities.find_refund, request, **gateway_options(self._call_timeout)
            )
            return lookup
        except ActivityError:
            return None


def _known(lookup: ChargeLookup | None) -> ChargeResult | Refusal | None:
    if lookup is None:
        return None
    if lookup.status == "succeeded" and lookup.result is not None:
        return lookup.result
    if lookup.status == "declined":
        return refusal(lookup.error_code or "card_declined", lookup.error_message)
    return None


def publish_payment(status: str) -> None:
    """PaymentStatus came after the first histories were recorded: patched, so they replay."""
    if workflow.patched("payment-status-search-attribute"):
        workflow.upsert_search_attributes([sa.PAYMENT_STATUS.value_set(status)])
