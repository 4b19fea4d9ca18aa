"""Activities that move money through the payment gateway.

A decline is a business outcome: non-retryable, typed with its error code. Anything else is
left to the engine's RetryPolicy, which calls again with the same idempotency key.
"""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.gateways.base import OutcomeUnknown, PaymentDeclined, PaymentGateway
from workflows.contracts import (
    OUTCOME_UNKNOWN,
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundRequest,
    RefundResult,
)


class GatewayActivities:
    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    @activity.defn
    def charge(self, request: ChargeRequest) -> ChargeResult:
        try:
            return self._gateway.charge(request)
        except PaymentDeclined as declined:
            raise ApplicationError(
                declined.message, type=declined.code, non_retryable=True
            ) from None
        except OutcomeUnknown as unknown:
            # Not retried by the engine: the workflow asks the gateway what happened instead.
            raise ApplicationError(str(unknown), type=OUTCOME_UNKNOWN, non_retryable=True) from None

    @activity.defn
    def find_charge(self, idempotency_key: str) -> ChargeLookup:
        return self._gateway.find_charge(idempotency_key)

    @activity.defn
    def refund(self, request: RefundRequest) -> RefundResult:
        try:
            return self._gateway.refund(request)
        except PaymentDeclined as declined:
            raise ApplicationError(
                declined.message, type=declined.code, non_retryable=True
            ) from None
