"""The payloads every side exchanges: API → workflow, workflow → activities, and back.

They travel through the pydantic data converter, so Decimal stays Decimal end to end.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.order_states import OrderStatus, Role

TASK_QUEUE = "order-engine"
CARD_METHODS = ("credit_card", "debit_card", "stripe")  # what a card token can pay; no others
DECLINE_CODES = ("card_declined", "insufficient_funds", "invalid_card_token", "expired_card")

# How a gateway call ended, as the ApplicationError type the gateway activities raise.
OUTCOME_UNKNOWN = "outcome_unknown"  # sent, no answer: look it up by key, never resend blindly
GATEWAY_UNAVAILABLE = "gateway_unavailable"  # refused before it was sent: the engine retries
GATEWAY_MISCONFIGURED = "gateway_misconfigured"  # our keys or account: an ops alert, not a decline
NOT_SENT = "gateway_request_not_sent"  # our own error before anything left: retried, bounded
# What the buyer sees when the attempt failed on our side or the gateway's, not the card's.
PROCESSING_ERROR = "processing_error"
# Refusals of the order's workflow, as ApplicationError types; the API answers each with 409.
INVALID_TRANSITION = "invalid_transition"
PAYMENT_IN_PROGRESS = "payment_in_progress"
WORKFLOW_CONFLICTS = frozenset({INVALID_TRANSITION, PAYMENT_IN_PROGRESS})
# What the cancel update answers when a charge in flight must end first (the API's 202).
CANCEL_REQUESTED = "cancel_requested"


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(Contract):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    phone: str | None = Field(default=None, max_length=40)


class OrderTimeouts(Contract):
    payment: timedelta
    ship: timedelta
    delivery: timedelta
    bank_transfer: timedelta | None = None
    # How long an overdue bank-transfer invoice may still be paid before the order is cancelled.
    bank_transfer_grace: timedelta | None = None
    # How long one gateway call may take before the engine calls again (same idempotency key).
    gateway_call: timedelta | None = None
    # How long a charge whose outcome is unknown is looked up by its key before ops are asked.
    charge_lookup_window: timedelta | None = None
    # How long the money stays in escrow after delivery before the seller is paid.
    escrow_hold: timedelta | None = None
    # How often an undecided refund request is put before the admins again.
    refund_review_reminder: timedelta | None = None


DeadlineKind = Literal["payment", "bank_transfer", "ship", "delivery", "payout"]


class Deadline(Contract):
    """The order's next durable timer, as the read model shows it."""

    kind: DeadlineKind
    at: datetime


class InvoiceOverdue(Contract):
    """A bank transfer unpaid at the end of its due date: the invoice is overdue, the buyer
    reminded, and the order cancelled at `deadline` unless paid first."""

    order_id: str
    payment_id: str
    at: datetime
    deadline: Deadline


class NewOrder(Contract):
    order_id: str
    buyer_id: str
    listing_id: str
    quantity: int = Field(ge=1)
    shipping_address: Address
    billing_address: Address | None = None
    buyer_notes: str | None = None
    tax_rate: Decimal
    # MAX_OPEN_UNPAID_ORDERS of the API that took the order; None (older runs): no limit.
    max_open_orders: int | None = None
    # The payment deadline: set by the workflow as it admits the order.
    deadline: Deadline | None = None
    discount_code: str | None = None
    # INVOICE_TERMS / INVOICE_NOTES of the API that took the order; None (older runs): defaults.
    invoice_terms: str | None = None
    invoice_notes: str | None = None


class OrderInput(Contract):
    order: NewOrder
    timeouts: OrderTimeouts
    gateway: str
    # The platform's share of each payout (PLATFORM_FEE_RATE when the order was made).
    platform_fee_rate: Decimal = Decimal("0.05")
    # Set when the workflow continued as new: where the previous run stood.
    carried: "CarriedState | None" = None


class Admission(Contract):
    """What came of creating the order row and reserving its stock."""

    accepted: bool
    reason: (
        Literal[
            "out_of_stock",
            "listing_unavailable",
            "cannot_buy_own_listing",
            "too_many_open_orders",
            "order_total_too_large",
            "discount_invalid",
        ]
        | None
    ) = None
    # discount_invalid: why the code was refused (one of API.md's validate reasons).
    discount_reason: str | None = None
    order_number: str | None = None
    buyer_id: str = ""
    seller_id: str = ""
    total_amount: Decimal = Decimal("0.00")
    currency: str = ""
    # The listing's title as the order took it (empty in histories older than the field).
    item_name: str = ""


class DiscountCommand(Contract):
    """The buyer applies a discount code to the pending, unpaid order (API.md, Discounts)."""

    code: str
    actor: str


class DiscountApplied(Contract):
    """The order's step that reserves the code's use and re-totals the order and its invoice."""

    order_id: str
    code: str
    tax_rate: Decimal
    actor: str
    at: datetime


# The order's workflow refuses a code with this ApplicationError type (API: 422), the reason in
# its details.
DISCOUNT_INVALID = "discount_invalid"


class PayCommand(Contract):
    payment_id: str
    payment_method: str
    card_token: str | None = None
    actor: str


class BankTransferCommand(Contract):
    payment_id: str
    account: str
    actor: str


class BankTransferRequested(Contract):
    order_id: str
    payment_id: str
    account: str
    due: datetime
    actor: str
    at: datetime
    deadline: Deadline | None = None


class OfflinePaymentCommand(Contract):
    payment_id: str
    actor: str


class ShipCommand(Contract):
    tracking_number: str
    tracking_url: str | None = None
    carrier: str | None = None
    actor: str


class DeliverCommand(Contract):
    actor: str


class CancelCommand(Contract):
    reason: str
    actor: str
    role: Role
    # DELETE of an order: refused if a payment completed meanwhile, instead of refunding it.
    unpaid_only: bool = False


class PaymentOutcome(Contract):
    payment_id: str
    status: Literal["processing", "pending", "completed", "failed"]
    error_code: str | None = None
    error_message: str | None = None


class OrderResult(Contract):
    status: str
    reason: str | None = None


# Activity inputs and outputs


class PaymentAttempt(Contract):
    order_id: str
    payment_id: str
    payment_method: str
    gateway: str
    amount: Decimal
    currency: str
    attempt: int


class ChargeRequest(Contract):
    payment_id: str
    order_id: str | None = None
    idempotency_key: str
    amount: Decimal
    currency: str
    card_token: str
    description: str


class GatewayEvent(Contract):
    """A gateway webhook about one of the order's payments (Stripe event, signature checked)."""

    event_id: str
    type: str
    object_id: str
    at: datetime
    # The object's own status where it has one (a refund's `succeeded` or `failed`).
    status: str | None = None
    # The gateway's words, for the admins (a dispute's reason, a refund's failure reason).
    detail: str | None = None


class GatewayEventSeen(Contract):
    order_id: str
    event: GatewayEvent


class ChargeResult(Contract):
    transaction_id: str
    gateway_response: dict[str, Any]


class ChargeLookup(Contract):
    """What the gateway knows of a charge, asked by its idempotency key."""

    status: Literal["succeeded", "declined", "pending", "not_found"]
    result: ChargeResult | None = None
    error_code: str | None = None
    error_message: str | None = None


class OutcomeUnknown(Contract):
    order_id: str
    payment_id: str
    attempt: int
    at: datetime


class PaymentCompleted(Contract):
    order_id: str
    payment_id: str
    transaction_id: str | None
    gateway_response: dict[str, Any] | None
    actor: str
    at: datetime
    # Where the money came from (None: a run from before wallets, always a card or a transfer).
    payment_method: str | None = None
    # The ship deadline that starts now.
    deadline: Deadline | None = None


class WalletCharge(Contract):
    """An order paid from the buyer's wallet: the debit and the payment's outcome, one step."""

    order_id: str
    payment_id: str
    attempt: int
    buyer_id: str
    amount: Decimal
    currency: str
    actor: str
    at: datetime
    deadline: Deadline


class PaymentFailed(Contract):
    order_id: str
    payment_id: str
    attempt: int
    error_code: str
    error_message: str
    at: datetime
    # What the gateway said, word for word: admins see it, buyers see `error_message`.
    gateway_response: dict[str, Any] | None = None


class RefundRequest(Contract):
    payment_id: str
    idempotency_key: str
    transaction_id: str
    amount: Decimal
    currency: str


class RefundResult(Contract):
    refund_id: str
    gateway_response: dict[str, Any]
    # Stripe may take days to send a card refund: only `succeeded` means the money went back.
    status: Literal["succeeded", "pending"] = "succeeded"


class RefundLookup(Contract):
    """What the gateway knows of a refund, asked by its idempotency key."""

    status: Literal["succeeded", "pending", "failed", "not_found"]
    result: RefundResult | None = None
    error_message: str | None = None


class Transition(Contract):
    """One step of the order, projected into the read model with its timeline line."""

    order_id: str
    status: OrderStatus
    event: str
    actor: str
    at: datetime
    note: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    carrier: str | None = None
    # The timer that starts with this step (None: the read model's deadline is left as it is).
    deadline: Deadline | None = None
    # Delivered: the payout that the escrow hold ends in.
    payout: "PayoutPlan | None" = None


class PayoutPlan(Contract):
    """The seller's share of an order and the platform's fee, due once the escrow hold ends."""

    amount: Decimal
    fee: Decimal
    currency: str
    at: datetime


class PayoutDue(Contract):
    """The escrow hold is over: the seller is paid, the platform takes its fee."""

    order_id: str
    seller_id: str
    plan: PayoutPlan
    at: datetime


class Cancellation(Contract):
    order_id: str
    reason: str
    actor: str
    at: datetime
    refund: RefundResult | None = None
    refunded_amount: Decimal = Decimal("0.00")
    refund_error: str | None = None
    # A wallet-paid order: the money goes back to the buyer's wallet, not through a gateway.
    refund_to_wallet: bool = False


class CancelRequested(Contract):
    """A cancel (or a timeout) that arrived while a charge was in flight: carried out after it."""

    order_id: str
    reason: str
    actor: str
    at: datetime


class ResolveCommand(Contract):
    """An admin settles a charge whose outcome the gateway could not tell."""

    payment_id: str
    outcome: Literal["succeeded", "failed"]
    transaction_id: str | None = None
    note: str
    actor: str


class AdminAlert(Contract):
    """Something a person must look at: notified to the admins, once per key."""

    order_id: str
    key: str
    kind: str
    title: str
    body: str
    at: datetime


class RefundSettled(Contract):
    """The gateway said a pending refund of the order's payment succeeded."""

    order_id: str
    payment_id: str
    refund: RefundResult
    amount: Decimal
    at: datetime


class CarriedState(Contract):
    """What a continued run of OrderWorkflow needs from the run before it."""

    admission: Admission
    status: OrderStatus
    deadline: datetime
    attempts: dict[str, int]
    paid: PaymentCompleted | None = None
    bank_transfer: str | None = None
    gateway_events: list[str] = []
    refund_pending: RefundRequest | None = None
    payout: PayoutPlan | None = None
    refunded: Decimal = Decimal("0.00")
    open_refund: str | None = None
    refunds_asked: list[str] = []
    overdue: bool = False


OrderInput.model_rebuild()
Transition.model_rebuild()
