"""The interface every payment gateway implements, and the two ways a call can fail."""

from typing import Protocol

from workflows.contracts import ChargeRequest, ChargeResult, RefundRequest, RefundResult


class PaymentDeclined(Exception):
    """A final answer from the gateway: retrying the same request cannot change it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayUnavailable(Exception):
    """A transient failure: the engine retries with the same idempotency key."""


class PaymentGateway(Protocol):
    name: str

    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...
