"""Request and response bodies of API.md. Requests forbid unknown fields (no mass assignment)."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from domain.contracts import Address
from domain.money import MAX_AMOUNT, as_text, quantize

# Plain ASCII digits, an optional minus and at most two places: no exponents, underscores,
# plus signs, other scripts' digits or surrounding junk, all of which Decimal() would take.
_MONEY_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?", re.ASCII)


def _parse_money(value: Any) -> Decimal:
    if isinstance(value, bool | float | int):
        # API.md: money is a decimal string; a JSON number, even a whole one, is refused.
        raise ValueError('money is a decimal string such as "1499.00", never a number')
    if isinstance(value, Decimal) and value.is_finite():
        amount = value
    elif isinstance(value, str) and _MONEY_TEXT.fullmatch(value):
        amount = Decimal(value)
        if value.startswith("-") and amount == 0:
            raise ValueError("money has no negative zero")
    else:
        raise ValueError('money is a decimal string with at most 2 places, such as "1499.00"')
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"amount must be at most {MAX_AMOUNT}")
    if amount != quantize(amount):
        raise ValueError("money has at most 2 decimal places")
    return amount


# What /openapi.json says of money: a decimal string (API.md), never a number.
_MONEY_OUT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["1499.00"]}


def _money_in(sign: str) -> WithJsonSchema:
    text = {"type": "string", "pattern": f"^{sign}[0-9]{{1,8}}(\\.[0-9]{{1,2}})?$"}
    return WithJsonSchema({**text, "examples": ["1499.00"]}, mode="validation")


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(as_text, return_type=str),
    _money_in("-?"),
    WithJsonSchema(_MONEY_OUT, mode="serialization"),
]
PositiveMoney = Annotated[Money, Field(gt=0, le=MAX_AMOUNT), _money_in("")]
NonNegativeMoney = Annotated[Money, Field(ge=0, le=MAX_AMOUNT), _money_in("")]
Text = Annotated[str, Field(max_length=2000)]
T = TypeVar("T")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refused here (422), never a 500 at the INSERT.
        if _has_nul(data):
            raise ValueError("text may not contain NUL (\\u0000) characters")
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


# Listings


class ListingCreate(Request):
    listing_type: Literal["car", "part"]
    title: str = Field(min_length=1, max_length=200)
    description: Text = ""
    unit_price: PositiveMoney
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    shipping_fee: NonNegativeMoney = Decimal("0")
    quantity_available: int = Field(default=1, ge=0, le=1_000_000)


class ListingPatch(Request):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = None
    unit_price: PositiveMoney | None = None
    shipping_fee: NonNegativeMoney | None = None
    quantity_available: int | None = Field(default=None, ge=0, le=1_000_000)
    status: Literal["active", "inactive"] | None = None


class ListingOut(BaseModel):
    id: str
    seller_id: str
    listing_type: str
    title: str
    description: str
    unit_price: Money
    currency: str
    shipping_fee: Money
    quantity_available: int
    status: str
    created_at: datetime
    updated_at: datetime


# Payments

# A gateway token, never a card number; the sandbox's column holds 64 characters.
CardToken = Annotated[str, Field(pattern=r"^(tok|pm)_[A-Za-z0-9_]{1,60}$")]
PaymentMethod = Literal[
    "credit_card", "debit_card", "paypal", "stripe", "bank_transfer", "wallet", "other"
]


class PaymentRequest(Request):
    payment_method: PaymentMethod
    card_token: CardToken | None = None


class PaymentCreate(PaymentRequest):
    order_id: str = Field(min_length=1, max_length=36)


class PaymentRetry(Request):
    payment_method: PaymentMethod | None = None
    card_token: CardToken | None = None


class PaymentOut(BaseModel):
    id: str
    order_id: str
    payment_method: str
    amount: Money
    currency: str
    status: str
    transaction_id: str | None
    reference_number: str | None
    gateway: str
    error_code: str | None
    error_message: str | None
    attempts: int
    instructions: dict[str, Any] | None
    created_at: datetime
    processed_at: datetime | None
    gateway_response: dict[str, Any] | None = Field(default=None, exclude_if=lambda v: v is None)


class PaymentSummary(BaseModel):
    id: str
    status: str
    payment_method: str


# Orders


class OrderCreate(Request):
    listing_id: str = Field(min_length=1, max_length=36)
    # The bound that counts is MAX_ORDER_QUANTITY (a setting), checked by the route.
    quantity: int = Field(default=1, ge=1, le=10_000)
    shipping_address: Address
    billing_address: Address | None = None
    discount_code: str | None = Field(default=None, min_length=1, max_length=64)
    buyer_notes: Text | None = None
    payment: PaymentRequest | None = None


class OrderPatch(Request):
    shipping_address: Address | None = None
    billing_address: Address | None = None
    buyer_notes: Text | None = None
    seller_notes: Text | None = None


class ShipRequest(Request):
    tracking_number: str = Field(min_length=1, max_length=100)
    tracking_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    carrier: str | None = Field(default=None, max_length=100)


class CancelRequest(Request):
    reason: str = Field(min_length=1, max_length=500)


class PaymentResolve(Request):
    """An admin's word on a charge whose outcome the gateway could not tell."""

    outcome: Literal["succeeded", "failed"]
    transaction_id: str | None = Field(default=None, min_length=1, max_length=255)
    note: str = Field(min_length=1, max_length=2000)


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    status: str
    actor: str
    note: str | None


class Deadline(BaseModel):
    """The order's next durable timer."""

    kind: Literal["payment", "bank_transfer", "ship", "delivery", "payout"]
    at: datetime


class Payout(BaseModel):
    """The seller's payout: scheduled at delivery, paid when the escrow hold ends."""

    status: Literal["scheduled", "held", "paid"]
    amount: Money
    fee: Money
    at: datetime | None


class OrderOut(BaseModel):
    id: str
    order_number: str
    buyer_id: str
    seller_id: str
    listing_id: str
    order_type: str
    item_name: str
    description: str
    quantity: int
    unit_price: Money
    subtotal: Money
    discount: Money
    tax: Money
    shipping: Money
    total_amount: Money
    currency: str
    discount_code: str | None
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any] | None
    status: str
    payment: PaymentSummary | None
    invoice_id: str | None
    refunded_amount: Money
    tracking_number: str | None
    tracking_url: str | None
    carrier: str | None
    buyer_notes: str | None
    seller_notes: str | None
    cancel_reason: str | None
    created_at: datetime
    confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    workflow_id: str
    deadline: Deadline | None
    payout: Payout | None


class OrderDetail(OrderOut):
    timeline: list[TimelineEntry]


# Invoices


class LineItem(BaseModel):
    description: str
    quantity: int
    unit_price: Money
    amount: Money


class CreditNoteOut(BaseModel):
    id: str
    credit_note_number: str
    refund_id: str
    amount: Money
    created_at: datetime


class InvoiceOut(BaseModel):
    id: str
    order_id: str
    invoice_number: str | None
    invoice_date: date
    due_date: date
    status: str
    line_items: list[LineItem]
    notes: str | None
    terms: str | None
    subtotal: Money
    discount: Money
    tax: Money
    shipping: Money
    total: Money
    amount_paid: Money
    amount_due: Money
    amount_refunded: Money
    currency: str
    # One per completed refund, oldest first; the invoice itself is never rewritten.
    credit_notes: list[CreditNoteOut]
    sent_at: datetime | None
    viewed_at: datetime | None
    paid_at: datetime | None


# Notifications


class NotificationOut(BaseModel):
    id: str
    user_id: str
    kind: str
    title: str
    body: str
    order_id: str | None
    created_at: datetime
    read_at: datetime | None
