"""Discount codes as API.md defines them: how much a code takes off, and why one is refused.

A code is compared case-insensitively: its key is the upper-case form. `expired` is never
stored: it is derived from `valid_until` whenever a code is read or used.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal, get_args

from domain.money import quantize

DiscountType = Literal["percentage", "fixed"]
# What is stored; `expired` is derived (status_of).
StoredStatus = Literal["active", "inactive"]
DiscountStatus = Literal["active", "inactive", "expired"]
Reason = Literal[
    "not_found",
    "inactive",
    "expired",
    "not_yet_valid",
    "min_order_not_met",
    "max_uses_reached",
    "max_uses_per_user_reached",
]
REASONS: tuple[str, ...] = get_args(Reason)
MESSAGES: dict[str, str] = {
    "not_found": "No such discount code",
    "inactive": "The discount code is not active",
    "expired": "The discount code has expired",
    "not_yet_valid": "The discount code is not valid yet",
    "min_order_not_met": "The order is below the code's minimum amount",
    "max_uses_reached": "The discount code has been used up",
    "max_uses_per_user_reached": "You have used this discount code as often as it allows",
}
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class DiscountRefused(Exception):
    """A code that cannot be used on this order; `reason` is one of API.md's."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(MESSAGES[reason])
        self.reason: Reason = reason


def code_key(code: str) -> str:
    """The code as it is compared and kept unique: trimmed, upper case."""
    return code.strip().upper()


def discount_amount(
    discount_type: str,
    discount_value: Decimal,
    max_discount_amount: Decimal | None,
    subtotal: Decimal,
) -> Decimal:
    """What the code takes off `subtotal`: a percentage of it rounded half-up to the cent and
    capped by `max_discount_amount`, or a fixed amount; never negative, never above it."""
    subtotal = quantize(subtotal)
    if subtotal <= 0:
        return ZERO
    if discount_type == "percentage":
        amount = quantize(subtotal * discount_value / HUNDRED)
        if max_discount_amount is not None:
            amount = min(amount, quantize(max_discount_amount))
    elif discount_type == "fixed":
        amount = quantize(discount_value)
    else:
        raise ValueError(f"unknown discount type {discount_type!r}")
    return max(ZERO, min(amount, subtotal))


def status_of(status: str, valid_until: datetime | None, now: datetime) -> DiscountStatus:
    """The status API.md shows: an active code past its `valid_until` is `expired`; an admin's
    `inactive` stays what it is."""
    if status == "active" and valid_until is not None and now > valid_until:
        return "expired"
    return "inactive" if status == "inactive" else "active"


def refusal_of(
    status: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    min_order_amount: Decimal | None,
    order_amount: Decimal,
    at: datetime,
) -> Reason | None:
    """Why the code's own terms refuse an order of `order_amount` at `at`, or None. How many
    times it was used is the database's to say (max_uses_reached, max_uses_per_user_reached)."""
    shown = status_of(status, valid_until, at)
    if shown != "active":
        return shown
    if valid_from is not None and at < valid_from:
        return "not_yet_valid"
    if min_order_amount is not None and order_amount < min_order_amount:
        return "min_order_not_met"
    return None


def uses_refusal(
    reserved: int, max_uses: int | None, user_uses: int, max_uses_per_user: int | None
) -> Reason | None:
    """Whether one more use fits under the code's limits (given its uses reserved or used)."""
    if max_uses is not None and reserved >= max_uses:
        return "max_uses_reached"
    if max_uses_per_user is not None and user_uses >= max_uses_per_user:
        return "max_uses_per_user_reached"
    return None


def terms_problem(
    discount_type: str,
    discount_value: Decimal,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> tuple[str, str] | None:
    """The (field, problem) that makes a code's terms impossible, or None."""
    if discount_value <= 0:
        return "discount_value", "must be more than 0"
    if discount_type == "percentage" and discount_value > HUNDRED:
        return "discount_value", "a percentage is at most 100"
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        return "valid_until", "must be after valid_from"
    return None
