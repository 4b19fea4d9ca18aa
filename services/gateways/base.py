"""The interface every payment gateway implements, and the two ways a call can fail."""

from typing import Protocol

from workflows.contracts import (
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundRequest,
    RefundResult,
)


class PaymentDeclined(Exception):
    """A final answer from the gateway: retrying the same request cannot change it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayUnavailable(Exception):
    """A transient failure before the request reached the gateway: the engine retries it."""


class OutcomeUnknown(Exception):
    """The request left and no answer came back: the charge may or may not exist. Never
    charge blindly again; ask the gateway by the idempotency key (`find_charge`)."""


class PaymentGateway(Protocol):
    name: str

    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    def find_charge(self, idempotency_key: str) -> ChargeLookup: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...
