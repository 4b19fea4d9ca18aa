"""The interface every payment gateway implements, and the ways a call can fail.

Every exception a gateway raises is one of these four; anything else is our own error, raised
before the request left (activities/gateway.py treats it so, and retries it a bounded number
of times).
"""

from typing import Protocol

from domain.contracts import (
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundLookup,
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


class GatewayMisconfigured(Exception):
    """Our key or account is wrong (401, 403): nothing was charged, and only ops can fix it."""


class OutcomeUnknown(Exception):
    """The request left and no answer came back: the charge may or may not exist. Never
    charge blindly again; ask the gateway by the idempotency key (`find_charge`)."""


class PaymentGateway(Protocol):
    name: str

    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    def find_charge(self, idempotency_key: str) -> ChargeLookup: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def find_refund(self, request: RefundRequest) -> RefundLookup: ...
