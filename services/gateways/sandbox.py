"""The sandbox gateway: answers Stripe's test tokens and keeps a durable book of what it did.

Every call is keyed by its idempotency key, like a real gateway: the same key never charges or
refunds twice, and the book lets tests count exactly how much money moved.
"""

import hashlib
import threading
import time
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import session_scope
from db.tables import SandboxOperation
from domain.contracts import (
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundLookup,
    RefundRequest,
    RefundResult,
)
from services.gateways.base import GatewayUnavailable, OutcomeUnknown, PaymentDeclined

SUCCEEDING_TOKENS = frozenset({"tok_visa", "tok_mastercard"})
DECLINES = {
    "tok_chargeDeclined": ("card_declined", "Your card was declined."),
    "tok_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}
FLAKY_TOKEN = "tok_processingError"
FLAKY_FAILURES = 2


class SandboxGateway:
    name = "sandbox"

    def __init__(
        self,
        database_url: str,
        delay_before_charge: float = 0,
        delay_after_charge: float = 0,
        lost_answers: int = 0,
        lost_before_booking: int = 0,
        pending_lookups: int = 0,
    ) -> None:
        self._url = database_url
        self._delay_before = delay_before_charge
        self._delay_after = delay_after_charge
        self._lost_answers = lost_answers
        self._lost_before_booking = lost_before_booking
        self._pending_lookups = pending_lookups
        # Fault injection only: counted in memory, per worker process.
        self._faults = Counter[str]()
        self._faults_lock = threading.Lock()

    def _fault(self, kind: str, key: str, times: int) -> bool:
        """True for the first `times` calls of this kind and key."""
        with self._faults_lock:
            self._faults[f"{kind}:{key}"] += 1
            return self._faults[f"{kind}:{key}"] <= times

    def charge(self, request: ChargeRequest) -> ChargeResult:
        time.sleep(self._delay_before)
        if self._fault("lost-before", request.idempotency_key, self._lost_before_booking):
            raise OutcomeUnknown("sandbox lost the request before booking it (fault injection)")
        with session_scope(self._url) as session:
            op = session.get(SandboxOperation, request.idempotency_key, with_for_update=True)
            if op is None:
                op = SandboxOperation(
                    idempotency_key=request.idempotency_key,
                    kind="charge",
                    token=request.card_token,
                    amount=request.amount,
                    currency=request.currency,
                    status="new",
                    calls=0,
                )
                session.add(op)
            _check_same_request(op, "charge", request.amount, request.currency)
            op.calls += 1
            if op.status == "succeeded":
                return _charge_result(op)
            outcome = _decide(request.card_token, op.calls)
            if outcome == "transient":
                op.status = "errored"
            elif outcome is None:
                op.status = "succeeded"
                op.transaction_id = _gateway_id("ch", request.idempotency_key)
            else:
                op.status = "declined"
        # The transaction is committed before answering, so a crash after this line still
        # leaves the charge on the book and the retry finds it.
        time.sleep(self._delay_after)
        if outcome is None and op.calls <= self._lost_answers:
            raise OutcomeUnknown("sandbox booked the charge and lost the answer (fault injection)")
        if outcome == "transient":
            raise GatewayUnavailable("sandbox processing error, try again")
        if outcome is not None:
            raise PaymentDeclined(*outcome)
        return _charge_result(op)

    def find_charge(self, idempotency_key: str) -> ChargeLookup:
        if self._fault("pending", idempotency_key, self._pending_lookups):
            return ChargeLookup(status="pending")
        with session_scope(self._url, read_only=True) as session:
            op = session.get(SandboxOperation, idempotency_key)
            if op is None or op.kind != "charge" or op.status in ("new", "errored"):
                return ChargeLookup(status="not_found")
            if op.status == "succeeded":
                return ChargeLookup(status="succeeded", result=_charge_result(op))
            decided = _decide(op.token or "", op.calls)
            code, message = decided if isinstance(decided, tuple) else ("card_declined", "")
            return ChargeLookup(status="declined", error_code=code, error_message=message)

    def refund(self, request: RefundRequest) -> RefundResult:
        with session_scope(self._url) as session:
            op = session.get(SandboxOperation, request.idempotency_key, with_for_update=True)
            if op is None:
                _check_refundable(session, request)
                op = SandboxOperation(
                    idempotency_key=request.idempotency_key,
                    kind="refund",
                    amount=request.amount,
                    currency=request.currency,
                    status="succeeded",
                    calls=0,
                    charge_id=request.transaction_id,
                    transaction_id=_gateway_id("re", request.idempotency_key),
                )
                session.add(op)
            _check_same_request(op, "refund", request.amount, request.currency)
            op.calls += 1
            return _refund_result(op)

    def find_refund(self, request: RefundRequest) -> RefundLookup:
        with session_scope(self._url, read_only=True) as session:
            op = session.get(SandboxOperation, request.idempotency_key)
            if op is None or op.kind != "refund":
                return RefundLookup(status="not_found")
            return RefundLookup(status="succeeded", result=_refund_result(op))


def _refund_result(op: SandboxOperation) -> RefundResult:
    return RefundResult(
        refund_id=op.transaction_id or "",
        gateway_response={
            "id": op.transaction_id,
            "object": "refund",
            "charge": op.charge_id,
            "amount": str(op.amount),
            "status": "succeeded",
        },
    )


def _check_refundable(session: Session, request: RefundRequest) -> None:
    """What Stripe checks: the charge exists, same currency, never more back than was paid."""
    charge = session.scalars(
        select(SandboxOperation)
        .where(
            SandboxOperation.transaction_id == request.transaction_id,
            SandboxOperation.kind == "charge",
        )
        .with_for_update()
    ).first()
    if charge is None or charge.status != "succeeded":
        raise PaymentDeclined("charge_not_found", "No such charge to refund.")
    if charge.currency != request.currency:
        raise PaymentDeclined("currency_mismatch", "The refund's currency is not the charge's.")
    refunded = session.scalar(
        select(func.coalesce(func.sum(SandboxOperation.amount), 0)).where(
            SandboxOperation.kind == "refund",
            SandboxOperation.charge_id == request.transaction_id,
            SandboxOperation.status == "succeeded",
        )
    )
    if Decimal(refunded or 0) + request.amount > charge.amount:
        raise PaymentDeclined(
            "amount_too_large", "The refund is greater than what is left of the charge."
        )


def _decide(token: str, call_number: int) -> tuple[str, str] | str | None:
    """None for success, "transient" for a retryable error, else the decline (code, message)."""
    if token in SUCCEEDING_TOKENS:
        return None
    if token in DECLINES:
        return DECLINES[token]
    if token == FLAKY_TOKEN:
        return "transient" if call_number <= FLAKY_FAILURES else None
    return ("invalid_card_token", f"No such token: {token!r}.")


def _check_same_request(op: SandboxOperation, kind: str, amount: Decimal, currency: str) -> None:
    if op.kind != kind or op.amount != amount or op.currency != currency:
        # What Stripe answers when a key is reused with other parameters.
        raise PaymentDeclined(
            "idempotency_key_reused", "Keys for idempotent requests can only be used once."
        )


def _charge_result(op: SandboxOperation) -> ChargeResult:
    return ChargeResult(
        transaction_id=op.transaction_id or "",
        gateway_response={
            "id": op.transaction_id,
            "object": "charge",
            "amount": str(op.amount),
            "currency": op.currency.lower(),
            "status": "succeeded",
            "source": op.token,
        },
    )


def _gateway_id(prefix: str, idempotency_key: str) -> str:
    return f"{prefix}_sandbox_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"
