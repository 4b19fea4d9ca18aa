"""Request and response bodies of API.md's Discounts section."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from api.schemas import Money, NonNegativeMoney, PositiveMoney, Request, Text
from domain.discounts import DiscountStatus, DiscountType, Reason, StoredStatus, status_of

# Letters, digits, - and _: what a buyer types; compared case-insensitively.
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# A code as a buyer gives it to validate or apply: any text of the column's size (an unknown
# one is not_found, not a validation error).
GivenCode = Annotated[str, Field(min_length=1, max_length=64)]
Uses = Annotated[int, Field(ge=0, le=1_000_000_000)]


def _in_utc(at: datetime) -> datetime:
    try:
        return at.astimezone(UTC)
    except OverflowError:
        # Year 1 ahead of UTC, or 9999 behind it: no such instant in UTC.
        raise ValueError("the time is out of range in UTC") from None


Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class DiscountCreate(Request):
    code: Code
    description: Text = ""
    discount_type: DiscountType
    # A percentage (more than 0, at most 100) or an amount, as a 2-place decimal string.
    discount_value: PositiveMoney
    max_discount_amount: PositiveMoney | None = None
    min_order_amount: NonNegativeMoney | None = None
    max_uses: Uses | None = None
    max_uses_per_user: Uses | None = None
    status: StoredStatus = "active"
    valid_from: Instant | None = None
    valid_until: Instant | None = None


class DiscountPatch(Request):
    """Any of the terms; the code itself and the counters do not change. A null clears a
    limit or a bound (not the type, value or status)."""

    description: Text | None = None
    discount_type: DiscountType | None = None
    discount_value: PositiveMoney | None = None
    max_discount_amount: PositiveMoney | None = None
    min_order_amount: NonNegativeMoney | None = None
    max_uses: Uses | None = None
    max_uses_per_user: Uses | None = None
    status: StoredStatus | None = None
    valid_from: Instant | None = None
    valid_until: Instant | None = None


# What a PATCH may not set to null.
REQUIRED = frozenset({"description", "discount_type", "discount_value", "status"})


class DiscountOut(BaseModel):
    id: str
    code: str
    description: str
    discount_type: DiscountType
    discount_value: Money
    max_discount_amount: Money | None
    min_order_amount: Money | None
    max_uses: int | None
    max_uses_per_user: int | None
    status: DiscountStatus
    valid_from: datetime | None
    valid_until: datetime | None
    times_used: int
    created_at: datetime
    updated_at: datetime


def discount_out(row: Any, now: datetime) -> DiscountOut:
    fields = {name: getattr(row, name) for name in DiscountOut.model_fields}
    fields["status"] = status_of(row.status, row.valid_until, now)
    return DiscountOut.model_validate(fields)


class DiscountValidate(Request):
    code: GivenCode
    order_amount: NonNegativeMoney


class DiscountValidity(BaseModel):
    valid: bool
    discount_amount: Money
    reason: Reason | None


class DiscountApply(Request):
    code: GivenCode
    order_id: str = Field(min_length=1, max_length=36)
