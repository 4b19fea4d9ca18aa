"""Activities that move money through the payment gateway.

Every way a call can end is typed here, so the workflow always knows which of three states it
is in: refused for good (a decline: non-retryable, with its code), not sent (transient, or our
own error before the request left: the engine retries, bounded by the schedule-to-close), or
unknown (sent, no answer: the workflow looks it up by the idempotency key).
"""

from collections.abc import Callable
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from domain.contracts import (
    GATEWAY_MISCONFIGURED,
    GATEWAY_UNAVAILABLE,
    NOT_SENT,
    OUTCOME_UNKNOWN,
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundLookup,
    RefundRequest,
    RefundResult,
)
from services.gateways.base import (
    GatewayMisconfigured,
    GatewayUnavailable,
    OutcomeUnknown,
    PaymentDeclined,
    PaymentGateway,
)

T = TypeVar("T")


class GatewayActivities:
    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    @activity.defn
    def charge(self, request: ChargeRequest) -> ChargeResult:
        return classified(lambda: self._gateway.charge(request))

    @activity.defn
    def find_charge(self, idempotency_key: str) -> ChargeLookup:
        return classified(lambda: self._gateway.find_charge(idempotency_key))

    @activity.defn
    def refund(self, request: RefundRequest) -> RefundResult:
        return classified(lambda: self._gateway.refund(request))

    @activity.defn
    def find_refund(self, request: RefundRequest) -> RefundLookup:
        return classified(lambda: self._gateway.find_refund(request))


def classified(call: Callable[[], T]) -> T:
    """The gateway's answer, or an ApplicationError whose type says which state the call is in."""
    try:
        return call()
    except PaymentDeclined as declined:
        # A business outcome, not a fault: one line here; BENIGN keeps the worker's own
        # "Completing activity as failed" (with its traceback) at DEBUG and out of the metrics.
        activity.logger.info("declined by the gateway: %s (%s)", declined.code, declined.message)
        raise ApplicationError(
            declined.message,
            type=declined.code,
            non_retryable=True,
            category=ApplicationErrorCategory.BENIGN,
        ) from None
    except OutcomeUnknown as unknown:
        # Not retried by the engine: the workflow asks the gateway what happened instead.
        raise ApplicationError(str(unknown), type=OUTCOME_UNKNOWN, non_retryable=True) from None
    except GatewayMisconfigured as wrong:
        activity.logger.error("payment gateway misconfigured: %s", wrong)
        raise ApplicationError(str(wrong), type=GATEWAY_MISCONFIGURED, non_retryable=True) from None
    except GatewayUnavailable as unavailable:
        raise ApplicationError(str(unavailable), type=GATEWAY_UNAVAILABLE) from None
    except Exception as error:
        # Ours (a database error, a bug): the gateways raise only the four above once a
        # request has left, so nothing was sent. Retried; the retry policy bounds it.
        activity.logger.exception("gateway call failed before sending")
        raise ApplicationError(f"{type(error).__name__}: {error}", type=NOT_SENT) from None
