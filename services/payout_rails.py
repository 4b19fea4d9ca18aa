"""Payout rails: how money leaves a wallet for a bank account, behind one small interface.

A rail first turns an account number into its own token (`destination`), so that nothing after
the API's request (the workflow's history, our rows, the logs) ever holds the number; then it
sends payouts to that token, keyed, so a repeat with the same key sends nothing twice.
"""

import hashlib
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from db.engine import session_scope
from db.tables import SandboxOperation
from domain.wallet_contracts import PayoutSent, PayoutTransfer


class PayoutFailed(Exception):
    """The rail's final no (no such account, account closed): the money comes back."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Destination:
    token: str
    last4: str


class PayoutRail(Protocol):
    name: str

    def destination(self, account_number: str, routing_number: str | None) -> Destination: ...

    def send(self, transfer: PayoutTransfer) -> PayoutSent:
        """Pays, or raises PayoutFailed; any other exception is transient and retried with the
        same key, which a real rail must deduplicate."""
        ...


# Stripe's test bank accounts: this one is paid, these fail with their code.
PAID_ACCOUNT = "000123456789"
FAILING_ACCOUNTS = {"000111111116": "no_account", "000111111113": "account_closed"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _token(account_number: str, routing_number: str | None) -> str:
    return "ba_sandbox_" + _digest(f"{routing_number or ''}|{account_number}")


_FAILING_TOKENS = {_token(number, None): code for number, code in FAILING_ACCOUNTS.items()}


class SandboxPayoutRail:
    """Pays every account but the failing test accounts, and books each payout (durably, by its
    key) in the sandbox's book, next to its charges and refunds."""

    name = "sandbox"

    def __init__(self, database_url: str) -> None:
        self._url = database_url

    def destination(self, account_number: str, routing_number: str | None) -> Destination:
        # The sandbox decides by the account alone; the routing number is not checked.
        token = _token(account_number, None)
        return Destination(token=token, last4=account_number[-4:])

    def send(self, transfer: PayoutTransfer) -> PayoutSent:
        with session_scope(self._url) as session:
            booked = _book(session, transfer)
        # Raised after the commit: the refused call stays on the book.
        if isinstance(booked, PayoutFailed):
            raise booked
        return booked


def _book(session: Session, transfer: PayoutTransfer) -> PayoutSent | PayoutFailed:
    op = session.get(SandboxOperation, transfer.idempotency_key, with_for_update=True)
    if op is None:
        failure = _FAILING_TOKENS.get(transfer.destination_token)
        op = SandboxOperation(
            idempotency_key=transfer.idempotency_key,
            kind="payout",
            token=transfer.destination_token,
            amount=transfer.amount,
            currency=transfer.currency,
            status="failed" if failure else "succeeded",
            calls=0,
            transaction_id=f"po_{_digest(transfer.idempotency_key)}",
        )
        session.add(op)
    op.calls += 1
    if op.status == "failed":
        return PayoutFailed(_FAILING_TOKENS.get(op.token or "", "no_account"))
    assert op.transaction_id is not None
    return PayoutSent(reference=op.transaction_id)


def build_payout_rail(database_url: str) -> PayoutRail:
    """The sandbox, the only rail so far; a real one implements PayoutRail and is chosen here."""
    return SandboxPayoutRail(database_url)
