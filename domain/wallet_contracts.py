"""The payloads of wallet top-ups and payouts: API → workflow, workflow → activities.

No account number travels here: a payout names its destination by the rail's token and the
number's last four digits only (DESIGN.md, rule 9).
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from domain.contracts import Contract

INSUFFICIENT_FUNDS = "insufficient_funds"
TopUpStatus = Literal["processing", "completed", "failed"]
PayoutStatus = Literal["processing", "paid", "failed"]


class TopUpInput(Contract):
    topup_id: str
    user_id: str
    amount: Decimal
    currency: str
    card_token: str
    # How long the API's request waits for the charge's outcome before answering `processing`.
    answer_wait: timedelta
    gateway: str
    gateway_call: timedelta | None = None
    charge_lookup_window: timedelta | None = None


class TopUpBegun(Contract):
    topup_id: str
    user_id: str
    amount: Decimal
    currency: str
    gateway: str
    at: datetime


class TopUpSettled(Contract):
    """The charge's outcome: `completed` credits the wallet, `failed` credits nothing."""

    topup_id: str
    status: Literal["completed", "failed"]
    transaction_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    at: datetime


class TopUpView(Contract):
    id: str
    amount: Decimal
    currency: str
    status: TopUpStatus
    error_code: str | None = None


class PayoutInput(Contract):
    payout_id: str
    user_id: str
    amount: Decimal
    currency: str
    destination_token: str
    destination_last4: str


class PayoutStart(PayoutInput):
    """The first step: the payout's row and the debit wallet → payouts in transit, or neither."""

    at: datetime


class PayoutView(Contract):
    id: str
    amount: Decimal
    currency: str
    status: PayoutStatus
    failure_code: str | None = None
    created_at: datetime


class PayoutDebit(Contract):
    """What the first step did: debited (the payout, `processing`), or refused (short wallet)."""

    refused: Literal["insufficient_funds"] | None = None
    payout: PayoutView | None = None


class PayoutTransfer(Contract):
    """What the payout rail is asked to send; the key makes a repeat send nothing twice."""

    payout_id: str
    idempotency_key: str
    amount: Decimal
    currency: str
    destination_token: str


class PayoutSent(Contract):
    reference: str


class PayoutSettled(Contract):
    payout_id: str
    status: Literal["paid", "failed"]
    reference: str | None = None
    failure_code: str | None = None
    at: datetime


class WalletAlert(Contract):
    """Something about a top-up or payout an admin must look at, notified once per key."""

    key: str
    title: str
    body: str
    at: datetime
