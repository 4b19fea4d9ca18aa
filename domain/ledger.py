"""The ledger's rules: which accounts exist, what a transfer may move, what a check reports.

Every movement is one transfer from a source to a destination account, so each currency's
balances sum to zero: money that comes in from a gateway leaves `clearing` below zero.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from domain.contracts import Contract
from domain.money import MAX_AMOUNT, quantize

WALLET = "wallet"
ESCROW = "escrow"
FEES = "fees"
CLEARING = "clearing"  # the gateways' side of card payments and top-ups
PAYOUTS_IN_TRANSIT = "payouts_in_transit"
ADJUSTMENTS = "adjustments"
PLATFORM_KINDS = frozenset({ESCROW, FEES, CLEARING, PAYOUTS_IN_TRANSIT, ADJUSTMENTS})
REFS = ("order_id", "payment_id", "refund_id", "payout_id")

_CURRENCY = re.compile(r"[A-Z]{3}")


class InsufficientFunds(Exception):
    """A wallet debit larger than the balance: nothing was moved."""

    def __init__(self, account_id: str, amount: Decimal) -> None:
        super().__init__(f"wallet {account_id} holds less than {amount}")
        self.account_id = account_id
        self.amount = amount


class TransferKeyReused(Exception):
    """A business key posted again with other accounts, amount, currency or references."""


def transfer_amount(amount: Decimal) -> Decimal:
    """A positive Decimal of whole cents: a ledger never rounds what it is asked to move."""
    if not isinstance(amount, Decimal):
        raise TypeError("a ledger amount is a Decimal")
    if quantize(amount) != amount:
        raise ValueError(f"{amount} is not a whole number of cents")
    if not Decimal(0) < amount <= MAX_AMOUNT:
        raise ValueError(f"a transfer moves more than 0 and at most {MAX_AMOUNT}, not {amount}")
    return quantize(amount)


def currency_code(currency: str) -> str:
    if not _CURRENCY.fullmatch(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 code")
    return currency


def platform_kind(kind: str) -> str:
    if kind not in PLATFORM_KINDS:
        raise ValueError(
            f"{kind!r} is not a platform account ({', '.join(sorted(PLATFORM_KINDS))})"
        )
    return kind


class Transaction(Contract):
    """A wallet entry as API.md shows it: a positive amount, and the type says which way."""

    id: str
    transaction_type: Literal["credit", "debit"]
    amount: Decimal
    balance_after: Decimal
    description: str
    order_id: str | None
    payment_id: str | None
    refund_id: str | None
    created_at: datetime


class Drift(Contract):
    """What does not add up: an account whose balance is not the sum of its entries
    (`account_id` set), a currency whose balances do not sum to zero, or a transfer whose
    entries are not one debit and one credit of the same amount (`transfer_id` set)."""

    problem: Literal["balance_not_entries", "currency_not_zero", "transfer_unbalanced"]
    currency: str
    expected: Decimal
    actual: Decimal
    account_id: str | None = None
    transfer_id: str | None = None


class LedgerCheck(Contract):
    balanced: bool
    accounts: int
    drift: list[Drift]


def ledger_check(accounts: int, drift: list[Drift]) -> LedgerCheck:
    return LedgerCheck(balanced=not drift, accounts=accounts, drift=drift)
