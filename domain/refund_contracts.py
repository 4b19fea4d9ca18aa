"""The payloads of refunds: the buyer's request (an update on the order's workflow), the
refund's own workflow (`refund-{id}`) and the admin's decisions, and back to the order."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from domain.contracts import Contract, OrderTimeouts, PayoutPlan

RefundReason = Literal[
    "not_received",
    "not_as_described",
    "damaged",
    "wrong_item",
    "duplicate_charge",
    "changed_mind",
    "other",
]
RefundDestination = Literal["original_method", "wallet"]
RefundStatus = Literal["pending", "approved", "processing", "completed", "rejected"]
# How the money goes back: through the gateway of the charge, into the buyer's wallet, or by a
# transfer an admin makes by hand (bank transfers, and a refund the gateway refused).
RefundRoute = Literal["gateway", "wallet", "manual"]

# Refusals of the order's workflow (ApplicationError types), answered as API.md says.
REFUND_ALREADY_OPEN = "refund_already_open"  # 409
REFUND_WINDOW_CLOSED = "refund_window_closed"  # 409
AMOUNT_EXCEEDS_REFUNDABLE = "amount_exceeds_refundable"  # 422
REFUND_REFUSALS = frozenset({REFUND_ALREADY_OPEN, REFUND_WINDOW_CLOSED, AMOUNT_EXCEEDS_REFUNDABLE})


class RefundAsk(Contract):
    """The buyer asks: neither amount nor percentage means all that is still refundable."""

    refund_id: str
    reason: RefundReason
    description: str
    amount: Decimal | None = None
    percentage: Decimal | None = Field(default=None, gt=0, le=100)
    destination: RefundDestination = "original_method"
    actor: str


class RefundOpened(Contract):
    """The refund as the order's workflow accepted it: its row is written from this."""

    refund_id: str
    order_id: str
    payment_id: str
    reason: RefundReason
    description: str
    amount: Decimal
    percentage: Decimal | None
    destination: RefundDestination
    route: RefundRoute
    currency: str
    requested_by: str
    at: datetime
    workflow_id: str


class RefundInput(Contract):
    """The input of `refund-{id}`."""

    refund: RefundOpened
    # What an admin's percentage is of.
    order_total: Decimal
    # The charge a gateway refund goes back through (None for wallet and manual refunds).
    transaction_id: str | None
    order_number: str | None
    timeouts: OrderTimeouts
    review_reminder: timedelta


class ApproveCommand(Contract):
    """An admin approves, and may lower the amount (or give it as a percentage of the order)."""

    amount: Decimal | None = None
    percentage: Decimal | None = Field(default=None, gt=0, le=100)
    admin_notes: str | None = None
    actor: str


class RejectCommand(Contract):
    admin_notes: str
    actor: str


class CompleteCommand(Contract):
    """An admin says the manual transfer of the refund was made."""

    admin_notes: str | None = None
    actor: str


class RefundStep(Contract):
    """A refund moves on: its row, its money (on `completed`) and its notifications."""

    refund_id: str
    order_id: str
    status: RefundStatus
    amount: Decimal
    actor: str
    at: datetime
    admin_notes: str | None = None
    # Completed: how the money went back, and the gateway's refund id if it went through one.
    route: RefundRoute | None = None
    gateway_refund_id: str | None = None


class RefundEnded(Contract):
    """Signalled by `refund-{id}` to `order-{id}`: the refund is over; the payout may go on."""

    refund_id: str
    status: Literal["completed", "rejected"]
    amount: Decimal


class RefundReminder(Contract):
    """A request still undecided after another REFUND_REVIEW_REMINDER: the admins are told again."""

    refund_id: str
    order_id: str
    count: int
    at: datetime


class PayoutReleased(Contract):
    """The refund that held the payout ended: the payout is scheduled again for what is left
    (None: nothing is left, the order was refunded in full)."""

    order_id: str
    plan: PayoutPlan | None
    at: datetime
